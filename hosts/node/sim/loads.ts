import { DAY, HOUR, MINUTE } from "../../../modules/core/clock";
import type { LoadKind } from "../../../modules/core/household";
import { Prng } from "./prng";
import type { Weather } from "./weather";

/**
 * Household load models, stepped once per simulated second. Each gives its
 * present active power (negative when it exports), its displacement power
 * factor and the harmonic spectrum of its current, which the waveform
 * generator turns into samples. A relay sits in front of each load: off means
 * no power, whatever the appliance wants. Deferrable loads (washing machine,
 * EV) have a job waiting and only progress while their relay is on, so the
 * load controller decides when they run by switching the relay.
 */
export interface CurrentHarmonic {
  order: number;
  /** Amplitude relative to the fundamental current. */
  ratio: number;
  /** Phase in radians, relative to the harmonic of the voltage. */
  phase: number;
}

export interface LoadSpec {
  id: string;
  name: string;
  meterId: number;
  kind: LoadKind;
  /** Shed first = lowest. */
  priority: number;
  ratedW: number;
}

export interface LoadJob {
  /** When the household wants it (the earliest start). */
  requestedAt: number;
  /** Must be done by. */
  deadline: number;
  /** Running time with the relay on. */
  durationMs: number;
  /** Time already run. */
  doneMs: number;
}

export abstract class LoadModel {
  powerW = 0;
  /** Displacement power factor cos φ of the fundamental (≥ 0; sign of P gives direction). */
  dpf = 1;
  harmonics: readonly CurrentHarmonic[] = [];
  relayOn = true;
  /** For deferrable loads: the job the household asked for, if any. */
  job: LoadJob | undefined;

  constructor(
    readonly spec: LoadSpec,
    protected readonly rng: Prng,
  ) {}

  /** Reactive power of the fundamental (var), lagging positive. */
  get reactiveVar(): number {
    if (this.dpf >= 1 || this.powerW === 0) return 0;
    return Math.abs(this.powerW) * Math.tan(Math.acos(this.dpf)) * (this.powerW < 0 ? -1 : 1);
  }

  /** Advances the model by `dtS` seconds ending at `t` (ms, UTC). */
  step(t: number, dtS: number): void {
    const wanted = this.demand(t, dtS);
    this.powerW = this.relayOn ? wanted : 0;
  }

  /** What the appliance would draw (W, negative = export) if its relay is on. */
  protected abstract demand(t: number, dtS: number): number;
}

const hourOf = (t: number): number => (t % DAY) / HOUR;
const dayStart = (t: number): number => t - (t % DAY);

/** Fridge: compressor cycles ~10 min on / 20 min off, with a start surge. */
export class Fridge extends LoadModel {
  private phaseS: number;
  private onS = 0;
  private offS = 0;
  private running = false;

  constructor(spec: LoadSpec, rng: Prng) {
    super(spec, rng);
    this.phaseS = rng.uniform(0, 600);
    this.harmonics = [
      { order: 3, ratio: 0.08, phase: 0.3 },
      { order: 5, ratio: 0.04, phase: 1.1 },
    ];
    this.newCycle();
  }

  private newCycle(): void {
    this.onS = this.rng.uniform(480, 780);
    this.offS = this.rng.uniform(1000, 1500);
  }

  protected demand(_t: number, dtS: number): number {
    this.phaseS += dtS;
    if (this.running && this.phaseS >= this.onS) {
      this.running = false;
      this.phaseS = 0;
    } else if (!this.running && this.phaseS >= this.offS) {
      this.running = true;
      this.phaseS = 0;
      this.newCycle();
    }
    if (!this.running) {
      this.dpf = 1;
      return 3; // electronics
    }
    this.dpf = 0.78;
    const surge = this.phaseS < 2 ? 4 : 1;
    return this.spec.ratedW * surge * (0.95 + 0.05 * Math.cos(this.phaseS / 90));
  }
}

/** Oven: preheats at full power, then its thermostat cycles, around dinner time. */
export class Oven extends LoadModel {
  private readonly startMin: number;
  private readonly minutes: number;

  constructor(spec: LoadSpec, rng: Prng) {
    super(spec, rng);
    this.startMin = rng.int(17 * 60, 18 * 60 + 30);
    this.minutes = rng.int(40, 75);
  }

  protected demand(t: number): number {
    this.dpf = 1;
    const minute = ((t % DAY) / MINUTE);
    const into = minute - this.startMin;
    if (into < 0 || into >= this.minutes) return 0;
    if (into < 12) return this.spec.ratedW; // preheat
    return Math.floor(into * 2) % 5 < 2 ? this.spec.ratedW : 0; // thermostat duty ~40 %
  }
}

/**
 * Heat pump: modulating inverter drive whose power follows the heat demand
 * (colder outside → more), plus domestic hot water in the morning and evening.
 */
export class HeatPump extends LoadModel {
  constructor(
    spec: LoadSpec,
    rng: Prng,
    private readonly weather: Weather,
  ) {
    super(spec, rng);
    this.harmonics = [
      { order: 3, ratio: 0.05, phase: 0.2 },
      { order: 5, ratio: 0.03, phase: 2.0 },
      { order: 7, ratio: 0.02, phase: 0.9 },
    ];
  }

  /** Heat the house needs now (W thermal). */
  thermalDemandW(t: number): number {
    const h = hourOf(t);
    const space = Math.max(0, 18 - this.weather.temperatureC(t)) * 320;
    const hotWater = (h >= 6 && h < 7.5) || (h >= 19 && h < 20) ? 4000 : 0;
    return space + hotWater;
  }

