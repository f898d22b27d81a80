// The Quality view from measurements: a three-phase metrology pipeline measures a dip of
// known depth and duration on each phase; two slaves on that supply report them over the
// link (counts + latest event); the aggregator lists each supply event once (seen by both
// meters), puts it in its EN 50160 cell and counts it in each meter's dip table. An
// unbalanced three-phase supply gives the unbalance the symmetrical components say; a
// single-phase meter, and one that has not answered yet, read "not measured" with the reason.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { AggregatorApp } from "../../modules/app/aggregator-app";
import { DirectLink } from "../../modules/app/direct-link";
import { SlaveApp } from "../../modules/app/slave-app";
import { emptyReadings, type MeterFrontEnd, type MeterReadings } from "../../modules/app/readings";
import type { PqAggregate, PriceSlot } from "../../modules/core/household";
import { MeterPipeline } from "../../modules/metrology/meter";
import type { EventRecord, WindowRecord } from "../../modules/metrology/records";
import { qualityPage } from "../../modules/http/pages";
import { synth } from "../metrology/signal";

const T0 = Date.UTC(2026, 5, 1, 12, 0);
const FS = 6400;
const HOUR = 3_600_000;

/** Measures `seconds` of a three-phase 230 V supply shaped by `envelope` (per phase). */
function measure(seconds: number, envelope: (t: number, p: number) => number) {
  const events: EventRecord[] = [];
  const windows: WindowRecord[] = [];
  const m = new MeterPipeline({ phases: 3, sampleRate: FS, nominalVoltage: 230, nominalFrequency: 50 }, {
    onEvent: (e) => events.push({ ...e }),
    onWindow: (w) => windows.push({ ...w, u: [...w.u] }),
  });
  const phase = (deg: number) => ({ u: [{ h: 1, rms: 230, deg }], i: [{ h: 1, rms: 5, deg }] });
  const data = synth([phase(0), phase(-120), phase(120)], { fs: FS, f: 50, seconds, envelope });
  for (let k = 0; k < data.length / 6; k += 640) m.push(data, Math.min(640, data.length / 6 - k), k * 6);
  m.flush();
  return { events, windows };
}

/** A slave that reports what the pipeline measured, each event once its end has passed. */
class ReplayFrontEnd implements MeterFrontEnd {
  private r: MeterReadings = emptyReadings(T0);
  private next = 0;
  constructor(private readonly events: EventRecord[], private readonly pq?: PqAggregate) {
    this.r.voltageV = 230;
    this.r.frequencyHz = 50;
  }
  measure(now: number): number {
    this.r.t = now;
    while (this.next < this.events.length && T0 + (this.events[this.next].start + this.events[this.next].duration) * 1000 <= now) {
      const e = this.events[this.next++];
      if (e.type === "dip") this.r.dips++;
      else if (e.type === "swell") this.r.swells++;
      else this.r.interruptions++;
      this.r.lastEvent = { type: e.type, start: T0 + e.start * 1000, durationMs: Math.round(e.duration * 1000), extremeV: e.extreme, phase: e.phase };
    }
    return 1;
  }
  readings(): MeterReadings { return this.r; }
  aggregate(): PqAggregate | undefined { return this.pq; }
}

const prices = (t: number): PriceSlot[] => [{ start: t - (t % HOUR), durationMs: HOUR, importMinorPerKWh: 30, exportMinorPerKWh: 8, renewableShare: 0.5 }];

function household(fronts: Map<number, MeterFrontEnd>) {
  const clock = new VirtualClock(T0);
  const link = new DirectLink();
  for (const [id, fe] of fronts) {
    const s = new SlaveApp(clock, fe, { id });
    link.attach(s);
    s.start();
  }
  const app = new AggregatorApp(clock, link, {
    setRelay: () => undefined, relay: () => false, loadPowerW: () => 0, prices,
    grid: () => ({ renewableAvailable: true, renewableShare: 0.5, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: T0, pricesStale: false }),
  }, { slaveIds: [...fronts.keys()], loads: [] });
  app.start();
  return { clock, app };
}

