/**
 * A slave's 10-minute power-quality aggregate (IEC 61000-4-30: intervals
 * aligned to the UTC clock, RMS of the magnitudes, mean of the signed power and
 * of the frequency, flagged when a dip, swell or interruption overlapped).
 *
 * Two sources make one `PqAggregate` (modules/core/household.ts):
 * - `pqFromRecord`: a MeterPipeline "10min" AggregateRecord (the pipeline
 *   reuses its record, so this copies what it keeps);
 * - `SecondsAggregator`: per-second readings (a front end that measures once a
 *   second, like the STPM3x on the board or the simulator's fast model).
 *
 * An interval measured for less than `MIN_COVERAGE` of its length (the meter
 * started inside it, or measuring stopped) is not reported: a partial
 * aggregate would read as a full one.
 */
import type { PqAggregate } from "../core/household";
import type { AggregateRecord, WindowRecord } from "../metrology/records";

export const PQ_INTERVAL_MS = 600_000;
export const MIN_COVERAGE = 0.9;

/**
 * Why `a` is not a usable aggregate (interval not one aligned 10-min step,
 * phase arrays of different or impossible lengths, a value not finite), or
 * undefined when it is. The store refuses such a record rather than publish
 * nulls or a misaligned interval.
 */
export function pqProblem(a: PqAggregate): string | undefined {
  if (!Number.isInteger(a.meterId) || a.meterId < 0) return `meter id ${a.meterId}`;
  if (!Number.isFinite(a.end) || a.end % PQ_INTERVAL_MS !== 0 || a.end - a.start !== PQ_INTERVAL_MS) return `interval ${a.start}..${a.end} is not one UTC-aligned 10-min step`;
  const arrays = [a.voltageV, a.currentA, a.powerW, a.thdVoltagePct, a.thdCurrentPct];
  const n = a.voltageV.length;
  if (n < 1 || n > 3 || arrays.some((x) => x.length !== n)) return "per-phase arrays must all hold 1 to 3 values";
  if (!arrays.every((x) => x.every(Number.isFinite)) || !Number.isFinite(a.frequencyHz)) return "a value is not a finite number";
  if (a.unbalancePct !== undefined && !Number.isFinite(a.unbalancePct)) return "unbalance is not a finite number";
  return undefined;
}

/** A copy of a pipeline's "10min" record as this meter's aggregate; undefined when it covers too little. */
export function pqFromRecord(meterId: number, rec: AggregateRecord, startTimeMs: number): PqAggregate | undefined {
  if (rec.interval !== "10min" || rec.windows === 0) return undefined;
  if (rec.duration * 1000 < MIN_COVERAGE * PQ_INTERVAL_MS) return undefined;
  // Every window of the record has its midpoint inside the interval, so the record's midpoint does too.
  const mid = startTimeMs + (rec.t + rec.duration / 2) * 1000;
  const start = Math.floor(mid / PQ_INTERVAL_MS) * PQ_INTERVAL_MS;
  const a: PqAggregate = {
    meterId, start, end: start + PQ_INTERVAL_MS,
    voltageV: rec.u.slice(), currentA: rec.i.slice(), powerW: rec.p.slice(),
    thdVoltagePct: rec.thdu.slice(), thdCurrentPct: rec.thdi.slice(),
    frequencyHz: rec.f, flagged: rec.flagged,
  };
  if (rec.u.length === 3) a.unbalancePct = rec.u2;
  return a;
}

/**
 * 5 % of the nominal current (10 A). The 12-bit transducer's quantisation noise
 * on ±30√2 A is ≈ 6 mA RMS: 1.2 % of 0.5 A, but an idle meter's THDi is the
 * harmonics of that noise over a noise "fundamental", thousands of percent.
 */
export const THDI_MIN_CURRENT_A = 0.5;

/**
 * THDi of the 10-min interval from the windows that carried current: RMS of
 * the THDi of windows with I ≥ `minCurrentA` (0 when none did). The pipeline's
 * own aggregate takes every window, so an idle or cycling load's interval would
 * read as noise. Feed every window (onWindow), then `apply` to the interval's
 * aggregate (onAggregate: the pipeline emits it after the first window of the
 * next interval, so the last two intervals are kept apart by window midpoint).
 */
export class LoadedThdi {
  private readonly sum: Float64Array[];
  private readonly n: Uint32Array[];
  private readonly k = [NaN, NaN]; // interval index held in slot 0 / 1
  private cur = 0;

