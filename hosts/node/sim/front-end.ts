import type { MeterFrontEnd, MeterReadings } from "../../../modules/app/readings";
import { emptyReadings } from "../../../modules/app/readings";
import type { PqEvent } from "./grid";
import { WaveformGenerator } from "./waveform";
import { MeterPipeline } from "../../../modules/metrology/meter";
import { LoadedThdi, SecondsAggregator, pqFromRecord } from "../../../modules/app/pq-aggregate";
import type { PqAggregate } from "../../../modules/core/household";
import type { World } from "./world";
import type { PhaseCalibration } from "../../../modules/metrology/calibration";
import { SlaveCalibration, type SlaveCalibrationOptions } from "./slave-calibration";

/**
 * The slaves' measuring side in the simulator (the MeterFrontEnd port of
 * modules/app/readings.ts).
 *
 * Fast mode (`PowerFrontEnd`): the per-sample pipeline is far too expensive
 * for a day in seconds (4 meters × 6.4 kS/s × 86 400 s), so energy is
 * integrated from the world's per-second load powers; RMS values, power
 * factor and THD come from the same load models, and PQ events are counted
 * when the supply model has one. Real time (`SampleFrontEnd`): every second
 * of 12-bit samples from the waveform generator is measured (RMS, P) and the
 * energy comes from those samples.
 */
abstract class SimFrontEnd implements MeterFrontEnd {
  protected r: MeterReadings;
  protected last = NaN;
  /** Per-second values into 10-min aggregates (fast and sample modes; the pipeline has its own). */
  protected readonly pq: SecondsAggregator;

  constructor(
    protected readonly world: World,
    readonly meterId: number,
    start: number,
  ) {
    this.r = emptyReadings(start);
    this.last = start;
    this.pq = new SecondsAggregator(meterId);
  }

  readings(): MeterReadings {
    return this.r;
  }

  aggregate(): PqAggregate | undefined {
    return this.pq.latest();
  }

  /**
   * Adds the second (from, now] to the 10-min aggregate: `uu` is its mean-square
   * voltage, the rest comes from the readings just made; `flagged` when a supply
   * event overlapped the second.
   */
  protected aggregateSecond(from: number, now: number, uu: number, flagged: boolean): void {
    const r = this.r;
    this.pq.add(now, now - from, {
      voltageSquared: uu, currentA: r.currentA, powerW: r.powerW, thdVoltagePct: r.thdVoltagePct,
      thdCurrentPct: r.thdCurrentPct, frequencyHz: r.frequencyHz, flagged,
    });
  }

  abstract measure(now: number): number | void;

  protected common(now: number): void {
    const grid = this.world.grid;
    const events = grid.eventsBetween(this.last, now);
    this.countEvents(events);
    this.r.t = now;
    this.r.frequencyHz = grid.frequencyHz;
    let h2 = 0;
    for (const h of grid.harmonics) h2 += h.ratio * h.ratio;
    this.r.thdVoltagePct = 100 * Math.sqrt(h2);
    let i1 = 0;
    let ih2 = 0;
    for (const load of this.world.loads) {
      if (load.spec.meterId !== this.meterId || load.powerW === 0) continue;
      const a = Math.abs(load.powerW) / load.dpf;
      i1 += a;
      for (const h of load.harmonics) ih2 += (a * h.ratio) ** 2;
    }
    this.r.thdCurrentPct = i1 > 0 ? (100 * Math.sqrt(ih2)) / i1 : 0;
    this.last = now;
  }

  private countEvents(events: PqEvent[]): void {
    for (const e of events) {
      if (e.type === "dip") this.r.dips++;
      else if (e.type === "swell") this.r.swells++;
      else this.r.interruptions++;
      this.r.lastEvent = { type: e.type, start: e.start, durationMs: e.durationMs, extremeV: Math.round(e.level * this.world.meterPower(this.meterId).v * 100) / 100 };
    }
  }

  protected integrate(p: number, dtS: number): void {
    if (p >= 0) this.r.importWh += (p * dtS) / 3600;
    else this.r.exportWh += (-p * dtS) / 3600;
  }
}

export class PowerFrontEnd extends SimFrontEnd {
  measure(now: number): number {
    const from = this.last;
    const dtS = (now - from) / 1000;
    const mp = this.world.meterPower(this.meterId);
    this.common(now);
    const s = Math.hypot(mp.p, mp.q);
    this.r.powerW = mp.p;
    this.r.reactiveVar = mp.q;
    this.r.voltageV = mp.v;
    this.r.currentA = s / mp.v;
    this.r.powerFactor = s > 0 ? Math.abs(mp.p) / s : 1;
    this.integrate(mp.p, dtS);
    if (now > from) {
      const events = this.world.grid.eventsOverlapping(from, now);
      this.aggregateSecond(from, now, meanSquareVoltage(events, mp.v, from, now), events.length > 0);
    }
    return 1;
  }
}

/**
 * Mean square of the node voltage over (from, now]: `v` outside supply events,
 * level × v during the parts of the second an event covers (the fast model's
 * RMS of a second holding a dip, as a one-second window would measure it).
 */
export function meanSquareVoltage(events: readonly PqEvent[], v: number, from: number, now: number): number {
  let covered = 0;
  let sum = 0;
  for (const e of events) {
    const ms = Math.min(now, e.start + e.durationMs) - Math.max(from, e.start);
    covered += ms;
    sum += ms * (e.level * v) ** 2;
  }
  return (sum + (now - from - covered) * v * v) / (now - from);
}

