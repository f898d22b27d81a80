import type { MeterFrontEnd, MeterReadings } from "../../modules/app/readings";
import { emptyReadings } from "../../modules/app/readings";
import { BOARD_COSTS, BoardMetrology, type BoardWindowRecord, type PhaseRegisters } from "../../modules/metrology/board-metrology";
import type { EventRecord } from "../../modules/metrology/records";
import type { PqAggregate } from "../../modules/core/household";
import { pqFromRecord } from "../../modules/app/pq-aggregate";
import { EnergyAccumulator, type Stpm3x, type StpmReadings } from "./stpm3x";

/**
 * Fills u (V) and i (A) with n consecutive instantaneous samples of channel 1 at the snapshot rate
 * (the STPM3x V1_DATA/C1_DATA registers, captured natively or by an SPI burst: one JavaScript read
 * per sample cannot keep up); false if it could not. Float32 holds the chip's 24-bit samples and
 * halves the buffers (2 × 5 KB at 6.4 kS/s).
 */
export type SnapshotCapture = (u: Float32Array, i: Float32Array, n: number) => boolean;

/**
 * Computrons of one `Stpm3x.readChannel1` (latch + 7 registers, table CRC-8 per frame: 7.5 k measured
 * by bench:metrology in xsnap, rounded up; the bitwise CRC-8 made it 34 k): the governor counts it in
 * each window's cost.
 */
export const STPM_READ_COST = 8_000;

/** The board metrology path of this front end (modules/metrology/board-metrology.ts). */
export interface StpmMetrologyOptions {
  nominalVoltage: number;
  nominalFrequency: 50 | 60;
  /** Sample rate of the captured snapshots (S/s). */
  snapshotRate: number;
  /**
   * Period of measure() calls (ms): the register window. 200 at 50 Hz (10 cycles) keeps the records
   * IEC 61000-4-30 windows, whose 3 s aggregate is 15 of them.
   */
  measurePeriodMs: number;
  /** Computrons of the register reads per window (default STPM_READ_COST). */
  readCost?: number;
  capture?: SnapshotCapture;
  /** Computrons per second for metrology (default 500 000, REFERENCES §11). */
  budget?: number;
  /**
   * Analysis steps per measure() call (default: all, i.e. the whole ≈0.5–0.8 M computrons at once).
   * With 1 or 2 a snapshot is spread over several periods, each step ≤ ≈0.18 M computrons (≈0.1 s of ESP32).
   */
  snapshotSteps?: number;
  /** Receives each window record (reused: copy what you keep) and each event. */
  onWindow?: (w: BoardWindowRecord) => void;
  onEvent?: (e: EventRecord) => void;
  /** This meter's number in its 10-min power-quality aggregates (default 1). */
  meterId?: number;
}

/**
 * The slave's measuring side on the board: the STPM3x computes RMS, power and
 * energy in hardware; each Measure run latches and reads them (≈20 SPI frames,
 * no per-sample JavaScript). Import and export energy come from the signed
 * active-energy counter. With metrology options, each run is also a window of
 * BoardMetrology (window records, dips/swells from the window RMS, 3 s / 10 min
 * / 2 h aggregates) and, when its governor says so, a waveform snapshot from
 * `capture` gives THD and the fundamental quantities (within the computron budget).
 * Frequency stays 0 until the driver reads the chip's period register (→ PhaseRegisters.f);
 * meanwhile the snapshots are resampled at the nominal frequency.
 */
export class StpmFrontEnd implements MeterFrontEnd {
  private readonly raw: StpmReadings = { vRms: 0, iRms: 0, activePower: 0, reactivePower: 0, apparentPower: 0, activeEnergyRaw: 0, reactiveEnergyRaw: 0 };
  private readonly energy: EnergyAccumulator;
  private current: MeterReadings;
  private lastTotalWh = 0;
  failures = 0;
  /** The board metrology path, when metrology options were given. */
  readonly metrology?: BoardMetrology;
  private readonly regs: PhaseRegisters[] = [{ v: 0, i: 0, p: 0, q: 0, s: 0, f: 0 }];
  private readonly capture?: SnapshotCapture;
  private readonly snapshotSteps: number;
  private snapU?: Float32Array;
  private snapI?: Float32Array;
  private readonly startMs: number;
  private lastMs: number;
  snapshotFailures = 0;
  /** The last completed 10-min aggregate (a new object per interval). */
  private pq10?: PqAggregate;

