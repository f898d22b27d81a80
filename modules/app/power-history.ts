/**
 * One series' power and energy history in RAM, in tiers of growing step (a
 * fine one for the last hours, a coarse one for the week), each a ring of
 * fixed typed arrays: 16 bytes per step (mean W Float32, samples Uint32,
 * energy Int32 mWh, observed time Int32 ms). Every record goes into every
 * tier, so a query answers from the finest tier that still holds the time
 * asked, and from the coarser one before that.
 *
 * Energy per step is what was measured: the meters' counter deltas (passed
 * in) or, for a series without counters (a smart plug), its power integrated
 * over the time between two records that were close enough to be observed.
 * A gap is never filled in: the step is marked partial (observed < its length).
 */
import type { HistoryPoint } from "../core/household";

export interface HistoryTier {
  /** Resolution (ms). */
  stepMs: number;
  /** Steps kept (ring). */
  capacity: number;
}

export interface HistoryOptions {
  /** Finest first; each step a multiple of the one before. */
  tiers: readonly HistoryTier[];
  /** Two records further apart than this are a gap (nothing observed in between). */
  gapMs?: number;
}

export const BYTES_PER_STEP = 16;
const MINUTE = 60_000, QUARTER = 900_000;

/**
 * The host simulator and a board with PSRAM: 1-min steps for 24 h, 15-min for 7 days
 * (2112 steps, 33.8 KB per series).
 */
export const HISTORY_FULL: HistoryOptions = Object.freeze({ tiers: Object.freeze([Object.freeze({ stepMs: MINUTE, capacity: 1440 }), Object.freeze({ stepMs: QUARTER, capacity: 672 })]) });
/**
 * A board without PSRAM: 1-min steps for the last 4 h, 15-min for 7 days (912 steps,
 * 14.6 KB per series: the dashboard's day curve and the week's bars from the coarse tier).
 */
export const HISTORY_BOARD: HistoryOptions = Object.freeze({ tiers: Object.freeze([Object.freeze({ stepMs: MINUTE, capacity: 240 }), Object.freeze({ stepMs: QUARTER, capacity: 672 })]) });

/** Bytes of RAM one series keeps with `o`. */
export function historyBytes(o: HistoryOptions): number {
  let steps = 0;
  for (const t of o.tiers) steps += t.capacity;
  return steps * BYTES_PER_STEP;
}

/** Why `o` is not a usable history configuration, or undefined. */
export function historyProblem(o: HistoryOptions): string | undefined {
  if (!o.tiers.length) return "at least one tier";
  for (let i = 0; i < o.tiers.length; i++) {
    const t = o.tiers[i];
    if (!(Number.isInteger(t.stepMs) && t.stepMs >= 1000)) return `tier ${i}: step ${t.stepMs} ms (whole ms, at least 1 s)`;
    if (!(Number.isInteger(t.capacity) && t.capacity >= 2 && t.capacity <= 100_000)) return `tier ${i}: capacity ${t.capacity} (2..100000)`;
    if (i > 0 && t.stepMs % o.tiers[i - 1].stepMs !== 0) return `tier ${i}: step ${t.stepMs} ms is not a multiple of ${o.tiers[i - 1].stepMs} ms`;
  }
  return undefined;
}

class Tier {
  readonly w: Float32Array;
  readonly n: Uint32Array;
  readonly mwh: Int32Array;
  readonly covered: Int32Array;
  /** Oldest step index ever written, newest step index written (-1: none). */
  first = -1;
  newest = -1;

  constructor(readonly stepMs: number, readonly capacity: number) {
    this.w = new Float32Array(capacity);
    this.n = new Uint32Array(capacity);
    this.mwh = new Int32Array(capacity);
    this.covered = new Int32Array(capacity);
  }

  /** Oldest step still held. */
  oldest(): number {
    return this.newest < 0 ? Infinity : Math.max(this.first, this.newest - this.capacity + 1);
  }

  /** The ring slot of step `s`, moving the ring on (clearing skipped steps) when s is newer; -1 when older than held. */
  slot(s: number): number {
    if (this.newest < 0) {
      this.first = this.newest = s;
      this.clear(s);
    } else if (s > this.newest) {
      for (let k = Math.max(this.newest + 1, s - this.capacity + 1); k <= s; k++) this.clear(k);
      this.newest = s;
    } else if (s < this.oldest()) return -1;
    return s % this.capacity;
  }

  private clear(s: number): void {
    const i = s % this.capacity;
    this.w[i] = 0;
    this.n[i] = 0;
    this.mwh[i] = 0;
    this.covered[i] = 0;
  }
}

export class PowerHistory {
  private readonly tiers: Tier[];
  private readonly gapMs: number;
  private lastT = NaN;
  private lastW = 0;
  /** Sub-mWh remainder of integrated power, carried so the sum stays exact. */
  private carryMwh = 0;

  constructor(o: HistoryOptions) {
    const problem = historyProblem(o);
    if (problem) throw new RangeError(`history: ${problem}`);
    this.tiers = o.tiers.map((t) => new Tier(t.stepMs, t.capacity));
    this.gapMs = o.gapMs ?? 5000;
  }