describe("EN 50160 dip table and events from measurements", () => {
  // L1 to 50 % for 300 ms, L2 to 85 % for 100 ms, L3 to 20 % for 700 ms, L1 interrupted (1 %) 1.5 s.
  const dips = [
    { p: 0, from: 1.0, ms: 300, level: 0.5 },
    { p: 1, from: 2.5, ms: 100, level: 0.85 },
    { p: 2, from: 4.0, ms: 700, level: 0.2 },
    { p: 0, from: 6.0, ms: 1500, level: 0.01 },
  ];
  const supply = measure(9, (t, p) => dips.find((d) => d.p === p && t >= d.from && t < d.from + d.ms / 1000)?.level ?? 1);

  it("the pipeline measured each dip (depth and duration) — the inputs of the table", () => {
    expect(supply.events.map((e) => [e.type, e.phase])).toEqual([["dip", 1], ["dip", 2], ["dip", 3], ["interruption", 1]]);
    supply.events.forEach((e, k) => {
      expect(Math.abs(e.duration * 1000 - dips[k].ms)).toBeLessThanOrEqual(20);
      expect(Math.abs(e.extreme - dips[k].level * 230)).toBeLessThan(0.02 * 230);
    });
  });

  it("each lands in its cell, once per supply event, in the table of both meters that saw it", () => {
    const { clock, app } = household(new Map([[1, new ReplayFrontEnd(supply.events)], [2, new ReplayFrontEnd(supply.events)]]));
    clock.advance(12_000);
    const snap = app.store.snapshot();
    expect(snap.events.map((e) => [e.type, e.phase, e.cell, e.meters])).toEqual([
      ["dip", 1, "70-40%/0.2-0.5s", [1, 2]],
      ["dip", 2, "90-80%/10-200ms", [1, 2]],
      ["dip", 3, "40-5%/0.5-1s", [1, 2]],
      ["interruption", 1, "<5%/1-5s", [1, 2]],
    ]);
    expect(app.alarms.filter((a) => a.kind === "dip" || a.kind === "interruption")).toHaveLength(4);
    for (const q of snap.quality) {
      const cells: string[] = [];
      q.dipTable.forEach((row, r) => row.forEach((n, c) => { for (let k = 0; k < n; k++) cells.push(`${q.dipRows[r]}/${q.dipCols[c]}`); }));
      expect(cells.sort()).toEqual(["40-5%/0.5-1s", "70-40%/0.2-0.5s", "90-80%/10-200ms", "<5%/1-5s"]);
      expect([q.dipCount, q.swellCount, q.interruptionCount, q.dipsUnclassified]).toEqual([3, 0, 1, 0]);
    }
    // The page: a Dips column, the cells, both meters on each event.
    const html = qualityPage({ snap, offsetMin: 0 } as Parameters<typeof qualityPage>[0]);
    expect(html).toContain("<dt>Dips</dt><dd>3</dd>");
    expect(html).toContain("70-40%/0.2-0.5s");
    expect(html).toContain("meters 1, 2 · L3");
  });

  it("an event that arrives as a count only is listed with cell null and the reason, and in no cell", () => {
    const fe = new ReplayFrontEnd([]);
    const { clock, app } = household(new Map([[1, fe]]));
    clock.advance(3000);
    fe.readings().dips += 2; // two dips in one poll: only a count (no lastEvent)
    clock.advance(2000);
    const snap = app.store.snapshot();
    expect(snap.events).toHaveLength(2);
    expect(snap.events.every((e) => e.cell === null && e.extremeV === null && /not reported/.test(e.cellReason!))).toBe(true);
    expect(snap.quality[0].dipTable.flat().reduce((a, b) => a + b, 0)).toBe(0);
    expect(snap.quality[0].dipsUnclassified).toBe(2);
    expect(qualityPage({ snap, offsetMin: 0 } as Parameters<typeof qualityPage>[0])).toContain("not measured");
  });
});

describe("unbalance from measurements", () => {
  it("a three-phase slave with L2 at 90 %: u2 = δ/(3 − δ) = 3.45 %; a single-phase one and one without an aggregate yet: null with the reason", () => {
    const supply = measure(2, (_t, p) => (p === 1 ? 0.9 : 1));
    const w = supply.windows.slice(2); // after the first windows' settling
    const u2 = w.reduce((a, x) => a + x.u2, 0) / w.length;
    const mean = (p: number) => w.reduce((a, x) => a + x.u[p], 0) / w.length;
    const end = T0;
    const three: PqAggregate = { meterId: 1, start: end - 600_000, end, voltageV: [mean(0), mean(1), mean(2)], currentA: [5, 5, 5], powerW: [1150, 1035, 1150], thdVoltagePct: [0, 0, 0], thdCurrentPct: [0, 0, 0], frequencyHz: 50, flagged: false, unbalancePct: u2 };
    const one: PqAggregate = { ...three, meterId: 2, voltageV: [230], currentA: [5], powerW: [1150], thdVoltagePct: [0], thdCurrentPct: [0], unbalancePct: undefined };
    const fronts = new Map<number, MeterFrontEnd>([[1, new ReplayFrontEnd([], three)], [2, new ReplayFrontEnd([], one)], [3, new ReplayFrontEnd([])]]);
    const { clock, app } = household(fronts);
    // meter 3 answers but has closed no 10-min interval yet
    clock.advance(3000);
    const q = app.store.snapshot().quality;
    expect(q[0].unbalanceNegativePct).toBeCloseTo((100 * 0.1) / 2.9, 1);
    expect(q[0].notMeasured.unbalanceNegativePct).toBeUndefined();
    expect(q[1].unbalanceNegativePct).toBeNull();
    expect(q[1].notMeasured.unbalanceNegativePct).toMatch(/single-phase/);
    expect(q[2].unbalanceNegativePct).toBeNull();
    expect(q[2].notMeasured.unbalanceNegativePct).toMatch(/no 10-min aggregate/);
    const html = qualityPage({ snap: app.store.snapshot(), offsetMin: 0 } as Parameters<typeof qualityPage>[0]);
    expect(html).toContain(`${q[0].unbalanceNegativePct!.toFixed(2)} %`);
    expect(html.match(/not measured/g)!.length).toBeGreaterThanOrEqual(2);
  });

  it("a meter that has not answered: frequency, THD and its counters are null with the reason", () => {
    const clock = new VirtualClock(T0);
    const link = new DirectLink(); // nothing attached: never answers
    const app = new AggregatorApp(clock, link, { setRelay: () => undefined, relay: () => false, loadPowerW: () => 0, prices, grid: () => ({ renewableAvailable: true, renewableShare: 0.5, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: T0, pricesStale: false }) }, { slaveIds: [7], loads: [] });
    app.start();
    clock.advance(2000);
    const q = app.store.snapshot().quality[0];
    expect([q.frequencyHz, q.dipCount, q.swellCount, q.interruptionCount, q.thdVoltagePct]).toEqual([null, null, null, null, []]);
    expect(q.notMeasured.frequencyHz).toMatch(/no answer/);
    expect(JSON.parse(JSON.stringify(q)).frequencyHz).toBeNull();
  });
});
