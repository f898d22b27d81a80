import type { MeterFrontEnd, MeterReadings } from "../../modules/app/readings";
import { emptyReadings } from "../../modules/app/readings";

export interface SimLoad {
  /** RMS voltage and current, phase of the current (rad, positive = lagging), mains frequency. */
  voltageV: number;
  currentA: number;
  phaseRad: number;
  frequencyHz: number;
}

/**
 * Moddable's desktop simulator has no metering chip: this front end makes one
 * 10-cycle window of voltage and current samples per Measure run (preallocated,
 * 32 samples a cycle) and computes RMS, P and energy from them the way the
 * reference pipeline does, so the app sees realistic, slowly varying readings.
 */
export class SimFrontEnd implements MeterFrontEnd {
  private readonly v: Float64Array;
  private readonly i: Float64Array;
  private readonly current: MeterReadings;
  private last: number;

  constructor(private readonly load: (now: number) => SimLoad, now: number, private readonly perCycle = 32) {
    this.v = new Float64Array(10 * perCycle);
    this.i = new Float64Array(10 * perCycle);
    this.current = emptyReadings(now);
    this.last = now;
  }

  measure(now: number): void {
    const l = this.load(now);
    const n = this.v.length;
    const step = (2 * Math.PI) / this.perCycle;
    let vv = 0, ii = 0, p = 0;
    for (let k = 0; k < n; k++) {
      const v = Math.SQRT2 * l.voltageV * Math.sin(k * step);
      const i = Math.SQRT2 * l.currentA * Math.sin(k * step - l.phaseRad);
      this.v[k] = v;
      this.i[k] = i;
      vv += v * v;
      ii += i * i;
      p += v * i;
    }
    const c = this.current;
    c.voltageV = Math.sqrt(vv / n);
    c.currentA = Math.sqrt(ii / n);
    c.powerW = p / n;
    const s = c.voltageV * c.currentA;
    c.powerFactor = s > 0 ? Math.abs(c.powerW) / s : 1;
    c.reactiveVar = Math.sqrt(Math.max(0, s * s - c.powerW * c.powerW)) * Math.sign(l.phaseRad);
    c.frequencyHz = l.frequencyHz;
    const wh = (c.powerW * Math.max(0, now - this.last)) / 3_600_000;
    if (wh >= 0) c.importWh += wh;
    else c.exportWh -= wh;
    c.t = now;
    this.last = now;
  }

  readings(): MeterReadings {
    return this.current;
  }
}
