/**
 * MeterPipeline: samples in, IEC 61000-4-30 / IEEE 1459 records out.
 *
 * push(block, frames) takes interleaved frames u1,i1[,u2,i2,u3,i3] (raw units;
 * calibration maps them to V and A). Per sample it only calibrates, stores into
 * preallocated buffers, accumulates the half-cycle sums and runs the
 * zero-crossing detector on u1. Every 10 (50 Hz) / 12 (60 Hz) crossings closes a
 * gap-free window: trapezoid sums with fractional ends (re-anchored per window,
 * so nothing drifts), resampling to 2^n points by linear interpolation, one
 * complex FFT per phase carrying u (real) and i (imaginary), harmonics, IEEE 1459.
 * Records handed to callbacks are reused: copy what you keep.
 */
import { WindowSpectrum, newHarmonics, type Harmonics } from "./window-spectrum";
import { ZeroCrossingDetector } from "./zero-crossing";
import { EventDetector, DEFAULT_THRESHOLDS, type EventThresholds } from "./events";
import { Aggregator } from "./aggregation";
import { EnergyIntegrator } from "./energy";
import { unbalanceInto } from "./unbalance";
import { IDENTITY, type PhaseCalibration } from "./calibration";
import type { AggregateRecord, EventRecord, WindowRecord } from "./records";

export interface MeterConfig {
  phases: 1 | 2 | 3;
  sampleRate: number;
  nominalVoltage: number;
  nominalFrequency: 50 | 60;
  /** Minimum FFT size (power of two, ≥ 1024); raised to hold order 50 with its group. */
  fftSize?: number;
  thresholds?: Partial<EventThresholds>;
  calibration?: PhaseCalibration[];
  /** A (default 0.04 = 0.004 × Ib of 10 A). */
  startingCurrent?: number;
  /** W (default 0.25 × nominal voltage × starting current). */
  creepPower?: number;
  /**
   * A (default 0.5 = 0.05 Ib of 10 A): below this fundamental current THDi reads 0. An idle
   * channel's "harmonics" are ADC noise divided by a noise fundamental (thousands of %).
   */
  thdiMinCurrent?: number;
  /** UTC ms of the first sample (for the 10-min and 2-h clock alignment). Default 0. */
  startTimeMs?: number;
  /** Sync hysteresis as a fraction of the nominal peak (default 0.1). */
  syncHysteresis?: number;
  /** Points each side of a crossing in its regression (default 4). */
  regressionHalfPoints?: number;
}

/**
 * The window record and the three aggregate records (3 s, 10 min, 2 h) are
 * preallocated and overwritten by the next emit: nothing is allocated while
 * metering. A consumer that keeps one past its callback must copy what it keeps.
 */
export interface MeterCallbacks {
  onWindow?: (w: WindowRecord) => void;
  onEvent?: (e: EventRecord) => void;
  onAggregate?: (a: AggregateRecord) => void;
  /** One-cycle RMS refreshed every half cycle (phase 1..3, s, V). */
  onHalfCycle?: (phase: number, t: number, rms: number) => void;
  /** Frequency over 10 s: integer cycles between the first and last crossing. */
  onFrequency10s?: (t: number, f: number) => void;
}

export const MAX_ORDER = 50;
export const THD_ORDER = 40;

