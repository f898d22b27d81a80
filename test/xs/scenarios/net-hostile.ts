// XS conformance: hostile input on the MQTT downlink and the CAN bus, inside XS as on Node —
// garbage downlinks refused with reasons (none throws) and the next good command served, the
// per-kind counters and the ctr window; forged CAN resyncs writing no flash, an authentic one
// answered above its floor, and a counter store at its end booting into the safe state.
import { VirtualClock } from "../../../modules/core/virtual-clock";
import { RamFlash } from "../../../modules/core/ram-flash";
import { toHex, utf8Encode } from "../../../modules/core/bytes";
import { hmacSha256 } from "../../../modules/secure/hmac";
import { DemoHousehold } from "../../../modules/app/demo-household";
import { CloudLink, type MqttPublisher } from "../../../modules/mqtt/cloud-link";
import { memoryCounters } from "../../../modules/mqtt/downlink-counters";
import { CanSlave } from "../../../modules/can/slave";
import { FrameAuthenticator } from "../../../modules/can/authenticator";
import { MSG_RESYNC, MSG_SYNC, canId } from "../../../modules/can/protocol";
import { FlashCounterStore } from "../../../modules/secure/counter-store";
import { FRESHNESS_MAX, HIGH_WORD } from "../../../modules/secure/freshness";
import { canNodeKey } from "../../../modules/secure/node-keys";
import type { CanFrame } from "../../../modules/can/can-port";

const KEY = new Uint8Array(32).fill(7);
const NET = Uint8Array.from({ length: 16 }, (_, i) => i * 3 + 1);

function downlinks(): unknown {
  const clock = new VirtualClock(Date.UTC(2026, 5, 1, 12));
  const demo = new DemoHousehold(clock);
  const results: string[] = [];
  let deliver: (t: string, p: Uint8Array, r: boolean) => void = () => {};
  const mqtt: MqttPublisher = { publish(t, p, qos) { if (t.endsWith("/cmd/result")) results.push(`${qos}:${String.fromCharCode(...p)}`); return true; }, subscribe() {}, onMessage(h) { deliver = h; } };
  const counters = memoryCounters();
  const link = new CloudLink({ node: "x1", household: demo.store, mqtt, clock, macKey: KEY, counters, refusalBurst: 1000 });
  link.start();
  const topic = "xsmeter/x1/cmd/load";
  const signed = (json: string) => utf8Encode(`h1.${toHex(hmacSha256(KEY, utf8Encode(`${topic}\n${json}`)))}.${json}`);
  const garbage = [utf8Encode('h1.abc.{"ctr":1}'), signed("null"), signed("[]"), signed('{"ctr":"1"}'), Uint8Array.of(0x68, 0x31, 0x2e, 0xff), utf8Encode(`h1.${"00".repeat(32)}.{"ctr":9}`), signed(JSON.stringify({ ctr: 4294967295, id: "oven", on: true }))];
  let thrown = 0;
  let ctr = 0;
  for (const g of garbage) {
    try { deliver(topic, g, false); } catch { thrown++; }
    deliver(topic, signed(JSON.stringify({ ctr: ++ctr, id: "oven", on: ctr % 2 === 0 })), false);
  }
  return { thrown, results, stats: link.stats, counters: counters.values(), oven: demo.store.snapshot().loads.find((l) => l.id === "oven")!.on };
}

function resync(): unknown {
  const clock = new VirtualClock(Date.UTC(2026, 5, 1));
  const sent: CanFrame[] = [];
  let deliver: (f: CanFrame) => void = () => {};
  const flash = new RamFlash(8192);
  const programs = { n: 0 };
  const counted = { ...flash, size: flash.size, sectorSize: flash.sectorSize, pageSize: flash.pageSize, read: (a: number, b: Uint8Array) => flash.read(a, b), eraseSector: (s: number) => flash.eraseSector(s), program: (a: number, d: Uint8Array) => { programs.n++; flash.program(a, d); } };
  const slave = new CanSlave({ send: (f) => (sent.push(f), true), onFrame: (cb) => void (deliver = cb) }, { node: 3, networkKey: NET, store: new FlashCounterStore(counted), read: () => 1, clock });
  const before = { counter: slave.freshness, programs: programs.n };
  for (let i = 0; i < 200; i++) {
    deliver({ id: canId(MSG_SYNC, 3), extended: false, rtr: true, dlc: 8, data: new Uint8Array(0) });
    deliver({ id: canId(MSG_RESYNC, 3), extended: false, rtr: false, dlc: 8, data: Uint8Array.of(i, 1, 2, 3, 4, 5, 6, 7) });
  }
  const afterForged = { counter: slave.freshness, programs: programs.n, sent: sent.length };
  clock.advance(10_000);
  const auth = new FrameAuthenticator(canNodeKey(NET, 3));
  const data = new Uint8Array(8);
  auth.sealRequest(canId(MSG_RESYNC, 3), data, 700);
  deliver({ id: canId(MSG_RESYNC, 3), extended: false, rtr: false, dlc: 8, data });
  const answer = sent.at(-1)!;
  const full = answer.data[0] | (answer.data[1] << 8) | (answer.data[2] << 16) | (answer.data[3] << 24);
  // a store at the counter's end: a safe state with an alarm, not a throw
  const end = new FlashCounterStore(new RamFlash(8192));
  end.set(5 + HIGH_WORD, Math.floor((FRESHNESS_MAX - 3) / 2 ** 32));
  end.set(5, (FRESHNESS_MAX - 3) % 2 ** 32);
  const alarms: string[] = [];
  let exhausted = false;
  try {
    exhausted = new CanSlave({ send: () => true, onFrame() {} }, { node: 5, networkKey: NET, store: end, read: () => 1, onAlarm: (r) => alarms.push(r) }).exhausted;
  } catch (e) {
    alarms.push(`threw ${(e as Error).message}`);
  }
  return { before, afterForged, stats: slave.stats, syncValue: full, syncOk: auth.checkSync(answer.id, answer.data, full, 700), exhausted, alarms };
}

export function run(): unknown {
  return { downlinks: downlinks(), resync: resync() };
}
