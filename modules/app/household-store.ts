import type { ActionResult, Decision, Household, HouseholdSnapshot, HistoryPoint, PqAggregate } from "../core/household";
import type { Clock } from "../core/clock";
import { pqProblem } from "./pq-aggregate";

/**
 * The aggregator's in-memory picture of the household: the latest snapshot,
 * power history per series, and the actions the presentation rooms may ask for.
 * Whoever owns control (the app) passes the action handlers; the store only
 * records and notifies.
 */
export interface HouseholdActions {
  switchLoad(id: string, on: boolean, actor: Decision["actor"]): ActionResult;
  scheduleLoad(id: string, durationMs: number, deadline: number, actor: Decision["actor"]): ActionResult & { startAt?: number };
}

export interface HistoryOptions {
  /** Resolution of stored history. */
  stepMs: number;
  /** Points kept per series (ring buffer). */
  capacity: number;
}

class PowerHistory {
  readonly watts: Float32Array;
  private start = -1; // time of slot 0 of the ring's oldest entry, in steps
  private newest = -1; // newest step index written
  private sums: Float64Array;
  private counts: Uint32Array;

  constructor(private readonly opts: HistoryOptions) {
    this.watts = new Float32Array(opts.capacity);
    this.sums = new Float64Array(opts.capacity);
    this.counts = new Uint32Array(opts.capacity);
  }

  add(t: number, w: number): void {
    const step = Math.floor(t / this.opts.stepMs);
    if (this.newest < 0) this.start = step;
    if (step < this.newest) return; // out of order: ignore rather than corrupt
    for (let s = this.newest + 1; s <= step && this.newest >= 0; s++) this.clear(s);
    if (this.newest < 0) this.clear(step);
    this.newest = step;
    const slot = step % this.opts.capacity;
    this.sums[slot] += w;
    this.counts[slot]++;
    this.watts[slot] = this.sums[slot] / this.counts[slot];
  }

  /** Mean power in [from, to) per `stepMs`, NaN where nothing was recorded. */
  query(from: number, to: number, stepMs: number): HistoryPoint[] {
    const out: HistoryPoint[] = [];
    const oldest = Math.max(this.start, this.newest - this.opts.capacity + 1);
    for (let t = from; t < to; t += stepMs) {
      let sum = 0;
      let n = 0;
      const s0 = Math.floor(t / this.opts.stepMs);
      const s1 = Math.max(s0 + 1, Math.floor((t + stepMs) / this.opts.stepMs));
      for (let s = s0; s < s1; s++) {
        if (s < oldest || s > this.newest || this.newest < 0) continue;
        const slot = s % this.opts.capacity;
        if (this.counts[slot] === 0) continue;
        sum += this.watts[slot];
        n++;
      }
      const w = n ? sum / n : NaN;
      out.push({ t, w, wh: n ? (w * stepMs) / 3_600_000 : NaN });
    }
    return out;
  }

  private clear(step: number): void {
    const slot = step % this.opts.capacity;
    this.sums[slot] = 0;
    this.counts[slot] = 0;
    this.watts[slot] = 0;
  }
}

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
    private readonly historyOptions: HistoryOptions = { stepMs: 60_000, capacity: 7 * 24 * 60 },
  ) {
    this.current = initial;
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

  /** Records power for the series "total", "meter:<id>", "load:<id>". */
  record(series: string, watts: number, t = this.clock.now()): void {
    let h = this.histories.get(series);
    if (!h) {
      h = new PowerHistory(this.historyOptions);
      this.histories.set(series, h);
    }
    h.add(t, watts);
  }

  seriesNames(): string[] {
    return [...this.histories.keys()];
  }

  history(series: string, from: number, to: number, stepMs: number): HistoryPoint[] {
    if (!(stepMs > 0) || !(to > from)) return [];
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

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