export class MeterPipeline {
  readonly phases: number;
  readonly cycles: number;
  readonly fftSize: number;
  readonly fs: number;
  /** Per phase: harmonic bin RMS, group, subgroup, interharmonic group (index = order 0..50), u and i. */
  readonly harmonics: Harmonics;
  private readonly cb: MeterCallbacks;
  private readonly cap: number;
  private readonly ub: Float64Array[];
  private readonly ib: Float64Array[];
  private readonly gainU: Float64Array; private readonly offU: Float64Array;
  private readonly gainI: Float64Array; private readonly offI: Float64Array;
  private readonly delayU: Float64Array; private readonly delayI: Float64Array;
  private readonly prevU: Float64Array; private readonly prevI: Float64Array;
  /** The allpass's previous outputs (the stored, phase-corrected samples). */
  private readonly prevYU: Float64Array; private readonly prevYI: Float64Array;
  private readonly halfAcc: Float64Array; private readonly prevHalf: Float64Array;
  private prevHalfN = 0; private halfN = 0; private nextHalf = 0;
  private readonly zc: ZeroCrossingDetector;
  // Sync low-pass: two cascaded moving averages of L samples (constant delay L − 1) keep high
  // harmonics from jittering the crossings; their sums are re-anchored at every wrap so they never drift.
  private readonly lpL: number;
  private readonly lp1: Float64Array; private readonly lp2: Float64Array;
  private lpIdx = 0; private lpSum1 = 0; private lpSum2 = 0;
  private readonly sb: Float64Array;
  private readonly crossings: Float64Array;
  private nc = 0;
  private lastCrossing = -1;
  private period: number;
  /** Mean period of the last window: steadier than one crossing interval for the half-cycle RMS. */
  private windowPeriod: number;
  private readonly minPeriod: number; private readonly maxPeriod: number;
  private base = 0; // global index of buffer[0]
  private count = 0; // samples in buffer
  private g = 0; // global samples pushed
  private readonly spectrum: WindowSpectrum;
  private readonly gainCorr: Float64Array;
  /** |bin|² (RMS²) of u and i of the last analysed phase, by 5 Hz (50 Hz) or 5 Hz (60 Hz) bin. */
  readonly mu: Float64Array; readonly mi: Float64Array;
  private readonly f1re: Float64Array; private readonly f1im: Float64Array;
  private readonly ub2 = new Float64Array(2);
  private readonly events: EventDetector;
  private readonly aggregator: Aggregator;
  readonly energy: EnergyIntegrator;
  private readonly rec: WindowRecord;
  private flagged = false;
  private readonly thdiMinCurrent: number;
  /** setCalibration's values per phase (u gain, u offset, i gain, i offset, u delay, i delay), applied at the next window boundary. */
  private readonly calNext = new Float64Array(18);
  private calPending = false;
  private f10Start = -1; private f10Cycles = 0; private f10Last = 0; private f10Tick = 10;

