/**
 * npm run bench:mqtt5 — what MQTT 5.0 buys a meter on a narrow link, and what it costs:
 * 1. bytes on the wire per reading (one QoS 1 PUBLISH of the cloud link's shape): 3.1.1, 5.0 by
 *    topic alias, 5.0 with content type, and what a connection's CONNECT/CONNACK cost;
 * 2. measured through Debian's mosquitto (if installed): the bytes our MqttClient wrote and read
 *    for the same readings over 12 topics, as 3.1.1 and as 5.0 (aliases from the broker's maximum);
 * 3. the codec's cost: Node encode+decode per second, and XS computrons per call.
 * With --json, one JSON object as the last line.
 */
import { resolve, join } from "node:path";
import { performance } from "node:perf_hooks";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect as tcpConnect } from "node:net";
import { getRandomValues } from "node:crypto";
import { bundleForXs, projectRoot, XsEngine } from "../hosts/node/xs/runner";
import { freePort } from "../hosts/node/free-port";
import { NodeNetwork } from "../hosts/node/http/node-network";
import { nodeClock } from "../hosts/node/node-clock";
import { encodePacket, MqttDecoder, type Packet } from "../modules/mqtt/codec";
import { MqttClient } from "../modules/mqtt/client";
import { MemoryOutbox } from "../modules/mqtt/flash-outbox";
import type { ConnectHandlers, Network } from "../modules/core/ports";
import * as entry from "../test/mqtt/xs-bench-entry";

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MOSQUITTO = "/usr/sbin/mosquitto";

