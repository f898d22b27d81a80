/**
 * `npm run bench:headend-nats [-- --meters N[,N…]] [--seconds S] [--period-ms P] [--ack-wait 30s] [--no-kill]`
 *
 * The head-end's broker tier on a 3-node NATS cluster (Debian's nats-server 2.9 on loopback,
 * JetStream file storage, MQTT streams replicated on all three): N meters — each the firmware's
 * CloudLink over our MqttClient on a FailoverNetwork, spread over the three nodes' MQTT ports —
 * publish one 10-min aggregate per meter every P ms (a compressed rate: the board sends one per
 * 10 min; it is the topic nats-server 2.9 takes, see docs/headend-scaling.md) into one ingest
 * worker on SQLite (a temp file) with a persistent session. Halfway, node 1 — the ingest's node and
 * a third of the meters' — is SIGKILLed and left dead. Prints connect time, ingest rate before and
 * after the kill, p50/p99 publish→row, rows lost, duplicate rows, redeliveries absorbed, and the
 * failover gaps (ingest: kill → first commit after it; meters: kill → the last one reconnected).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { NatsCluster } from "../hosts/headend/broker/nats-cluster";
import { SqliteStore } from "../hosts/headend/store/sqlite-store";
import type { IngestItem, IngestOutcome } from "../hosts/headend/store/store";
import { Ingest } from "../hosts/headend/ingest/ingest";
import { PqMeter } from "../test/headend/support/pq-meter";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SQLite store that notes when each aggregate's row was committed (first time only). */
class TimedStore extends SqliteStore {
  readonly committed = new Map<string, number>();
  readonly commitTimes: number[] = [];
  override async ingest(batch: IngestItem[]): Promise<IngestOutcome> {
    const r = await super.ingest(batch);
    const t = Date.now();
    for (const it of batch) {
      if (it.kind !== "pq") continue;
      const k = `${it.node}/${it.meterId}/${it.boot}/${it.seq}`;
      if (!this.committed.has(k)) { this.committed.set(k, t); this.commitTimes.push(t); }
    }
    return r;
  }
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] : NaN;
}

