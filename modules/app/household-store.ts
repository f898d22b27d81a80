import type { ActionResult, Decision, EnergyBucket, Household, HouseholdSnapshot, HistoryPoint, PqAggregate } from "../core/household";
import type { Clock } from "../core/clock";
import { pqProblem } from "./pq-aggregate";
import { HISTORY_FULL, PowerHistory, historyProblem, type HistoryOptions } from "./power-history";

export type { HistoryOptions } from "./power-history";

/**
 * The aggregator's in-memory picture of the household: the latest snapshot,
 * power history per series, and the actions the presentation rooms may ask for.
 * Whoever owns control (the app) passes the action handlers; the store only
 * records and notifies.
 */
export interface HouseholdActions {
  switchLoad(id: string, on: boolean, actor: Decision["actor"]): ActionResult;
  scheduleLoad(id: string, durationMs: number, deadline: number, actor: Decision["actor"]): ActionResult & { startAt?: number };
  cancelPlan?(id: string, actor: Decision["actor"]): ActionResult;
}

/** Booked energy per bucket (the aggregator's booking), when the owner has one. */
export type EnergySource = (from: number, to: number, stepMs: number) => EnergyBucket[];

export class HouseholdStore implements Household {
  private current: HouseholdSnapshot;
  private listeners = new Set<() => void>();
  private histories = new Map<string, PowerHistory>();
  /** The last 10-min aggregate per meter, by meter id (in id order in the snapshot). */
  private pq = new Map<number, PqAggregate>();
  private pqList: PqAggregate[] = [];
  /** Aggregates refused as malformed (pqProblem), and the last reason. */
  pqRejected = 0;
  pqLastProblem: string | undefined;

  constructor(
    private readonly clock: Clock,
    initial: HouseholdSnapshot,
    private readonly actions: HouseholdActions,
    private readonly historyOptions: HistoryOptions = HISTORY_FULL,
    private readonly energySource?: EnergySource,
  ) {
    const problem = historyProblem(historyOptions);
    if (problem) throw new RangeError(`history: ${problem}`);
    this.current = initial;
  }

  /** The household's clock (virtual in a simulated run): what every view takes as "now". */
  now(): number {
    return this.clock.now();
  }

  /** Booked energy and cost per bucket (empty when this household books nothing). */
  energy(from: number, to: number, stepMs: number): EnergyBucket[] {
    if (!this.energySource || !(stepMs > 0) || !(to > from) || (to - from) / stepMs > 10_000) return [];
    return this.energySource(from, to, stepMs);
  }

  /** RAM the power histories hold (bytes). */
  historyBytes(): number {
    let b = 0;
    for (const h of this.histories.values()) b += h.bytes;
    return b;
  }

  snapshot(): HouseholdSnapshot {
    return this.current;
  }

  /** Replaces the snapshot (the app builds it; the store adds its 10-min aggregates) and notifies listeners. */
  update(next: HouseholdSnapshot): void {
    this.current = this.pqList.length ? { ...next, pq10min: this.pqList } : next;
    this.notify();
  }

  /**
   * Keeps `a` as meter a.meterId's last 10-min aggregate if it is newer than
   * the one held (a link may hand the same one over every cycle); returns
   * whether it was taken. A malformed one (pqProblem) is refused and counted,
   * and the one held stays. Listeners hear of a new one at once.
   */
  setAggregate(a: PqAggregate): boolean {
    const problem = pqProblem(a);
    if (problem) {
      this.pqRejected++;
      this.pqLastProblem = `meter ${a.meterId}: ${problem}`;
      return false;
    }
    const held = this.pq.get(a.meterId);
    if (held && held.end >= a.end) return false;
    this.pq.set(a.meterId, a);
    this.pqList = [...this.pq.values()].sort((x, y) => x.meterId - y.meterId);
    this.current = { ...this.current, pq10min: this.pqList };
    this.notify();
    return true;
  }

  /** The last 10-min aggregate of each meter that has one, by meter id. */
  aggregates(): readonly PqAggregate[] {
    return this.pqList;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /**
   * Records power for the series "total", "meter:<id>", "load:<id>", with the energy the
   * meters' counters moved since the series' previous record (mWh; without it the power is
   * integrated over observed time) and whether that time was observed (PowerHistory.add).
   */
  record(series: string, watts: number, t = this.clock.now(), energyMwh?: number, observed?: boolean): void {
    let h = this.histories.get(series);
    if (!h) {
      h = new PowerHistory(this.historyOptions);
      this.histories.set(series, h);
    }
    h.add(t, watts, energyMwh, observed);
  }

  /** Each series' history, "total" first (what history-store.ts saves, in this order). */
  historyEntries(): [string, PowerHistory][] {
    const all = [...this.histories.entries()];
    return [...all.filter(([n]) => n === "total"), ...all.filter(([n]) => n !== "total")];
  }

  /**
   * Persisted coarsest tiers back (a restart, before any record): each series whose tier
   * matches this store's configuration is restored; returns how many were.
   */
  restoreHistories(tiers: Map<string, Parameters<PowerHistory["restoreCoarsest"]>[0]>): number {
    let n = 0;
    for (const [name, t] of tiers) {
      if (this.histories.has(name)) continue;
      const h = new PowerHistory(this.historyOptions);
      if (!h.restoreCoarsest(t)) continue;
      this.histories.set(name, h);
      n++;
    }
    return n;
  }

  seriesNames(): string[] {
    return [...this.histories.keys()];
  }

  history(series: string, from: number, to: number, stepMs: number): HistoryPoint[] {
    if (!(stepMs > 0) || !(to > from) || (to - from) / stepMs > 100_000) return [];
    const h = this.histories.get(series);
    if (!h) return [];
    return h.query(from, to, stepMs);
  }

  switchLoad(id: string, on: boolean, actor: Decision["actor"]): ActionResult {
    return this.actions.switchLoad(id, on, actor);
  }

  scheduleLoad(id: string, durationMs: number, deadline: number, actor: Decision["actor"]): ActionResult & { startAt?: number } {
    return this.actions.scheduleLoad(id, durationMs, deadline, actor);
  }

  cancelPlan(id: string, actor: Decision["actor"]): ActionResult {
    return this.actions.cancelPlan ? this.actions.cancelPlan(id, actor) : { ok: false, error: "plans cannot be cancelled here" };
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
