/**
 * `npm run bench:headend-nats [-- --meters N[,N…]] [--seconds S] [--period-ms P] [--ack-wait 30s] [--reconnect-delay MS] [--no-kill]`
 *
 * The head-end's broker tier on a 3-node NATS cluster (Debian's nats-server 2.9 on loopback,
 * JetStream file storage, MQTT streams replicated on all three): N meters — each the firmware's
 * CloudLink over our MqttClient on a FailoverNetwork, spread over the three nodes' MQTT ports —
 * publish every kind the firmware sends, one step every P ms (a compressed rate: the board sends
 * readings every 60 s): 3 readings (underscored topics, 1-0:1_8_0: nats-server 2.9 refuses "."),
 * one 10-min aggregate, an event every 5 steps and a firmware report (retained) every 10, plus the
 * retained status — into one ingest worker on SQLite (a temp file) with a persistent session.
 * Halfway, node 1 — the ingest's node and a third of the meters' — is SIGKILLed and left dead.
 * Prints connect time, ingest rate before and after the kill, per kind: published, rows, not stored,
 * duplicate rows, p50/p99 publish→row; redeliveries absorbed, and the failover gaps (ingest: kill →
 * reconnected → first commit; meters: kill → the last one reconnected).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { NatsCluster } from "../hosts/headend/broker/nats-cluster";
import { SqliteStore } from "../hosts/headend/store/sqlite-store";
import type { IngestItem, IngestOutcome } from "../hosts/headend/store/store";
import { Ingest } from "../hosts/headend/ingest/ingest";
import { FleetMeter, type FleetKind } from "../test/headend/support/fleet-meter";

const KINDS: FleetKind[] = ["reading", "pq", "event"];

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SQLite store that notes when each reading's, aggregate's and event's row was committed (first time only). */
class TimedStore extends SqliteStore {
  readonly committed: Record<FleetKind, Map<string, number>> = { reading: new Map(), pq: new Map(), event: new Map() };
  readonly commitTimes: number[] = [];
  override async ingest(batch: IngestItem[]): Promise<IngestOutcome> {
    const r = await super.ingest(batch);
    const t = Date.now();
    for (const it of batch) {
      if (it.kind !== "reading" && it.kind !== "pq" && it.kind !== "event") continue;
      const k = `${it.node}/${it.meterId}/${it.boot}/${it.seq}`;
      const m = this.committed[it.kind];
      if (!m.has(k)) { m.set(k, t); this.commitTimes.push(t); }
    }
    return r;
  }

  get stored(): number {
    return KINDS.reduce((s, k) => s + this.committed[k].size, 0);
  }
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] : NaN;
}