  protected demand(t: number): number {
    this.dpf = 0.97;
    const cop = Math.max(2.2, 3.2 + 0.06 * this.weather.temperatureC(t));
    const w = this.thermalDemandW(t) / cop;
    if (w < 250) return 0; // below minimum modulation it stays off
    return Math.min(this.spec.ratedW, w);
  }
}

/**
 * Washing machine: a job appears in the morning (load it, "finish by 18:00");
 * the programme runs only with the relay on: heating, washing, spinning.
 */
export class WashingMachine extends LoadModel {
  static readonly PROGRAMME_MS = 100 * MINUTE;

  constructor(spec: LoadSpec, rng: Prng) {
    super(spec, rng);
  }

  /** Puts today's wash in the machine at `t` (done by the world each morning). */
  load(t: number, deadline: number): void {
    this.job = { requestedAt: t, deadline, durationMs: WashingMachine.PROGRAMME_MS, doneMs: 0 };
  }

  protected demand(t: number, dtS: number): number {
    const job = this.job;
    if (!job || t < job.requestedAt || job.doneMs >= job.durationMs) {
      this.dpf = 1;
      this.harmonics = [];
      return 0;
    }
    if (!this.relayOn) return 0;
    job.doneMs += dtS * 1000;
    const m = job.doneMs / MINUTE;
    if (m < 20) {
      this.dpf = 0.99;
      this.harmonics = [];
      return this.spec.ratedW; // heating the water
    }
    this.dpf = 0.72;
    this.harmonics = [
      { order: 3, ratio: 0.2, phase: 0.4 },
      { order: 5, ratio: 0.1, phase: 1.3 },
    ];
    if (m < 85) return 180 + 60 * Math.sin(m * 3); // tumbling
    return 480; // spin
  }
}

/** EV charger (16 A single phase): arrives in the evening needing energy by morning. */
export class EvCharger extends LoadModel {
  constructor(spec: LoadSpec, rng: Prng) {
    super(spec, rng);
    this.harmonics = [
      { order: 3, ratio: 0.03, phase: 0.1 },
      { order: 5, ratio: 0.02, phase: 0.7 },
    ];
  }

  /** The car plugs in at `t` needing `kWh` by `deadline`. */
  plugIn(t: number, kWh: number, deadline: number): void {
    this.job = { requestedAt: t, deadline, durationMs: Math.round(((kWh * 1000) / this.spec.ratedW) * HOUR), doneMs: 0 };
  }

  protected demand(t: number, dtS: number): number {
    this.dpf = 0.99;
    const job = this.job;
    if (!job || t < job.requestedAt || job.doneMs >= job.durationMs) return 0;
    if (!this.relayOn) return 0;
    job.doneMs += dtS * 1000;
    return this.spec.ratedW;
  }
}

/** PV inverter: exports with the sun and the clouds; relay off = curtailed. */
export class PvInverter extends LoadModel {
  constructor(
    spec: LoadSpec,
    rng: Prng,
    private readonly weather: Weather,
  ) {
    super(spec, rng);
    this.dpf = 1;
    this.harmonics = [
      { order: 5, ratio: 0.02, phase: 0.5 },
      { order: 7, ratio: 0.015, phase: 1.7 },
      { order: 11, ratio: 0.01, phase: 2.9 },
    ];
  }

  protected demand(t: number): number {
    const sun = this.weather.sunFactor(t);
    if (sun <= 0.02) return 0;
    const w = this.spec.ratedW * Math.min(1, sun * 1.15) * this.weather.clearSky(t);
    return -Math.round(w * 10) / 10;
  }
}

/** Sockets of a room: lights and electronics, more in the evening, with random switching. */
export class PlugLoads extends LoadModel {
  private level = 0;

  protected demand(t: number, dtS: number): number {
    this.dpf = 0.93;
    this.harmonics = [{ order: 3, ratio: 0.6, phase: 3.1 }, { order: 5, ratio: 0.35, phase: 0.2 }]; // rectifier front ends
    const h = hourOf(t);
    const base = 35 + 180 * Math.exp(-0.5 * ((h - 20) / 2) ** 2) + 60 * Math.exp(-0.5 * ((h - 7.5) / 1) ** 2);
    this.level += (-this.level / 300) * dtS + 8 * Math.sqrt(dtS) * this.rng.gauss();
    return Math.max(5, base + this.level);
  }
}

/** The default household: four slaves, six appliances. */
export const DEFAULT_LOADS: readonly LoadSpec[] = Object.freeze([
  { id: "fridge", name: "Fridge", meterId: 1, kind: "fixed", priority: 9, ratedW: 110 },
  { id: "oven", name: "Oven", meterId: 1, kind: "switchable", priority: 5, ratedW: 2400 },
  { id: "washer", name: "Washing machine", meterId: 2, kind: "deferrable", priority: 3, ratedW: 2000 },
  { id: "heatpump", name: "Heat pump", meterId: 2, kind: "switchable", priority: 4, ratedW: 2500 },
  { id: "ev", name: "EV charger", meterId: 3, kind: "deferrable", priority: 2, ratedW: 3680 },
  { id: "pv", name: "PV inverter", meterId: 4, kind: "generator", priority: 10, ratedW: 4000 },
]);

export function createLoad(spec: LoadSpec, seed: number, weather: Weather): LoadModel {
  const rng = new Prng(seed, `load/${spec.id}`);
  switch (spec.id) {
    case "fridge": return new Fridge(spec, rng);
    case "oven": return new Oven(spec, rng);
    case "washer": return new WashingMachine(spec, rng);
    case "heatpump": return new HeatPump(spec, rng, weather);
    case "ev": return new EvCharger(spec, rng);
    case "pv": return new PvInverter(spec, rng, weather);
    default:
      if (spec.id.startsWith("sockets")) return new PlugLoads(spec, rng); throw new Error(`no model for load ${spec.id}`);
  }
}

export { dayStart };
