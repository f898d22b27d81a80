// XS conformance: the app wiring — two slaves and the aggregator, each on its own
// task scheduler, exchanging poll cycles over the in-memory link on a virtual clock
// for ten minutes; the aggregator books energy into price slots and plans a job.
import { AggregatorApp } from "../../../modules/app/aggregator-app";
import { DirectLink } from "../../../modules/app/direct-link";
import { ConstantFrontEnd } from "../support/constant-front-end";
import { SlaveApp } from "../../../modules/app/slave-app";
import { MINUTE } from "../../../modules/core/clock";
import type { PriceSlot } from "../../../modules/core/household";
import { VirtualClock } from "../../../modules/core/virtual-clock";


export function run(): unknown {
  const start = Date.UTC(2026, 2, 20, 12);
  const clock = new VirtualClock(start);
  const prices: PriceSlot[] = [];
  for (let k = 0; k < 96; k++) prices.push({ start: Date.UTC(2026, 2, 20) + k * 15 * MINUTE, durationMs: 15 * MINUTE, importMinorPerKWh: 20 + (k % 7), exportMinorPerKWh: 8, renewableShare: 0.5 });
  const link = new DirectLink();
  const slaves = [new SlaveApp(clock, new ConstantFrontEnd(1800, start), { id: 1 }), new SlaveApp(clock, new ConstantFrontEnd(-600, start), { id: 2 })];
  for (const s of slaves) link.attach(s);
  const relays = new Map<string, boolean>([["ev", true]]);
  const agg = new AggregatorApp(clock, link, {
    setRelay: (id, on) => relays.set(id, on),
    relay: (id) => relays.get(id) ?? false,
    loadPowerW: () => 0,
    prices: () => prices,
    grid: () => ({ renewableAvailable: true, renewableShare: 0.5, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: start, pricesStale: false }),
  }, { slaveIds: [1, 2], loads: [{ id: "ev", name: "EV", meterId: 1, kind: "deferrable", priority: 2 }] });
  for (const s of slaves) s.start();
  agg.start();
  const plan = agg.scheduleLoad("ev", 30 * MINUTE, start + 6 * 60 * MINUTE, "user");
  clock.advance(5 * MINUTE);
  link.setOnBus(2, false);
  clock.advance(MINUTE);
  link.setOnBus(2, true);
  clock.advance(4 * MINUTE);
  const energy = [...agg.meterEnergy().entries()].map(([id, e]) => [id, Math.round(e.importWh * 1000), Math.round(e.exportWh * 1000)]);
  return { plan, energy, bill: agg.bill(), polls: agg.pollCounts(), busEvents: agg.busEvents, decisions: agg.decisions.map((d) => [d.t - start, d.load, d.action]), link: link.stats() };
}

export const probes = {
  /** One poll cycle of the aggregator with two slaves (tasks, link, booking, snapshot). */
  onePollCycle(): unknown {
    const clock = new VirtualClock(Date.UTC(2026, 2, 20));
    const link = new DirectLink();
    const slave = new SlaveApp(clock, new ConstantFrontEnd(500, clock.now()), { id: 1 });
    link.attach(slave);
    const agg = new AggregatorApp(clock, link, { setRelay() {}, relay: () => true, loadPowerW: () => 0, prices: () => [{ start: Date.UTC(2026, 2, 20), durationMs: 86_400_000, importMinorPerKWh: 30, exportMinorPerKWh: 8, renewableShare: 0.5 }], grid: () => ({ renewableAvailable: true, renewableShare: 0.5, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: 0, pricesStale: false }) }, { slaveIds: [1], loads: [] });
    slave.start();
    agg.start();
    clock.advance(1000);
    return agg.pollCounts();
  },
};