  constructor(config: MeterConfig, callbacks: MeterCallbacks = {}) {
    const ph = (this.phases = config.phases);
    if (ph < 1 || ph > 3) throw new RangeError("phases must be 1..3");
    this.fs = config.sampleRate;
    this.cb = callbacks;
    this.cycles = config.nominalFrequency === 60 ? 12 : 10;
    const nominalPeriod = this.fs / config.nominalFrequency;
    this.period = nominalPeriod;
    this.windowPeriod = nominalPeriod;
    this.minPeriod = nominalPeriod / 1.25;
    this.maxPeriod = nominalPeriod / 0.8;
    const r = config.regressionHalfPoints ?? 4;
    this.cap = Math.ceil(this.maxPeriod * (this.cycles + 2)) + 4 * r + 16;
    const f64 = () => new Float64Array(this.cap);
    this.ub = []; this.ib = [];
    for (let p = 0; p < ph; p++) { this.ub.push(f64()); this.ib.push(f64()); }
    const cal = config.calibration ?? [];
    const arr = (fn: (c: PhaseCalibration) => number) => Float64Array.from({ length: ph }, (_, p) => fn(cal[p] ?? { u: IDENTITY, i: IDENTITY, phaseDeg: 0 }));
    this.gainU = arr((c) => c.u.gain); this.offU = arr((c) => c.u.offset);
    this.gainI = arr((c) => c.i.gain); this.offI = arr((c) => c.i.offset);
    // Phase error φ (current lags) ⇒ delay the voltage by φ/360 periods; negative φ delays the current.
    const delay = (c: PhaseCalibration) => ((c.phaseDeg ?? 0) / 360) * nominalPeriod;
    this.delayU = arr((c) => Math.max(0, delay(c))); this.delayI = arr((c) => Math.max(0, -delay(c)));
    this.prevU = new Float64Array(ph); this.prevI = new Float64Array(ph);
    this.prevYU = new Float64Array(ph); this.prevYI = new Float64Array(ph);
    this.halfAcc = new Float64Array(ph); this.prevHalf = new Float64Array(ph);
    this.nextHalf = Math.round(nominalPeriod / 2);
    this.lpL = Math.max(1, Math.round(nominalPeriod / 6));
    this.lp1 = new Float64Array(this.lpL); this.lp2 = new Float64Array(this.lpL);
    this.sb = new Float64Array(this.cap);
    this.zc = new ZeroCrossingDetector((config.syncHysteresis ?? 0.1) * config.nominalVoltage * Math.SQRT2, r);
    this.crossings = new Float64Array(this.cycles + 1);
    const maxBin = (MAX_ORDER + 1) * this.cycles;
    // Linear interpolation from N samples to m points leaves images of every bin at ±N (mod m):
    // m ≥ 1.5 N puts them above order 51 (1280 → 1024 would put a 13th harmonic's image at 12.6).
    let m = Math.max(1024, config.fftSize ?? 1024);
    while (m / 2 <= maxBin || m < 1.5 * nominalPeriod * this.cycles) m *= 2;
    this.fftSize = m;
    this.spectrum = new WindowSpectrum(m, this.cycles, MAX_ORDER);
    this.gainCorr = this.spectrum.gainCorr;
    this.mu = this.spectrum.mu; this.mi = this.spectrum.mi;
    this.f1re = new Float64Array(ph); this.f1im = new Float64Array(ph);
    this.harmonics = newHarmonics(ph, MAX_ORDER);
    const th = { ...DEFAULT_THRESHOLDS, ...(config.thresholds ?? {}) };
    this.events = new EventDetector(ph, config.nominalVoltage, th, (e) => { this.flagged = true; this.cb.onEvent?.(e); });
    this.aggregator = new Aggregator(ph, config.startTimeMs ?? 0, (a) => this.cb.onAggregate?.(a));
    const startI = config.startingCurrent ?? 0.04;
    this.thdiMinCurrent = config.thdiMinCurrent ?? 0.5;
    this.energy = new EnergyIntegrator(ph, startI, config.creepPower ?? 0.25 * config.nominalVoltage * startI);
    const z = () => new Array<number>(ph).fill(0);
    this.rec = { kind: "window", t: 0, duration: 0, f: 0, u: z(), i: z(), p: z(), p1: z(), ph: z(), q1: z(), s: z(), s1: z(), sn: z(), di: z(), dv: z(), sh: z(), n: z(), pf: z(), dpf: z(), thdu: z(), thdi: z(), u2: 0, u0: 0, flagged: false };
  }

  /**
   * Feeds `frames` interleaved frames u1,i1[,u2,i2,u3,i3] from `block` (starting at `offset`).
   * Works in runs that end at the next half-cycle boundary or when the buffers are full: each run is
   * first stored phase by phase (tight loops, sums in locals), then u1 is synchronised sample by
   * sample (low-pass, crossings, windows). A window only reads samples at or before the sample that
   * closes it, so storing the rest of the run first changes nothing it sees.
   */
  push(block: ArrayLike<number>, frames: number, offset = 0): void {
    const stride = 2 * this.phases;
    for (let n = 0; n < frames; ) {
      if (this.count >= this.cap) this.compact(this.g - 2);
      let run = frames - n;
      const toHalf = this.nextHalf - this.g;
      if (toHalf < run) run = toHalf < 1 ? 1 : toHalf;
      const room = this.cap - this.count;
      if (room < run) run = room;
      this.store(block, offset + n * stride, run);
      this.sync(run);
      n += run;
    }
  }

