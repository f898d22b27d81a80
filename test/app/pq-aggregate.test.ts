// The slave's 10-min power-quality aggregate: from the metrology room's "10min"
// record (copied, since the pipeline reuses it), from per-second values (fast
// model, the board's once-a-second front end), latched by the SlaveApp, and end
// to end through a real MeterPipeline front end across a UTC 10-min boundary with
// a dip inside the interval. Expected values come from the RMS / mean definitions.
import { describe, expect, it } from "vitest";
import { Aggregator } from "../../modules/metrology/aggregation";
import { PHASE_FIELDS, type AggregateRecord, type WindowRecord } from "../../modules/metrology/records";
import { LoadedThdi, pqFromRecord, SecondsAggregator, THDI_MIN_CURRENT_A, type SecondValues } from "../../modules/app/pq-aggregate";
import { SlaveApp } from "../../modules/app/slave-app";
import { emptyReadings, type MeterFrontEnd } from "../../modules/app/readings";
import type { PqAggregate } from "../../modules/core/household";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { World } from "../../hosts/node/sim/world";
import { PipelineFrontEnd } from "../../hosts/node/sim/front-end";

const T0 = Date.UTC(2026, 2, 20, 10, 0); // on a 10-min boundary
const TEN = 600_000;

function windowRecord(phases: number): WindowRecord {
  const w = { kind: "window", t: 0, duration: 0.2, f: 50, u2: 0, u0: 0, flagged: false } as WindowRecord;
  for (const f of PHASE_FIELDS) w[f] = new Array<number>(phases).fill(0);
  return w;
}

const rms = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe("pqFromRecord: the pipeline's 10-min record as the slave's aggregate", () => {
  it("aligns to UTC, keeps RMS/mean values and the flag, and is a copy the next record cannot change", () => {
    const kept: PqAggregate[] = [];
    let lastRecord: AggregateRecord | undefined;
    const agg = new Aggregator(1, T0, (a) => {
      if (a.interval !== "10min") return;
      lastRecord = a;
      const pq = pqFromRecord(7, a, T0);
      if (pq) kept.push(pq);
    });
    const w = windowRecord(1);
    const u: number[] = [], i: number[] = [], p: number[] = [], f: number[] = [];
    // Interval 1: 5 min at 230 V then 5 min at 240 V (REFERENCES §2: 235.053 V, not 235), current and power varying.
    for (let k = 0; k < 3000; k++) {
      w.t = k * 0.2; w.u[0] = k < 1500 ? 230 : 240; w.i[0] = 2 + (k % 7); w.p[0] = k % 2 ? 500 : -100;
      w.thdu[0] = 3; w.thdi[0] = 10 + (k % 3); w.f = 49.99 + (k % 5) * 0.005; w.flagged = false;
      u.push(w.u[0]); i.push(w.i[0]); p.push(w.p[0]); f.push(w.f);
      agg.add(w);
    }
    // Interval 2: one flagged window (a dip overlapped it).
    for (let k = 3000; k < 6000; k++) {
      w.t = k * 0.2; w.u[0] = 231; w.i[0] = 1; w.p[0] = 200; w.thdu[0] = 2; w.thdi[0] = 5; w.f = 50; w.flagged = k === 4000;
      agg.add(w);
    }
    w.t = 6000 * 0.2; w.flagged = false;
    agg.add(w); // first window of interval 3 closes interval 2
    expect(kept).toHaveLength(2);
    const [a, b] = kept;
    expect(a).toMatchObject({ meterId: 7, start: T0, end: T0 + TEN, flagged: false });
    expect(a.voltageV[0]).toBeCloseTo(Math.sqrt((230 * 230 + 240 * 240) / 2), 9);
    expect(a.voltageV[0]).toBeCloseTo(235.053, 3);
    expect(a.currentA[0]).toBeCloseTo(rms(i), 9);
    expect(a.powerW[0]).toBeCloseTo(mean(p), 9);
    expect(a.frequencyHz).toBeCloseTo(mean(f), 9);
    expect(a.thdCurrentPct[0]).toBeCloseTo(rms(Array.from({ length: 3000 }, (_, k) => 10 + (k % 3))), 9);
    expect(a.unbalancePct).toBeUndefined();
    expect(b).toMatchObject({ start: T0 + TEN, end: T0 + 2 * TEN, flagged: true });
    expect(b.voltageV[0]).toBeCloseTo(231, 9);
    // The pipeline's record was overwritten by interval 2; the copy of interval 1 was not.
    expect(lastRecord!.u[0]).toBeCloseTo(231, 9);
    expect(a.voltageV[0]).toBeCloseTo(235.053, 3);
  });

  it("does not report an interval the meter measured less than 90 % of (started inside it)", () => {
    const kept: PqAggregate[] = [];
    const start = T0 + 5 * 60_000; // half-way into the interval
    const agg = new Aggregator(1, start, (a) => { const pq = pqFromRecord(1, a, start); if (pq) kept.push(pq); });
    const w = windowRecord(1);
    for (let k = 0; k <= 1500 + 3000; k++) { w.t = k * 0.2; w.u[0] = 230; agg.add(w); }
    expect(kept.map((a) => a.start)).toEqual([T0 + TEN]);
  });

  it("carries per-phase arrays and the negative-sequence unbalance of a three-phase record", () => {
    const kept: PqAggregate[] = [];
    const agg = new Aggregator(3, T0, (a) => { const pq = pqFromRecord(2, a, T0); if (pq) kept.push(pq); });
    const w = windowRecord(3);
    for (let k = 0; k <= 3000; k++) { w.t = k * 0.2; w.u = [229, 230, 231]; w.u2 = k % 2 ? 0.3 : 0.4; agg.add(w); }
    expect(kept).toHaveLength(1);
    expect(kept[0].voltageV.map((x) => +x.toFixed(9))).toEqual([229, 230, 231]);
    expect(kept[0].unbalancePct).toBeCloseTo(rms([0.3, 0.4]), 9);
  });
});

