// Garbage into two more entry points (issue 14, "one test per entry point"): raw bytes from
// the broker into MqttClient's codec, and firmware offers of every wrong shape through the
// downlink into the FirmwareUpdater. Each time: nothing throws, and the next good input is served.
import { describe, expect, it } from "vitest";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { MqttClient } from "../../modules/mqtt/client";
import { FlashOutbox } from "../../modules/mqtt/flash-outbox";
import { CloudLink, type MqttPublisher } from "../../modules/mqtt/cloud-link";
import { memoryCounters } from "../../modules/mqtt/downlink-counters";
import { DemoHousehold } from "../../modules/app/demo-household";
import { buildImage, parseHeader } from "../../modules/ota/image";
import { OtaSlots } from "../../modules/ota/slots";
import { FirmwareUpdater } from "../../modules/ota/updater";
import type { ImageSource } from "../../modules/ota/image-source";
import { publicKeyFromSeed } from "../../modules/secure/ed25519";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";
import { scriptedBroker } from "../support/scripted-broker";

const enc = (s: string) => new TextEncoder().encode(s);
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("MqttClient fed garbage by its broker", () => {
  it("drops the connection on bytes that are no packet, reconnects, and delivers the next good message", () => {
    const clock = new VirtualClock();
    const broker = scriptedBroker();
    const client = new MqttClient({ network: broker.network, clock, random: { fill: (b) => b.fill(7) }, host: "b", port: 1, clientId: "g", outbox: new FlashOutbox(new NorFlashSim({ size: 4 * 4096 })), keepaliveSec: 0, minBackoffMs: 10, maxBackoffMs: 20 });
    const got: string[] = [];
    client.onMessage((t, p) => got.push(`${t}=${new TextDecoder().decode(p)}`));
    client.start();
    broker.accept();
    const r = rng(5);
    const bytes = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 256));
    for (let i = 0; i < 300; i++) {
      // whole junk "packets" (so no partial packet is left to swallow the next one): a reserved
      // type, a SUBACK announcing more than the packet limit (a PUBLISH that does is read past in
      // 3.1.1, not dropped: oversize.test.ts), or a PUBLISH/SUBACK/PUBACK of random body
      const body = bytes(Math.floor(r() * 100));
      const kind = i % 4;
      const junk = Uint8Array.from(
        kind === 0 ? [r() < 0.5 ? 0x00 : 0xf0, body.length, ...body]
        : kind === 1 ? [0x90, 0xff, 0xff, 0xff, 0x7f, ...body]
        : [[0x30, 0x32, 0x90, 0x40][Math.floor(r() * 4)] | Math.floor(r() * 16), body.length, ...body],
      );
      expect(() => broker.push(junk)).not.toThrow();
      if (!client.isConnected) {
        clock.advance(100); // backoff, then the next connection
        broker.accept();
      }
      expect(client.isConnected).toBe(true);
      broker.push({ cmd: "publish", topic: "t/ok", payload: enc(String(i)), qos: 1, retain: false, dup: false, messageId: 1 + i });
      expect(got.at(-1)).toBe(`t/ok=${i}`);
    }
    expect(client.stats.protocolErrors).toBeGreaterThan(150);
    expect(broker.connections()).toBeGreaterThan(150);
  });
});

describe("firmware offers of every wrong shape through the downlink", () => {
  it("are refused with a reason before anything is fetched, and a good offer then starts the download", () => {
    const clock = new VirtualClock(Date.UTC(2026, 5, 1));
    const seed = new Uint8Array(randomBytes(32));
    const fw = new Uint8Array(randomBytes(20_000));
    const image = (version: string) => buildImage(fw, version, createHash("sha256").update(fw).digest("hex"), seed);
    const flash = new NorFlashSim({ size: 64 * 4096 });
    new OtaSlots(flash, publicKeyFromSeed(seed)).installFactory(image("1.0.0"));
    const slots = new OtaSlots(flash, publicKeyFromSeed(seed));
    slots.boot();
    const fetched: string[] = [];
    const source: ImageSource = { fetch: (url, _from, _onData, _done) => { fetched.push(url); return { abort() {} }; } };
    const updater = new FirmwareUpdater({ slots, source, clock, report() {}, reboot() {}, retryMs: 50, maxRetries: 1 });
    const key = new Uint8Array(32).fill(2);
    const results: any[] = [];
    let deliver: (t: string, p: Uint8Array, r: boolean) => void = () => {};
    const mqtt: MqttPublisher = { publish(t, p) { if (t.endsWith("/cmd/result")) results.push(JSON.parse(new TextDecoder().decode(p))); return true; }, subscribe() {}, onMessage(h) { deliver = h; } };
    const link = new CloudLink({ node: "ota1", household: new DemoHousehold(clock).store, mqtt, clock, macKey: key, counters: memoryCounters(), refusalBurst: 1e6, onFirmwareOffer: (f) => updater.offer(f) });
    link.start();
    const topic = "xsmeter/ota1/cmd/firmware";
    let ctr = 0;
    const send = (body: Record<string, unknown>) => {
      const json = JSON.stringify({ ctr: ++ctr, ...body });
      deliver(topic, enc(`h1.${createHmac("sha256", Buffer.from(key)).update(`${topic}\n${json}`).digest("hex")}.${json}`), false);
      return results.at(-1);
    };
    const m = parseHeader(image("1.1.0")).manifest;
    const good = { version: m.version, size: m.size, sha256: m.sha256, url: "http://utility.example/fw.xsota" };
    const bad: Record<string, unknown>[] = [
      { ...good, version: "1.0.0" }, { ...good, version: "0.9" }, { ...good, version: "x".repeat(5000) }, { ...good, version: 1 },
      { ...good, size: -1 }, { ...good, size: 1e300 }, { ...good, size: 0.5 }, { ...good, size: 1 << 30 }, { ...good, size: "20000" },
      { ...good, sha256: "AB".repeat(32) }, { ...good, sha256: "ab" }, { ...good, sha256: null },
      { ...good, url: "https://x/y" }, { ...good, url: "file:///etc/passwd" }, { ...good, url: "" }, { ...good, url: ["http://x"] },
      {},
    ];
    for (const b of bad) {
      const r = send(b);
      expect(r, JSON.stringify(b).slice(0, 80)).toMatchObject({ kind: "firmware", ok: false });
      expect(r.error).toMatch(/^firmware/);
    }
    expect(fetched).toEqual([]);
    expect(send(good)).toMatchObject({ kind: "firmware", ok: true });
    expect(fetched).toEqual(["http://utility.example/fw.xsota"]);
  });
});
