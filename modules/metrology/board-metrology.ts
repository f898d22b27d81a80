/**
 * The board's metrology path: window and aggregate records from the metering
 * chip's registers plus waveform snapshots, within a computron budget.
 *
 * The STPM3x computes RMS, active/reactive/apparent power and energy in
 * hardware, so per window JavaScript only reads its registers (`window`) and
 * fills the same WindowRecord as MeterPipeline. Harmonic quantities come from
 * the phase's latest snapshot (`snapshot`, or `beginSnapshot` + `stepSnapshot`
 * spread over scheduler turns; analysed by SnapshotAnalyzer): THD,
 * and the fundamental-to-total ratios and displacement angle that turn the
 * chip's V, I, P into V1, I1, P1, S1, SN, DI, DV, SH and DPF. Each record
 * carries `harmonicsAge` (s since that phase's snapshot, −1 before the first).
 * A SnapshotGovernor says after each window which phase to capture
 * (`snapshotDue`), at the duty the budget allows. Dips, swells and
 * interruptions come from one-cycle RMS values refreshed every half cycle when
 * the host has them (`halfCycle`), else from each window's RMS (200 ms
 * resolution). Aggregation (3 s, 10 min, 2 h) and energy integration are the
 * meter's own classes. Records are reused like the meter's: copy what you keep.
 *
 * Not measured on this path: voltage unbalance (u2, u0 stay 0; it needs the
 * three phases' fundamental phasors at one instant).
 */
import { Aggregator } from "./aggregation";
import { EnergyIntegrator } from "./energy";
import { EventDetector, DEFAULT_THRESHOLDS, type EventThresholds } from "./events";
import { SnapshotAnalyzer, type SnapshotConfig } from "./snapshot-analyzer";
import { SnapshotGovernor } from "./snapshot-governor";
import type { AggregateRecord, EventRecord, WindowRecord } from "./records";
import type { Harmonics, Samples } from "./window-spectrum";

/** One phase's registers over one window (calibrated units). */
export interface PhaseRegisters {
  /** RMS voltage (V) and current (A). */
  v: number; i: number;
  /** Active (W), reactive (var; reported as Q1) and apparent (VA) power; apparent 0 ⇒ V·I. */
  p: number; q: number; s: number;
  /** Line frequency (Hz); 0 ⇒ the last known one (the nominal until one is given). */
  f: number;
  /** Fundamental active power (W) if the chip gives it (STPM3x PH1_FUNDAMENTAL_POWER), else from the snapshot. */
  p1?: number;
}

export interface BoardWindowRecord extends WindowRecord {
  /** Per phase: seconds since the snapshot behind its harmonic quantities, −1 if none yet. */
  harmonicsAge: number[];
}

/**
 * Computrons measured by bench:metrology in xsnap, rounded up: a register window per phase, one
 * phase snapshot with a 1024- and a 2048-point FFT. The governor's defaults; re-measure when the
 * code changes (a device cannot meter itself).
 */
export const BOARD_COSTS = Object.freeze({ windowPerPhase: 3_500, snapshot1024: 470_000, snapshot2048: 820_000 });

/** A snapshot's cost for FFT size m: measured for 1024 and 2048, else scaled by m·log2 m. */
function snapshotCost(m: number): number {
  if (m === 1024) return BOARD_COSTS.snapshot1024;
  return (BOARD_COSTS.snapshot2048 * m * Math.log2(m)) / (2048 * 11);
}

export interface BoardConfig {
  phases: 1 | 2 | 3;
  nominalVoltage: number;
  nominalFrequency: 50 | 60;
  /** Sample rate of the waveform snapshots (S/s). */
  snapshotRate: number;
  /** Minimum FFT size of the snapshot analysis and its image guard (see SnapshotConfig). */
  fftSize?: number;
  imageGuard?: boolean;
  /** Windows per second the host reads (default 5: 10-cycle windows at 50 Hz). */
  windowsPerSecond?: number;
  /** Computron budget per second (default 500 000) and the costs it is shared by (default BOARD_COSTS). */
  budget?: number;
  windowCost?: number;
  snapshotCost?: number;
  thresholds?: Partial<EventThresholds>;
  startTimeMs?: number;
  startingCurrent?: number;
  creepPower?: number;
  /** A (default 0.5): below this fundamental current THDi reads 0, as in MeterPipeline. */
  thdiMinCurrent?: number;
}

