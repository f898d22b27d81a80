// The 10-min aggregate from slave to aggregator: DirectLink in memory, and the
// authenticated CAN link (CanMaster/CanSlave on the bit-timed virtual bus) that
// asks for the seven PQ10 quantities once after each 10-min boundary. On the bus:
// values arrive at the OBIS resolutions, a late slave is asked again, a forged
// stamp (guessed MAC), a genuine frame with its value changed, and replays of
// genuine frames (at once, and at the next boundary while the slave is mute) are
// all rejected and never become an aggregate.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { SlaveApp } from "../../modules/app/slave-app";
import { DirectLink } from "../../modules/app/direct-link";
import { CanLink, slaveReader } from "../../modules/app/can-link";
import { emptyReadings, type MeterFrontEnd } from "../../modules/app/readings";
import type { PqAggregate } from "../../modules/core/household";
import { CanMaster } from "../../modules/can/master";
import { CanSlave } from "../../modules/can/slave";
import type { CanFrame } from "../../modules/can/can-port";
import { PQ10_CODES, PQ10_STAMP, canId, decodePq10Stamp, encodePq10Stamp, messageForCode, msgOf, nodeOf, toRawValue } from "../../modules/can/protocol";
import { FlashCounterStore } from "../../modules/secure/counter-store";
import { VirtualCanBus } from "../../hosts/node/can/virtual-bus";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";
import { GatedPort } from "../../hosts/node/sim/household-sim";

const T0 = Date.UTC(2026, 2, 20, 10, 0);
const TEN = 600_000;

class FakeFrontEnd implements MeterFrontEnd {
  pq: PqAggregate | undefined;
  private r = emptyReadings(T0);
  measure(now: number): number { this.r.t = now; this.r.importWh += 1; return 1; }
  readings() { return this.r; }
  aggregate() { return this.pq; }
}

function aggregate(meterId: number, end: number, flagged: boolean, k = 0): PqAggregate {
  return { meterId, start: end - TEN, end, voltageV: [229.876543 + k], currentA: [4.56789 + k], powerW: [-1012.345 - k], thdVoltagePct: [3.14159], thdCurrentPct: [27.1828], frequencyHz: 49.98765, flagged };
}

/** What crosses the bus: the OBIS scaler's resolution (V 0.01, A 0.001, W 0.1, % 0.01, Hz 0.001). */
function onTheBus(a: PqAggregate): PqAggregate {
  const r = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
  return { ...a, voltageV: [r(a.voltageV[0], 2)], currentA: [r(a.currentA[0], 3)], powerW: [r(a.powerW[0], 1)], thdVoltagePct: [r(a.thdVoltagePct[0], 2)], thdCurrentPct: [r(a.thdCurrentPct[0], 2)], frequencyHz: r(a.frequencyHz, 3) };
}

const PQ_MSGS = new Set(PQ10_CODES.map((c) => messageForCode(c)!.msg));
const REGULAR = ["1-0:1.8.0"]; // one quantity per regular cycle keeps ten simulated minutes cheap

function network(start: number) {
  const clock = new VirtualClock(start);
  const bus = new VirtualCanBus(clock, { bitRate: 125_000 });
  const key = new Uint8Array(16).map((_, i) => 17 * i + 3);
  const master = new CanMaster(bus.attach("master"), { clock, networkKey: key, store: new FlashCounterStore(new NorFlashSim({ size: 8192 })), slaves: [1, 2], codes: REGULAR, timeoutMs: 20 });
  const link = new CanLink(master, () => bus.load(), REGULAR);
  const fes = new Map<number, FakeFrontEnd>();
  const gates = new Map<number, GatedPort>();
  const slaves = [1, 2].map((id) => {
    const fe = new FakeFrontEnd();
    fes.set(id, fe);
    const slave = new SlaveApp(clock, fe, { id });
    const gate = new GatedPort(bus.attach(`slave${id}`));
    gates.set(id, gate);
    new CanSlave(gate, { node: id, networkKey: key, store: new FlashCounterStore(new NorFlashSim({ size: 8192 })), read: slaveReader(slave) });
    slave.start();
    return slave;
  });
  // The aggregator's CAN task: one regular cycle per second (the PQ cycle rides behind it when due).
  const pqRequests: number[] = [];
  bus.onTraffic((t) => { if (t.frame.rtr && PQ_MSGS.has(msgOf(t.frame.id))) pqRequests.push(t.startMs); });
  clock.every(1000, () => link.endCycle(clock.now()));
  return { clock, bus, master, link, fes, gates, slaves, pqRequests };
}