async function run(n: number, seconds: number, periodMs: number, kill: boolean, ackWait: string): Promise<void> {
  const cluster = await NatsCluster.create(3, ackWait);
  const dir = mkdtempSync(join(tmpdir(), "xsm-bench-nats-"));
  const meters: PqMeter[] = [];
  let ingest: Ingest | undefined;
  try {
    await cluster.startAll();
    const store = new TimedStore(join(dir, "headend.db"));
    await store.migrate();
    ingest = new Ingest({ store, mqttUrl: cluster.urls(0), clientId: "xsmeter-headend-bench", protocolVersion: 4 });
    let up = false;
    ingest.subscriber.onConnect = () => { up = true; };
    ingest.start();
    while (!up) await sleep(20);
    await sleep(300);

    const c0 = Date.now();
    for (let k = 0; k < n; k++) meters.push(new PqMeter(`bench-${k}`, cluster.urls(k % 3)));
    for (const m of meters) m.start();
    while (!meters.every((m) => m.client.isConnected)) {
      if (Date.now() - c0 > 120_000) throw new Error("meters did not all connect in 120 s");
      await sleep(20);
    }
    const connectMs = Date.now() - c0;

    const t0 = Date.now();
    meters.forEach((m, k) => setTimeout(() => m.run(periodMs), (k * periodMs) / n)); // phases spread over the period
    let killAt = NaN;
    let metersBackAt = NaN;
    if (kill) {
      await sleep((seconds * 1000) / 2);
      killAt = Date.now();
      await cluster.kill(0);
      const moved = meters.filter((_, k) => k % 3 === 0);
      await sleep(50);
      while (!moved.every((m) => m.client.isConnected) && Date.now() - killAt < 60_000) await sleep(20);
      metersBackAt = Date.now();
      await sleep(Math.max(0, t0 + seconds * 1000 - Date.now()));
    } else {
      await sleep(seconds * 1000);
    }
    const t1 = Date.now();
    for (const m of meters) m.pause();
    const published = meters.reduce((s, m) => s + m.published.size, 0);
    const until = Date.now() + 60_000;
    while ((store.committed.size < published || meters.some((m) => m.unacked > 0)) && Date.now() < until) await sleep(100);
    await sleep(1000);

    const lat: number[] = [];
    const latBefore: number[] = []; // published before the kill: the steady state
    let lost = 0;
    for (const m of meters) {
      for (const [k, t] of m.published) {
        const c = store.committed.get(`${m.node}/${k}`);
        if (c === undefined) lost++;
        else {
          lat.push(c - t);
          if (!(t >= killAt)) latBefore.push(c - t);
        }
      }
    }
    lat.sort((a, b) => a - b);
    latBefore.sort((a, b) => a - b);
    const last = store.commitTimes[store.commitTimes.length - 1] ?? NaN;
    const rows = (await store.counts()).pq;
    const rate = (from: number, to: number) => store.commitTimes.filter((t) => t >= from && t < to).length / ((to - from) / 1000);
    const afterKill = kill ? store.commitTimes.find((t) => t > killAt + 5) : undefined;
    // the ingest's gap: the longest pause between two commits from the kill on
    let gap = 0;
    if (kill) {
      const ts = store.commitTimes.filter((t) => t >= killAt);
      let prev = killAt;
      for (const t of ts) { gap = Math.max(gap, t - prev); prev = t; }
    }
    const f = (x: number) => (Number.isFinite(x) ? x.toLocaleString("en-US", { maximumFractionDigits: 0 }) : "n/a");
    console.log(`meters ${n.toLocaleString("en-US")}, one aggregate each per ${periodMs} ms (offered ${f((n * 1000) / periodMs)}/s), ${seconds} s run${kill ? ", node 1 SIGKILLed at half-time" : ""}, mqtt ack_wait ${ackWait}; load average ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
    console.log(`  connect all: ${f(connectMs)} ms`);
    console.log(`  ingest rate: ${f(rate(t0 + 1000, kill ? killAt : t1))} rows/s${kill ? ` before the kill; catching up after it: ${f(afterKill ? rate(afterKill, last + 1) : NaN)} rows/s (first to last commit)` : ""}`);
    console.log(`  publish→row: ${kill ? `published before the kill p50 ${f(pct(latBefore, 50))} ms, p99 ${f(pct(latBefore, 99))} ms; all ` : ""}p50 ${f(pct(lat, 50))} ms, p99 ${f(pct(lat, 99))} ms, max ${f(lat[lat.length - 1])} ms`);
    const inMeters = meters.reduce((s, m) => s + m.unacked, 0);
    // not stored after 60 s of waiting: still in the meters' outboxes, in the broker's session, or lost — only 0 proves none lost
    console.log(`  published ${f(published)}, rows ${f(rows)}, not stored ${f(lost)} (of which ${f(inMeters)} still unacknowledged in the meters' outboxes after 60 s of waiting), duplicate rows ${f(rows - store.committed.size)}, redeliveries absorbed ${f(ingest.stats.duplicates)}`);
    if (kill) console.log(`  failover: ingest's first commit ${afterKill ? f(afterKill - killAt) : "n/a"} ms after the kill, longest commit gap ${f(gap)} ms; all moved meters reconnected ${f(metersBackAt - killAt)} ms after it; ingest connects ${ingest.stats.mqtt.connects}`);
  } finally {
    for (const m of meters) m.stop();
    await ingest?.stop();
    await cluster.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

const meters = arg("meters", "300,1000").split(",").map(Number);
const seconds = Number(arg("seconds", "20"));
const periodMs = Number(arg("period-ms", "1000"));
if (meters.some((x) => !Number.isInteger(x) || x < 1 || x > 20_000) || !(seconds >= 4 && seconds <= 600) || !(periodMs >= 10 && periodMs <= 600_000)) {
  console.error("usage: bench:headend-nats [--meters N[,N…] (1..20000)] [--seconds S (4..600)] [--period-ms P (10..600000)] [--no-kill]");
  process.exit(2);
}
const ackWait = arg("ack-wait", "30s");
if (!/^\d{1,4}(ms|s|m)$/.test(ackWait)) {
  console.error("--ack-wait: a duration such as 30s or 500ms");
  process.exit(2);
}
for (const n of meters) await run(n, seconds, periodMs, !process.argv.includes("--no-kill"), ackWait);