  /** Calibrates and stores `run` frames from block[k0…] and adds u² to the half-cycle sums. */
  private store(block: ArrayLike<number>, k0: number, run: number): void {
    const ph = this.phases, stride = 2 * ph, j0 = this.count, end = j0 + run;
    for (let p = 0; p < ph; p++) {
      const U = this.ub[p], I = this.ib[p];
      const ou = this.offU[p], gu = this.gainU[p], oi = this.offI[p], gi = this.gainI[p];
      const du = this.delayU[p], di = this.delayI[p];
      let acc = this.halfAcc[p], k = k0 + 2 * p, u = 0;
      if (du === 0 && di === 0) {
        for (let j = j0; j < end; j++, k += stride) {
          u = (block[k] - ou) * gu;
          U[j] = u;
          I[j] = (block[k + 1] - oi) * gi;
          acc += u * u;
        }
      } else {
        // Phase correction: the leading channel goes through a first-order allpass (Thiran) delaying it
        // by its fractional delay d: y = a·(x − y₋₁) + x₋₁ with a = (1 − d)/(1 + d). Unlike linear
        // interpolation (gain 0.58 at H39 for d = 0.53 at 6.4 kS/s) its gain is exactly 1 at every
        // frequency; its delay is d at 50 Hz and d + 2.5 % at H13.
        const au = du > 0 ? (1 - du) / (1 + du) : 0, ai = di > 0 ? (1 - di) / (1 + di) : 0;
        let pu = this.prevU[p], pi = this.prevI[p], yu = this.prevYU[p], yi = this.prevYI[p];
        for (let j = j0; j < end; j++, k += stride) {
          const xu = (block[k] - ou) * gu, xi = (block[k + 1] - oi) * gi;
          yu = du > 0 ? au * (xu - yu) + pu : xu;
          yi = di > 0 ? ai * (xi - yi) + pi : xi;
          pu = xu; pi = xi;
          U[j] = yu; I[j] = yi;
          acc += yu * yu;
        }
        this.prevU[p] = pu; this.prevI[p] = pi; this.prevYU[p] = yu; this.prevYI[p] = yi;
      }
      this.halfAcc[p] = acc;
    }
    this.count = end;
  }

  /**
   * Synchronises on the next `run` stored samples of u1: the sync low-pass (inlined, its state in
   * locals), the zero-crossing detector, the half-cycle close and crossings (which may compact).
   */
  private sync(run: number): void {
    const U = this.ub[0], sb = this.sb, zc = this.zc, r = zc.halfPoints;
    const L = this.lpL, l1 = this.lp1, l2 = this.lp2, delay = L - 1;
    let idx = this.lpIdx, s1 = this.lpSum1, s2 = this.lpSum2;
    let g = this.g, j = 0, x = 0, y = 0, base = this.base;
    // The free-run test's terms change only at a crossing: refreshed after each one.
    let last = this.lastCrossing < 0 ? 0 : this.lastCrossing, late = 1.3 * this.period + r + L;
    const end = g + run;
    this.halfN += run; // read only by closeHalf, which can only fire at the run's last sample
    while (g < end) {
      j = g - base;
      x = U[j];
      s1 += x - l1[idx];
      l1[idx] = x;
      y = s1 / L;
      s2 += y - l2[idx];
      l2[idx] = y;
      if (++idx === L) {
        // Re-anchor the running sums at every wrap so they never drift.
        idx = 0;
        let a = 0, b = 0;
        for (let q = 0; q < L; q++) { a += l1[q]; b += l2[q]; }
        s1 = a; s2 = b;
      }
      y = s2 / L;
      sb[j] = y;
      zc.step(y, g);
      g++;
      if (g === end) { this.g = g; if (g >= this.nextHalf) this.closeHalf(); }
      if (zc.pending >= 0 && g - zc.pending >= r) {
        this.g = g;
        this.onCrossing(zc.locate(sb, base, g - base) - delay);
      } else if (g - last > late) {
        // No crossing where one was due (interruption, heavy dip): free-run on the last period so windows stay gap-free.
        this.g = g;
        this.onCrossing(this.lastCrossing < 0 ? g - 1 : this.lastCrossing + this.period);
      } else continue;
      base = this.base; // a crossing may compact the buffers
      last = this.lastCrossing < 0 ? 0 : this.lastCrossing; late = 1.3 * this.period + r + L;
    }
    this.g = g;
    this.lpIdx = idx; this.lpSum1 = s1; this.lpSum2 = s2;
  }

  /** Seconds of signal pushed so far. */
  get seconds(): number { return this.g / this.fs; }

  /** Emits incomplete aggregates (end of a recording). */
  flush(): void { this.aggregator.flush(); }

  /** Dips, swells and interruptions not over at the end of what was pushed, with their durations so far. */
  ongoingEvents(): EventRecord[] { return this.events.ongoing(this.g / this.fs); }