function table(title: string, head: string[], rows: (string | number)[][]): void {
  const all = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  console.log(title);
  for (const [k, r] of all.entries()) {
    console.log("  " + r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  "));
    if (k === 0) console.log("  " + w.map((n) => "-".repeat(n)).join("  "));
  }
  console.log("");
}

function wireBytes() {
  const payload = new TextEncoder().encode(entry.PAYLOAD);
  const base: Packet = { cmd: "publish", topic: entry.TOPIC, payload, qos: 1, retain: false, dup: false, messageId: 4242 };
  const v4 = encodePacket(base).length;
  const first = encodePacket({ ...base, properties: { topicAlias: 3 } }, 5).length;
  const alias = encodePacket({ ...base, topic: "", properties: { topicAlias: 3 } }, 5).length;
  const typed = encodePacket({ ...base, topic: "", properties: { topicAlias: 3, contentType: "application/json" } }, 5).length;
  const connect4 = encodePacket({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId: "xsmeter-sim-42", clean: false, keepalive: 30, will: { topic: "xsmeter/sim-42/status", payload: new TextEncoder().encode("offline"), qos: 1, retain: true } }).length;
  const connect5 = encodePacket({ cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clientId: "xsmeter-sim-42", clean: false, keepalive: 30, properties: { maximumPacketSize: 1 << 20, sessionExpiryInterval: 0xffffffff }, will: { topic: "xsmeter/sim-42/status", payload: new TextEncoder().encode("offline"), qos: 1, retain: true } }).length;
  return { v4, first, alias, typed, connect4, connect5, payload: payload.length, topic: entry.TOPIC.length };
}

/** A Network that counts the bytes its sockets write and receive. */
function countingNetwork(inner: Network) {
  const count = { up: 0, down: 0 };
  const net: Network = {
    listen: (...a) => inner.listen(...a),
    connect(host: string, port: number, h: ConnectHandlers) {
      const s = inner.connect(host, port, { ...h, onData: (b) => { count.down += b.length; h.onData(b); } });
      return { write: (b: Uint8Array) => { count.up += b.length; return s.write(b); }, get pending() { return s.pending; }, close: () => s.close(), get remoteAddress() { return s.remoteAddress; } };
    },
  };
  return { net, count };
}

async function throughMosquitto(readings: number) {
  if (!existsSync(MOSQUITTO)) return undefined;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "xsm-bench5-"));
  chmodSync(dir, 0o777);
  writeFileSync(join(dir, "m.conf"), [`listener ${port} 127.0.0.1`, "allow_anonymous true", "max_inflight_messages 20", ""].join("\n"));
  const proc = spawn(MOSQUITTO, ["-c", join(dir, "m.conf")], { stdio: "ignore" });
  try {
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((r) => { const s = tcpConnect(port, "127.0.0.1"); s.on("connect", () => { s.destroy(); r(true); }); s.on("error", () => r(false)); });
      if (ok) break;
      await sleep(50);
    }
    const out: Record<string, { up: number; down: number; aliased: number; ms: number }> = {};
    for (const version of [4, 5] as const) {
      const { net, count } = countingNetwork(new NodeNetwork());
      const c = new MqttClient({ network: net, clock: nodeClock(), random: { fill: (b) => void getRandomValues(b) }, host: "127.0.0.1", port, clientId: `bench-${version}`, outbox: new MemoryOutbox(), clean: true, protocolVersion: version, maxInflight: 16 });
      c.start();
      while (!c.isConnected) await sleep(5);
      const t0 = performance.now();
      for (let i = 0; i < readings; i++) c.publish(`xsmeter/sim-42/meter/${1 + (i % 4)}/1-0:${[1, 21, 32][i % 3]}.7.0`, new TextEncoder().encode(entry.PAYLOAD.replace("12345", String(i))), 1);
      while (c.stats.acked < readings) await sleep(5);
      out[`v${version}`] = { up: count.up, down: count.down, aliased: c.stats.aliased, ms: performance.now() - t0 };
      c.stop();
    }
    return out;
  } finally {
    proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

function nodeRate(fn: () => number): number {
  for (let i = 0; i < 2000; i++) fn();
  const n = 50_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return n / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const w = wireBytes();
  const saved = (n: number) => `${(((w.v4 - n) / w.v4) * 100).toFixed(0)} %`;
  table(`Bytes per reading (QoS 1 PUBLISH; topic ${w.topic} B, JSON payload ${w.payload} B)`, ["packet", "bytes", "saved vs 3.1.1"], [
    ["3.1.1", w.v4, "-"],
    ["5.0, first use of a topic (topic + alias)", w.first, saved(w.first)],
    ["5.0 by topic alias", w.alias, saved(w.alias)],
    ["5.0 by alias + content type", w.typed, saved(w.typed)],
    ["CONNECT 3.1.1 (with will)", w.connect4, "-"],
    ["CONNECT 5.0 (+ session expiry, packet limit)", w.connect5, `+${w.connect5 - w.connect4} B`],
  ]);

  const readings = 600;
  const m = await throughMosquitto(readings);
  if (m) {
    table(`Through mosquitto: ${readings} readings over 12 topics, bytes our MqttClient wrote / read (CONNECT and DISCONNECT included; no subscriber, so 5.0 PUBACKs carry 0x10 "no matching subscribers": 1 B more each)`, ["protocol", "bytes up", "per reading", "bytes down", "by alias", "ms"], [
      ["3.1.1", m.v4.up, (m.v4.up / readings).toFixed(1), m.v4.down, 0, m.v4.ms.toFixed(0)],
      ["5.0", m.v5.up, (m.v5.up / readings).toFixed(1), m.v5.down, m.v5.aliased, m.v5.ms.toFixed(0)],
    ]);
  } else console.log(`(${MOSQUITTO} missing: the through-the-broker figures are skipped)\n`);

  const node = { publish311: nodeRate(entry.publish311), publish5Alias: nodeRate(entry.publish5Alias), publish5Rich: nodeRate(entry.publish5Rich), connack5: nodeRate(entry.connack5) };
  const xs = await XsEngine.start();
  const comp: Record<string, number> = {};
  const slots: Record<string, number> = {};
  try {
    await xs.load(await bundleForXs(resolve(projectRoot(), "test/mqtt/xs-bench-entry.ts"), "__mq5"));
    const call = async (f: string) => (await xs.evaluate<number>(`__mq5.${f}()`)).meter.compute;
    for (const f of ["nothing", "publish311", "publish5Alias", "publish5Rich", "connack5"]) {
      await call(f); // warm up
      comp[f] = await call(f);
    }
    // XS heap slots per packet: decoding the same bytes 200 times (keeping nothing) against
    // building the same packet by hand 200 times — equal means decoding allocates only the packet.
    for (const which of ["alias", "rich"]) {
      for (const f of ["decodeMany", "buildMany"]) {
        await xs.evaluate(`__mq5.${f}("${which}", 10)`);
        const a = (await xs.evaluate(`__mq5.${f}("${which}", 1)`)).meter.heapCount;
        const b = (await xs.evaluate(`__mq5.${f}("${which}", 201)`)).meter.heapCount;
        slots[`${f}-${which}`] = (b - a) / 200;
      }
    }
  } finally {
    await xs.close();
  }
  const net = (f: string) => comp[f] - comp.nothing; // the evaluate wrapper's own cost taken off
  table("Codec cost: one encode + decode", ["packet", "Node per second", "XS computrons"], [
    ["PUBLISH 3.1.1", fmt(node.publish311), fmt(net("publish311"))],
    ["PUBLISH 5.0 by topic alias", fmt(node.publish5Alias), fmt(net("publish5Alias"))],
    ["PUBLISH 5.0, 5 properties", fmt(node.publish5Rich), fmt(net("publish5Rich"))],
    ["CONNACK 5.0, 6 properties (decode only)", fmt(node.connack5), fmt(net("connack5"))],
  ]);
  table("XS heap slots per packet: decoded, against the same packet built by hand", ["packet", "decoding", "the packet alone"], [
    ["PUBLISH 5.0 by topic alias", slots["decodeMany-alias"].toFixed(1), slots["buildMany-alias"].toFixed(1)],
    ["PUBLISH 5.0, 5 properties", slots["decodeMany-rich"].toFixed(1), slots["buildMany-rich"].toFixed(1)],
  ]);
  if (json) console.log(JSON.stringify({ bench: "mqtt5", bytes: w, mosquitto: m ?? null, nodePerSecond: node, xsComputrons: { publish311: net("publish311"), publish5Alias: net("publish5Alias"), publish5Rich: net("publish5Rich"), connack5: net("connack5") }, xsHeapSlotsPerPacket: slots }));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