describe("the PQ10 stamp", () => {
  it("names the interval end and the flag in one int32, and decodes nothing from 0 or nonsense", () => {
    for (const [end, flagged] of [[T0, false], [T0 + TEN, true], [Date.UTC(2100, 0, 1), true]] as const) {
      const stamp = encodePq10Stamp(end, flagged);
      expect(stamp).toBe((end / TEN) * 2 + (flagged ? 1 : 0));
      expect(toRawValue(messageForCode(PQ10_STAMP)!, stamp), "fits the frame's int32 unchanged").toBe(stamp);
      expect(decodePq10Stamp(stamp)).toEqual({ end, flagged });
    }
    for (const bad of [0, -4, 1.5, NaN, Infinity]) expect(decodePq10Stamp(bad)).toBeUndefined();
  });
});

describe("DirectLink", () => {
  it("hands over the slave's latched aggregate, and nothing while the slave is off the bus", () => {
    const clock = new VirtualClock(T0);
    const fe = new FakeFrontEnd();
    const slave = new SlaveApp(clock, fe, { id: 3 });
    const link = new DirectLink();
    link.attach(slave);
    slave.start();
    fe.pq = aggregate(3, T0, true);
    clock.advance(1000);
    expect(link.aggregate(3)).toEqual(fe.pq);
    link.setOnBus(3, false);
    expect(link.aggregate(3)).toBeUndefined();
    expect(link.aggregate(9)).toBeUndefined();
  });
});