  private closeHalf(): void {
    const t = this.g / this.fs;
    const nn = this.prevHalfN + this.halfN;
    let active = false;
    for (let p = 0; p < this.phases; p++) {
      const rms = Math.sqrt((this.prevHalf[p] + this.halfAcc[p]) / nn);
      this.prevHalf[p] = this.halfAcc[p];
      this.halfAcc[p] = 0;
      if (this.prevHalfN > 0) {
        if (this.events.update(p, rms, t)) active = true;
        this.cb.onHalfCycle?.(p + 1, t, rms);
      }
    }
    if (active) this.flagged = true;
    this.prevHalfN = this.halfN;
    this.halfN = 0;
    this.nextHalf = this.g + Math.round(this.windowPeriod / 2);
  }

  private onCrossing(tc: number): void {
    if (this.lastCrossing >= 0) {
      const d = tc - this.lastCrossing;
      if (d < this.minPeriod) return; // a spurious crossing inside a cycle
      this.period = d > this.maxPeriod ? this.maxPeriod : d;
    } else {
      this.compact(Math.floor(tc) - 2); // samples before the first crossing belong to no window
    }
    this.lastCrossing = tc;
    this.frequency10s(tc);
    this.crossings[this.nc++] = tc;
    if (this.nc === this.cycles + 1) {
      this.closeWindow();
      this.crossings[0] = tc;
      this.nc = 1;
      this.compact(Math.floor(tc) - 2);
    }
  }

  private frequency10s(tc: number): void {
    const t = tc / this.fs;
    if (this.f10Start < 0) { this.f10Start = tc; this.f10Cycles = 0; this.f10Tick = Math.floor(t / 10) * 10 + 10; return; }
    if (t >= this.f10Tick) {
      if (this.f10Cycles > 0) this.cb.onFrequency10s?.(this.f10Tick, (this.f10Cycles * this.fs) / (this.f10Last - this.f10Start));
      this.f10Start = tc; this.f10Cycles = 0; this.f10Tick = Math.floor(t / 10) * 10 + 10;
      return;
    }
    this.f10Cycles++;
    this.f10Last = tc;
  }

  /** Drops buffered samples before global index `keepFrom`. */
  private compact(keepFrom: number): void {
    const drop = keepFrom - this.base;
    if (drop <= 0) return;
    const n = drop > this.count ? this.count : drop;
    for (let p = 0; p < this.phases; p++) { this.ub[p].copyWithin(0, n, this.count); this.ib[p].copyWithin(0, n, this.count); }
    this.sb.copyWithin(0, n, this.count);
    this.count -= n;
    this.base += n;
  }

  private closeWindow(): void {
    const t0 = this.crossings[0], t1 = this.crossings[this.cycles];
    const a = t0 - this.base, b = t1 - this.base;
    const len = b - a;
    const rec = this.rec;
    rec.t = t0 / this.fs;
    rec.duration = len / this.fs;
    rec.f = this.windowFrequency();
    this.windowPeriod = this.fs / rec.f;
    rec.flagged = this.flagged || this.events.active();
    this.flagged = this.events.active();
    const m = this.fftSize, c = this.cycles, maxBin = this.mu.length - 1;
    // Linear interpolation at fractional offsets d attenuates a bin of ω rad/sample by sinc²(ω/2) on average.
    for (let k = 1; k <= maxBin; k++) {
      const x = (Math.PI * k) / len;
      const s = Math.sin(x) / x;
      this.gainCorr[k] = 1 / (s * s);
    }
    this.gainCorr[0] = 1;
    for (let p = 0; p < this.phases; p++) this.phaseWindow(p, a, b, len, m, c, maxBin);
    if (this.phases === 3) {
      unbalanceInto(this.f1re, this.f1im, this.ub2);
      rec.u2 = this.ub2[0]; rec.u0 = this.ub2[1];
    }
    this.energy.add(rec.duration, rec.i, rec.p, rec.q1);
    this.cb.onWindow?.(rec);
    this.aggregator.add(rec);
    if (this.calPending) this.applyCalibration(Math.floor(t1) - this.base - 1);
  }

