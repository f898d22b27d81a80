// A slave front end for the XS scenarios: a constant load (engine-neutral, imports modules/ only).
import { emptyReadings, type MeterFrontEnd, type MeterReadings } from "../../../modules/app/readings";

/** A constant load: `watts` all the time, energy counted per measure call, from `lifetimeWh` already metered. */
export class ConstantFrontEnd implements MeterFrontEnd {
  private r: MeterReadings;
  private last: number;
  constructor(private readonly watts: number, start: number, lifetimeWh = 0) {
    this.r = emptyReadings(start);
    this.r.importWh = lifetimeWh;
    this.last = start;
  }
  measure(now: number): number {
    const dtS = (now - this.last) / 1000;
    this.last = now;
    this.r.t = now;
    this.r.powerW = this.watts;
    this.r.voltageV = 230;
    this.r.currentA = Math.abs(this.watts) / 230;
    this.r.frequencyHz = 50;
    if (this.watts >= 0) this.r.importWh += (this.watts * dtS) / 3600;
    else this.r.exportWh += (-this.watts * dtS) / 3600;
    return 1;
  }
  readings(): MeterReadings {
    return this.r;
  }
}
