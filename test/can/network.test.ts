import { describe, expect, it } from "vitest";
import { createCipheriv } from "node:crypto";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";
import { FlashCounterStore } from "../../modules/secure/counter-store";
import { VirtualCanBus, type BusTraffic } from "../../hosts/node/can/virtual-bus";
import { CanMaster } from "../../modules/can/master";
import { CanSlave } from "../../modules/can/slave";
import { MESSAGES, canId, messageForCode, MSG_SYNC } from "../../modules/can/protocol";
import { canNodeKey } from "../../modules/secure/node-keys";
import type { CanFrame } from "../../modules/can/can-port";

const NETWORK_KEY = new Uint8Array(16).map((_, i) => i * 17 + 3);
const CODES = ["1-0:1.8.0", "1-0:16.7.0", "1-0:32.7.0"];

function valueOf(node: number, code: string): number {
  // a distinct, exactly representable value per (node, code)
  const d = messageForCode(code)!;
  const raw = node * 1000 + d.msg;
  return d.quantity.scale < 0 ? raw / 10 ** -d.quantity.scale : raw * 10 ** d.quantity.scale;
}

function network(slaves: number[], opts: { masterFlash?: NorFlashSim; slaveFlash?: Map<number, NorFlashSim>; clock?: VirtualClock } = {}) {
  const clock = opts.clock ?? new VirtualClock();
  const bus = new VirtualCanBus(clock, { bitRate: 125_000 });
  const masterFlash = opts.masterFlash ?? new NorFlashSim({ size: 8192 });
  const master = new CanMaster(bus.attach("master"), { clock, networkKey: NETWORK_KEY, store: new FlashCounterStore(masterFlash), codes: CODES, timeoutMs: 15 });
  const slaveFlash = opts.slaveFlash ?? new Map<number, NorFlashSim>();
  const slaveObjs = slaves.map((n) => {
    if (!slaveFlash.has(n)) slaveFlash.set(n, new NorFlashSim({ size: 8192 }));
    return new CanSlave(bus.attach(`slave${n}`), { node: n, networkKey: NETWORK_KEY, store: new FlashCounterStore(slaveFlash.get(n)!), read: (c) => valueOf(n, c) });
  });
  const traffic: BusTraffic[] = [];
  bus.onTraffic((t) => traffic.push(t));
  const cycle = () => {
    let r: ReturnType<typeof master.pollCycle> | undefined;
    let result: any;
    master.pollCycle((x) => (result = x));
    clock.advance(500);
    expect(result, "cycle finished").toBeDefined();
    void r;
    return result as import("../../modules/can/master").CycleResult;
  };
  return { clock, bus, master, slaves: slaveObjs, traffic, cycle, masterFlash, slaveFlash };
}

describe("CAN network: master, slaves, virtual bus", () => {
  it("discovers slaves and reads every quantity, authenticated, in node priority order", () => {
    const discovered: number[] = [];
    const net = network([3, 1, 2]);
    net.master["options"].onDiscovered = (n: number) => discovered.push(n);
    net.cycle();
    expect(discovered).toEqual([1, 2, 3]); // lower node wins arbitration
    for (const n of [1, 2, 3]) for (const c of CODES) expect(net.master.value(n, c)?.value).toBe(valueOf(n, c));
    expect(net.master.stats.authFailures).toBe(0);
    // a second cycle: broadcast answered by all, no retries
    const r = net.cycle();
    expect(r.answers.length).toBe(9);
    expect(net.master.stats.retries).toBe(0);
  });

  it("times frames to the bit: a remote frame then an 8-byte answer", () => {
    const net = network([1]);
    net.cycle();
    const t = net.traffic;
    // 125 kbit/s: 8 µs per bit; remote frame 44+stuff bits, answer 108+stuff bits (without IFS)
    expect(t[0].frame.rtr).toBe(true);
    // the clock is a double of epoch ms (ulp ≈ 0.24 µs), so compare to 1 µs
    expect(Math.abs(t[0].endMs - t[0].startMs - t[0].bits * 0.008)).toBeLessThan(0.001);
    expect(t[0].bits).toBeGreaterThanOrEqual(44);
    expect(Math.abs(t[1].startMs - t[0].endMs - 3 * 0.008)).toBeLessThan(0.001); // interframe space
    expect(t[1].bits).toBeGreaterThanOrEqual(108);
  });

  it("detects a missing slave, reports it, and sees it come back", () => {
    const missing: number[] = [];
    const net = network([1, 2]);
    net.master["options"].onMissing = (n: number) => missing.push(n);
    net.cycle();
    // slave 2 falls silent: its node goes bus-off-free but deaf (detach its callback)
    const node2 = net.bus.nodes.find((n) => n.name === "slave2")!;
    node2.state = "bus-off";
    net.cycle();
    net.cycle();
    expect(missing).toEqual([2]);
    expect(net.master.missingSlaves).toEqual([2]);
    expect(net.master.stats.retries).toBeGreaterThan(0);
    node2.state = "error-active";
    net.cycle();
    expect(net.master.missingSlaves).toEqual([]);
  });
});