  /**
   * A new calibration (per phase; a missing phase gets identity), taking effect at the next window
   * boundary: the window in progress is finished with the old one, the next is measured wholly with
   * the new one. Allocates nothing (values go to a preallocated array). Throws RangeError, changing
   * nothing, on a non-finite value or a zero gain.
   */
  setCalibration(cal: ReadonlyArray<PhaseCalibration>): void {
    const next = this.calNext, nominalPeriod = this.fs / (this.cycles * 5); // 10 cycles ⇔ 50 Hz, 12 ⇔ 60 Hz
    for (let p = 0; p < this.phases; p++) {
      const c = cal[p];
      const gu = c ? c.u.gain : 1, ou = c ? c.u.offset : 0, gi = c ? c.i.gain : 1, oi = c ? c.i.offset : 0, deg = c ? c.phaseDeg : 0;
      if (!(Number.isFinite(gu) && Number.isFinite(ou) && Number.isFinite(gi) && Number.isFinite(oi) && Number.isFinite(deg)) || gu === 0 || gi === 0) {
        throw new RangeError(`calibration of phase ${p + 1} needs finite values and non-zero gains`);
      }
    }
    for (let p = 0; p < this.phases; p++) {
      const c = cal[p], k = 6 * p;
      const d = c ? (c.phaseDeg / 360) * nominalPeriod : 0;
      next[k] = c ? c.u.gain : 1; next[k + 1] = c ? c.u.offset : 0;
      next[k + 2] = c ? c.i.gain : 1; next[k + 3] = c ? c.i.offset : 0;
      next[k + 4] = d > 0 ? d : 0; next[k + 5] = d < 0 ? -d : 0; // as the constructor: delay the leading channel
    }
    this.calPending = true;
  }

  /**
   * Switches to the pending calibration at a window boundary. Samples from buffer index `j0` on (the
   * new window's first sample and the one before it, for the boundary interpolation, up to the last
   * stored) were calibrated with the old values: they are mapped to the new ones. Gain and offset map
   * exactly (x' = x·g'/g + (o − o')·g'; the phase-correction allpass is linear
   * with DC gain 1, so it commutes); a changed phase delay is applied to first order from the stored
   * samples' differences (its error is the old delay × the change × the second difference: < 1e-5
   * of the amplitude for the ≈ 25–200 samples concerned). The sync low-pass needs nothing: its memory
   * (2L samples) is refreshed before the next crossing. The half-cycle RMS of events mixes both for
   * up to one cycle.
   */
  private applyCalibration(j0: number): void {
    const next = this.calNext, end = this.count;
    if (j0 < 0) j0 = 0;
    for (let p = 0; p < this.phases; p++) {
      const k = 6 * p;
      this.remap(this.ub[p], j0, end, this.gainU, this.offU, this.delayU, this.prevU, this.prevYU, p, next[k], next[k + 1], next[k + 4]);
      this.remap(this.ib[p], j0, end, this.gainI, this.offI, this.delayI, this.prevI, this.prevYI, p, next[k + 2], next[k + 3], next[k + 5]);
    }
    this.calPending = false;
  }

  /** One channel of applyCalibration: buffer X[j0, end), then the live gain/offset/delay/previous-sample state. */
  private remap(X: Float64Array, j0: number, end: number, gain: Float64Array, off: Float64Array, delay: Float64Array, prev: Float64Array, prevY: Float64Array, p: number, g1: number, o1: number, d1: number): void {
    const g0 = gain[p], o0 = off[p], dd = d1 - delay[p];
    if (g0 !== 0) {
      const a = g1 / g0, b = (o0 - o1) * g1;
      // store() keeps the last sample before phase correction only while a delay is set; without one it is the stored sample.
      prev[p] = a * (delay[p] !== 0 ? prev[p] : end > 0 ? X[end - 1] : 0) + b;
      // Backwards, so X[j − 1] is still the old value when X[j] needs it.
      for (let j = end - 1; j >= j0; j--) {
        const y = X[j];
        X[j] = a * y + b - (dd !== 0 && j > 0 ? dd * a * (y - X[j - 1]) : 0);
      }
      // The allpass's previous output is the last stored sample (its DC gain is 1, so the affine map commutes).
      prevY[p] = end > 0 ? X[end - 1] : a * prevY[p] + b;
    }
    gain[p] = g1; off[p] = o1; delay[p] = d1;
  }