describe("CanLink: the 10-min aggregate over the authenticated CAN protocol", () => {
  it("asks once after the boundary, again for a late slave, and delivers the values at the bus resolution", () => {
    const n = network(T0 - 10_000);
    // Slave 1 closes its interval half a second after the boundary; slave 2 is 4 s late.
    n.clock.after(10_500, () => { n.fes.get(1)!.pq = aggregate(1, T0, false); });
    n.clock.after(14_000, () => { n.fes.get(2)!.pq = aggregate(2, T0, true, 1); });
    n.clock.runUntil(T0 + 30_000);
    expect(n.link.aggregate(1)).toEqual(onTheBus(aggregate(1, T0, false)));
    expect(n.link.aggregate(2)).toEqual(onTheBus(aggregate(2, T0, true, 1)));
    expect(n.master.stats.authFailures + n.master.stats.replays).toBe(0);
    // After the boundary: the first PQ cycle at ≥ T0 + 2 s, one retry 5 s later for the late slave, then none.
    const after = n.pqRequests.filter((t) => t >= T0);
    expect(after.length).toBe(2 * PQ10_CODES.length);
    expect(after[0]).toBeGreaterThanOrEqual(T0 + 2000);
    expect(after[PQ10_CODES.length]).toBeGreaterThanOrEqual(after[0] + 5000);
    // Before it (start-up): the link tried the interval that ended before it started and found none.
    expect(n.link.aggregate(1)!.end).toBe(T0);
  });

  it("still takes every interval from a slave whose clock is minutes behind, one boundary late", () => {
    const start = T0 - TEN - 10_000;
    const n = network(start);
    const at = (t: number, f: () => void) => n.clock.after(t - start, f);
    // Slave 2 closes each interval half a second after the boundary; slave 1's clock is 5 min behind,
    // so it closes the interval ending X at X + 5 min: at the aggregator's T0 it has only the one ending T0 − 10 min.
    at(T0 - TEN + 500, () => { n.fes.get(2)!.pq = aggregate(2, T0 - TEN, false); });
    at(T0 + 500, () => { n.fes.get(2)!.pq = aggregate(2, T0, false); });
    at(T0 - TEN + 300_000, () => { n.fes.get(1)!.pq = aggregate(1, T0 - TEN, false); });
    at(T0 + 300_000, () => { n.fes.get(1)!.pq = aggregate(1, T0, true); });
    n.clock.runUntil(T0 + 90_000);
    expect(n.link.aggregate(1)).toEqual(onTheBus(aggregate(1, T0 - TEN, false)));
    expect(n.link.aggregate(2)).toEqual(onTheBus(aggregate(2, T0, false)));
    // At T0 slave 1 was asked again every 5 s until the link gave up 60 s after the boundary.
    const after = n.pqRequests.filter((t) => t >= T0);
    expect(after.length / PQ10_CODES.length).toBeGreaterThanOrEqual(11);
    expect(Math.max(...after)).toBeLessThan(T0 + 60_000);
    n.clock.runUntil(T0 + TEN + 30_000);
    expect(n.link.aggregate(1)).toEqual(onTheBus(aggregate(1, T0, true)));
  });

  it("rejects a forged stamp, a genuine frame with its value changed, and replayed frames; never takes them as an aggregate", () => {
    const n = network(T0 - 5000);
    const attacker = n.bus.attach("attacker");
    const stampMsg = messageForCode(PQ10_STAMP)!.msg;
    const voltMsg = messageForCode("1-0:32.5.0")!.msg;
    const recorded = new Map<number, CanFrame>(); // slave 1's genuine PQ answers of interval 1
    let forge = true;
    let replayOnRequest = false;
    attacker.onFrame((f) => {
      if (!f.rtr && nodeOf(f.id) === 1 && PQ_MSGS.has(msgOf(f.id)) && !recorded.has(msgOf(f.id))) recorded.set(msgOf(f.id), { ...f, data: f.data.slice() });
      if (f.rtr && msgOf(f.id) === stampMsg && forge) {
        forge = false;
        // "Meter 1: interval T0 + 10 min, not flagged" with a guessed MAC.
        const data = new Uint8Array(8);
        new DataView(data.buffer).setUint32(0, ((T0 + TEN) / TEN) * 2, true);
        data[4] = 0x42; data[5] = 0xde; data[6] = 0xad; data[7] = 0x01;
        attacker.send({ id: canId(stampMsg, 1), extended: false, rtr: false, dlc: 8, data });
      }
      if (f.rtr && replayOnRequest && PQ_MSGS.has(msgOf(f.id)) && (nodeOf(f.id) === 0 || nodeOf(f.id) === 1)) {
        const old = recorded.get(msgOf(f.id));
        if (old) attacker.send({ ...old, data: old.data.slice() });
      }
    });
    n.clock.after(4000, () => {
      n.fes.get(1)!.pq = aggregate(1, T0, true);
      n.fes.get(2)!.pq = aggregate(2, T0, false);
    });
    n.clock.runUntil(T0 + 10_000);
    const first = n.link.aggregate(1)!;
    expect(first).toEqual(onTheBus(aggregate(1, T0, true)));
    expect(n.master.stats.authFailures, "the forged stamp").toBe(1);
    expect(recorded.size).toBe(PQ10_CODES.length);

    // Replayed at once: the master has accepted fresher values from slave 1, so none passes (counted as
    // a replay, or as a MAC failure while the counter is below 256 and the old value cannot be told apart).
    const rejected = () => n.master.stats.replays + n.master.stats.authFailures + n.master.stats.lockedDrops;
    const before = rejected();
    const accepted0 = n.master.stats.accepted;
    for (const f of recorded.values()) {
      expect(attacker.send({ ...f, data: f.data.slice() })).toBe(true);
      n.clock.advance(5); // the controller has three transmit mailboxes
    }
    expect(rejected() - before).toBe(PQ10_CODES.length);
    expect(n.master.stats.accepted - accepted0, "only the regular cycle's genuine answers").toBeLessThanOrEqual(2);

    // A genuine frame with a different voltage: the MAC no longer matches.
    const fails0 = n.master.stats.authFailures;
    const changed = recorded.get(voltMsg)!;
    const data = changed.data.slice();
    new DataView(data.buffer).setInt32(0, 25_000, true); // 250.00 V
    attacker.send({ ...changed, data });
    n.clock.advance(50);
    expect(n.master.stats.authFailures - fails0).toBe(1);

    // Next boundary: slave 1 is mute and its new interval is never answered; the attacker replays
    // interval 1's genuine answers to every request. The link keeps interval 1 and takes nothing new.
    n.fes.get(1)!.pq = aggregate(1, T0 + TEN, false, 5);
    n.fes.get(2)!.pq = undefined;
    n.clock.runUntil(T0 + TEN - 1000);
    n.fes.get(2)!.pq = aggregate(2, T0 + TEN, false, 2);
    n.gates.get(1)!.connected = false;
    replayOnRequest = true;
    const rejected0 = n.master.stats.replays + n.master.stats.authFailures;
    n.clock.runUntil(T0 + TEN + 70_000);
    expect(n.link.aggregate(1)).toEqual(first);
    expect(n.link.aggregate(2)).toEqual(onTheBus(aggregate(2, T0 + TEN, false, 2)));
    expect(n.master.stats.replays + n.master.stats.authFailures - rejected0).toBeGreaterThanOrEqual(PQ10_CODES.length);
  }, 30_000);
});
