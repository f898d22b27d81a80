/**
 * The rejects page's rows from the two places a reject is counted: the rows still in the rejects table
 * (the newest) and reject_pruned (how many rows the bound removed, per reason, and the last of them).
 * One helper for both stores, so they answer alike.
 */
import type { RejectSummary } from "./store";

/** Per reason (columns reason, n, topic, t): a count and the newest row's topic and time. */
export type RejectGroup = Record<string, unknown>;

export function mergeRejects(kept: readonly RejectGroup[], pruned: readonly RejectGroup[]): RejectSummary[] {
  const out = new Map<string, RejectSummary>();
  for (const p of pruned) out.set(String(p.reason), { reason: String(p.reason), count: Number(p.n), kept: 0, lastTopic: String(p.topic), lastAt: Number(p.t) });
  for (const k of kept) {
    const reason = String(k.reason);
    const before = out.get(reason)?.count ?? 0;
    // a kept row is newer than every pruned one: it names the last topic
    out.set(reason, { reason, count: before + Number(k.n), kept: Number(k.n), lastTopic: String(k.topic), lastAt: Number(k.t) });
  }
  return [...out.values()].sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1));
}