/** An attacker node with raw access to the bus. */
function attacker(net: ReturnType<typeof network>) {
  const port = net.bus.attach("attacker");
  const seen: CanFrame[] = [];
  port.onFrame((f) => seen.push(f));
  return { port, seen };
}

describe("attacks are rejected and counted, none accepted", () => {
  it("forged frame (wrong key) and altered payload", () => {
    const net = network([1]);
    net.cycle();
    const before = net.master.value(1, "1-0:32.7.0")!;
    const atk = attacker(net);
    const id = canId(messageForCode("1-0:32.7.0")!.msg, 1);
    const forged = new Uint8Array([1, 2, 3, 4, 0, 9, 9, 9]);
    atk.port.send({ id, extended: false, rtr: false, dlc: 8, data: forged });
    // altered: take a genuine answer seen on the bus and flip a value bit
    const genuine = atk.seen.length ? atk.seen[atk.seen.length - 1] : undefined;
    net.clock.advance(5);
    net.master.pollCycle();
    net.clock.advance(200);
    const last = atk.seen.filter((f) => f.id === id && !f.rtr).pop()!;
    const altered = last.data.slice();
    altered[0] ^= 1;
    atk.port.send({ id, extended: false, rtr: false, dlc: 8, data: altered });
    net.clock.advance(5);
    void genuine;
    expect(net.master.stats.authFailures).toBe(2);
    expect(net.master.failures(id)).toBe(2);
    expect(net.master.value(1, "1-0:32.7.0")!.value).toBe(before.value);
  });

  it("replayed frame, and replay after a slave reboot", () => {
    const net = network([1]);
    const atk = attacker(net);
    net.cycle();
    const id = canId(messageForCode("1-0:16.7.0")!.msg, 1);
    const recorded = atk.seen.filter((f) => f.id === id && !f.rtr).pop()!;
    const accepted = net.master.stats.accepted;
    atk.port.send(recorded);
    net.clock.advance(5);
    expect(net.master.stats.replays).toBe(1);
    expect(net.master.stats.accepted).toBe(accepted);
    // the slave reboots (new object over the same flash): its counter goes ahead, never back
    const fresh1 = net.slaves[0].freshness;
    const slave = new CanSlave(net.bus.attach("slave1-rebooted"), { node: 1, networkKey: NETWORK_KEY, store: new FlashCounterStore(net.slaveFlash.get(1)!), read: (c) => valueOf(1, c) + 1 });
    expect(slave.freshness).toBeGreaterThan(fresh1);
    net.bus.nodes.find((n) => n.name === "slave1")!.state = "bus-off"; // the old instance is gone
    net.cycle(); // the master asks for a resync after the MAC mismatch, then reads on
    net.cycle();
    expect(net.master.value(1, "1-0:16.7.0")!.value).toBe(valueOf(1, "1-0:16.7.0") + 1);
    const acc2 = net.master.stats.accepted;
    const rejected = net.master.stats.replays + net.master.stats.authFailures;
    atk.port.send(recorded); // the pre-reboot frame again
    net.clock.advance(5);
    expect(net.master.stats.accepted).toBe(acc2);
    expect(net.master.stats.replays + net.master.stats.authFailures).toBe(rejected + 1);
  });

  it("replay after a master reboot: restored counters, resync, old frames refused", () => {
    const masterFlash = new NorFlashSim({ size: 8192 });
    const slaveFlash = new Map<number, NorFlashSim>();
    const clock = new VirtualClock();
    const net = network([1, 2], { masterFlash, slaveFlash, clock });
    const atk = attacker(net);
    net.cycle();
    net.cycle();
    const recorded = atk.seen.filter((f) => !f.rtr);
    // master reboots on the same flash; slaves continue
    const net2 = network([], { masterFlash, clock });
    void net2;
    // wire: the old slaves are on the old bus, so build the rebooted master there
    const master2 = new CanMaster(net.bus.attach("master2"), { clock, networkKey: NETWORK_KEY, store: new FlashCounterStore(masterFlash), codes: CODES, timeoutMs: 15 });
    net.bus.nodes.find((n) => n.name === "master")!.state = "bus-off";
    expect(master2.knownSlaves).toEqual([1, 2]);
    for (const f of recorded) atk.port.send(f), clock.advance(3);
    expect(master2.stats.accepted).toBe(0);
    let done = false;
    master2.pollCycle(() => (done = true));
    clock.advance(500);
    expect(done).toBe(true);
    expect(master2.value(2, "1-0:1.8.0")?.value).toBe(valueOf(2, "1-0:1.8.0"));
    expect(master2.stats.replays + master2.stats.authFailures).toBe(recorded.length);
  });

  it("MAC brute force: every guess rejected, the identifier locked out, one alarm", () => {
    const alarms: number[] = [];
    const net = network([1]);
    net.master["options"].onAlarm = (id: number) => alarms.push(id);
    net.cycle();
    const atk = attacker(net);
    const def = messageForCode("1-0:1.8.0")!;
    const id = canId(def.msg, 1);
    // the attacker wants value 99999: guess MAC values 0..299 with the right next freshness byte
    const accepted = net.master.stats.accepted;
    for (let g = 0; g < 300; g++) {
      const data = new Uint8Array([0x9f, 0x86, 0x01, 0, (net.slaves[0].freshness + 1) & 255, g & 255, g >> 8, 0]);
      atk.port.send({ id, extended: false, rtr: false, dlc: 8, data });
      net.clock.advance(1.2);
    }
    expect(net.master.stats.accepted).toBe(accepted);
    expect(net.master.stats.authFailures + net.master.stats.lockedDrops).toBe(300);
    expect(net.master.stats.lockedDrops).toBeGreaterThan(280);
    expect(net.master.stats.alarms).toBe(1);
    expect(alarms).toEqual([id]);
    // the true MAC of one guess is computed independently: none of the guesses could have matched by accident
    const key = canNodeKey(NETWORK_KEY, 1);
    expect(key.length).toBe(16);
    void createCipheriv;
    void MESSAGES;
    void MSG_SYNC;
  });
});