export interface BoardCallbacks {
  onWindow?: (w: BoardWindowRecord) => void;
  onEvent?: (e: EventRecord) => void;
  onAggregate?: (a: AggregateRecord) => void;
}

/**
 * The FFT size SnapshotAnalyzer will choose for `c` (its constructor's rule), known before the
 * analyzer exists: the governor's snapshot cost depends on it.
 */
export function snapshotFftSize(c: SnapshotConfig): number {
  const cycles = c.nominalFrequency === 60 ? 12 : 10;
  const maxBin = ((c.maxOrder ?? 50) + 1) * cycles;
  let m = Math.max(1024, c.fftSize ?? 1024);
  while (m / 2 <= maxBin || ((c.imageGuard ?? true) && m < (1.5 * c.sampleRate * cycles) / c.nominalFrequency)) m *= 2;
  return m;
}

/** What a window reads of the analyzer before its first snapshot: a sine (ratios 1, no THD, never analysed). */
interface SnapshotState {
  u1Ratio: Float64Array; i1Ratio: Float64Array; cos1: Float64Array; at: Float64Array; thdu: Float64Array; thdi: Float64Array;
}

export class BoardMetrology {
  readonly phases: number;
  private readonly thdiMinCurrent: number;
  /**
   * Made at the first snapshot (or first access): its spectrum buffers are the path's largest
   * allocation (≈89 KB at 6400 S/s), so a board that takes no snapshots never pays for them.
   */
  private an?: SnapshotAnalyzer;
  private readonly snapConfig: SnapshotConfig;
  private readonly sine: SnapshotState;
  readonly governor: SnapshotGovernor;
  readonly energy: EnergyIntegrator;
  private readonly cb: BoardCallbacks;
  private readonly events: EventDetector;
  private readonly aggregator: Aggregator;
  private readonly rec: BoardWindowRecord;
  private readonly nominalF: number;
  private flagged = false;
  private fineEvents = false;
  private lastF: number;
  private due = -1;

  constructor(config: BoardConfig, callbacks: BoardCallbacks = {}) {
    const ph = (this.phases = config.phases);
    if (ph < 1 || ph > 3) throw new RangeError("phases must be 1..3");
    this.cb = callbacks;
    this.nominalF = this.lastF = config.nominalFrequency;
    this.snapConfig = { phases: ph, sampleRate: config.snapshotRate, nominalFrequency: config.nominalFrequency, fftSize: config.fftSize, imageGuard: config.imageGuard };
    const f = (v: number) => new Float64Array(ph).fill(v);
    this.sine = { u1Ratio: f(1), i1Ratio: f(1), cos1: f(1), at: f(-1), thdu: f(0), thdi: f(0) };
    this.governor = new SnapshotGovernor({
      budget: config.budget, phases: ph, windowsPerSecond: config.windowsPerSecond ?? 5,
      windowCost: config.windowCost ?? BOARD_COSTS.windowPerPhase * ph,
      snapshotCost: config.snapshotCost ?? snapshotCost(snapshotFftSize(this.snapConfig)),
    });
    const th = { ...DEFAULT_THRESHOLDS, ...(config.thresholds ?? {}) };
    this.events = new EventDetector(ph, config.nominalVoltage, th, (e) => { this.flagged = true; this.cb.onEvent?.(e); });
    this.aggregator = new Aggregator(ph, config.startTimeMs ?? 0, (a) => this.cb.onAggregate?.(a));
    const startI = config.startingCurrent ?? 0.04;
    this.thdiMinCurrent = config.thdiMinCurrent ?? 0.5;
    this.energy = new EnergyIntegrator(ph, startI, config.creepPower ?? 0.25 * config.nominalVoltage * startI);
    const z = () => new Array<number>(ph).fill(0);
    this.rec = { kind: "window", t: 0, duration: 0, f: 0, u: z(), i: z(), p: z(), p1: z(), ph: z(), q1: z(), s: z(), s1: z(), sn: z(), di: z(), dv: z(), sh: z(), n: z(), pf: z(), dpf: z(), thdu: z(), thdi: z(), u2: 0, u0: 0, flagged: false, harmonicsAge: z() };
  }

  /** The snapshot analyzer, made on first use. */
  get analyzer(): SnapshotAnalyzer {
    return (this.an ??= new SnapshotAnalyzer(this.snapConfig));
  }

  /** A begun snapshot has steps left (false before any snapshot, without making the analyzer). */
  get snapshotBusy(): boolean {
    return this.an !== undefined && this.an.busy;
  }

