// Hostile CAN traffic (issue 14, items 3 and 4): without the key nobody can make a slave move
// its freshness counter or write flash; authentic resyncs are rate-limited and bounded; the
// counter cannot run out (53 bits) and a store at its end boots into a safe state with an alarm;
// a lock-out caused by forged frames lets the genuine answers through; and frames of every
// identifier and length, into master and slave, leave the next poll served.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";
import { FlashCounterStore } from "../../modules/secure/counter-store";
import { CanMaster } from "../../modules/can/master";
import { CanSlave } from "../../modules/can/slave";
import { FrameAuthenticator } from "../../modules/can/authenticator";
import { ALL_MESSAGES, MSG_RESYNC, MSG_SYNC, canId, messageForCode } from "../../modules/can/protocol";
import { FRESHNESS_MAX, HIGH_WORD } from "../../modules/secure/freshness";
import { canNodeKey } from "../../modules/secure/node-keys";
import type { CanFrame, CanPort } from "../../modules/can/can-port";

const NETWORK_KEY = new Uint8Array(16).map((_, i) => i * 13 + 1);
const CODES = ["1-0:1.8.0", "1-0:16.7.0", "1-0:32.7.0"];
const value = (node: number, code: string) => node * 100 + messageForCode(code)!.msg;

/** A loopback bus: frames delivered on the next clock tick, to everyone but the sender, lowest id first. */
function loopBus(clock: VirtualClock) {
  const cbs: ((f: CanFrame) => void)[][] = [];
  let queue: { f: CanFrame; from: number }[] = [];
  let armed = false;
  const sent: CanFrame[] = [];
  const port = (): CanPort & { inject(f: CanFrame): void } => {
    const me = cbs.length;
    cbs.push([]);
    return {
      send(f) {
        sent.push(f);
        queue.push({ f, from: me });
        if (!armed) {
          armed = true;
          clock.after(0.5, () => {
            armed = false;
            const q = queue.sort((a, b) => a.f.id - b.f.id);
            queue = [];
            for (const { f, from } of q) cbs.forEach((l, i) => i !== from && l.forEach((cb) => cb(f)));
          });
        }
        return true;
      },
      onFrame: (cb) => cbs[me].push(cb),
      /** Delivers a frame now to everyone else (the attacker's transmitter). */
      inject(f) {
        cbs.forEach((l, i) => i !== me && l.forEach((cb) => cb(f)));
      },
    } as CanPort & { inject(f: CanFrame): void };
  };
  return { port, sent };
}

function net(o: { slaveFlash?: NorFlashSim; masterFlash?: NorFlashSim; onSlaveAlarm?: (r: string) => void } = {}) {
  const clock = new VirtualClock(Date.UTC(2026, 5, 1));
  const bus = loopBus(clock);
  const masterFlash = o.masterFlash ?? new NorFlashSim({ size: 8192 });
  const slaveFlash = o.slaveFlash ?? new NorFlashSim({ size: 8192 });
  const master = new CanMaster(bus.port(), { clock, networkKey: NETWORK_KEY, store: new FlashCounterStore(masterFlash), codes: CODES, slaves: [1], timeoutMs: 10 });
  const slave = new CanSlave(bus.port(), { node: 1, networkKey: NETWORK_KEY, store: new FlashCounterStore(slaveFlash), read: (c) => value(1, c), clock, onAlarm: o.onSlaveAlarm });
  const attacker = bus.port();
  const cycle = () => {
    let done = false;
    master.pollCycle(() => (done = true));
    clock.advance(200);
    expect(done, "cycle finished").toBe(true);
  };
  return { clock, master, slave, attacker, cycle, slaveFlash, masterFlash, sent: bus.sent };
}

