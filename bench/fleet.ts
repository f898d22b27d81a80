/**
 * `npm run bench:fleet [-- --meters N[,N…]] [--seconds S] [--json]`: N simulated
 * meters in one process, each an MqttClient (QoS 1, persistent session) publishing
 * readings to a real broker on loopback — mosquitto when installed, else the
 * embedded aedes broker — and one cloud subscriber. Prints sustained messages/s
 * delivered to the subscriber, end-to-end latency p50/p99 (publish call to
 * delivery) and lost messages (sequence numbers never delivered; must be 0).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { freePort } from "../hosts/node/free-port";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getRandomValues } from "node:crypto";
import { performance } from "node:perf_hooks";
import { NodeNetwork } from "../hosts/node/http/node-network";
import { MemoryOutbox } from "../modules/mqtt/flash-outbox";
import { MqttClient } from "../modules/mqtt/client";
import { startEmbeddedBroker } from "../hosts/node/mqtt/embedded-broker";
import { nodeClock } from "../hosts/node/node-clock";

const args = process.argv.slice(2);
const json = args.includes("--json");
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const sizes = opt("meters", "100,1000").split(",").map(Number);
const seconds = Number(opt("seconds", "8"));
const perMeterHz = Number(opt("rate", "2"));

const clock = nodeClock();
const random = { fill: (b: Uint8Array) => void getRandomValues(b) };
const network = new NodeNetwork();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startBroker(): Promise<{ name: string; port: number; close(): Promise<void> }> {
  const bin = "/usr/sbin/mosquitto";
  if (existsSync(bin)) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "xsm-fleet-"));
    chmodSync(dir, 0o777);
    writeFileSync(join(dir, "m.conf"), `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 1000000\nmax_inflight_messages 1000\n`);
    const proc: ChildProcess = spawn(bin, ["-c", join(dir, "m.conf")], { stdio: "ignore" });
    for (let i = 0; ; i++) {
      const ok = await new Promise<boolean>((r) => { const s = connect(port, "127.0.0.1"); s.on("connect", () => { s.destroy(); r(true); }); s.on("error", () => r(false)); });
      if (ok) break;
      if (i > 100) throw new Error("mosquitto did not start");
      await sleep(50);
    }
    return { name: "mosquitto", port, close: async () => { await new Promise<void>((r) => { proc.once("exit", () => r()); proc.kill("SIGTERM"); }); rmSync(dir, { recursive: true, force: true }); } };
  }
  const b = await startEmbeddedBroker({ port: 0 });
  return { name: "embedded (aedes)", port: b.port, close: b.close };
}

interface Row { meters: number; broker: string; published: number; delivered: number; lost: number; duplicates: number; msgsPerSec: number; p50Ms: number; p99Ms: number }

async function runFleet(n: number, broker: { name: string; port: number }): Promise<Row> {
  const sent = new Map<string, number>(); // "meter#seq" → publish time
  const seen = new Set<string>();
  const latencies: number[] = [];
  let duplicates = 0;
  const sub = new MqttClient({ network, clock, random, host: "127.0.0.1", port: broker.port, clientId: `fleet-cloud-${n}`, outbox: new MemoryOutbox(), clean: true, keepaliveSec: 60 });
  sub.subscribe(`fleet${n}/#`, 1);
  sub.onMessage((topic, payload) => {
    const now = performance.now();
    const { m, seq } = JSON.parse(new TextDecoder().decode(payload)) as { m: number; seq: number };
    const key = `${m}#${seq}`;
    if (seen.has(key)) { duplicates++; return; }
    seen.add(key);
    latencies.push(now - sent.get(key)!);
  });
  sub.start();
  while (!sub.isConnected) await sleep(10);
  await sleep(100);
  const meters = Array.from({ length: n }, (_, i) => new MqttClient({ network, clock, random, host: "127.0.0.1", port: broker.port, clientId: `fleet-${n}-${i}`, outbox: new MemoryOutbox(), clean: false, keepaliveSec: 60, maxInflight: 16 }));
  for (const m of meters) m.start();
  while (meters.some((m) => !m.isConnected)) await sleep(20);
  const seqs = new Array(n).fill(0);
  const t0 = performance.now();
  const tick = 1000 / perMeterHz;
  let firstDelivered = 0;
  // each meter publishes perMeterHz readings per second, spread over the tick
  for (let round = 0; round < seconds * perMeterHz; round++) {
    const roundStart = t0 + round * tick;
    for (let i = 0; i < n; i++) {
      const seq = ++seqs[i];
      sent.set(`${i}#${seq}`, performance.now());
      meters[i].publish(`fleet${n}/meter/${i}/1-0:16.7.0`, new TextEncoder().encode(JSON.stringify({ m: i, seq, v: 1234.5 })), 1);
      if (i % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    const wait = roundStart + tick - performance.now();
    if (wait > 0) await sleep(wait);
  }
  const published = sent.size;
  const deadline = performance.now() + 15_000;
  while (seen.size < published && performance.now() < deadline) await sleep(20);
  const t1 = performance.now();
  void firstDelivered;
  for (const m of meters) m.stop();
  sub.stop();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN);
  return { meters: n, broker: broker.name, published, delivered: seen.size, lost: published - seen.size, duplicates, msgsPerSec: Math.round(seen.size / ((t1 - t0) / 1000)), p50Ms: Math.round(q(0.5) * 10) / 10, p99Ms: Math.round(q(0.99) * 10) / 10 };
}

async function main(): Promise<void> {
  const broker = await startBroker();
  const rows: Row[] = [];
  try {
    for (const n of sizes) rows.push(await runFleet(n, broker));
  } finally {
    await broker.close();
  }
  console.log(`fleet: ${seconds} s per run, ${perMeterHz} readings/s per meter, QoS 1, broker: ${broker.name} on loopback`);
  const header = ["meters", "published", "delivered", "lost", "dup", "msgs/s", "p50 ms", "p99 ms"];
  const body = rows.map((r) => [r.meters, r.published, r.delivered, r.lost, r.duplicates, r.msgsPerSec, r.p50Ms, r.p99Ms].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  console.log(header.map((h, i) => h.padStart(widths[i])).join("  "));
  for (const b of body) console.log(b.map((c, i) => c.padStart(widths[i])).join("  "));
  if (json) console.log(JSON.stringify({ bench: "fleet", broker: broker.name, seconds, perMeterHz, rows }));
  process.exitCode = rows.some((r) => r.lost > 0) ? 1 : 0;
  setTimeout(() => process.exit(), 200).unref();
}

main().catch((e) => {
  console.error(`bench:fleet: ${(e as Error).message}`);
  process.exit(1);
});
