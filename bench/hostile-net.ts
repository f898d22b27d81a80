// bench:hostile-net — what hostile traffic on the CAN bus and the MQTT downlink costs the
// meter (issue 14), each figure beside the same figure with no attack, in the same run:
// flash writes per forged message, messages dropped, CPU per forged frame, memory, and
// whether the genuine traffic is still served. Virtual clocks: the same figures every run
// except the CPU times (this machine's, not the board's; the XS cost of one CMAC is in
// test:xs, secure-cmac/cmac10bytes).
import v8 from "node:v8";
import vm from "node:vm";
import { createHmac } from "node:crypto";
import { VirtualClock } from "../modules/core/virtual-clock";
import { DemoHousehold } from "../modules/app/demo-household";
import { MqttClient } from "../modules/mqtt/client";
import { FlashOutbox } from "../modules/mqtt/flash-outbox";
import { clientPublisher } from "../modules/mqtt/client-publisher";
import { CloudLink } from "../modules/mqtt/cloud-link";
import { memoryCounters } from "../modules/mqtt/downlink-counters";
import { encodePacket } from "../modules/mqtt/codec";
import type { ConnectHandlers, Network } from "../modules/core/ports";
import { CanMaster } from "../modules/can/master";
import { CanSlave } from "../modules/can/slave";
import { MSG_RESYNC, MSG_SYNC, canId, messageForCode } from "../modules/can/protocol";
import { FlashCounterStore } from "../modules/secure/counter-store";
import { publicKeyFromSeed } from "../modules/secure/ed25519";
import { NorFlashSim } from "../hosts/node/flash/nor-flash-sim";
import { VirtualCanBus } from "../hosts/node/can/virtual-bus";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const heap = (): number => {
  gc();
  return process.memoryUsage().heapUsed;
};
const enc = (s: string) => new TextEncoder().encode(s);

/** A broker end in memory: the client's socket handlers, to push packets into it. */
function memoryBroker(): { network: Network; push(b: Uint8Array): void; accept(): void } {
  let h: ConnectHandlers | undefined;
  return {
    network: { listen: () => Promise.reject(new Error("no listen")), connect: (_a, _b, handlers) => ((h = handlers), { write: () => true, pending: 0, close() {}, remoteAddress: "mem" }) },
    push: (b) => h!.onData(b),
    accept() {
      h!.onConnect();
      h!.onData(encodePacket({ cmd: "connack", sessionPresent: true, returnCode: 0 }));
    },
  };
}

type Downlink = "none" | "forged-h1" | "malformed" | "forged-e1";

/** 60 s of a meter publishing readings every 10 s, with `n` hostile downlinks spread over it. */
function downlinkRun(attack: Downlink, n: number): Record<string, number> {
  const clock = new VirtualClock(Date.UTC(2026, 5, 1, 12));
  const demo = new DemoHousehold(clock);
  const broker = memoryBroker();
  const flash = new NorFlashSim({ size: 16 * 4096 });
  const client = new MqttClient({ network: broker.network, clock, random: { fill: (b) => b.fill(3) }, host: "b", port: 1, clientId: "bench", outbox: new FlashOutbox(flash), keepaliveSec: 0 });
  const mqtt = clientPublisher(client);
  const key = new Uint8Array(32).fill(9);
  const link = new CloudLink({ node: "b1", household: demo.store, mqtt, clock, macKey: key, signerPublicKey: publicKeyFromSeed(new Uint8Array(32).fill(4)), counters: memoryCounters(), periodMs: 10_000 });
  client.start();
  broker.accept();
  link.start();
  const topic = "xsmeter/b1/cmd/load";
  const payload = attack === "forged-h1" ? enc(`h1.${"00".repeat(32)}.{"ctr":1,"id":"oven","on":true}`)
    : attack === "malformed" ? enc('h1.abc.{"ctr":1}')
    : enc(`e1.${"00".repeat(64)}.{"ctr":1,"id":"oven","on":true}`);
  const packet = encodePacket({ cmd: "publish", topic, payload, qos: 1, retain: false, dup: false, messageId: 1 });
  const h0 = heap();
  const f0 = flash.stats();
  let cpu = 0;
  for (let s = 0; s < 60; s++) {
    if (attack !== "none") {
      const t = performance.now();
      for (let i = 0; i < n / 60; i++) broker.push(packet);
      cpu += performance.now() - t;
    }
    demo.tick();
    clock.advance(1000);
  }
  const f = flash.stats();
  // the owner's command after the attack: served?
  const json = JSON.stringify({ ctr: 1, id: "oven", on: false });
  broker.push(encodePacket({ cmd: "publish", topic, payload: enc(`h1.${createHmac("sha256", Buffer.from(key)).update(`${topic}\n${json}`).digest("hex")}.${json}`), qos: 1, retain: false, dup: false, messageId: 2 }));
  const served = demo.store.snapshot().loads.find((l) => l.id === "oven")!.on === false ? 1 : 0;
  const sent = attack === "none" ? 0 : n;
  return {
    flashPrograms: f.programs - f0.programs,
    flashErases: f.erases - f0.erases,
    readingsPublished: link.stats.readings,
    readingsDropped: mqtt.dropped(),
    refusalsSent: link.stats.refusalsSent,
    refusalsDropped: link.stats.refusalsDropped,
    cpuUsPerForged: sent ? (cpu * 1000) / sent : 0,
    heapKiB: (heap() - h0) / 1024,
    ownerCommandServed: served,
  };
}