describe("LoadedThdi: the interval's THDi from the windows that carried current", () => {
  it("leaves out idle windows (noise THDi), keeps the intervals apart although the pipeline emits one window late, and gives 0 for an idle interval", () => {
    const kept: PqAggregate[] = [];
    const thdi = new LoadedThdi(1, T0);
    const agg = new Aggregator(1, T0, (a) => {
      const pq = pqFromRecord(1, a, T0);
      if (!pq) return;
      kept.push({ ...pq, thdCurrentPct: pq.thdCurrentPct.slice() }); // what the pipeline alone would say
      thdi.apply(pq);
      kept.push(pq);
    });
    const w = windowRecord(1);
    const loaded: number[] = [];
    for (let k = 0; k <= 6000; k++) {
      w.t = k * 0.2;
      const on = k < 3000 && k % 3 === 0; // interval 1: a cycling load; interval 2: idle
      w.i[0] = on ? 2 + (k % 5) : 0.012;
      w.thdi[0] = on ? 8 + (k % 4) : 1800 + (k % 7) * 100;
      if (on) loaded.push(w.thdi[0]);
      thdi.add(w); // MeterPipeline calls onWindow before it aggregates the window
      agg.add(w);
    }
    const [raw1, a1, raw2, a2] = kept;
    expect(raw1.thdCurrentPct[0], "every window: the idle ones' noise dominates").toBeGreaterThan(1000);
    expect(a1.thdCurrentPct[0]).toBeCloseTo(rms(loaded), 9);
    expect(raw2.thdCurrentPct[0]).toBeGreaterThan(1000);
    expect(a2.thdCurrentPct[0]).toBe(0);
    expect(THDI_MIN_CURRENT_A).toBeGreaterThan(0.012);
  });
});

describe("SecondsAggregator: per-second values into UTC 10-min intervals", () => {
  const second = (k: number): SecondValues => ({ voltageSquared: (228 + (k % 5)) ** 2, currentA: 1 + (k % 4), powerW: 100 * (k % 3) - 50, thdVoltagePct: 3, thdCurrentPct: 20 + (k % 2), frequencyHz: 50 + 0.01 * Math.sin(k), flagged: k === 333 });

  it("completes the interval on the second that ends at the boundary, with RMS / mean values and the flag", () => {
    const a = new SecondsAggregator(3);
    const out: PqAggregate[] = [];
    for (let k = 1; k <= 1200; k++) {
      const r = a.add(T0 + k * 1000, 1000, second(k));
      if (r) { out.push(r); expect(k % 600, "emitted on the boundary second").toBe(0); }
    }
    expect(out).toHaveLength(2);
    const ks = Array.from({ length: 600 }, (_, j) => j + 1);
    expect(out[0]).toMatchObject({ meterId: 3, start: T0, end: T0 + TEN, flagged: true });
    expect(out[0].voltageV[0]).toBeCloseTo(Math.sqrt(mean(ks.map((k) => (228 + (k % 5)) ** 2))), 9);
    expect(out[0].currentA[0]).toBeCloseTo(rms(ks.map((k) => 1 + (k % 4))), 9);
    expect(out[0].powerW[0]).toBeCloseTo(mean(ks.map((k) => 100 * (k % 3) - 50)), 9);
    expect(out[0].thdCurrentPct[0]).toBeCloseTo(rms(ks.map((k) => 20 + (k % 2))), 9);
    expect(out[0].frequencyHz).toBeCloseTo(mean(ks.map((k) => 50 + 0.01 * Math.sin(k))), 9);
    expect(out[1]).toMatchObject({ start: T0 + TEN, flagged: false });
    expect(a.latest()).toBe(out[1]);
  });

  it("skips a partial interval (start-up, or measuring stopped for minutes) instead of reporting it as whole", () => {
    const a = new SecondsAggregator(1);
    const out: PqAggregate[] = [];
    const add = (k: number) => { const r = a.add(T0 + k * 1000, 1000, second(k)); if (r) out.push(r); };
    for (let k = 301; k <= 1200; k++) add(k); // starts 5 min into interval 1
    for (let k = 1500; k <= 1800; k++) add(k); // 5 min gap in interval 3
    for (let k = 1801; k <= 2400; k++) add(k);
    expect(out.map((x) => (x.start - T0) / TEN)).toEqual([1, 3]);
  });
});