/** Seeded generator (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("CAN resync is an authenticated, rate-limited request", () => {
  it("10,000 forged sync frames: 0 flash writes, counter unchanged, and the slave still answers", () => {
    const n = net();
    n.cycle();
    const counter = n.slave.freshness;
    const flash = n.slaveFlash.stats();
    const r = rng(3);
    for (let i = 0; i < 10_000; i++) {
      const data = Uint8Array.from({ length: 8 }, () => Math.floor(r() * 256));
      if (i % 2 === 0) n.attacker.inject({ id: canId(MSG_SYNC, i % 4 === 0 ? 0 : 1), extended: false, rtr: true, dlc: 8, data: new Uint8Array(0) }); // the old unauthenticated request
      else n.attacker.inject({ id: canId(MSG_RESYNC, 1), extended: false, rtr: false, dlc: 8, data }); // a forged authenticated one
      if (i % 100 === 0) n.clock.advance(1); // 10 s of bus time in all
    }
    expect(n.slaveFlash.stats().programs - flash.programs).toBe(0);
    expect(n.slaveFlash.stats().erases - flash.erases).toBe(0);
    expect(n.slave.freshness).toBe(counter);
    expect(n.slave.stats.unauthenticatedSync).toBe(5000);
    // the limit is taken before the CMAC: most forgeries cost no AES at all
    expect(n.slave.stats.resyncLimited).toBeGreaterThan(4990);
    expect(n.slave.stats.resyncForged + n.slave.stats.resyncLimited).toBe(5000);
    expect(n.slave.stats.resyncs).toBe(0);
    n.cycle();
    expect(n.master.value(1, "1-0:16.7.0")?.value).toBe(value(1, "1-0:16.7.0"));
  });

  it("a replayed genuine request costs no counter jump and no flash, and is rate-limited", () => {
    const masterFlash = new NorFlashSim({ size: 8192 });
    const n = net({ masterFlash });
    n.cycle();
    n.master.stop();
    // a master reboot: it asks for a resync, which the attacker records
    const m2 = new CanMaster(n.attacker, { clock: n.clock, networkKey: NETWORK_KEY, store: new FlashCounterStore(masterFlash), codes: CODES, timeoutMs: 10 });
    m2.pollCycle();
    n.clock.advance(200);
    expect(m2.value(1, "1-0:1.8.0")?.value).toBe(value(1, "1-0:1.8.0"));
    const request = n.sent.filter((f) => f.id === canId(MSG_RESYNC, 1)).pop()!;
    expect(request).toBeDefined();
    const counter = n.slave.freshness;
    const flash = n.slaveFlash.stats().programs;
    const syncs = n.slave.stats.resyncs;
    for (let i = 0; i < 1000; i++) {
      n.attacker.inject(request);
      n.clock.advance(10); // 10 s in all
    }
    // at most the burst plus one per 5 s, each one value further (the floor is long passed): no jump
    const answered = n.slave.stats.resyncs - syncs;
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThanOrEqual(4 + 2 + 1);
    expect(n.slave.freshness - counter).toBe(answered);
    expect(n.slaveFlash.stats().programs - flash).toBe(0);
  });

  it("an authentic request too far ahead is refused with an alarm, and moves nothing", () => {
    const alarms: string[] = [];
    const n = net({ onSlaveAlarm: (r) => alarms.push(r) });
    n.cycle();
    const auth = new FrameAuthenticator(canNodeKey(NETWORK_KEY, 1));
    const data = new Uint8Array(8);
    auth.sealRequest(canId(MSG_RESYNC, 1), data, 0xfffffff0); // signed, but 2^32 ahead of the counter
    const counter = n.slave.freshness;
    const flash = n.slaveFlash.stats().programs;
    n.attacker.inject({ id: canId(MSG_RESYNC, 1), extended: false, rtr: false, dlc: 8, data });
    expect(n.slave.stats.resyncTooFar).toBe(1);
    expect(alarms.join()).toMatch(/more than 4096 above counter/);
    expect(n.slave.freshness).toBe(counter);
    expect(n.slaveFlash.stats().programs).toBe(flash);
  });

  it("an unsolicited sync frame (even a genuine one replayed) is refused by the master", () => {
    const n = net();
    n.cycle();
    const accepted = n.master.stats.accepted;
    const auth = new FrameAuthenticator(canNodeKey(NETWORK_KEY, 1));
    const data = new Uint8Array(8);
    auth.sealSync(canId(MSG_SYNC, 1), data, n.slave.freshness + 5000, n.master["slaves"].get(1)!.fresh.lastAccepted);
    n.attacker.inject({ id: canId(MSG_SYNC, 1), extended: false, rtr: false, dlc: 8, data });
    expect(n.master.stats.unsolicitedSyncs).toBe(1);
    expect(n.master.stats.accepted).toBe(accepted);
    n.cycle();
    expect(n.master.stats.accepted).toBe(accepted + CODES.length);
  });
});

describe("CAN freshness counter end", () => {
  it("crosses 2^32 without a throw: the master accepts answers on both sides", () => {
    const slaveFlash = new NorFlashSim({ size: 8192 });
    const masterFlash = new NorFlashSim({ size: 8192 });
    new FlashCounterStore(slaveFlash).set(1, 0xfffffff0); // the slave's reserved end, 15 below 2^32
    new FlashCounterStore(masterFlash).set(1, 0xfffffc00); // the master's last block
    const n = net({ slaveFlash, masterFlash });
    for (let i = 0; i < 4; i++) n.cycle();
    expect(n.slave.freshness).toBeGreaterThan(2 ** 32);
    expect(n.master.value(1, "1-0:32.7.0")?.value).toBe(value(1, "1-0:32.7.0"));
    expect(n.master.stats.authFailures).toBe(0);
    const store = new FlashCounterStore(slaveFlash);
    expect(store.get(1 + HIGH_WORD)).toBe(1);
    // both sides reboot: still in step, nothing replayable
    const n2 = net({ slaveFlash, masterFlash });
    n2.cycle();
    n2.cycle();
    expect(n2.slave.freshness).toBeGreaterThan(n.slave.freshness);
    expect(n2.master.stats.accepted).toBeGreaterThanOrEqual(CODES.length);
  });

  it("a store at the counter's end boots into a safe state with an alarm instead of throwing", () => {
    const slaveFlash = new NorFlashSim({ size: 8192 });
    const s = new FlashCounterStore(slaveFlash);
    const end = FRESHNESS_MAX - 10;
    s.set(1 + HIGH_WORD, Math.floor(end / 2 ** 32));
    s.set(1, end % 2 ** 32);
    const alarms: string[] = [];
    let n!: ReturnType<typeof net>;
    expect(() => (n = net({ slaveFlash, onSlaveAlarm: (r) => alarms.push(r) }))).not.toThrow();
    expect(n.slave.exhausted).toBe(true);
    expect(alarms).toEqual(["CAN node 1: freshness counter at its end, answers stopped (a new network key and a cleared counter store recover it)"]);
    const flash = slaveFlash.stats().programs;
    n.cycle();
    expect(n.slave.stats.answers).toBe(0); // nothing that could be a replay goes out
    expect(slaveFlash.stats().programs).toBe(flash);
  });
});

describe("CAN lock-out", () => {
  it("forged frames lock the identifier, the genuine answers still get through, and the lock is visible", () => {
    const n = net();
    n.cycle();
    const id = canId(messageForCode("1-0:16.7.0")!.msg, 1);
    for (let i = 0; i < 8; i++) n.attacker.inject({ id, extended: false, rtr: false, dlc: 8, data: Uint8Array.of(1, 2, 3, 4, i, 9, 9, 9) });
    expect(n.master.stats.alarms).toBe(1);
    const locks = n.master.lockouts(1);
    expect(locks).toEqual([expect.objectContaining({ id, code: "1-0:16.7.0", since: n.clock.now(), until: n.clock.now() + 600_000 })]);
    // the next cycles: the answer to the master's own request is verified and accepted
    const before = n.master.value(1, "1-0:16.7.0")!.at;
    n.cycle();
    expect(n.master.value(1, "1-0:16.7.0")!.at).toBeGreaterThan(before);
    expect(n.master.stats.lockedAccepted).toBe(1);
    // forgeries outside a request are still dropped unread
    const drops = n.master.stats.lockedDrops;
    for (let i = 0; i < 100; i++) n.attacker.inject({ id, extended: false, rtr: false, dlc: 8, data: Uint8Array.of(1, 2, 3, 4, i, 9, 9, 9) });
    expect(n.master.stats.lockedDrops - drops).toBe(100);
    n.clock.advance(600_000);
    expect(n.master.lockouts(1)).toEqual([]);
  });
});

describe("CAN garbage into master and slave", () => {
  it("frames of every identifier and length, remote or data, random payloads: nothing throws, the next poll is served", () => {
    const n = net();
    n.cycle();
    const r = rng(11);
    const ids = [...Array(2048).keys()];
    for (const id of ids) {
      for (let dlc = 0; dlc <= 8; dlc++) {
        const data = Uint8Array.from({ length: dlc }, () => Math.floor(r() * 256));
        const rtr = r() < 0.5;
        expect(() => n.attacker.inject({ id, extended: false, rtr, dlc, data: rtr ? new Uint8Array(0) : data })).not.toThrow();
      }
      // an extended frame and a frame whose dlc lies about its data
      n.attacker.inject({ id: id << 18, extended: true, rtr: false, dlc: 8, data: new Uint8Array(8) });
      n.attacker.inject({ id, extended: false, rtr: false, dlc: 8, data: new Uint8Array(3) });
      if (id % 64 === 0) n.clock.advance(5);
    }
    expect(n.master.stats.accepted).toBeGreaterThan(0);
    // lock-outs may have been earned by the garbage; wait them out, then a cycle reads every quantity
    n.clock.advance(600_001);
    const accepted = n.master.stats.accepted;
    n.cycle();
    expect(n.master.stats.accepted - accepted).toBe(CODES.length);
    for (const c of CODES) expect(n.master.value(1, c)?.value).toBe(value(1, c));
    expect(ALL_MESSAGES.some((m) => m.msg === MSG_RESYNC)).toBe(false);
  });
});
