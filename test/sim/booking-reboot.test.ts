// The sim meter keeps the aggregator's booking in its flash (booking-journal.ts in a
// partition of SimMeter's NorFlashSim): a power cycle (SimMeter.reboot: no last
// checkpoint) books again from the counters what RAM lost, never twice; a restart of
// the whole process on the same flash file brings back the slots and the bill.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BookedSlot } from "../../modules/app/aggregator-app";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../hosts/node/mqtt/embedded-broker";
import { HouseholdSim } from "../../hosts/node/sim/household-sim";
import { SimMeter } from "../../hosts/node/sim/meter";
import { nodeClock } from "../../hosts/node/node-clock";

const clock = nodeClock();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const slotsOf = (sim: HouseholdSim) => [...(sim.aggregator.slots.values() as IterableIterator<BookedSlot>)].map((s) => ({ start: s.start, importMwh: s.importMwh, exportMwh: s.exportMwh })).sort((a, b) => a.start - b.start);
const net = (sim: HouseholdSim) => slotsOf(sim).reduce((n, s) => n + s.importMwh - s.exportMwh, 0);

describe("the aggregator's booking in the sim meter's flash", () => {
  const dir = mkdtempSync(join(tmpdir(), "xsmeter-booking-"));
  let broker: EmbeddedBroker | undefined;
  const stops: (() => void)[] = [];
  afterAll(async () => {
    for (const s of stops.reverse()) s();
    await sleep(50);
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("survives a power cycle and a restart of the process", async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    const flashFile = join(dir, "aggregator.flash");
    const start = () => {
      const sim = new HouseholdSim(clock, { seed: 21, slaves: 2 });
      sim.start();
      const meter = new SimMeter({ aggregator: sim.aggregator, clock, brokerUrl: broker!.url, networkKey: sim.networkKey, node: "sim-21", flashFile });
      meter.start();
      stops.push(() => sim.stop(), () => meter.stop());
      return { sim, meter };
    };
    let { sim, meter } = start();
    expect(meter.boots[0].booking).toMatchObject({ restored: false });
    await sleep(3200);
    // the slaves' counters: what the aggregator must have booked (from its first answer on)
    const before = net(sim);
    expect(before).not.toBe(0);
    meter.reboot(); // power fails: RAM gone, no last checkpoint
    const back = meter.boots[1].booking!;
    expect(back).toMatchObject({ restored: true, meters: [1, 2] });
    expect(Math.abs(net(sim))).toBeLessThanOrEqual(Math.abs(before)); // never ahead of what was booked
    await sleep(1500);
    // the counters brought the lost part back: as much as before and the new seconds, no jump
    const after = net(sim);
    const refNet = [...sim.reference.values()].reduce((n, r) => n + (r.importWh - r.exportWh) * 1000, 0);
    // all booked, except the baseline cycle (≤ 1 s, < 3.1 Wh) and the cycle in flight
    expect(Math.abs(after - refNet)).toBeLessThan(2 * 3100);
    expect(sim.aggregator.alarms.filter((a) => /went back/.test(a.message))).toEqual([]);

    // a clean stop writes a last checkpoint; a new process on the same flash file restores it
    const slots = slotsOf(sim);
    const bill = sim.aggregator.bill();
    meter.stop();
    sim.stop();
    ({ sim, meter } = start());
    expect(meter.boots[0].booking).toMatchObject({ restored: true, meters: [1, 2] });
    expect(slotsOf(sim)).toEqual(slots);
    expect(sim.aggregator.bill().lines).toEqual(bill.lines);
    // this sim's slaves do not journal: their counters began again at zero. A meter whose first
    // answer is below its restored baseline raises an alarm and gets a new baseline, nothing negative
    // booked; one whose load has already passed the old baseline by its first answer cannot be told
    // from a meter that kept counting (the sim's loads follow the time of day, so which meters are
    // which differs from run to run). Counters only grow, so: still below the baseline at the end =>
    // it must have alarmed; no alarm => its counters are at or past the baseline.
    const counters = () => (sim.aggregator as unknown as { slaves: { id: number; answered: number; last?: { importWh: number; exportWh: number }; counters: { baseImportMwh: number; baseExportMwh: number } }[] }).slaves;
    const restoredBase = new Map(counters().map((c) => [c.id, { imp: c.counters.baseImportMwh, exp: c.counters.baseExportMwh }]));
    const answered0 = new Map(counters().map((c) => [c.id, c.answered]));
    // until each meter has answered 3 times since the restart (a bound, not a timing claim)
    for (let waited = 0; counters().some((c) => c.answered - answered0.get(c.id)! < 3) && waited < 15_000; waited += 100) await sleep(100);
    const wentBack = new Set(sim.aggregator.alarms.filter((a) => /went back/.test(a.message)).map((a) => a.meterId));
    for (const c of counters()) {
      const base = restoredBase.get(c.id)!;
      expect(Number.isNaN(base.imp)).toBe(false); // restored from the checkpoint
      const below = Math.floor(c.last!.importWh * 1000) < base.imp || Math.floor(c.last!.exportWh * 1000) < base.exp;
      if (below) expect(wentBack.has(c.id)).toBe(true);
      if (!wentBack.has(c.id)) expect(below).toBe(false);
    }
    expect([...wentBack].every((id) => id === 1 || id === 2)).toBe(true);
    for (const s of slotsOf(sim)) {
      expect(s.importMwh).toBeGreaterThanOrEqual(0);
      expect(s.exportMwh).toBeGreaterThanOrEqual(0);
    }
  }, 30_000);
});