class FakeFrontEnd implements MeterFrontEnd {
  pq: PqAggregate | undefined;
  private r = emptyReadings(T0);
  measure(now: number): number { this.r.t = now; return 1; }
  readings() { return this.r; }
  aggregate() { return this.pq; }
}

describe("SlaveApp", () => {
  it("answers with the aggregate latched by its CAN task, like its readings", () => {
    const clock = new VirtualClock(T0 - 5000);
    const fe = new FakeFrontEnd();
    const slave = new SlaveApp(clock, fe, { id: 4 });
    slave.start();
    clock.advance(1500);
    expect(slave.aggregate()).toBeUndefined();
    const pq: PqAggregate = { meterId: 4, start: T0 - TEN, end: T0, voltageV: [230], currentA: [1], powerW: [230], thdVoltagePct: [3], thdCurrentPct: [5], frequencyHz: 50, flagged: false };
    fe.pq = pq;
    expect(slave.aggregate(), "not before the CAN task latches").toBeUndefined();
    clock.advance(1000);
    expect(slave.aggregate()).toEqual(pq);
    slave.stop();
  });
});

describe("a slave measuring through MeterPipeline across a 10-min boundary", () => {
  it("keeps the pipeline's interval as its aggregate: aligned, values of the world's supply, flagged by the dip", () => {
    const clock = new VirtualClock(T0);
    const world = new World({ seed: 3, slaves: 1, grid: { dipsPerDay: 0, swellsPerDay: 0, interruptionsPerDay: 0 } });
    const dip = { type: "dip" as const, start: T0 + 200_000, durationMs: 300, level: 0.6 };
    world.grid.addEvent(dip);
    const fe = new PipelineFrontEnd(world, 1, T0, 3200); // 3.2 kS/s: the boundary test costs half as much
    const slave = new SlaveApp(clock, fe, { id: 1 });
    const volts: number[] = [];
    const watts: number[] = [];
    world.step(T0);
    clock.every(1000, () => {
      world.step(clock.now());
      const mp = world.meterPower(1);
      if (clock.now() <= T0 + TEN) { volts.push(mp.v); watts.push(mp.p); }
    });
    slave.start();
    clock.runUntil(T0 + TEN + 2000);
    slave.stop();
    const a = slave.aggregate();
    expect(a, "an aggregate after the boundary").toBeDefined();
    expect(a).toMatchObject({ meterId: 1, start: T0, end: T0 + TEN, flagged: true });
    // The supply's RMS over the interval with the dip's 300 ms at 60 % (from the definition).
    const uu = mean(volts.map((v) => v * v)) - (dip.durationMs / TEN) * (1 - dip.level ** 2) * mean(volts.map((v) => v * v));
    expect(Math.abs(a!.voltageV[0] / Math.sqrt(uu) - 1)).toBeLessThan(0.003);
    expect(Math.abs(a!.powerW[0] - mean(watts))).toBeLessThan(0.02 * Math.abs(mean(watts)) + 5);
    expect(a!.frequencyHz).toBeGreaterThan(49.8);
    expect(a!.frequencyHz).toBeLessThan(50.2);
    expect(a!.thdVoltagePct[0]).toBeGreaterThan(2.5);
    expect(a!.thdVoltagePct[0]).toBeLessThan(4);
    expect(a!.thdCurrentPct[0]).toBeGreaterThanOrEqual(0);
    expect(a!.thdCurrentPct[0], "THDi of the loaded windows only").toBeLessThan(100);
  }, 60_000);
});
