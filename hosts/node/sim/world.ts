import { DAY, HOUR, MINUTE } from "../../../modules/core/clock";
import { Grid, type GridOptions } from "./grid";
import { createLoad, DEFAULT_LOADS, EvCharger, HeatPump, LoadModel, WashingMachine, type LoadSpec } from "./loads";
import { Prng } from "./prng";
import { Weather } from "./weather";

/**
 * The simulated household outside the meters: weather, supply, appliances.
 * `step(t)` advances everything by one second; then `meterPower(id)` gives
 * what each slave's node draws. The world never reads the meters' results,
 * so a test can run it alone and compare with what the meters reported.
 */
export interface MeterPower {
  /** Active power (W), negative = export. */
  p: number;
  /** Fundamental reactive power (var). */
  q: number;
  /** RMS voltage at the node (V, without PQ events). */
  v: number;
}

export interface WorldOptions {
  seed: number;
  slaves: number;
  grid?: GridOptions;
  loads?: readonly LoadSpec[];
}

export class World {
  readonly weather: Weather;
  readonly grid: Grid;
  readonly loads: LoadModel[];
  readonly slaves: number;
  readonly seed: number;
  private lastT = NaN;
  private readonly power = new Map<number, MeterPower>();

  constructor(options: WorldOptions) {
    this.seed = options.seed;
    this.slaves = options.slaves;
    this.weather = new Weather(options.seed);
    this.grid = new Grid(options.seed, options.grid);
    const specs = (options.loads ?? DEFAULT_LOADS).map((s) => ({ ...s, meterId: ((s.meterId - 1) % options.slaves) + 1 }));
    // Meters beyond the default four measure a room's sockets.
    for (let id = 1; id <= options.slaves; id++) {
      if (!specs.some((s) => s.meterId === id)) specs.push({ id: `sockets${id}`, name: `Sockets ${id}`, meterId: id, kind: "fixed", priority: 8, ratedW: 3680 });
    }
    this.loads = specs.map((s) => createLoad(s, options.seed, this.weather));
    for (let id = 1; id <= options.slaves; id++) this.power.set(id, { p: 0, q: 0, v: this.grid.nominalV });
  }

  load(id: string): LoadModel | undefined {
    return this.loads.find((l) => l.spec.id === id);
  }

  /** Advances the world to t (ms, UTC), one second after the previous step. */
  step(t: number): void {
    const dtS = Number.isNaN(this.lastT) ? 1 : (t - this.lastT) / 1000;
    if (!Number.isNaN(this.lastT)) this.householdRoutine(this.lastT, t);
    this.lastT = t;
    this.grid.step(t);
    for (const l of this.loads) l.step(t, dtS);
    for (const [id, mp] of this.power) {
      mp.p = 0;
      mp.q = 0;
      for (const l of this.loads) {
        if (l.spec.meterId !== id) continue;
        mp.p += l.powerW;
        mp.q += l.reactiveVar;
      }
      // A little line drop: 0.04 Ω between the grid and the node.
      mp.v = this.grid.rmsV - (0.04 * mp.p) / this.grid.rmsV;
    }
  }

  meterPower(id: number): MeterPower {
    const mp = this.power.get(id);
    if (!mp) throw new Error(`no meter ${id}`);
    return mp;
  }

  /** Heat the house needs (W thermal), for the co-generator's status. */
  thermalDemandW(t: number): number {
    const hp = this.loads.find((l) => l instanceof HeatPump) as HeatPump | undefined;
    return hp ? hp.thermalDemandW(t) : 0;
  }

  /** Daily habits: the washing goes in at breakfast, the car comes home in the evening. */
  private householdRoutine(from: number, to: number): void {
    const day = to - (to % DAY);
    const rng = new Prng(this.seed, `routine/${day / DAY}`);
    const washAt = day + 7 * HOUR + rng.int(0, 90) * MINUTE;
    const carAt = day + 17 * HOUR + rng.int(0, 150) * MINUTE;
    const kWh = Math.round(rng.uniform(6, 16) * 10) / 10;
    if (from < washAt && to >= washAt) {
      for (const l of this.loads) if (l instanceof WashingMachine) l.load(washAt, day + 18 * HOUR);
    }
    if (from < carAt && to >= carAt) {
      for (const l of this.loads) if (l instanceof EvCharger) l.plugIn(carAt, kWh, day + DAY + 7 * HOUR);
    }
  }
}
