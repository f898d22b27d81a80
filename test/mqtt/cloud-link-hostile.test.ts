// Hostile downlinks (issue 14, items 1, 5 and 10): nothing a downlink carries may throw out of
// the MQTT callback, every refusal is counted with a reason, the next good command is served,
// refusals go out at QoS 0 and rate-limited (never through the flash outbox), each command kind
// has its own freshness counter with a bounded step, and cloud load plans are bounded.
import { describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { DemoHousehold } from "../../modules/app/demo-household";
import { CloudLink, type MqttPublisher } from "../../modules/mqtt/cloud-link";
import { memoryCounters, storeCounters, KIND_KEYS, type KindCounters } from "../../modules/mqtt/downlink-counters";
import { MqttClient } from "../../modules/mqtt/client";
import { FlashOutbox } from "../../modules/mqtt/flash-outbox";
import { clientPublisher } from "../../modules/mqtt/client-publisher";
import { FlashCounterStore } from "../../modules/secure/counter-store";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";
import { publicKeyFromSeed, sign } from "../../modules/secure/ed25519";
import { toHex } from "../../modules/core/bytes";
import { scriptedBroker } from "../support/scripted-broker";

const KEY = new Uint8Array(32).fill(7);
const NODE = "h1";
const enc = (s: string) => new TextEncoder().encode(s);
const topicOf = (kind: string) => `xsmeter/${NODE}/cmd/${kind}`;
const mac = (topic: string, json: string) => createHmac("sha256", Buffer.from(KEY)).update(`${topic}\n${json}`).digest("hex");
/** A correctly signed command whose JSON text is `json` (any JSON, or not JSON at all). */
const signedText = (kind: string, json: string) => enc(`h1.${mac(topicOf(kind), json)}.${json}`);
const signed = (kind: string, body: unknown) => signedText(kind, JSON.stringify(body));

interface Sent { topic: string; qos: number; body: any }

function setup<C extends KindCounters = ReturnType<typeof memoryCounters>>(counters: C = memoryCounters() as unknown as C, extra: Partial<ConstructorParameters<typeof CloudLink>[0]> = {}) {
  const clock = new VirtualClock(Date.UTC(2026, 5, 1, 12));
  const demo = new DemoHousehold(clock);
  const sent: Sent[] = [];
  let deliver: (t: string, p: Uint8Array, r: boolean) => void = () => {};
  const mqtt: MqttPublisher = {
    publish(topic, payload, qos = 1) {
      if (topic.endsWith("/cmd/result")) sent.push({ topic, qos, body: JSON.parse(new TextDecoder().decode(payload)) });
      return true;
    },
    subscribe() {},
    onMessage(h) { deliver = h; },
  };
  const link = new CloudLink({ node: NODE, household: demo.store, mqtt, clock, macKey: KEY, counters, refusalBurst: 1e6, ...extra });
  link.start();
  const oven = () => demo.store.snapshot().loads.find((l) => l.id === "oven")!.on;
  return { clock, demo, sent, link, counters, oven, send: (topic: string, payload: Uint8Array) => deliver(topic, payload, false) };
}

/** Seeded bytes (mulberry32) so a failure is reproducible. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("CloudLink under hostile downlinks", () => {
  it("refuses every malformed downlink with a reason, without throwing, and serves the next good command", () => {
    const s = setup();
    const r = rng(14);
    const random = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
    const garbage: [string, Uint8Array, RegExp][] = [
      [topicOf("load"), enc('h1.abc.{"ctr":1}'), /h1 needs 64 lower-case hex digits/], // the odd-length MAC
      [topicOf("load"), enc(`h1.${"ab".repeat(31)}a.{"ctr":1}`), /h1 needs 64/],
      [topicOf("load"), enc(`h1.${"AB".repeat(32)}.{"ctr":1}`), /lower-case hex/],
      [topicOf("load"), enc(`e1.${"a".repeat(127)}.{"ctr":1}`), /e1 needs 128/],
      [topicOf("load"), enc("e1..{}"), /e1 needs 128/],
      [topicOf("load"), enc("h1"), /expected h1/],
      [topicOf("load"), enc(""), /expected h1/],
      [topicOf("load"), Uint8Array.of(0x68, 0x31, 0x2e, 0xff, 0xfe), /not UTF-8/],
      [topicOf("load"), signedText("load", "null"), /must be a JSON object/], // the signed null
      [topicOf("load"), signedText("load", "[1,2]"), /must be a JSON object/],
      [topicOf("load"), signedText("load", '"ctr"'), /must be a JSON object/],
      [topicOf("load"), signedText("load", "42"), /must be a JSON object/],
      [topicOf("load"), signedText("load", "{"), /not JSON/],
      [topicOf("load"), signed("load", { ctr: "9" }), /ctr must be an integer/],
      [topicOf("load"), signed("load", { ctr: -1 }), /ctr must be an integer/],
      [topicOf("load"), signed("load", { ctr: 1.5 }), /ctr must be an integer/],
      [topicOf("load"), signed("load", { ctr: 2 ** 32 }), /ctr must be an integer/],
      [topicOf("load"), signed("load", { ctr: null }), /ctr must be an integer/],
      [topicOf("load"), enc(`h1.${"00".repeat(32)}.{"ctr":1e300}`), /forged/],
      [topicOf("load"), enc(`h1.${mac(topicOf("load"), "{}")}.${"x".repeat(41 * 1024)}`), /more than 40960/],
      [topicOf("reboot"), signedText("reboot", '{"ctr":1}'), /unknown command kind "reboot"/],
      [topicOf("load/extra"), enc("x"), /unknown command kind/],
      [topicOf("__proto__"), enc("x"), /unknown command kind/],
      [topicOf("constructor"), signed("constructor", { ctr: 1 }), /unknown command kind/],
    ];
    for (let i = 0; i < 200; i++) garbage.push([topicOf(["load", "price", "config", "firmware"][i & 3]), random(Math.floor(r() * 300)), /./]);
    let ctr = 0;
    for (const [topic, payload, reason] of garbage) {
      const before = s.sent.length;
      expect(() => s.send(topic, payload)).not.toThrow();
      expect(s.link.lastRefusal).toMatch(reason);
      expect(s.sent.at(-1)).toMatchObject({ qos: 0, body: { ok: false } });
      expect(s.sent.length).toBe(before + 1);
      // the next good command is served
      const on = ++ctr % 2 === 0;
      s.send(topicOf("load"), signed("load", { ctr, id: "oven", on }));
      expect(s.sent.at(-1)).toMatchObject({ qos: 1, body: { kind: "load", ctr, ok: true } });
      expect(s.oven()).toBe(on);
    }
    expect(s.link.stats.commandsAccepted).toBe(garbage.length);
    expect(s.link.stats.malformed + s.link.stats.forged).toBe(garbage.length);
    // signed garbage bodies (null, arrays, strings) are malformed, not forged
    expect(s.link.stats.malformed).toBeGreaterThanOrEqual(20);
  });

  it("keeps one freshness counter per command kind, and a refusal echoes the kind and ctr it carried", () => {
    const s = setup();
    s.send(topicOf("load"), signed("load", { ctr: 100, id: "oven", on: false }));
    s.send(topicOf("config"), signed("config", { ctr: 5, config: {} })); // config's own count: 5 > 0
    s.send(topicOf("load"), signed("load", { ctr: 100, id: "oven", on: true })); // replay
    s.send(topicOf("load"), signed("load", { ctr: 7, id: "oven", on: true })); // older than load's 100
    s.send(topicOf("load"), enc(`h1.${"00".repeat(32)}.${JSON.stringify({ ctr: 101, id: "oven", on: true })}`)); // forged
    expect(s.sent.map((x) => [x.body.kind, x.body.ctr, x.body.ok, x.body.refused ?? "-"])).toEqual([
      ["load", 100, true, "-"],
      ["config", 5, false, "-"], // authentic (its ctr is spent) but not wired: QoS 1
      ["load", 100, false, "replayed"],
      ["load", 7, false, "replayed"],
      ["load", 101, false, "forged"],
    ]);
    expect(s.counters.values()).toEqual({ price: 0, load: 100, config: 5, firmware: 0 });
    expect(s.oven()).toBe(false);
  });

  it("refuses a signed ctr of 4294967295 (too far ahead) so later downlinks still work", () => {
    const s = setup();
    // a kind's first command may start high (a sender counting in Unix seconds), but not at the end
    s.send(topicOf("config"), signed("config", { ctr: 0xffffffff, config: {} }));
    expect(s.sent.at(-1)!.body).toMatchObject({ ok: false, refused: "replayed" });
    expect(s.sent.at(-1)!.body.error).toMatch(/first counter must be at most 4026531839/);
    s.send(topicOf("config"), signed("config", { ctr: 1_796_000_000, config: {} }));
    expect(s.sent.at(-1)!.body.refused).toBeUndefined();
    expect(s.counters.values().config).toBe(1_796_000_000);
    s.send(topicOf("load"), signed("load", { ctr: 41, id: "oven", on: false }));
    s.send(topicOf("load"), signed("load", { ctr: 0xffffffff, id: "oven", on: true }));
    expect(s.sent.at(-1)!.body).toMatchObject({ kind: "load", ctr: 0xffffffff, ok: false, refused: "replayed" });
    expect(s.sent.at(-1)!.body.error).toMatch(/more than 16777216 above the last accepted 41 \(send 42…16777257\)/);
    s.send(topicOf("load"), signed("load", { ctr: 42, id: "oven", on: true }));
    expect(s.sent.at(-1)!.body).toMatchObject({ ctr: 42, ok: true });
    expect(s.oven()).toBe(true);
    // the largest step allowed is accepted, one more is not
    s.send(topicOf("load"), signed("load", { ctr: 42 + (1 << 24), id: "oven", on: false }));
    expect(s.sent.at(-1)!.body).toMatchObject({ ok: true });
    s.send(topicOf("load"), signed("load", { ctr: 42 + 2 * (1 << 24) + 1, id: "oven", on: true }));
    expect(s.sent.at(-1)!.body).toMatchObject({ ok: false, refused: "replayed" });
  });

  it("bounds a cloud load plan by the configured maxima (24 h run, 7-day deadline)", () => {
    const s = setup(memoryCounters(), { maxLoadDurationMs: 24 * 3_600_000, maxLoadHorizonMs: 7 * 86_400_000 });
    const now = s.clock.now();
    const plan = (ctr: number, durationMs: number, deadline: number) => {
      s.send(topicOf("load"), signed("load", { ctr, id: "washer", durationMs, deadline }));
      return s.sent.at(-1)!.body;
    };
    expect(plan(1, 1e300, now + 3_600_000).error).toMatch(/durationMs 1e\+300 not in 1\.\.86400000/);
    expect(plan(2, 3_600_000, 1e300).error).toMatch(/deadline 1e\+300 not within 604800000 ms/);
    expect(plan(3, 0, now + 3_600_000).error).toMatch(/durationMs 0/);
    expect(plan(4, 3_600_000, now - 1).error).toMatch(/deadline/);
    expect(plan(5, 24 * 3_600_000 + 1, now + 2 * 86_400_000).error).toMatch(/durationMs/);
    expect(plan(6, 3_600_000, now + 7 * 86_400_000 + 1).error).toMatch(/deadline/);
    const ok = plan(7, 3_600_000, now + 6 * 3_600_000);
    expect(ok).toMatchObject({ kind: "load", ctr: 7, ok: true });
  });

  it("starts each kind's counter above the single counter of earlier firmware (no replay across the upgrade)", () => {
    const store = new FlashCounterStore(new NorFlashSim({ size: 2 * 4096 }));
    store.set(0, 40); // the shared downlink counter before per-kind counters
    const s = setup(storeCounters(store, 0));
    s.send(topicOf("config"), signed("config", { ctr: 40, config: {} }));
    expect(s.sent.at(-1)!.body).toMatchObject({ ok: false, refused: "replayed" });
    s.send(topicOf("price"), signed("price", { ctr: 41, slots: [] }));
    expect(s.sent.at(-1)!.body).toMatchObject({ ctr: 41 });
    expect(s.sent.at(-1)!.body.refused).toBeUndefined();
    expect(store.get(KIND_KEYS.price)).toBe(41);
    expect(store.get(KIND_KEYS.config)).toBeUndefined();
  });

  it("rate-limits refusals (burst, then one a second) and counts the ones dropped", () => {
    const s = setup(memoryCounters(), { refusalBurst: 5, refusalIntervalMs: 1000 });
    const forged = enc(`h1.${"00".repeat(32)}.{"ctr":1}`);
    for (let i = 0; i < 1000; i++) s.send(topicOf("load"), forged);
    expect(s.sent.length).toBe(5);
    expect(s.link.stats).toMatchObject({ forged: 1000, refusalsSent: 5, refusalsDropped: 995 });
    s.clock.advance(3000);
    for (let i = 0; i < 10; i++) s.send(topicOf("load"), forged);
    expect(s.sent.length).toBe(8); // three tokens earned in 3 s
    // an authentic command is never rate-limited
    s.send(topicOf("load"), signed("load", { ctr: 1, id: "oven", on: false }));
    expect(s.sent.at(-1)).toMatchObject({ qos: 1, body: { ok: true } });
  });
});

describe("Ed25519-signed downlinks under a forged flood", () => {
  it("verifies at most the signature budget (each is ≈ 27 s of the board), refuses the rest as busy, then serves a genuine one", () => {
    const seed = new Uint8Array(32).fill(9);
    const s = setup(memoryCounters(), { signerPublicKey: publicKeyFromSeed(seed), signatureBurst: 2, signatureIntervalMs: 60_000 });
    const forged = enc(`e1.${"00".repeat(64)}.{"ctr":1,"id":"oven","on":true}`);
    for (let i = 0; i < 100; i++) s.send(topicOf("load"), forged);
    expect(s.link.stats).toMatchObject({ forged: 2, busy: 98 });
    expect(s.sent.at(-1)!.body).toMatchObject({ kind: "load", ctr: 1, ok: false, refused: "busy" });
    s.clock.advance(60_000);
    const json = JSON.stringify({ ctr: 1, id: "oven", on: false });
    const sig = sign(enc(`${topicOf("load")}\n${json}`), seed);
    s.send(topicOf("load"), enc(`e1.${toHex(sig)}.${json}`));
    expect(s.sent.at(-1)).toMatchObject({ qos: 1, body: { ctr: 1, ok: true } });
    expect(s.oven()).toBe(false);
  });
});

describe("MqttClient + CloudLink + flash outbox under a forged flood", () => {
  it("writes no flash for forged, replayed or malformed commands and acknowledges every one (PUBACK)", () => {
    const clock = new VirtualClock(Date.UTC(2026, 5, 1, 12));
    const demo = new DemoHousehold(clock);
    const broker = scriptedBroker();
    const flash = new NorFlashSim({ size: 8 * 4096 });
    const client = new MqttClient({ network: broker.network, clock, random: { fill: (b) => b.fill(1) }, host: "broker", port: 1883, clientId: "xsmeter-h1", outbox: new FlashOutbox(flash), keepaliveSec: 0 });
    const link = new CloudLink({ node: NODE, household: demo.store, mqtt: clientPublisher(client), clock, macKey: KEY, counters: memoryCounters(), periodMs: 3_600_000 });
    client.start();
    broker.accept();
    link.start();
    const base = flash.stats();
    const forged = enc(`h1.${"00".repeat(32)}.{"ctr":1}`);
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const payload = i % 3 === 0 ? forged : i % 3 === 1 ? enc('h1.abc.{"ctr":1}') : signedText("load", "null");
      broker.push({ cmd: "publish", topic: topicOf("load"), payload, qos: 1, retain: false, dup: false, messageId: 1 + (i % 65000) });
    }
    const after = flash.stats();
    expect(after.programs - base.programs).toBe(0);
    expect(after.erases - base.erases).toBe(0);
    const pubacks = broker.written.filter((p) => p.cmd === "puback").length;
    expect(pubacks).toBe(n);
    expect(link.stats.refusalsSent).toBe(10);
    expect(link.stats.refusalsDropped).toBe(n - 10);
    // the next good command is served, and its result goes through the outbox (QoS 1)
    broker.push({ cmd: "publish", topic: topicOf("load"), payload: signed("load", { ctr: 1, id: "oven", on: false }), qos: 1, retain: false, dup: false, messageId: 9 });
    expect(demo.store.snapshot().loads.find((l) => l.id === "oven")!.on).toBe(false);
    expect(flash.stats().programs).toBeGreaterThan(after.programs);
  });

  it("acknowledges a message a handler throws on, counts it, and still delivers to the other handlers", () => {
    const clock = new VirtualClock();
    const broker = scriptedBroker();
    const client = new MqttClient({ network: broker.network, clock, random: { fill: (b) => b.fill(1) }, host: "broker", port: 1883, clientId: "c", outbox: new FlashOutbox(new NorFlashSim({ size: 4 * 4096 })), keepaliveSec: 0 });
    const got: string[] = [];
    client.onMessage(() => { throw new TypeError("Cannot read properties of null (reading 'ctr')"); });
    client.onMessage((t) => got.push(t));
    client.start();
    broker.accept();
    expect(() => broker.push({ cmd: "publish", topic: "a/b", payload: enc("x"), qos: 1, retain: false, dup: false, messageId: 77 })).not.toThrow();
    expect(broker.written.filter((p) => p.cmd === "puback")).toEqual([expect.objectContaining({ messageId: 77 })]);
    expect(client.stats.handlerErrors).toBe(1);
    expect(got).toEqual(["a/b"]);
    expect(client.isConnected).toBe(true);
  });
});