async function run(n: number, seconds: number, periodMs: number, kill: boolean, ackWait: string, reconnectDelayMs: number): Promise<void> {
  const cluster = await NatsCluster.create(3, ackWait);
  const dir = mkdtempSync(join(tmpdir(), "xsm-bench-nats-"));
  const meters: FleetMeter[] = [];
  let ingest: Ingest | undefined;
  try {
    await cluster.startAll();
    const store = new TimedStore(join(dir, "headend.db"));
    await store.migrate();
    ingest = new Ingest({ store, mqttUrl: cluster.urls(0), clientId: "xsmeter-headend-bench", protocolVersion: 4, reconnectDelayMs });
    let subscribed = 0;
    let reconnectAt = NaN;
    ingest.subscriber.onSubscribed = () => { if (++subscribed === 2) reconnectAt = Date.now(); };
    ingest.start();
    while (subscribed === 0) await sleep(20); // every filter granted: its consumers exist

    const c0 = Date.now();
    for (let k = 0; k < n; k++) meters.push(new FleetMeter(`bench-${k}`, cluster.urls(k % 3)));
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
    const published = meters.reduce((s, m) => s + KINDS.reduce((x, k) => x + m.published[k].size, 0), 0);
    const until = Date.now() + 60_000;
    while ((store.stored < published || meters.some((m) => m.unacked > 0)) && Date.now() < until) await sleep(100);
    await sleep(1000);

    const lat: number[] = [];
    const latBefore: number[] = []; // published before the kill: the steady state
    const perKind = new Map<string, { published: number; lost: number; lat: number[] }>();
    for (const kind of KINDS) {
      const o = { published: 0, lost: 0, lat: [] as number[] };
      perKind.set(kind, o);
      for (const m of meters) {
        for (const [k, t] of m.published[kind]) {
          o.published++;
          const c = store.committed[kind].get(`${m.node}/${k}`);
          if (c === undefined) o.lost++;
          else {
            o.lat.push(c - t);
            lat.push(c - t);
            if (!(t >= killAt)) latBefore.push(c - t);
          }
        }
      }
      o.lat.sort((a, b) => a - b);
    }
    lat.sort((a, b) => a - b);
    latBefore.sort((a, b) => a - b);
    const last = store.commitTimes[store.commitTimes.length - 1] ?? NaN;
    const counts = await store.counts();
    const rowsOf: Record<FleetKind, number> = { reading: counts.readings, pq: counts.pq, event: counts.events };
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
    const perStep = 3 + 1 + 1 / 5 + 1 / 10; // readings, aggregate, event, firmware report
    console.log(`meters ${n.toLocaleString("en-US")}, a step each per ${periodMs} ms (offered ${f((n * 1000 * perStep) / periodMs)} messages/s), ${seconds} s run${kill ? ", node 1 SIGKILLed at half-time" : ""}, mqtt ack_wait ${ackWait}, ingest reconnect delay ${reconnectDelayMs} ms; load average ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
    console.log(`  connect all: ${f(connectMs)} ms`);
    console.log(`  ingest rate: ${f(rate(t0 + 1000, kill ? killAt : t1))} rows/s${kill ? ` before the kill; catching up after it: ${f(afterKill ? rate(afterKill, last + 1) : NaN)} rows/s (first to last commit)` : ""}`);
    console.log(`  publish→row: ${kill ? `published before the kill p50 ${f(pct(latBefore, 50))} ms, p99 ${f(pct(latBefore, 99))} ms; all ` : ""}p50 ${f(pct(lat, 50))} ms, p99 ${f(pct(lat, 99))} ms, max ${f(lat[lat.length - 1])} ms`);
    const inMeters = meters.reduce((s, m) => s + m.unacked, 0);
    // not stored after 60 s of waiting: still in the meters' outboxes, in the broker's session, or lost — only 0 proves none lost
    for (const kind of KINDS) {
      const o = perKind.get(kind)!;
      console.log(`  ${kind.padEnd(8)} published ${f(o.published)}, rows ${f(rowsOf[kind])}, not stored ${f(o.lost)}, duplicate rows ${f(rowsOf[kind] - store.committed[kind].size)}, publish→row p50 ${f(pct(o.lat, 50))} ms, p99 ${f(pct(o.lat, 99))} ms`);
    }
    // firmware reports have no (boot, seq): compare bodies (the store keeps one unless it equals the node's last)
    let fwPublished = 0, fwRows = 0, fwLost = 0;
    for (const m of meters) {
      const bodies = (await store.firmwareSince(m.node, 0)).map((x) => x.body);
      fwPublished += m.firmware.length;
      fwRows += bodies.length;
      fwLost += m.firmware.filter((b) => !bodies.includes(b)).length;
    }
    const online = new Set((await store.meters(Date.now())).filter((x) => x.status === "online").map((x) => x.node));
    console.log(`  firmware published ${f(fwPublished)}, rows ${f(fwRows)}, not stored ${f(fwLost)}, duplicate rows ${f(fwRows - (fwPublished - fwLost))}; status: ${f(online.size)} of ${f(n)} nodes online in the store`);
    console.log(`  ${f(inMeters)} messages still unacknowledged in the meters' outboxes after the wait; redeliveries absorbed ${f(ingest.stats.duplicates)}; ingest sessions lost ${ingest.stats.mqtt.sessionsLost}, refused subscriptions ${ingest.stats.mqtt.refusedSubscriptions}`);
    if (kill) console.log(`  failover: ingest subscribed again ${f(reconnectAt - killAt)} ms after the kill, its first commit after the kill at ${afterKill ? f(afterKill - killAt) : "n/a"} ms, longest commit gap ${f(gap)} ms; all moved meters reconnected ${f(metersBackAt - killAt)} ms after it; ingest connects ${ingest.stats.mqtt.connects}`);
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
const reconnectDelayMs = Number(arg("reconnect-delay", "8000"));
if (meters.some((x) => !Number.isInteger(x) || x < 1 || x > 20_000) || !(seconds >= 4 && seconds <= 600) || !(periodMs >= 10 && periodMs <= 600_000) || !(reconnectDelayMs >= 0 && reconnectDelayMs <= 120_000)) {
  console.error("usage: bench:headend-nats [--meters N[,N…] (1..20000)] [--seconds S (4..600)] [--period-ms P (10..600000)] [--ack-wait 30s] [--reconnect-delay MS (0..120000)] [--no-kill]");
  process.exit(2);
}
const ackWait = arg("ack-wait", "30s");
if (!/^\d{1,4}(ms|s|m)$/.test(ackWait)) {
  console.error("--ack-wait: a duration such as 30s or 500ms");
  process.exit(2);
}
for (const n of meters) await run(n, seconds, periodMs, !process.argv.includes("--no-kill"), ackWait, reconnectDelayMs);