export class SampleFrontEnd extends SimFrontEnd {
  private readonly gen: WaveformGenerator;
  private readonly v: Float64Array;
  private readonly i: Float64Array;

  constructor(world: World, meterId: number, start: number, sampleRate = 6400) {
    super(world, meterId, start);
    this.gen = new WaveformGenerator(world, meterId, { sampleRate });
    this.v = new Float64Array(sampleRate);
    this.i = new Float64Array(sampleRate);
  }

  measure(now: number): number {
    const from = this.last;
    const dtS = (now - from) / 1000;
    const n = this.v.length;
    this.gen.fill(now - 1000, n, this.v, this.i);
    let vv = 0;
    let ii = 0;
    let p = 0;
    for (let k = 0; k < n; k++) {
      vv += this.v[k] * this.v[k];
      ii += this.i[k] * this.i[k];
      p += this.v[k] * this.i[k];
    }
    this.common(now);
    const vr = Math.sqrt(vv / n);
    const ir = Math.sqrt(ii / n);
    this.r.powerW = p / n;
    this.r.voltageV = vr;
    this.r.currentA = ir;
    this.r.reactiveVar = this.world.meterPower(this.meterId).q;
    // Below ~3 ADC steps of current the ratio is quantisation noise, not a power factor.
    this.r.powerFactor = ir > 0.06 ? Math.min(1, Math.abs(this.r.powerW) / (vr * ir)) : 1;
    this.integrate(this.r.powerW, dtS);
    if (now > from) this.aggregateSecond(from, now, vv / n, this.world.grid.eventsOverlapping(from, now).length > 0);
    return 5;
  }
}

/**
 * The metrology room's MeterPipeline as the slave's measuring side (real time):
 * each second of 12-bit samples from the waveform generator is pushed through
 * it; the latest 10-cycle window gives the instantaneous values, its events
 * the PQ counters, and its energy integrator the energy registers.
 */
export class PipelineFrontEnd extends SimFrontEnd {
  private readonly gen: WaveformGenerator;
  private readonly v: Float64Array;
  private readonly i: Float64Array;
  private readonly frames: Float64Array;
  private readonly pipeline: MeterPipeline;
  private pipelinePq: PqAggregate | undefined;
  /** The slave's stored calibration, loaded before the pipeline is built (as on the board). */
  readonly calibration: SlaveCalibration;

  constructor(world: World, meterId: number, start: number, sampleRate = 6400, calibration: SlaveCalibrationOptions = {}) {
    super(world, meterId, start);
    this.calibration = new SlaveCalibration(1, meterId, calibration);
    this.gen = new WaveformGenerator(world, meterId, { sampleRate });
    this.v = new Float64Array(sampleRate);
    this.i = new Float64Array(sampleRate);
    this.frames = new Float64Array(2 * sampleRate);
    const loadedThdi = new LoadedThdi(1, start);
    this.pipeline = new MeterPipeline(
      { phases: 1, sampleRate, nominalVoltage: world.grid.nominalV, nominalFrequency: 50, startTimeMs: start, calibration: this.calibration.boot.phases },
      {
        onWindow: (w) => {
          this.r.voltageV = w.u[0];
          this.r.currentA = w.i[0];
          this.r.powerW = w.p[0];
          this.r.reactiveVar = w.q1[0];
          this.r.powerFactor = w.pf[0];
          this.r.frequencyHz = w.f;
          this.r.thdVoltagePct = w.thdu[0];
          this.r.thdCurrentPct = w.thdi[0];
          loadedThdi.add(w);
        },
        onAggregate: (a) => {
          const pq = pqFromRecord(meterId, a, start); // copies: the pipeline reuses its record
          if (!pq) return;
          loadedThdi.apply(pq); // THDi from the windows that carried current, not an idle meter's noise
          this.pipelinePq = pq;
        },
        onEvent: (e) => {
          if (e.type === "dip") this.r.dips++;
          else if (e.type === "swell") this.r.swells++;
          else this.r.interruptions++;
          this.r.lastEvent = { type: e.type, start: start + e.start * 1000, durationMs: Math.round(e.duration * 1000), extremeV: e.extreme, phase: e.phase };
        },
      },
    );
  }

  measure(now: number): number {
    const n = this.v.length;
    this.gen.fill(now - 1000, n, this.v, this.i);
    for (let k = 0; k < n; k++) {
      this.frames[2 * k] = this.v[k];
      this.frames[2 * k + 1] = this.i[k];
    }
    this.pipeline.push(this.frames, n);
    this.r.t = now;
    this.r.importWh = this.pipeline.energy.importWh[0];
    this.r.exportWh = this.pipeline.energy.exportWh[0];
    this.last = now;
    return 20;
  }

  /** Saves a new calibration to this slave's flash and applies it from the pipeline's next window. */
  calibrate(phases: ReadonlyArray<PhaseCalibration>): number {
    return this.calibration.calibrate(phases, this.pipeline);
  }

  /** The pipeline's own IEC 61000-4-30 10-min aggregate (windows, RMS, event flagging). */
  override aggregate(): PqAggregate | undefined {
    return this.pipelinePq;
  }
}