type CanAttack = "none" | "sync-rtr" | "resync-forged" | "quantity-rtr" | "lockout";

/** 60 s of polling one slave every second over the bit-timed bus, the attacker sending every 2 ms. */
function canRun(attack: CanAttack): Record<string, number> {
  const clock = new VirtualClock(Date.UTC(2026, 5, 1));
  const bus = new VirtualCanBus(clock, { bitRate: 125_000 });
  const key = new Uint8Array(16).fill(5);
  const slaveFlash = new NorFlashSim({ size: 8192 });
  const codes = ["1-0:1.8.0", "1-0:16.7.0", "1-0:32.7.0"];
  const master = new CanMaster(bus.attach("master"), { clock, networkKey: key, store: new FlashCounterStore(new NorFlashSim({ size: 8192 })), codes, slaves: [1], timeoutMs: 15 });
  const slave = new CanSlave(bus.attach("slave1"), { node: 1, networkKey: key, store: new FlashCounterStore(slaveFlash), read: (c) => 100 + messageForCode(c)!.msg, clock });
  const attacker = bus.attach("attacker");
  let cycles = 0;
  let fresh = 0;
  master.start(1000);
  clock.advance(1500); // one cycle before the attack
  const c0 = slave.freshness;
  const f0 = slaveFlash.stats();
  const h0 = heap();
  let forged = 0;
  let i = 0;
  const power = canId(messageForCode("1-0:16.7.0")!.msg, 1);
  if (attack !== "none") clock.every(2, () => {
    i++;
    const data = Uint8Array.of(i, i >> 8, 3, 4, i & 255, 9, 9, 9);
    const frame = attack === "sync-rtr" ? { id: canId(MSG_SYNC, 1), extended: false, rtr: true, dlc: 8, data: new Uint8Array(0) }
      : attack === "resync-forged" ? { id: canId(MSG_RESYNC, 1), extended: false, rtr: false, dlc: 8, data }
      : attack === "quantity-rtr" ? { id: canId(messageForCode("1-0:1.8.0")!.msg, 0), extended: false, rtr: true, dlc: 8, data: new Uint8Array(0) }
      : { id: power, extended: false, rtr: false, dlc: 8, data };
    if (attacker.send(frame)) forged++;
  });
  let last = master.value(1, "1-0:16.7.0")?.at ?? 0;
  const t = performance.now();
  for (let s = 0; s < 60; s++) {
    clock.advance(1000);
    cycles++;
    const v = master.value(1, "1-0:16.7.0")?.at ?? 0;
    if (v > last) fresh++;
    last = v;
  }
  const ms = performance.now() - t;
  const f = slaveFlash.stats();
  return {
    forgedFrames: forged,
    slaveFlashPrograms: f.programs - f0.programs,
    slaveFlashErases: f.erases - f0.erases,
    counterAdvance: slave.freshness - c0,
    slaveAnswersLimited: slave.stats.answersLimited,
    resyncChecksLimited: slave.stats.resyncLimited,
    freshPowerCyclesPct: (100 * fresh) / cycles,
    masterLockouts: master.stats.alarms,
    // host CPU of the whole simulated minute (bus model included) per forged frame, minus nothing: compare with "none"
    hostMsPerSimMinute: ms,
    heapKiB: (heap() - h0) / 1024,
  };
}

export async function run(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const put = (prefix: string, r: Record<string, number>) => {
    for (const [k, v] of Object.entries(r)) out[`${prefix}.${k}`] = Math.round(v * 1000) / 1000;
  };
  const N = 20_000;
  for (const a of ["none", "forged-h1", "malformed", "forged-e1"] as Downlink[]) put(`mqtt.${a}`, downlinkRun(a, N));
  for (const a of ["none", "sync-rtr", "resync-forged", "quantity-rtr", "lockout"] as CanAttack[]) put(`can.${a}`, canRun(a));
  return out;
}

/** Prints the figures as tables, one per room: a column per attack beside "none". */
export function print(r: Record<string, number>): void {
  const groups = new Map<string, Map<string, Record<string, number>>>();
  for (const [k, v] of Object.entries(r)) {
    const [room, attack, figure] = k.split(".");
    if (!groups.has(room)) groups.set(room, new Map());
    const g = groups.get(room)!;
    if (!g.has(figure)) g.set(figure, {});
    g.get(figure)![attack] = v;
  }
  for (const [room, figures] of groups) {
    const attacks = [...new Set([...figures.values()].flatMap((x) => Object.keys(x)))];
    console.log(`\n${room === "mqtt" ? "MQTT downlink (60 s, readings every 10 s; 20,000 forged commands of each kind)" : "CAN bus (60 s, one slave polled every 1 s; attacker frame every 2 ms)"}`);
    console.log(["figure".padEnd(24), ...attacks.map((a) => a.padStart(14))].join(""));
    for (const [figure, row] of figures) console.log([figure.padEnd(24), ...attacks.map((a) => String(row[a] ?? "").padStart(14))].join(""));
  }
}

// Bundled into dist/bench/hostile.js too, where import.meta.url is that file: test the name.
if (process.argv[1]?.endsWith("hostile-net.js")) {
  const r = await run();
  if (process.argv.includes("--json")) console.log(JSON.stringify(r, null, 2));
  else print(r);
}