  /** RAM held by the arrays (bytes). */
  get bytes(): number {
    let b = 0;
    for (const t of this.tiers) b += t.w.byteLength + t.n.byteLength + t.mwh.byteLength + t.covered.byteLength;
    return b;
  }

  /**
   * A power sample `w` at t. `energyMwh`: the counters' energy since this series' previous
   * record (undefined: integrate the power); `observed`: whether the time since the previous
   * record was measured (default: the records are within gapMs).
   */
  add(t: number, w: number, energyMwh?: number, observed?: boolean): void {
    if (t < this.lastT) return; // out of order: ignored rather than corrupt the ring
    const dt = Number.isNaN(this.lastT) ? 0 : t - this.lastT;
    const seen = observed ?? dt <= this.gapMs;
    let mwh = energyMwh;
    if (mwh === undefined) {
      // A plug's power, held since its last record (left-point rule), only over observed time.
      const exact = seen ? (this.lastW * dt) / 3600 + this.carryMwh : 0;
      mwh = Math.round(exact);
      this.carryMwh = exact - mwh;
    }
    this.lastT = t;
    this.lastW = w;
    // The interval (t − dt, t] belongs to the step holding its end, as the booking does.
    const at = t > 0 ? t - 1 : t;
    for (const tier of this.tiers) {
      const i = tier.slot(Math.floor(at / tier.stepMs));
      if (i < 0) continue;
      const n = ++tier.n[i];
      tier.w[i] += (w - tier.w[i]) / n;
      tier.mwh[i] += mwh;
      if (seen) tier.covered[i] += Math.min(dt, tier.stepMs);
    }
  }

  /** The coarsest tier, to persist it (history-store.ts): its step, capacity, ring position and arrays. */
  coarsest(): { stepMs: number; capacity: number; first: number; newest: number; w: Float32Array; n: Uint32Array; mwh: Int32Array; covered: Int32Array } {
    return this.tiers[this.tiers.length - 1];
  }

  /**
   * A persisted coarsest tier back (a restart): taken when its step and capacity are this
   * history's; returns whether it was. The finer tiers start empty; queries answer from this one.
   */
  restoreCoarsest(t: { stepMs: number; capacity: number; first: number; newest: number; w: Float32Array; n: Uint32Array; mwh: Int32Array; covered: Int32Array }): boolean {
    const tier = this.tiers[this.tiers.length - 1];
    if (t.stepMs !== tier.stepMs || t.capacity !== tier.capacity || tier.newest >= 0) return false;
    tier.w.set(t.w);
    tier.n.set(t.n);
    tier.mwh.set(t.mwh);
    tier.covered.set(t.covered);
    tier.first = t.first;
    tier.newest = t.newest;
    return true;
  }

  /** Power and energy in buckets [t, t + stepMs) from `from` to `to`. */
  query(from: number, to: number, stepMs: number): HistoryPoint[] {
    const out: HistoryPoint[] = [];
    for (let t = from; t < to; t += stepMs) out.push(this.bucket(t, stepMs));
    return out;
  }

  private bucket(t: number, stepMs: number): HistoryPoint {
    const tier = this.tierFor(t, stepMs);
    if (!tier) return { t, w: NaN, wh: NaN, coveredMs: 0, partial: true, resMs: this.tiers[0].stepMs };
    if (tier.stepMs > stepMs) {
      // Finer than what is still kept: the mean of the step holding it, its energy not split up.
      const s = Math.floor(t / tier.stepMs);
      const i = s % tier.capacity;
      const w = s <= tier.newest && tier.n[i] ? tier.w[i] : NaN;
      return { t, w, wh: NaN, coveredMs: 0, partial: true, resMs: tier.stepMs };
    }
    const s0 = Math.ceil(t / tier.stepMs), s1 = Math.ceil((t + stepMs) / tier.stepMs);
    let n = 0, sum = 0, mwh = 0, covered = 0;
    for (let s = Math.max(s0, tier.oldest()); s < s1 && s <= tier.newest; s++) {
      const i = s % tier.capacity;
      if (tier.n[i] === 0) continue;
      n += tier.n[i];
      sum += tier.w[i] * tier.n[i];
      mwh += tier.mwh[i];
      covered += tier.covered[i];
    }
    return { t, w: n ? sum / n : NaN, wh: n ? mwh / 1000 : NaN, coveredMs: covered, partial: covered < stepMs, resMs: tier.stepMs };
  }

  /** The coarsest tier that holds t and whose step fits the bucket; else the finest that holds t. */
  private tierFor(t: number, stepMs: number): Tier | undefined {
    let best: Tier | undefined;
    for (const tier of this.tiers) {
      // the ring still reaches back to t (a bucket may begin before the first record and hold data)
      const holds = tier.newest >= 0 && Math.floor(t / tier.stepMs) >= tier.newest - tier.capacity + 1;
      if (!holds) continue;
      if (tier.stepMs <= stepMs && stepMs % tier.stepMs === 0) best = tier;
      else if (!best) return tier;
    }
    return best;
  }
}
