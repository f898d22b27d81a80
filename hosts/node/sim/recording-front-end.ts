import type { MeterFrontEnd, MeterReadings } from "../../../modules/app/readings";
import { emptyReadings } from "../../../modules/app/readings";
import { MeterPipeline } from "../../../modules/metrology/meter";
import { LoadedThdi, pqFromRecord } from "../../../modules/app/pq-aggregate";
import type { PqAggregate } from "../../../modules/core/household";
import { RecordingError, toFrames, type Recording } from "../recordings/recording";
import type { PhaseCalibration } from "../../../modules/metrology/calibration";
import { SlaveCalibration, type SlaveCalibrationOptions } from "./slave-calibration";

/**
 * A slave's measuring side fed from a recording (COMTRADE, WAV or CSV) instead
 * of the waveform generator (issue 9). The first phase's u/i are pushed through
 * the metrology room's MeterPipeline at the recording's own sample rate (the
 * pipeline takes any rate; resampling would only add error), one second of
 * samples per measure() call, looping at the end of the recording. Readings
 * come from the latest window, events and energy from the pipeline — as in
 * PipelineFrontEnd. The slave's stored calibration (its flash) is loaded before the
 * pipeline is built, as on the board; `calibrate()` saves and applies a new one.
 */
export class RecordingFrontEnd implements MeterFrontEnd {
  private readonly r: MeterReadings;
  private readonly frames: Float64Array; // interleaved u,i of phase 1, whole recording
  private readonly count: number;
  private readonly block: Float64Array; // one second of frames, reused
  private readonly perSecond: number;
  private pos = 0;
  private readonly pipeline: MeterPipeline;
  private pq: PqAggregate | undefined;
  readonly calibration: SlaveCalibration;

  constructor(rec: Recording, readonly meterId: number, start: number, nominalVoltage = 230, calibration: SlaveCalibrationOptions = {}) {
    const { phases, frames, count } = toFrames(rec);
    if (!(rec.sampleRate >= 1000)) throw new RecordingError(`the recording's sample rate ${rec.sampleRate} Hz is too low to measure (need ≥ 1000 S/s)`);
    this.count = count;
    this.frames = new Float64Array(2 * count);
    for (let n = 0; n < count; n++) {
      this.frames[2 * n] = frames[2 * phases * n];
      this.frames[2 * n + 1] = frames[2 * phases * n + 1];
    }
    const nominalFrequency = rec.nominalFrequency === 60 ? 60 : 50;
    // A second's worth is a whole number of samples; the fraction lost per second is < 1/fs.
    this.perSecond = Math.round(rec.sampleRate);
    if (count < Math.ceil((rec.sampleRate * 12) / nominalFrequency)) throw new RecordingError(`the recording has ${count} samples, fewer than one measuring window (${nominalFrequency === 60 ? 12 : 10} cycles)`);
    this.block = new Float64Array(2 * this.perSecond);
    this.r = emptyReadings(start);
    const r = this.r;
    this.calibration = new SlaveCalibration(1, meterId, calibration);
    const loadedThdi = new LoadedThdi(1, start);
    this.pipeline = new MeterPipeline(
      { phases: 1, sampleRate: rec.sampleRate, nominalVoltage, nominalFrequency, startTimeMs: start, calibration: this.calibration.boot.phases },
      {
        onWindow: (w) => {
          r.voltageV = w.u[0];
          r.currentA = w.i[0];
          r.powerW = w.p[0];
          r.reactiveVar = w.q1[0];
          r.powerFactor = w.pf[0];
          r.frequencyHz = w.f;
          r.thdVoltagePct = w.thdu[0];
          r.thdCurrentPct = w.thdi[0];
          loadedThdi.add(w);
        },
        onAggregate: (a) => {
          const pq = pqFromRecord(meterId, a, start); // copies: the pipeline reuses its record
          if (!pq) return;
          loadedThdi.apply(pq); // THDi from the windows that carried current, not an idle meter's noise
          this.pq = pq;
        },
        onEvent: (e) => {
          if (e.type === "dip") r.dips++;
          else if (e.type === "swell") r.swells++;
          else r.interruptions++;
          r.lastEvent = { type: e.type, start: start + e.start * 1000, durationMs: Math.round(e.duration * 1000), extremeV: e.extreme, phase: e.phase };
        },
      },
    );
  }

  readings(): MeterReadings {
    return this.r;
  }

  /** Saves a new calibration to this slave's flash and applies it from the pipeline's next window. */
  calibrate(phases: ReadonlyArray<PhaseCalibration>): number {
    return this.calibration.calibrate(phases, this.pipeline);
  }

  aggregate(): PqAggregate | undefined {
    return this.pq;
  }

  measure(now: number): number {
    // Copy the next second of the recording, wrapping round at its end.
    const n = this.perSecond;
    for (let k = 0; k < n; k++) {
      this.block[2 * k] = this.frames[2 * this.pos];
      this.block[2 * k + 1] = this.frames[2 * this.pos + 1];
      if (++this.pos === this.count) this.pos = 0;
    }
    this.pipeline.push(this.block, n);
    this.r.t = now;
    this.r.importWh = this.pipeline.energy.importWh[0];
    this.r.exportWh = this.pipeline.energy.exportWh[0];
    return 20;
  }
}