  constructor(readonly phases: number, private readonly startTimeMs: number, private readonly minCurrentA = THDI_MIN_CURRENT_A) {
    this.sum = [new Float64Array(phases), new Float64Array(phases)];
    this.n = [new Uint32Array(phases), new Uint32Array(phases)];
  }

  add(w: WindowRecord): void {
    const k = Math.floor((this.startTimeMs + (w.t + w.duration / 2) * 1000) / PQ_INTERVAL_MS);
    if (k !== this.k[this.cur]) {
      this.cur ^= 1;
      this.k[this.cur] = k;
      this.sum[this.cur].fill(0);
      this.n[this.cur].fill(0);
    }
    const sum = this.sum[this.cur], n = this.n[this.cur];
    for (let p = 0; p < this.phases; p++) {
      if (!(w.i[p] >= this.minCurrentA)) continue;
      sum[p] += w.thdi[p] * w.thdi[p];
      n[p]++;
    }
  }

  /** Sets a.thdCurrentPct from the loaded windows of a's interval (left as it is if those windows were not seen). */
  apply(a: PqAggregate): void {
    const slot = this.k[0] === a.start / PQ_INTERVAL_MS ? 0 : this.k[1] === a.start / PQ_INTERVAL_MS ? 1 : -1;
    if (slot < 0) return;
    for (let p = 0; p < a.thdCurrentPct.length && p < this.phases; p++) {
      const n = this.n[slot][p];
      a.thdCurrentPct[p] = n ? Math.sqrt(this.sum[slot][p] / n) : 0;
    }
  }
}

/** One second's values (single phase): the voltage as a mean square so a sub-second dip counts at its weight. */
export interface SecondValues {
  /** Mean of u² over the second (V²). */
  voltageSquared: number;
  currentA: number;
  powerW: number;
  thdVoltagePct: number;
  thdCurrentPct: number;
  frequencyHz: number;
  /** A dip, swell or interruption overlapped this second. */
  flagged: boolean;
}

/**
 * Aggregates per-second values into UTC-aligned 10-min intervals, single
 * phase. Allocates nothing per second; one PqAggregate per completed interval.
 */
export class SecondsAggregator {
  private interval = NaN;
  private ms = 0;
  private uu = 0; private ii = 0; private p = 0; private tu = 0; private ti = 0; private f = 0;
  private n = 0;
  private flagged = false;
  private last: PqAggregate | undefined;

  constructor(readonly meterId: number) {}

  /** The last completed interval's aggregate (a new object per interval: safe to keep). */
  latest(): PqAggregate | undefined {
    return this.last;
  }

  /**
   * Adds the measurement of (end − durationMs, end]; it belongs to the interval
   * holding its midpoint. Returns the aggregate when this second completed one.
   */
  add(end: number, durationMs: number, v: SecondValues): PqAggregate | undefined {
    if (!(durationMs > 0)) return undefined;
    const k = Math.floor((end - durationMs / 2) / PQ_INTERVAL_MS);
    let done: PqAggregate | undefined;
    if (k !== this.interval) {
      if (this.n > 0) done = this.close(); // a gap: the held interval ended without its last second
      this.interval = k;
    }
    const w = durationMs; // time-weighted: a longer measurement counts for more
    this.uu += w * v.voltageSquared; this.ii += w * v.currentA * v.currentA; this.p += w * v.powerW;
    this.tu += w * v.thdVoltagePct * v.thdVoltagePct; this.ti += w * v.thdCurrentPct * v.thdCurrentPct;
    this.f += w * v.frequencyHz;
    if (v.flagged) this.flagged = true;
    this.n++;
    this.ms += w;
    // The second ending on the boundary completes the interval now, not one second later.
    if (end >= (k + 1) * PQ_INTERVAL_MS) done = this.close() ?? done;
    return done;
  }

  private close(): PqAggregate | undefined {
    const n = this.ms, start = this.interval * PQ_INTERVAL_MS;
    const a: PqAggregate | undefined = this.ms < MIN_COVERAGE * PQ_INTERVAL_MS ? undefined : {
      meterId: this.meterId, start, end: start + PQ_INTERVAL_MS,
      voltageV: [Math.sqrt(this.uu / n)], currentA: [Math.sqrt(this.ii / n)], powerW: [this.p / n],
      thdVoltagePct: [Math.sqrt(this.tu / n)], thdCurrentPct: [Math.sqrt(this.ti / n)],
      frequencyHz: this.f / n, flagged: this.flagged,
    };
    this.uu = this.ii = this.p = this.tu = this.ti = this.f = this.ms = 0;
    this.n = 0;
    this.flagged = false;
    this.interval = NaN;
    if (a) this.last = a;
    return a;
  }
}
