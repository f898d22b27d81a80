/**
 * The order of a node's status and firmware reports. Both are last-value topics
 * (retained): a consumer keeps one state per node, so a report resent from the
 * outbox or redelivered by a broker after a newer one would otherwise take the
 * node back in time (a resent "running 1.0.0" read as a rollback, an old
 * "offline" shown after "online"). Each report carries `boot` (the flash boot
 * counter) and `seq` (a counter of this boot); a consumer keeps a report only if
 * its (boot, seq) is above the one it holds.
 *
 * Status: xsmeter/<node>/status is {"state":"online"|"offline","boot","seq"[,"t"]}.
 * Its "offline" is mostly the MQTT will, which the broker publishes *after* the
 * "online" of that connection although it was written before it (at CONNECT).
 * So each connection attempt a gets two numbers: its "online" has seq 2a, its
 * will (or a clean stop's "offline") 2a + 1; the next attempt's "online" is
 * 2a + 2, above that will. Firmware reports take seq 1, 2, … of their own.
 *
 * Earlier firmware sends "online"/"offline" as plain text and firmware reports
 * without seq: such a report has no order and is taken as it comes (last
 * arrival wins, as before), so a consumer still accepts it.
 */
import { utf8Encode } from "../core/bytes";

export interface ReportOrder {
  boot: number;
  seq: number;
}

export interface StatusReport {
  online: boolean;
  /** Absent for earlier firmware's plain "online"/"offline". */
  order?: ReportOrder;
  t?: number;
}

const isCount = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;

/** The status payload for attempt-derived `seq` (see the file comment). */
export function statusPayload(online: boolean, boot: number, seq: number, t?: number): Uint8Array {
  const body: Record<string, unknown> = { state: online ? "online" : "offline", boot, seq };
  if (t !== undefined) body.t = t;
  return utf8Encode(JSON.stringify(body));
}

/** A status payload's text → what it says, or undefined if it is neither form. */
export function parseStatus(text: string): StatusReport | undefined {
  if (text === "online" || text === "offline") return { online: text === "online" };
  if (text.length === 0 || text.charCodeAt(0) !== 123 /* { */) return undefined;
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof j !== "object" || j === null || Array.isArray(j)) return undefined;
  const b = j as Record<string, unknown>;
  if (b.state !== "online" && b.state !== "offline") return undefined;
  if (!isCount(b.boot) || !isCount(b.seq)) return undefined;
  const out: StatusReport = { online: b.state === "online", order: { boot: b.boot, seq: b.seq } };
  if (typeof b.t === "number" && Number.isSafeInteger(b.t) && b.t > 0) out.t = b.t;
  return out;
}

/** A status payload as the word "online" / "offline" (either form), or the text itself when it is neither. */
export function statusWord(text: string): string {
  const s = parseStatus(text);
  return s ? (s.online ? "online" : "offline") : text;
}

/** The order a JSON report (a firmware report) carries, if it carries both numbers. */
export function orderOf(body: Record<string, unknown>): ReportOrder | undefined {
  return isCount(body.boot) && isCount(body.seq) ? { boot: body.boot, seq: body.seq } : undefined;
}

/**
 * Should a consumer holding `held` take `next`? An ordered report only if it is
 * newer; a report without order always (earlier firmware: arrival order); an
 * ordered report always replaces one without.
 */
export function supersedes(next: ReportOrder | undefined, held: ReportOrder | undefined): boolean {
  if (next === undefined || held === undefined) return true;
  return next.boot > held.boot || (next.boot === held.boot && next.seq > held.seq);
}