  private windowFrequency(): number {
    // Least-squares slope of crossing time against cycle index.
    const n = this.cycles + 1;
    let sx = 0, sy = 0, sxx = 0, sxy = 0;
    const t0 = this.crossings[0];
    for (let k = 0; k < n; k++) { const y = this.crossings[k] - t0; sx += k; sy += y; sxx += k * k; sxy += k * y; }
    const period = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    return this.fs / period;
  }

  private phaseWindow(p: number, a: number, b: number, len: number, m: number, c: number, maxBin: number): void {
    const U = this.ub[p], I = this.ib[p];
    const ia = Math.ceil(a), ib = Math.floor(b);
    let suu = 0, sii = 0, sui = 0;
    for (let j = ia; j <= ib; j++) { const u = U[j], i = I[j]; suu += u * u; sii += i * i; sui += u * i; }
    const uu = integrate(suu, U, U, a, b, ia, ib), ii = integrate(sii, I, I, a, b, ia, ib), ui = integrate(sui, U, I, a, b, ia, ib);
    const V = Math.sqrt(uu / len), Ir = Math.sqrt(ii / len), P = ui / len;
    // Resample to m points (the paper's linear interpolation; u real, i imaginary) with the FFT's first
    // radix-4 pass fused in, the middle passes, then the last radix-2 stage fused into the spectrum split.
    this.spectrum.analyze(U, I, a, len);
    const mu = this.mu, mi = this.mi, fu = this.spectrum.fund;
    const u1r = fu[0], u1i = fu[1], i1r = fu[2], i1i = fu[3];
    this.f1re[p] = u1r; this.f1im[p] = u1i;
    this.spectrum.harmonicsInto(this.harmonics, p);
    const V1 = Math.sqrt(mu[c]), I1 = Math.sqrt(mi[c]);
    // U1·conj(I1): angle θu − θi, positive when the current lags.
    const cr = u1r * i1r + u1i * i1i, ci = u1i * i1r - u1r * i1i;
    const cm = Math.hypot(cr, ci);
    const P1 = cm > 0 ? (V1 * I1 * cr) / cm : 0, Q1 = cm > 0 ? (V1 * I1 * ci) / cm : 0;
    const VH = Math.sqrt(Math.max(0, V * V - V1 * V1)), IH = Math.sqrt(Math.max(0, Ir * Ir - I1 * I1));
    const S = V * Ir, S1 = V1 * I1;
    const rec = this.rec;
    rec.u[p] = V; rec.i[p] = Ir; rec.p[p] = P; rec.p1[p] = P1; rec.ph[p] = P - P1; rec.q1[p] = Q1;
    rec.s[p] = S; rec.s1[p] = S1; rec.sn[p] = Math.sqrt(Math.max(0, S * S - S1 * S1));
    rec.di[p] = V1 * IH; rec.dv[p] = VH * I1; rec.sh[p] = VH * IH;
    rec.n[p] = Math.sqrt(Math.max(0, S * S - P * P));
    rec.pf[p] = S > 0 ? P / S : 0; rec.dpf[p] = S1 > 0 ? P1 / S1 : 0;
    let hu = 0, hi = 0;
    for (let h = 2; h <= THD_ORDER; h++) { hu += mu[h * c]; hi += mi[h * c]; }
    rec.thdu[p] = V1 > 0 ? (100 * Math.sqrt(hu)) / V1 : 0;
    rec.thdi[p] = I1 >= this.thdiMinCurrent && I1 > 0 ? (100 * Math.sqrt(hi)) / I1 : 0;
  }
}

/** Trapezoid integral of x·y over fractional buffer positions [a, b], given s = Σ x·y over [ia, ib]. */
function integrate(s: number, X: Float64Array, Y: Float64Array, a: number, b: number, ia: number, ib: number): number {
  const fa = X[ia] * Y[ia], fb = X[ib] * Y[ib];
  const fa0 = X[ia - 1] * Y[ia - 1], fb1 = X[ib + 1] * Y[ib + 1];
  const wa = ia - a, wb = b - ib;
  const fA = fa - wa * (fa - fa0), fB = fb + wb * (fb1 - fb);
  return s - 0.5 * (fa + fb) + (wa * (fA + fa)) / 2 + (wb * (fb + fB)) / 2;
}