  constructor(private readonly chip: Stpm3x, whPerLsb: number, now: number, options?: StpmMetrologyOptions) {
    this.energy = new EnergyAccumulator(whPerLsb);
    this.current = emptyReadings(now);
    this.startMs = this.lastMs = now;
    this.snapshotSteps = Infinity;
    if (options) {
      this.capture = options.capture;
      this.snapshotSteps = options.snapshotSteps ?? Infinity;
      this.metrology = new BoardMetrology({
        phases: 1, nominalVoltage: options.nominalVoltage, nominalFrequency: options.nominalFrequency,
        snapshotRate: options.snapshotRate, windowsPerSecond: 1000 / options.measurePeriodMs,
        budget: options.budget, startTimeMs: now,
        windowCost: BOARD_COSTS.windowPerPhase + (options.readCost ?? STPM_READ_COST),
      }, {
        onWindow: options.onWindow,
        onEvent: (e) => { this.countEvent(e); options.onEvent?.(e); },
        // pqFromRecord copies what it keeps (the pipeline reuses its record); too short an interval gives none
        onAggregate: (a) => { if (a.interval === "10min") this.pq10 = pqFromRecord(options.meterId ?? 1, a, now) ?? this.pq10; },
      });
    }
  }

  measure(now: number): void {
    let r: StpmReadings;
    try {
      r = this.chip.readChannel1(this.raw);
    } catch {
      this.failures++; // keep the last good readings; the CAN answer stays consistent
      return;
    }
    const total = this.energy.update(r.activeEnergyRaw);
    const delta = total - this.lastTotalWh;
    this.lastTotalWh = total;
    const c = this.current;
    c.t = now;
    c.powerW = r.activePower;
    c.reactiveVar = r.reactivePower;
    c.voltageV = r.vRms;
    c.currentA = r.iRms;
    c.powerFactor = r.apparentPower > 0 ? Math.min(1, Math.abs(r.activePower) / r.apparentPower) : 1;
    if (delta >= 0) c.importWh += delta;
    else c.exportWh -= delta;
    if (this.metrology) this.window(now, r);
  }

  readings(): MeterReadings {
    return this.current;
  }

  /** The last completed 10-min power-quality aggregate (metrology path only). */
  aggregate(): PqAggregate | undefined {
    return this.pq10;
  }

  /** One BoardMetrology window from the registers just read, then the snapshot its governor asks for. */
  private window(now: number, r: StpmReadings): void {
    const m = this.metrology!, g = this.regs[0];
    g.v = r.vRms; g.i = r.iRms; g.p = r.activePower; g.q = r.reactivePower; g.s = r.apparentPower; g.f = 0;
    const t = (this.lastMs - this.startMs) / 1000, end = (now - this.startMs) / 1000;
    this.lastMs = now;
    if (end <= t) return;
    m.window(t, end - t, this.regs);
    if (!m.snapshotBusy && m.snapshotDue() === 0 && this.capture) {
      const n = m.snapshotLength();
      if (!this.snapU || this.snapU.length < n) { this.snapU = new Float32Array(n + 16); this.snapI = new Float32Array(n + 16); }
      if (this.capture(this.snapU, this.snapI!, n)) m.beginSnapshot(0, this.snapU, this.snapI!, n, end);
      else this.snapshotFailures++;
    }
    if (!m.snapshotBusy) return;
    for (let k = 0; k < this.snapshotSteps; k++) {
      if (m.stepSnapshot()) {
        this.current.thdVoltagePct = m.analyzer.thdu[0];
        this.current.thdCurrentPct = m.analyzer.thdi[0];
        break;
      }
    }
  }

  private countEvent(e: EventRecord): void {
    const c = this.current;
    if (e.type === "dip") c.dips++;
    else if (e.type === "swell") c.swells++;
    else c.interruptions++;
    c.lastEvent = { type: e.type, start: this.startMs + e.start * 1000, durationMs: e.duration * 1000, extremeV: e.extreme, phase: e.phase };
  }
}
