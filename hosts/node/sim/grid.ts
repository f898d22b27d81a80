import { DAY, HOUR } from "../../../modules/core/clock";
import { Prng } from "./prng";

/**
 * The supply as every meter of the household sees it: RMS level with a slow
 * daily swing and noise, frequency drifting around 50 Hz, a fixed harmonic
 * spectrum, and power-quality events (dips, swells, interruptions) drawn per
 * day from the seed or added by hand.
 */
export interface VoltageHarmonic {
  order: number;
  /** Amplitude relative to the fundamental. */
  ratio: number;
  phase: number;
}

export interface PqEvent {
  type: "dip" | "swell" | "interruption";
  start: number;
  durationMs: number;
  /** Residual (dip/interruption) or peak (swell) voltage relative to nominal. */
  level: number;
}

export interface GridOptions {
  nominalV?: number;
  nominalHz?: number;
  harmonics?: VoltageHarmonic[];
  /** Standard deviation of the frequency random walk (Hz). */
  frequencySigmaHz?: number;
  /** Mean events per day; 0 turns random events off. */
  dipsPerDay?: number;
  swellsPerDay?: number;
  interruptionsPerDay?: number;
}

export const DEFAULT_VOLTAGE_HARMONICS: readonly VoltageHarmonic[] = Object.freeze([
  { order: 3, ratio: 0.008, phase: 0.2 },
  { order: 5, ratio: 0.025, phase: 3.0 },
  { order: 7, ratio: 0.015, phase: 1.1 },
  { order: 9, ratio: 0.004, phase: 0.7 },
  { order: 11, ratio: 0.007, phase: 2.2 },
  { order: 13, ratio: 0.005, phase: 0.4 },
]);

export class Grid {
  readonly nominalV: number;
  readonly nominalHz: number;
  readonly harmonics: readonly VoltageHarmonic[];
  /** Present RMS voltage without events (V). */
  rmsV: number;
  /** Present frequency (Hz). */
  frequencyHz: number;
  private readonly events: PqEvent[] = [];
  private readonly daysDrawn = new Set<number>();
  private readonly rng: Prng;
  private readonly options: GridOptions;
  private driftV = 0;
  private driftHz = 0;
  private lastStep = NaN;

  constructor(
    private readonly seed: number,
    options: GridOptions = {},
  ) {
    this.options = options;
    this.nominalV = options.nominalV ?? 230;
    this.nominalHz = options.nominalHz ?? 50;
    this.harmonics = options.harmonics ?? DEFAULT_VOLTAGE_HARMONICS;
    this.rmsV = this.nominalV;
    this.frequencyHz = this.nominalHz;
    this.rng = new Prng(seed, "grid/drift");
  }

  /** Adds an event by hand (tests, `--dip`). */
  addEvent(event: PqEvent): void {
    this.events.push(event);
    this.events.sort((a, b) => a.start - b.start);
  }

  /** Events that start in [from, to). */
  eventsBetween(from: number, to: number): PqEvent[] {
    for (let d = Math.floor(from / DAY); d <= Math.floor((to - 1) / DAY); d++) this.drawDay(d);
    return this.events.filter((e) => e.start >= from && e.start < to);
  }

  /**
   * Events that overlap [from, to) (started before `from` and still running
   * count too). Called every simulated second per meter, so the common answer,
   * none, is one shared empty array.
   */
  eventsOverlapping(from: number, to: number): readonly PqEvent[] {
    for (let d = Math.floor(from / DAY) - 1; d <= Math.floor((to - 1) / DAY); d++) this.drawDay(d);
    let out: PqEvent[] | undefined;
    for (const e of this.events) {
      if (e.start >= to) break;
      if (e.start + e.durationMs > from) (out ??= []).push(e);
    }
    return out ?? NONE;
  }

  /** Advances the slow drifts to time t (call once per simulated second). */
  step(t: number): void {
    const dtS = Number.isNaN(this.lastStep) ? 0 : Math.max(0, (t - this.lastStep) / 1000);
    this.lastStep = t;
    this.drawDay(Math.floor(t / DAY));
    if (dtS > 0) {
      const sigmaHz = this.options.frequencySigmaHz ?? 0.012;
      this.driftHz += (-this.driftHz / 90) * dtS + sigmaHz * Math.sqrt(dtS / 45) * this.rng.gauss();
      this.driftV += (-this.driftV / 300) * dtS + 0.6 * Math.sqrt(dtS / 150) * this.rng.gauss();
    }
    if (this.driftHz > 0.2) this.driftHz = 0.2;
    if (this.driftHz < -0.2) this.driftHz = -0.2;
    const h = (t % DAY) / HOUR;
    // Evening load pulls the voltage down a little, midday PV pushes it up.
    const daily = -2.5 * Math.cos((2 * Math.PI * (h - 13)) / 24);
    this.rmsV = this.nominalV + daily + this.driftV;
    this.frequencyHz = this.nominalHz + this.driftHz;
  }

  /** Multiplier of the voltage at time t (1 outside events). */
  envelope(t: number): number {
    for (let k = 0; k < this.events.length; k++) {
      const e = this.events[k];
      if (e.start > t) break;
      if (t < e.start + e.durationMs) return e.level;
    }
    return 1;
  }

  private drawDay(day: number): void {
    if (this.daysDrawn.has(day)) return;
    this.daysDrawn.add(day);
    const rng = new Prng(this.seed, `grid/events/${day}`);
    const start = day * DAY;
    const draw = (type: PqEvent["type"], mean: number, level: () => number, duration: () => number): void => {
      const n = poisson(rng, mean);
      for (let k = 0; k < n; k++) {
        this.events.push({ type, start: start + Math.floor(rng.uniform(0, DAY)), durationMs: Math.round(duration()), level: Math.round(level() * 1000) / 1000 });
      }
    };
    draw("dip", this.options.dipsPerDay ?? 2, () => rng.uniform(0.4, 0.85), () => 20 * rng.int(2, 60));
    draw("swell", this.options.swellsPerDay ?? 0.5, () => rng.uniform(1.11, 1.18), () => 20 * rng.int(3, 40));
    draw("interruption", this.options.interruptionsPerDay ?? 0.1, () => 0.0, () => rng.uniform(1000, 8000));
    this.events.sort((a, b) => a.start - b.start);
  }
}

const NONE: readonly PqEvent[] = Object.freeze([]);

function poisson(rng: Prng, mean: number): number {
  if (!(mean > 0)) return 0;
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}
