// CloudLink over a recording MQTT session: readings per meter and OBIS code with
// per-meter sequence numbers, HA discovery, never a lower total, and downlink
// commands authenticated by HMAC (node:crypto computes the MAC here) or Ed25519,
// refused when forged, replayed (also after a reboot) or malformed.
import { describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { DemoHousehold } from "../../modules/app/demo-household";
import { memoryCounters } from "../../modules/mqtt/downlink-counters";
import { CloudLink, type MqttPublisher } from "../../modules/mqtt/cloud-link";
import { publicKeyFromSeed, sign } from "../../modules/secure/ed25519";
import { toHex } from "../../modules/core/bytes";

function recorder() {
  const sent: { topic: string; body: any; retain: boolean }[] = [];
  let handler: (t: string, p: Uint8Array, r: boolean) => void = () => {};
  const mqtt: MqttPublisher = {
    publish(topic, payload, _q, retain = false) {
      const text = new TextDecoder().decode(payload);
      let body: any = text;
      try { body = JSON.parse(text); } catch { /* plain text */ }
      sent.push({ topic, body, retain });
      return true;
    },
    subscribe() {},
    onMessage(h) { handler = h; },
  };
  return { mqtt, sent, deliver: (t: string, text: string) => handler(t, new TextEncoder().encode(text), false) };
}

const KEY = new Uint8Array(32).fill(7);
const seed = new Uint8Array(32).fill(9);
function hmacCmd(topic: string, body: object) {
  const json = JSON.stringify(body);
  return `h1.${createHmac("sha256", Buffer.from(KEY)).update(`${topic}\n${json}`).digest("hex")}.${json}`;
}

function setup(stored = memoryCounters()) {
  const clock = new VirtualClock(Date.UTC(2026, 5, 1, 12));
  const demo = new DemoHousehold(clock);
  const r = recorder();
  const link = new CloudLink({ node: "n1", household: demo.store, mqtt: r.mqtt, clock, macKey: KEY, signerPublicKey: publicKeyFromSeed(seed), counters: stored, boot: 3 });
  link.start();
  return { clock, demo, r, link, stored };
}

describe("CloudLink", () => {
  it("publishes every meter's OBIS values with per-meter sequence numbers, discovery and status", () => {
    const { clock, demo, r } = setup();
    demo.tick();
    clock.advance(60_000);
    const readings = r.sent.filter((s) => /^xsmeter\/n1\/meter\/\d+\//.test(s.topic));
    const perMeter = new Map<string, number[]>();
    for (const s of readings) {
      const m = s.topic.split("/")[3];
      perMeter.set(m, [...(perMeter.get(m) ?? []), s.body.seq]);
    }
    expect([...perMeter.keys()].sort()).toEqual(["1", "2", "3", "4"]);
    for (const seqs of perMeter.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const v = readings.find((s) => s.topic === "xsmeter/n1/meter/1/1-0:32.7.0")!;
    expect(v.body.u).toBe("V");
    expect(v.body.boot).toBe(3);
    const disc = r.sent.filter((s) => s.topic.startsWith("homeassistant/sensor/n1/"));
    expect(disc.every((d) => d.retain)).toBe(true);
    const power = disc.find((d) => d.topic === "homeassistant/sensor/n1/m1_power_net/config")!.body;
    expect(power).toMatchObject({ device_class: "power", state_class: "measurement", unit_of_measurement: "W", state_topic: "xsmeter/n1/meter/1/1-0:16.7.0" });
    expect(r.sent.find((s) => s.topic === "xsmeter/n1/status")).toMatchObject({ body: { state: "online", boot: 3 }, retain: true });
  });

  it("orders its status and firmware reports: each attempt's will is above its online and below the next one's", () => {
    const clock = new VirtualClock(Date.UTC(2026, 5, 1, 12));
    const demo = new DemoHousehold(clock);
    const r = recorder();
    let connected: () => void = () => {};
    const mqtt: MqttPublisher = { ...r.mqtt, onConnect: (h) => void (connected = h) };
    const link = new CloudLink({ node: "n1", household: demo.store, mqtt, clock, macKey: KEY, counters: memoryCounters(), boot: 7 });
    const dec = (p: Uint8Array) => JSON.parse(new TextDecoder().decode(p));
    // in the order a broker sees them: will 1 at CONNECT, then online; the link drops (will 1 published), CONNECT 2 …
    const seen: { state: string; boot: number; seq: number }[] = [];
    const status = () => r.sent.filter((s) => s.topic === "xsmeter/n1/status").map((s) => s.body);
    const w1 = dec(link.will().payload);
    link.start();
    connected();
    seen.push(...status(), w1);
    const w2 = dec(link.will().payload);
    connected();
    seen.push(status().at(-1), w2);
    expect(seen.map((s) => s.state)).toEqual(["online", "offline", "online", "offline"]);
    expect(seen.every((s) => s.boot === 7)).toBe(true);
    const seqs = seen.map((s) => s.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(4);
    expect(dec(link.offline().payload)).toMatchObject({ state: "offline", seq: w2.seq }); // a clean stop: where this attempt's will would be
    // a first connection after a failed attempt (whose CONNECT the broker may have taken) says "online" again, above that will
    const r2 = recorder();
    let connected2: () => void = () => {};
    const link2 = new CloudLink({ node: "n1", household: demo.store, mqtt: { ...r2.mqtt, onConnect: (h) => void (connected2 = h) }, clock, macKey: KEY, counters: memoryCounters(), boot: 7 });
    link2.start();
    const failedWill = dec(link2.will().payload);
    link2.will(); // the attempt that gets its CONNACK
    connected2();
    const online2 = r2.sent.filter((s) => s.topic === "xsmeter/n1/status").map((s) => s.body);
    expect(online2.length).toBe(2);
    expect(online2[1].seq).toBeGreaterThan(failedWill.seq);
    link.publishFirmware({ running: "1.0.0", phase: "running", boot: 1, seq: 99 });
    link.publishFirmware({ running: "1.0.0", phase: "downloading" });
    const fw = r.sent.filter((s) => s.topic === "xsmeter/n1/firmware");
    expect(fw.map((s) => [s.body.boot, s.body.seq, s.retain])).toEqual([[7, 1, true], [7, 2, true]]); // the link's numbers, not the caller's
  });

  it("never publishes a lower energy total", () => {
    const clock = new VirtualClock();
    let total = 1000;
    const household: any = { snapshot: () => ({ t: clock.now(), meters: [{ id: 1, name: "M1", values: { "1-0:1.8.0": total } }], events: [] }) };
    const r = recorder();
    const link = new CloudLink({ node: "n1", household, mqtt: r.mqtt, clock, macKey: KEY, counters: memoryCounters() });
    link.publishReadings();
    total = 990;
    link.publishReadings();
    total = 1010;
    link.publishReadings();
    const values = r.sent.filter((s) => s.topic === "xsmeter/n1/meter/1/1-0:1.8.0").map((s) => s.body.v);
    expect(values).toEqual([1000, 1010]);
    expect(link.stats.lowerTotalsSuppressed).toBe(1);
    const disc = r.sent.find((s) => s.topic.startsWith("homeassistant/"))!.body;
    expect(disc).toMatchObject({ device_class: "energy", state_class: "total_increasing", unit_of_measurement: "kWh" });
  });

  it("applies an authenticated load command once, and refuses forged, replayed and malformed ones", () => {
    const { r, demo, link, stored } = setup();
    const topic = "xsmeter/n1/cmd/load";
    r.deliver(topic, hmacCmd(topic, { ctr: 5, id: "oven", on: false }));
    expect(demo.store.snapshot().loads.find((l) => l.id === "oven")!.on).toBe(false);
    expect(stored.values().load).toBe(5);
    r.deliver(topic, hmacCmd(topic, { ctr: 5, id: "oven", on: true })); // replay of the counter
    r.deliver(topic, hmacCmd(topic, { ctr: 4, id: "oven", on: true })); // older
    const forged = hmacCmd(topic, { ctr: 6, id: "oven", on: true }).replace('"on":true', '"on":false ');
    r.deliver(topic, forged);
    r.deliver(topic, hmacCmd("xsmeter/n1/cmd/config", { ctr: 7, id: "oven", on: true })); // MAC for another topic
    r.deliver(topic, "not a command");
    expect(demo.store.snapshot().loads.find((l) => l.id === "oven")!.on).toBe(false);
    expect(link.stats).toMatchObject({ commandsAccepted: 1, replayed: 2, forged: 2, malformed: 1 });
    const results = r.sent.filter((s) => s.topic === "xsmeter/n1/cmd/result").map((s) => s.body.error ?? "ok");
    expect(results[0]).toBe("ok");
    expect(results.slice(1).join("|")).toMatch(/replayed.*replayed.*forged.*forged.*malformed/);
  });

  it("refuses a replay after a reboot (counter persisted) and accepts Ed25519-signed commands", () => {
    const stored = memoryCounters();
    const topic = "xsmeter/n1/cmd/load";
    const cmd = hmacCmd(topic, { ctr: 10, id: "ev", on: false });
    let s = setup(stored);
    s.r.deliver(topic, cmd);
    expect(s.link.stats.commandsAccepted).toBe(1);
    s = setup(stored); // reboot: a new link, same counter store
    s.r.deliver(topic, cmd);
    expect(s.link.stats.replayed).toBe(1);
    const json = JSON.stringify({ ctr: 11, id: "ev", on: true });
    const sig = sign(new TextEncoder().encode(`${topic}\n${json}`), seed);
    s.r.deliver(topic, `e1.${toHex(sig)}.${json}`);
    expect(s.link.stats.commandsAccepted).toBe(1);
    sig[0] ^= 1;
    s.r.deliver(topic, `e1.${toHex(sig)}.${JSON.stringify({ ctr: 12, id: "ev", on: false })}`);
    expect(s.link.stats.forged).toBe(1);
  });
});
