// The MQTT client against a real broker (Debian's mosquitto, started here on an
// ephemeral port with persistence): the broker killed and restarted mid-stream,
// the meter rebooted during an outage, and a fake broker that sends garbage.
// The subscriber must receive every reading, exactly once after dropping
// duplicates by sequence number.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Mosquitto } from "../support/mosquitto";
import { missing } from "../support/requires";
import { rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { freePort } from "../../hosts/node/free-port";
import { getRandomValues } from "node:crypto";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";
import { FlashOutbox, MemoryOutbox } from "../../modules/mqtt/flash-outbox";
import { MqttClient } from "../../modules/mqtt/client";
import { encodePacket, MqttDecoder } from "../../modules/mqtt/codec";
import { nodeClock } from "../../hosts/node/node-clock";

const clock = nodeClock();
const random = { fill: (b: Uint8Array) => void getRandomValues(b) };
const network = new NodeNetwork();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));


function subscriber(port: number) {
  const seen = new Map<string, number>();
  let messages = 0;
  const c = new MqttClient({ network, clock, random, host: "127.0.0.1", port, clientId: "cloud-test", outbox: new MemoryOutbox(), clean: false, minBackoffMs: 100, maxBackoffMs: 400 });
  c.subscribe("xsmeter/+/meter/#", 1);
  const log: string[] = [];
  c.onDisconnect = (r) => log.push(`${Date.now() % 100000} lost ${r}`);
  c.onConnect = () => log.push(`${Date.now() % 100000} up`);
  c.onMessage((topic, payload) => {
    messages++;
    const { seq } = JSON.parse(new TextDecoder().decode(payload));
    const key = `${topic.split("/")[1]}#${seq}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  });
  return { c, seen, count: () => messages, log };
}

function meter(port: number, flash: NorFlashSim, id = "n1") {
  return new MqttClient({ network, clock, random, host: "127.0.0.1", port, clientId: `xsmeter-${id}`, outbox: new FlashOutbox(flash), clean: false, keepaliveSec: 5, minBackoffMs: 100, maxBackoffMs: 400, will: { topic: `xsmeter/${id}/status`, payload: enc("offline"), qos: 1, retain: true } });
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe.skipIf(missing("mosquitto"))("MQTT against mosquitto", () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = new Mosquitto(await freePort());
    await broker.start();
  });
  afterAll(async () => {
    await broker?.stop();
    if (broker && !process.env.KEEP_MOSQ) rmSync(broker.dir, { recursive: true, force: true });
  });

  it("delivers every reading exactly once (after dedup by seq) across a broker kill, a restart and a meter reboot during the outage", async () => {
    const sub = subscriber(broker.port);
    sub.c.start();
    await until(() => sub.c.isConnected, 5000, "subscriber connect");
    const flash = new NorFlashSim({ size: 16 * 4096 });
    let m = meter(broker.port, flash);
    m.start();
    let seq = 0;
    const publish = async (n: number) => { for (let i = 0; i < n; i++) { m.publish(`xsmeter/n1/meter/1/1-0:32.7.0`, enc({ seq: ++seq, v: 230 + i / 100 })); if (i % 10 === 0) await sleep(5); } };
    await publish(150);
    // Mid-stream, SIGKILL: no goodbye. mosquitto saves its database after every change
    // (autosave_on_changes, interval 1), so what it acknowledged survives.
    const marks: string[] = [];
    marks.push(`${Date.now() % 100000} stop`);
    await broker.stop("SIGKILL");
    await publish(100); // into the outbox while the broker is down
    m.kill(); // the meter reboots during the outage
    flash.reboot();
    m = meter(broker.port, flash);
    m.start();
    await publish(50);
    await sleep(300);
    marks.push(`${Date.now() % 100000} start`);
    await broker.start();
    marks.push(`${Date.now() % 100000} started`);
    await publish(100);
    try {
      await until(() => [...Array(seq).keys()].every((i) => sub.seen.has(`n1#${i + 1}`)), 15_000, "all readings at the subscriber");
    } catch {
      // fall through: the assertion below lists what is missing
    }
    await until(() => new FlashOutbox(flash).size === 0 || m.stats.acked > 0, 5000, "outbox drained");
    const lost = [...Array(seq).keys()].map((i) => i + 1).filter((i) => !sub.seen.has(`n1#${i}`));
    if (lost.length) console.log("missing", lost.length, lost.slice(0, 20), "outbox", new FlashOutbox(flash).size, m.stats, sub.c.stats, sub.c.isConnected, m.isConnected, sub.log, marks, broker.dir);
    expect(lost).toEqual([]);
    expect(sub.seen.size).toBe(seq);
    console.log(`mosquitto: ${seq} readings, ${sub.count()} deliveries (${sub.count() - seq} duplicates dropped by seq), meter resent ${m.stats.resent}`);
    m.stop();
    sub.c.stop();
  }, 40_000);

  it("delivers every reading exactly once across link cuts (a proxy that drops every connection mid-stream)", async () => {
    const live = new Set<import("node:net").Socket>();
    let up = true;
    const proxy = createServer((inbound) => {
      if (!up) { inbound.destroy(); return; }
      const outbound = require("node:net").connect(broker.port, "127.0.0.1");
      live.add(inbound); live.add(outbound);
      inbound.pipe(outbound); outbound.pipe(inbound);
      const drop = () => { inbound.destroy(); outbound.destroy(); live.delete(inbound); live.delete(outbound); };
      inbound.on("error", drop); outbound.on("error", drop); inbound.on("close", drop); outbound.on("close", drop);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
    const sub = subscriber(broker.port);
    sub.c.start();
    await until(() => sub.c.isConnected, 5000, "subscriber connect");
    const flash = new NorFlashSim({ size: 16 * 4096 });
    const m = meter((proxy.address() as AddressInfo).port, flash, "n3");
    m.start();
    let seq = 0;
    for (let cut = 0; cut < 4; cut++) {
      await until(() => m.isConnected, 5000, "meter reconnect");
      for (let i = 0; i < 60; i++) { m.publish("xsmeter/n3/meter/2/1-0:1.8.0", enc({ seq: ++seq })); if (i % 10 === 0) await sleep(3); }
      up = cut % 2 === 1; // every other cut the link stays down for a while
      for (const s of live) s.destroy(); // the cable is cut: no FIN reaches either side in order
      await sleep(150);
      up = true;
    }
    await until(() => [...Array(seq).keys()].every((i) => sub.seen.has(`n3#${i + 1}`)), 15_000, "all readings after link cuts");
    expect([...sub.seen.keys()].filter((k) => k.startsWith("n3#")).length).toBe(seq); // nothing extra either
    expect(m.stats.connects).toBeGreaterThanOrEqual(4);
    console.log(`link cuts: ${seq} readings, ${sub.count()} deliveries, meter reconnected ${m.stats.connects} times, resent ${m.stats.resent}`);
    m.stop();
    sub.c.stop();
    await new Promise<void>((r) => proxy.close(() => r()));
  }, 30_000);

  it("treats malformed packets from a broker as a protocol error, reconnects and loses nothing", async () => {
    const received = new Set<number>();
    let connections = 0;
    const server = createServer((sock) => {
      connections++;
      const n = connections;
      const d = new MqttDecoder();
      let published = 0;
      sock.on("data", (b) => {
        for (const p of d.push(new Uint8Array(b))) {
          if (p.cmd === "connect") sock.write(encodePacket({ cmd: "connack", sessionPresent: false, returnCode: 0 }));
          if (p.cmd === "publish") {
            published++;
            if (n <= 2 && published === 3) { sock.write(Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0xff, 0x7f)); return; } // garbage length
            received.add(JSON.parse(new TextDecoder().decode(p.payload)).seq);
            sock.write(encodePacket({ cmd: "puback", messageId: p.messageId! }));
          }
        }
      });
      sock.on("error", () => {});
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as AddressInfo).port;
    const flash = new NorFlashSim({ size: 8 * 4096 });
    const reasons: string[] = [];
    const m = meter(port, flash, "n2");
    m.onDisconnect = (r) => reasons.push(r);
    for (let i = 1; i <= 40; i++) m.publish("xsmeter/n2/meter/1/1-0:1.8.0", enc({ seq: i }));
    m.start();
    await until(() => received.size === 40 && new FlashOutbox(flash).size === 0, 10_000, "all acked by the fake broker");
    expect(reasons.filter((r) => /protocol error from broker: malformed remaining length/.test(r)).length).toBe(2);
    expect(m.stats.protocolErrors).toBe(2);
    expect(connections).toBe(3);
    m.stop();
    await new Promise<void>((r) => server.close(() => r()));
  }, 20_000);
});
