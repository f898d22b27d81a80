// hosts/lin runs the aggregator and its slaves over the authenticated CAN
// protocol (CanMaster/CanSlave through CanLink) on SimCanBus.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { CODES } from "../../modules/core/obis";
import { SlaveApp } from "../../modules/app/slave-app";
import { AggregatorApp, type AggregatorPorts } from "../../modules/app/aggregator-app";
import { dayAheadPrices } from "../../modules/app/demo-household";
import type { CanFrame } from "../../modules/can/can-port";
import { SimFrontEnd } from "../../hosts/lin/sim-front-end";
import { simCanNetwork, simNetworkKey } from "../../hosts/lin/can-network";
import { RamFlash } from "../../modules/core/ram-flash";
import { HouseholdSim } from "../../hosts/node/sim/household-sim";

const ports: AggregatorPorts = {
  setRelay: () => {},
  relay: () => true,
  loadPowerW: () => 0,
  prices: (t) => dayAheadPrices(t - (t % 86_400_000)),
  grid: (t) => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: t, pricesStale: false }),
};

function household(seed = 7) {
  const clock = new VirtualClock(Date.UTC(2026, 10, 21));
  const slaves = [1, 2, 3].map((id) => new SlaveApp(clock, new SimFrontEnd(() => ({ voltageV: 230, currentA: 2 + id, phaseRad: 0.1 * id, frequencyHz: 50 }), clock.now()), { id }));
  const failures: string[] = [];
  const net = simCanNetwork(clock, slaves, simNetworkKey(seed), (id, reason) => failures.push(`${id.toString(16)} ${reason}`));
  const app = new AggregatorApp(clock, net.link, ports, { slaveIds: [1, 2, 3], loads: [] });
  for (const s of slaves) s.start();
  app.start();
  return { clock, slaves, net, app, failures };
}

describe("lin simulator: aggregator over authenticated CAN on SimCanBus", () => {
  it("derives the network key as `xsmeter sim --seed N` does", () => {
    const clock = new VirtualClock(0);
    for (const seed of [7, 12345]) {
      const sim = new HouseholdSim(clock, { seed, slaves: 1 });
      expect(Array.from(simNetworkKey(seed))).toEqual(Array.from(sim.networkKey));
    }
    expect(Array.from(simNetworkKey(7))).not.toEqual(Array.from(simNetworkKey(8)));
  });

  it("polls every slave over the bus: readings arrive authenticated, frames counted", () => {
    const h = household();
    h.clock.advance(10_000);
    const snap = h.app.store.snapshot();
    const slaves = snap.meters.filter((m) => m.role === "slave");
    expect(slaves.map((m) => m.online)).toEqual([true, true, true]);
    for (const s of h.slaves) {
      const view = slaves.find((m) => m.id === s.id)!;
      const expected = 230 * (2 + s.id) * Math.cos(0.1 * s.id); // P = U·I·cos φ of the modelled load
      expect(view.values[CODES.powerNet]).toBeCloseTo(expected, -1); // within the CAN encoding's resolution
    }
    expect(h.net.bus.framesDelivered).toBeGreaterThan(50);
    expect(h.net.master.stats.accepted).toBeGreaterThan(30);
    expect(h.net.master.stats.authFailures).toBe(0);
    expect(h.failures).toEqual([]);
    expect(h.net.link.stats().cycles).toBeGreaterThanOrEqual(8);
  });

  it("refuses a node with another household's key and a replayed answer", () => {
    const h = household(7);
    const seen: CanFrame[] = [];
    const spy = h.net.bus.node();
    spy.onFrame((f) => { if (!f.rtr && f.dlc === 8) seen.push(f); });
    h.clock.advance(3_000);
    expect(seen.length).toBeGreaterThan(0);
    // An intruder keyed by seed 8 answers for meter 2: its MAC fails.
    const intruder = household(8);
    const forged: CanFrame[] = [];
    intruder.net.bus.node().onFrame((f) => { if (!f.rtr && f.dlc === 8 && (f.id & 63) === 2) forged.push(f); });
    intruder.clock.advance(3_000);
    expect(forged.length).toBeGreaterThan(0);
    spy.send(forged[forged.length - 1]);
    // A recorded genuine answer sent again: stale freshness.
    spy.send(seen[0]);
    h.clock.advance(100);
    expect(h.net.master.stats.authFailures + h.net.master.stats.replays).toBeGreaterThanOrEqual(2);
    expect(h.failures.length).toBeGreaterThanOrEqual(2);
  });

  it("RamFlash behaves as NOR: erase to 0xFF, program ANDs within a page", () => {
    const f = new RamFlash(8192);
    const b = new Uint8Array(4);
    f.program(10, new Uint8Array([0x0f, 0xf0, 0x00, 0xff]));
    f.program(10, new Uint8Array([0xff, 0x3c, 0xff, 0x81]));
    f.read(10, b);
    expect(Array.from(b)).toEqual([0x0f, 0x30, 0x00, 0x81]);
    expect(() => f.program(254, new Uint8Array(4))).toThrow(/page/);
    expect(() => f.read(8190, b)).toThrow(/outside/);
    f.eraseSector(0);
    f.read(10, b);
    expect(Array.from(b)).toEqual([0xff, 0xff, 0xff, 0xff]);
  });
});
