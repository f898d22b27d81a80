/**
 * IEC 61000-4-30 aggregation by RMS (magnitudes) or arithmetic mean (signed
 * quantities): 3 s = 15 windows (150/180 cycles, re-synchronised at each
 * 10-min tick), 10 min aligned to the UTC clock, 2 h aligned to the clock.
 * An aggregate is flagged if any of its windows was.
 *
 * Each interval owns one preallocated AggregateRecord that every emit
 * overwrites (like the pipeline's window record), so aggregation allocates
 * nothing at run time: a consumer that keeps an aggregate past its callback
 * must copy it.
 */
import { PHASE_FIELDS, type AggregateRecord, type WindowRecord } from "./records";

const RMS_FIELDS = new Set(["u", "i", "s", "s1", "sn", "di", "dv", "sh", "n", "thdu", "thdi"]);

class Accumulator {
  readonly sums: Float64Array;
  count = 0;
  flagged = false;
  start = 0;
  fSum = 0; u2Sum = 0; u0Sum = 0; dur = 0;
  constructor(readonly phases: number) { this.sums = new Float64Array(PHASE_FIELDS.length * phases); }
  add(w: WindowRecord): void {
    if (this.count === 0) this.start = w.t;
    const s = this.sums, ph = this.phases;
    for (let k = 0; k < PHASE_FIELDS.length; k++) {
      const f = PHASE_FIELDS[k];
      const arr = w[f];
      const sq = RMS_FIELDS.has(f);
      for (let p = 0; p < ph; p++) s[k * ph + p] += sq ? arr[p] * arr[p] : arr[p];
    }
    this.fSum += w.f; this.u2Sum += w.u2 * w.u2; this.u0Sum += w.u0 * w.u0; this.dur += w.duration;
    this.count++;
    if (w.flagged) this.flagged = true;
  }
  /** Fills the preallocated record and resets the sums; the record is reused by the next emit. */
  emit(rec: AggregateRecord): AggregateRecord {
    const n = this.count, ph = this.phases;
    rec.t = this.start; rec.duration = this.dur; rec.windows = n; rec.f = this.fSum / n;
    rec.u2 = Math.sqrt(this.u2Sum / n); rec.u0 = Math.sqrt(this.u0Sum / n); rec.flagged = this.flagged;
    for (let k = 0; k < PHASE_FIELDS.length; k++) {
      const f = PHASE_FIELDS[k];
      const arr = rec[f];
      const sq = RMS_FIELDS.has(f);
      for (let p = 0; p < ph; p++) { const m = this.sums[k * ph + p] / n; arr[p] = sq ? Math.sqrt(m) : m; }
    }
    this.sums.fill(0); this.count = 0; this.flagged = false; this.fSum = this.u2Sum = this.u0Sum = this.dur = 0;
    return rec;
  }
}

/** A zeroed aggregate record with per-phase arrays of the right length. */
function newRecord(interval: AggregateRecord["interval"], phases: number): AggregateRecord {
  const rec = { kind: "aggregate", interval, t: 0, duration: 0, windows: 0, f: 0, u2: 0, u0: 0, flagged: false } as AggregateRecord;
  for (const f of PHASE_FIELDS) rec[f] = new Array<number>(phases).fill(0);
  return rec;
}

export class Aggregator {
  private readonly a3: Accumulator;
  private readonly a10: Accumulator;
  private readonly a2h: Accumulator;
  private readonly r3: AggregateRecord;
  private readonly r10: AggregateRecord;
  private readonly r2h: AggregateRecord;
  private tick10 = NaN;
  private tick2h = NaN;

  /** startMs: UTC ms of the first sample (window t is seconds after it). */
  constructor(readonly phases: number, private readonly startMs: number, private readonly emit: (a: AggregateRecord) => void) {
    this.a3 = new Accumulator(phases);
    this.a10 = new Accumulator(phases);
    this.a2h = new Accumulator(phases);
    this.r3 = newRecord("3s", phases);
    this.r10 = newRecord("10min", phases);
    this.r2h = newRecord("2h", phases);
  }

  add(w: WindowRecord): void {
    // A window belongs to the interval holding its midpoint (robust to float crossings at the tick).
    const mid = this.startMs + (w.t + w.duration / 2) * 1000;
    const t10 = Math.floor(mid / 600000);
    const t2h = Math.floor(mid / 7200000);
    if (t10 !== this.tick10) {
      if (this.a3.count) this.emit(this.a3.emit(this.r3)); // 3 s intervals re-synchronise at the 10-min tick
      if (this.a10.count) this.emit(this.a10.emit(this.r10));
      this.tick10 = t10;
    }
    if (t2h !== this.tick2h) {
      if (this.a2h.count) this.emit(this.a2h.emit(this.r2h));
      this.tick2h = t2h;
    }
    this.a3.add(w); this.a10.add(w); this.a2h.add(w);
    if (this.a3.count === 15) this.emit(this.a3.emit(this.r3));
  }

  /** Emits the incomplete intervals (end of a recording). */
  flush(): void {
    if (this.a3.count) this.emit(this.a3.emit(this.r3));
    if (this.a10.count) this.emit(this.a10.emit(this.r10));
    if (this.a2h.count) this.emit(this.a2h.emit(this.r2h));
  }
}