  /** Per phase, IEC 61000-4-7 harmonics of its last snapshot. */
  get harmonics(): Harmonics { return this.analyzer.harmonics; }

  /**
   * One window of registers, one entry per phase, covering [t, t + duration] (s from the start).
   * Emits the window record (and any aggregate it completes); then `snapshotDue()` says whether a
   * snapshot should be captured.
   */
  window(t: number, duration: number, regs: ArrayLike<PhaseRegisters>): void {
    const rec = this.rec, an: SnapshotState = this.an ?? this.sine, end = t + duration;
    if (!this.fineEvents) for (let p = 0; p < this.phases; p++) this.events.update(p, regs[p].v, end);
    rec.t = t; rec.duration = duration;
    const f0 = regs[0].f;
    rec.f = f0 > 0 ? f0 : this.lastF;
    this.lastF = rec.f;
    rec.flagged = this.flagged || this.events.active();
    this.flagged = this.events.active();
    for (let p = 0; p < this.phases; p++) {
      const r = regs[p];
      const V = r.v, I = r.i, P = r.p, S = r.s > 0 ? r.s : V * I;
      const V1 = V * an.u1Ratio[p], I1 = I * an.i1Ratio[p], S1 = V1 * I1;
      // Before the phase's first snapshot the ratios are 1 (a sine): P1 = P rather than S.
      const P1 = r.p1 !== undefined ? r.p1 : an.at[p] < 0 ? P : S1 * an.cos1[p];
      const VH = Math.sqrt(Math.max(0, V * V - V1 * V1)), IH = Math.sqrt(Math.max(0, I * I - I1 * I1));
      rec.u[p] = V; rec.i[p] = I; rec.p[p] = P; rec.p1[p] = P1; rec.ph[p] = P - P1; rec.q1[p] = r.q;
      rec.s[p] = S; rec.s1[p] = S1; rec.sn[p] = Math.sqrt(Math.max(0, S * S - S1 * S1));
      rec.di[p] = V1 * IH; rec.dv[p] = VH * I1; rec.sh[p] = VH * IH;
      rec.n[p] = Math.sqrt(Math.max(0, S * S - P * P));
      rec.pf[p] = S > 0 ? P / S : 0; rec.dpf[p] = S1 > 0 ? P1 / S1 : 0;
      rec.thdu[p] = an.thdu[p]; rec.thdi[p] = I1 >= this.thdiMinCurrent ? an.thdi[p] : 0;
      rec.harmonicsAge[p] = an.at[p] < 0 ? -1 : end - an.at[p];
    }
    this.energy.add(duration, rec.i, rec.p, rec.q1);
    this.cb.onWindow?.(rec);
    this.aggregator.add(rec);
    this.due = this.governor.next();
  }

  /** The phase (0-based) whose snapshot the governor wants after the last window, or −1. */
  snapshotDue(): number {
    return this.due;
  }

  /** Samples a snapshot must hold at the last measured frequency. */
  snapshotLength(): number {
    return this.analyzer.samplesFor(this.lastF > 0 ? this.lastF : this.nominalF);
  }

  /** A snapshot of `phase`: n samples of u (V) and i (A) at snapshotRate from time t (s); Float32Array is enough (24-bit ADC). */
  snapshot(phase: number, u: Samples, i: Samples, n: number, t: number): void {
    this.beginSnapshot(phase, u, i, n, t);
    while (!this.stepSnapshot());
  }

  /**
   * The same in steps of bounded cost (SnapshotAnalyzer.begin): call stepSnapshot() on later turns
   * until it returns true; u and i must stay untouched until then.
   */
  beginSnapshot(phase: number, u: Samples, i: Samples, n: number, t: number): void {
    this.analyzer.begin(phase, u, i, n, this.lastF > 0 ? this.lastF : this.nominalF, t);
    if (phase === this.due) this.due = -1;
  }

  /** Runs the next step of a begun snapshot; true when its results are applied (or none is running). */
  stepSnapshot(): boolean {
    return this.an === undefined || this.an.step();
  }

  /** One-cycle RMS of phase p (0-based) refreshed every half cycle: from the first call on, events use these. */
  halfCycle(p: number, t: number, rms: number): void {
    this.fineEvents = true;
    if (this.events.update(p, rms, t)) this.flagged = true;
  }

  /** Emits incomplete aggregates. */
  flush(): void {
    this.aggregator.flush();
  }
}