describe("virtual bus errors", () => {
  it("retransmits after injected errors; TEC/REC move; bus-off and recovery", () => {
    const net = network([1]);
    const events: string[] = [];
    const m = net.bus.nodes[0];
    m.onError((e) => events.push(`${e.kind}:${e.state}:${e.tec}`));
    net.bus.injectErrors(3);
    net.cycle();
    expect(net.master.value(1, "1-0:1.8.0")).toBeDefined(); // retransmitted
    expect(net.bus.stats.errorFrames).toBe(3);
    expect(events.length).toBeGreaterThan(0);
    // 32 errors in a row on the master's frames: 32 × 8 = 256 → bus off, then recovery after 128 × 11 bits
    const lone = network([]);
    const node = lone.bus.nodes[0];
    const ev: string[] = [];
    node.onError((e) => ev.push(e.kind + ":" + e.state));
    lone.bus.attach("listener");
    lone.bus.injectErrors(40);
    node.send({ id: 0x100, extended: false, rtr: false, dlc: 1, data: new Uint8Array([1]) });
    lone.clock.advance(20);
    expect(ev).toContain("bus-off:bus-off");
    expect(ev.filter((e) => e.endsWith("error-passive")).length).toBeGreaterThan(0);
    expect(node.send({ id: 0x101, extended: false, rtr: false, dlc: 0, data: new Uint8Array(0) })).toBe(false);
    lone.clock.advance(128 * 11 * 0.008 + 1);
    expect(ev).toContain("recovered:error-active");
  });
});
