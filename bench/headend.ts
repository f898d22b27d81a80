/**
 * `npm run bench:headend -- --help` for the options.
 *
 * N simulated meters — each the firmware's CloudLink (its topics, payloads, seq numbers, discovery),
 * one MQTT session per meter, publishing what a meter of the sim publishes (11 OBIS readings per period
 * and its 10-min PQ aggregate) at the board's period (60 s; --period-ms compresses time) — through
 * Debian's mosquitto into the head-end (a child process, so it can be killed) on each database.
 * Prints connect time, ingest rate, p50/p99 publish-to-row latency, rows lost and duplicate rows (counted
 * per meter against what it published), database bytes per meter-day, CPU seconds per process (the
 * bottleneck is the one that saturates). The meters' transport is lean by default (bench/support/
 * lean-meter-link.ts: one socket write per meter per turn) so the generator is not what is measured;
 * `--generator client` runs the firmware's full MqttClient instead.
 */
const HELP = `npm run bench:headend -- [options]
  --meters N            simulated meters (default 1000)
  --db sqlite|postgres|both   (default both)
  --seconds S           publishing time (default 60)
  --period-ms P         a meter's reading period (default 60000, the board's; smaller compresses time)
  --workers N           ingest workers in the head-end ($share/headend/..., MQTT 5; default 1)
  --batch-ms M          the subscriber's batch window (default 25)
  --generator lean|client   meters' MQTT transport (default lean; client = the firmware's MqttClient)
  --kill-broker         SIGKILL mosquitto once at 1/3 of the run, restart it 2 s later
  --kill-headend        SIGKILL the head-end once at 2/3 of the run, restart it 2 s later
  --kill                both
  --autosave changes|S  mosquitto saves its store at every change, or every S seconds
                        (default: changes with --kill-broker, else 30)
  --pg-fsync on|off     PostgreSQL fsync (default on: what a deployment pays)
  --profile DIR         write the head-end child's CPU profile (.cpuprofile) into DIR
`;
import { fork, type ChildProcess } from "node:child_process";
import { getRandomValues } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import type { Household, HouseholdSnapshot } from "../modules/core/household";
import { MqttClient } from "../modules/mqtt/client";
import { MemoryOutbox } from "../modules/mqtt/flash-outbox";
import { CloudLink } from "../modules/mqtt/cloud-link";
import { memoryCounters } from "../modules/mqtt/downlink-counters";
import { clientPublisher } from "../modules/mqtt/client-publisher";
import { NodeNetwork } from "../hosts/node/http/node-network";
import { nodeClock } from "../hosts/node/node-clock";
import { Mosquitto } from "../test/support/mosquitto";
import { PostgresServer } from "../test/support/postgres";
import { freePort } from "../hosts/node/free-port";
import { startHeadend } from "../hosts/headend/headend";
import { LeanMeterLink } from "./support/lean-meter-link";
import Database from "better-sqlite3";
import pg from "pg";

const CODES = ["1-0:1.7.0", "1-0:2.7.0", "1-0:3.7.0", "1-0:13.7.0", "1-0:14.7.0", "1-0:32.7.0", "1-0:31.7.0", "1-0:32.7.124", "1-0:31.7.124", "1-0:1.8.0", "1-0:2.8.0"];
const PQ_EVERY = 10; // one 10-min aggregate per 10 periods of 60 s

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

// ---- the head-end child: ingest into the database, report latencies every 500 ms ----
async function child(): Promise<void> {
  const lat: number[] = [];
  let stored = 0, dups = 0;
  const h = await startHeadend({
    mqttUrl: arg("mqtt", ""), db: arg("db-url", ""), httpPort: 0, workers: Number(arg("workers", "1")), batchMs: Number(arg("batch-ms", "25")),
    // the ingest's own complaints (a failed batch, a lost session) on stderr: a run that stalls says why
    log: (line) => console.error(`head-end child: ${line}`),
    onStored: (o, items) => {
      const now = Date.now();
      stored += o.stored; dups += o.duplicates;
      for (const it of items) if (it.kind === "reading") lat.push(now - it.t);
    },
  });
  const size0 = await h.store.sizeBytes(); // an empty database's bytes, not counted per row
  // how late the head-end's event loop ran: a socket's data waits that long before it is even parsed
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  // time each batch spends in the store: tells the database's share of the latency from the waiting elsewhere
  const storeMs: number[] = [];
  let batchItems = 0;
  const ingestOf = h.store.ingest.bind(h.store);
  h.store.ingest = async (b) => { const s = performance.now(); const r = await ingestOf(b); storeMs.push(performance.now() - s); batchItems += b.length; return r; };
  const batchStats = () => ({ batches: storeMs.length, items: batchItems, storeP50: pct(storeMs, 50), storeP99: pct(storeMs, 99), failed: h.ingest.reduce((n, w) => n + w.stats.mqtt.failedBatches, 0), sessionsLost: h.ingest.reduce((n, w) => n + w.stats.mqtt.sessionsLost, 0), ...lagOf(loop) });
  process.on("disconnect", () => process.exit(3)); // the bench died: do not linger holding the database
  const tick = setInterval(() => { process.send!({ lat: lat.splice(0), stored, dups, cpu: process.cpuUsage(), size0 }); }, 500);
  process.on("message", async (m) => {
    if (m !== "stop") return;
    clearInterval(tick);
    const report = { lat: lat.splice(0), stored, dups, cpu: process.cpuUsage(), size0, size: await h.store.sizeBytes(), counts: await h.store.counts(), perNode: await rowsPerNode(arg("db-url", "")), batch: batchStats() };
    // send is asynchronous: exiting before it is written lost the report (10,000 meters' counts are ~0.5 MB),
    // and the bench waited for an answer from a child that was gone
    await new Promise<void>((r) => process.send!(report, undefined, {}, () => r()));
    await h.stop();
    process.exit(0);
  });
}

/** Reading rows and distinct (boot, seq) keys per node, straight from the database (not the ingest's own count). */
async function rowsPerNode(db: string): Promise<Record<string, { rows: number; keys: number }>> {
  const out: Record<string, { rows: number; keys: number }> = {};
  if (db.startsWith("postgres")) {
    const c = new pg.Client({ connectionString: db });
    await c.connect();
    for (const r of (await c.query("SELECT m.node, count(*)::int AS rows, count(DISTINCT (r.boot, r.seq))::int AS keys FROM readings r JOIN meters m ON m.id = r.meter GROUP BY m.node")).rows) out[r.node as string] = { rows: r.rows as number, keys: r.keys as number };
    await c.end();
  } else {
    const d = new Database(db, { readonly: true });
    for (const r of d.prepare("SELECT m.node, count(*) AS rows, count(DISTINCT r.boot || '/' || r.seq) AS keys FROM readings r JOIN meters m ON m.id = r.meter GROUP BY m.node").all() as { node: string; rows: number; keys: number }[]) out[r.node] = { rows: r.rows, keys: r.keys };
    d.close();
  }
  return out;
}

// ---- the meters ----
/** A meter's MQTT side, whichever transport carries it. */
interface Transport {
  start(): void;
  stop(): void;
  readonly isConnected: boolean;
  /** QoS 1 messages still in the meter's outbox. */
  readonly unacked: number;
  publish(topic: string, payload: Uint8Array, qos?: 0 | 1, retain?: boolean): boolean;
  subscribe(filter: string, qos?: 0 | 1 | 2): void;
  onMessage(h: (topic: string, payload: Uint8Array, retain: boolean) => void): void;
}

interface Meter { client: Transport; link: CloudLink; published: number }

/** The firmware's full MqttClient (its outbox, back-off, keep-alive), one per meter. */
function clientTransport(i: number, url: URL): Transport {
  const outbox = new MemoryOutbox();
  const client = new MqttClient({ network: new NodeNetwork(), clock: nodeClock(), random: { fill: (b) => void getRandomValues(b) }, host: url.hostname, port: Number(url.port), clientId: `bench-m${i}`, outbox, will: CloudLink.will(`m${i}`), minBackoffMs: 500, maxBackoffMs: 5000, keepaliveSec: 60 });
  const inner = clientPublisher(client);
  return {
    start: () => client.start(), stop: () => client.stop(),
    get isConnected() { return client.isConnected; }, get unacked() { return outbox.size; },
    publish: (t, p, q, r) => inner.publish(t, p, q, r), subscribe: (f, q) => inner.subscribe(f, q), onMessage: (h) => inner.onMessage(h),
  };
}

function meter(i: number, url: URL, periodMs: number, boot: number, lean: boolean): Meter {
  const clock = nodeClock();
  const client: Transport = lean ? new LeanMeterLink({ host: url.hostname, port: Number(url.port), clientId: `bench-m${i}`, will: CloudLink.will(`m${i}`), keepaliveSec: 60 }) : clientTransport(i, url);
  const m: Meter = { client, link: undefined as unknown as CloudLink, published: 0 };
  let ticks = 0;
  let energy = 1e6 + i;
  const values: Record<string, number> = {};
  const household: Household = {
    snapshot: () => {
      const t = Date.now(); // the reading's time = its publish time: the head-end measures publish-to-row from it
      const p = 400 + ((i * 37 + t / 1000) % 900);
      energy += p * (periodMs / 3_600_000);
      Object.assign(values, { "1-0:1.7.0": p, "1-0:2.7.0": 0, "1-0:3.7.0": p * 0.2, "1-0:13.7.0": 0.97, "1-0:14.7.0": 50.01, "1-0:32.7.0": 230.4, "1-0:31.7.0": p / 230, "1-0:32.7.124": 2.3, "1-0:31.7.124": 14.1, "1-0:1.8.0": Math.round(energy), "1-0:2.8.0": 0 });
      const pq = ticks % PQ_EVERY === 0 ? [{ meterId: 1, start: t - 600_000, end: t, voltageV: [230.1], currentA: [p / 230], powerW: [p], thdVoltagePct: [2.2], thdCurrentPct: [13], frequencyHz: 50.0, flagged: false }] : [];
      ticks++;
      return { t, meters: [{ id: 1, name: "M", values }], events: [], pq10min: pq } as unknown as HouseholdSnapshot;
    },
    history: () => [], switchLoad: () => ({ ok: true }), scheduleLoad: () => ({ ok: true }), onChange: () => () => {},
  };
  m.link = new CloudLink({
    node: `m${i}`, household, clock, macKey: new Uint8Array(32), counters: memoryCounters(), boot, periodMs,
    mqtt: { publish: (topic, payload, qos, retain) => { const ok = client.publish(topic, payload, qos, retain); if (ok && /\/meter\/1\/\d/.test(topic)) m.published++; return ok; }, subscribe: (f, q) => client.subscribe(f, q), onMessage: (h) => client.onMessage(h) },
  });
  return m;
}

/** An event loop's lateness in ms (p99, max): the time a process could not look at its sockets. */
const lagOf = (h: IntervalHistogram) => ({ lagP99: h.percentile(99) / 1e6, lagMax: h.max / 1e6 });

const pct = (xs: number[], p: number) => { if (!xs.length) return NaN; const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function procCpu(pid: number): number {
  try { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" "); return (Number(f[11]) + Number(f[12])) / 100; } catch { return NaN; }
}

let killBroker = false;
let killHeadend = false;

type ChildReport = { stored: number; dups: number; cpu: NodeJS.CpuUsage; size0?: number; size?: number; counts?: { readings: number; pq: number }; perNode?: Record<string, { rows: number; keys: number }>; batch?: { batches: number; items: number; storeP50: number; storeP99: number; failed: number; sessionsLost: number; lagP99: number; lagMax: number } };

/** mosquitto's persistence: `changes` = save after every change, a number = every that many seconds. */
function saveConf(autosave: string): string[] {
  return autosave === "changes" ? ["autosave_on_changes true", "autosave_interval 1"] : [`autosave_interval ${Number(autosave)}`];
}

async function run(db: "sqlite" | "postgres", n: number, seconds: number, periodMs: number): Promise<void> {
  const autosave = arg("autosave", killBroker ? "changes" : "30");
  const mq = new Mosquitto(await freePort(), (dir) => ["allow_anonymous true", "persistence true", `persistence_location ${dir}/`, ...saveConf(autosave), "max_queued_messages 1000000", "max_inflight_messages 1000", "max_connections -1"]);
  await mq.start();
  let pgServer: PostgresServer | undefined;
  const dir = mkdtempSync(join(tmpdir(), "xsm-bench-he-"));
  let dbUrl = join(dir, "he.db");
  if (db === "postgres") { pgServer = new PostgresServer({ fsync: arg("pg-fsync", "on") === "on" }); await pgServer.start(); dbUrl = pgServer.url; }
  const self = fileURLToPath(import.meta.url);
  const lat: number[] = [];
  let size0 = NaN;
  let last: ChildReport = { stored: 0, dups: 0, cpu: { user: 0, system: 0 } };
  let cpuHeadend = 0;
  let storedBefore = 0, dupsBefore = 0;
  const passOn = ["--workers", arg("workers", "1"), "--batch-ms", arg("batch-ms", "25")];
  const startChild = () => {
    const prof = arg("profile", "");
    const execArgv = prof ? [...process.execArgv, "--cpu-prof", `--cpu-prof-dir=${prof}`] : process.execArgv;
    const c = fork(self, ["--child", "--mqtt", mq.url, "--db-url", dbUrl, ...passOn], { stdio: ["ignore", "ignore", "inherit", "ipc"], execArgv });
    // a child that ends unasked is named in the row (it was a silent hang before: the bench waited for its answer)
    c.on("exit", (code, signal) => {
      if (c === he && !stopping && !killing) { died.push(`head-end child exited unasked at ${((Date.now() - t0) / 1000).toFixed(0)} s (code ${code}, signal ${signal})`); console.error(died[died.length - 1]); }
    });
    c.on("message", (m: ChildReport & { lat: number[] }) => { lastReportAt = Date.now(); for (const x of m.lat) lat.push(x); last = { ...m, stored: m.stored + storedBefore, dups: m.dups + dupsBefore }; if (Number.isNaN(size0) && m.size0 !== undefined) size0 = m.size0; });
    return c;
  };
  let stopping = false, killing = false, lastReportAt = Date.now();
  const died: string[] = [];
  const t0 = Date.now();
  let he: ChildProcess = startChild();
  await sleep(1500);
  const url = new URL(mq.url);
  const lean = arg("generator", "lean") !== "client";
  const cpu0 = process.cpuUsage();
  const genLoop = monitorEventLoopDelay({ resolution: 10 }); // the generator's lateness: a late loop publishes late
  genLoop.enable();
  const tConnect = Date.now();
  const meters: Meter[] = [];
  for (let i = 0; i < n; i++) { const m = meter(i, url, periodMs, 1, lean); m.client.start(); meters.push(m); if (i % 200 === 199) await sleep(5); }
  while (meters.some((m) => !m.client.isConnected) && Date.now() - tConnect < 120_000) await sleep(50);
  const connectS = (Date.now() - tConnect) / 1000;
  const connected = meters.filter((m) => m.client.isConnected).length;
  // each meter starts its period at a random phase, as a fleet powered up over time does
  for (const m of meters) setTimeout(() => m.link.start(), Math.random() * periodMs);
  const runStart = Date.now();
  let events = "";
  while (Date.now() - runStart < seconds * 1000) {
    const el = (Date.now() - runStart) / 1000;
    if (killBroker && !events.includes("broker") && el > seconds / 3) { await mq.stop("SIGKILL"); events += "broker killed; "; await sleep(2000); await mq.start(); }
    if (killHeadend && !events.includes("head-end") && el > (2 * seconds) / 3) {
      cpuHeadend += (last.cpu.user + last.cpu.system) / 1e6; storedBefore = last.stored; dupsBefore = last.dups;
      killing = true; he.kill("SIGKILL"); events += "head-end killed; "; await sleep(2000); killing = false; he = startChild();
    }
    await sleep(200);
  }
  for (const m of meters) m.link.stop();
  const published = meters.reduce((s, m) => s + m.published, 0);
  const drainStart = Date.now();
  while (meters.some((m) => m.client.unacked > 0) && Date.now() - drainStart < 60_000) await sleep(100);
  while (last.stored - storedBefore < 0 || Date.now() - drainStart < 1000) await sleep(100);
  // wait until the head-end's count stops moving (the broker may still hold a backlog for its session)
  // (still for 7.5 s: on a loaded machine one batch's commit took up to 2.8 s, and a shorter wait called a backlog lost)
  let prev = -1, still = 0;
  while (still < 5 && Date.now() - drainStart < 180_000) { still = last.stored === prev ? still + 1 : 0; prev = last.stored; await sleep(1500); }
  const backlogWait = (Date.now() - drainStart) / 1000;
  const elapsed = (Date.now() - runStart) / 1000;
  const cpuMeters = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6;
  // the answer to "stop" is the report with the counts (a 500 ms tick may come first); its latencies
  // are taken by startChild's handler like every other report's
  // a head-end that died unasked is started once more to count the rows (and drain what the broker kept for it)
  if (he.exitCode !== null || he.signalCode !== null) { cpuHeadend += (last.cpu.user + last.cpu.system) / 1e6; storedBefore = last.stored; dupsBefore = last.dups; he = startChild(); await sleep(10_000); }
  stopping = true;
  const final = await new Promise<ChildReport | undefined>((r) => {
    const timer = setTimeout(() => r(undefined), 180_000);
    const on = (m: ChildReport) => { if (m.counts) { he.off("message", on); clearTimeout(timer); r(m); } };
    he.on("message", on); he.send("stop");
  });
  if (!final) {
    console.log(`| ${db} | ${n} | the head-end child did not answer "stop" within 180 s; ${[...died, he.exitCode !== null || he.signalCode !== null ? `it exited (code ${he.exitCode}, signal ${he.signalCode}) without its report` : "it is still running"].join("; ")}; its last report ${((Date.now() - lastReportAt) / 1000).toFixed(0)} s ago said ${last.stored} stored |`);
    he.kill("SIGKILL"); for (const m of meters) m.client.stop(); await mq.stop(); pgServer?.remove(); rmSync(dir, { recursive: true, force: true });
    return;
  }
  // a head-end whose stop hangs (a broker gone, a commit stuck) is named and killed, not waited for for ever
  const exited = await new Promise<boolean>((r) => { if (he.exitCode !== null) return r(true); const t = setTimeout(() => r(false), 30_000); he.once("exit", () => { clearTimeout(t); r(true); }); });
  if (!exited) { died.push("the head-end child did not exit within 30 s of its report (killed)"); console.error(died[died.length - 1]); he.kill("SIGKILL"); }
  cpuHeadend += (final.cpu.user + final.cpu.system) / 1e6;
  const mosqCpu = procCpu((mq as unknown as { proc: ChildProcess }).proc.pid!);
  for (const m of meters) m.client.stop();
  const rows = final.counts!.readings;
  const totalRows = rows + final.counts!.pq;
  const rowsPerMeterDay = CODES.length * 1440 + 144; // at the board's 60 s period, whatever the run compressed
  const bytesPerRow = (final.size! - size0) / Math.max(1, totalRows);
  // per meter, against what it published: fewer rows = lost (or still queued), more = stored twice
  let missing = 0, doubled = 0;
  meters.forEach((m, i) => {
    const got = final.perNode![`m${i}`] ?? { rows: 0, keys: 0 };
    missing += Math.max(0, m.published - got.rows);
    doubled += Math.max(0, got.rows - m.published) + (got.rows - got.keys);
  });
  // rows still missing at the end were either lost or still queued in the broker for the head-end's
  // session (it kept arriving until we stopped): say which, from whether the count was still moving
  const lostCell = missing === 0 ? "0" : still < 5 ? `${missing} not yet ingested (backlog still draining after ${backlogWait.toFixed(0)} s)` : `${missing}`;
  const b = final.batch!;
  const g = lagOf(genLoop);
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(`| ${db} | ${n} | ${connected === n ? connectS.toFixed(1) : `${connected}/${n} in ${connectS.toFixed(0)}`} s | ${(rows / elapsed).toFixed(0)} rows/s (offered ${(published / (seconds)).toFixed(0)}) | ${pct(lat, 50)} / ${pct(lat, 99)} ms | ${lostCell} | ${doubled} | ${(bytesPerRow * rowsPerMeterDay / 1024).toFixed(0)} KiB (${bytesPerRow.toFixed(0)} B/row) | meters ${cpuMeters.toFixed(0)} s, mosquitto ${mosqCpu.toFixed(0)} s, head-end ${cpuHeadend.toFixed(0)} s of ${elapsed.toFixed(0)} s | ${load} | ${events || "–"}${died.length ? ` ${died.join("; ")} (restarted to count);` : ""} resends absorbed ${final.dups + dupsBefore}; last head-end: ${b.batches} batches of ${(b.items / Math.max(1, b.batches)).toFixed(0)} messages, store p50/p99 ${b.storeP50.toFixed(0)}/${b.storeP99.toFixed(0)} ms, ${b.failed} failed, ${b.sessionsLost} sessions lost (the broker came back without the head-end's session); event-loop lag p99/max: meters ${g.lagP99.toFixed(0)}/${g.lagMax.toFixed(0)} ms, head-end ${b.lagP99.toFixed(0)}/${b.lagMax.toFixed(0)} ms |`);
  if (pgServer && b.failed > 0) printServerErrors(pgServer.dir);
  await mq.stop();
  pgServer?.remove();
  rmSync(dir, { recursive: true, force: true });
}

/** A failed batch on PostgreSQL: the server's own account of it (a deadlock names both statements), on stderr. */
function printServerErrors(pgDir: string): void {
  // the server's own lines of each error (ERROR, DETAIL with the processes waiting on each other, CONTEXT
  // naming the row), without the statements' SQL that continues them
  const own = / (ERROR|DETAIL|CONTEXT|HINT):|^\tProcess \d+ waits/;
  for (const l of readFileSync(join(pgDir, "log"), "utf8").split("\n")) if (own.test(l)) console.error(l.slice(0, 240));
}

async function main(): Promise<void> {
  if (process.argv.includes("--help")) { console.log(HELP); return; }
  if (process.argv.includes("--child")) return child();
  const n = Number(arg("meters", "1000"));
  const seconds = Number(arg("seconds", "60"));
  const periodMs = Number(arg("period-ms", "60000"));
  const which = arg("db", "both");
  for (const [k, v] of [["meters", n], ["seconds", seconds], ["period-ms", periodMs], ["workers", Number(arg("workers", "1"))]] as const) {
    if (!Number.isInteger(v) || v < 1) { console.error(`--${k} must be a whole number ≥ 1 (got ${arg(k, "")}); --help lists the options`); process.exit(2); }
  }
  if (!["sqlite", "postgres", "both"].includes(which)) { console.error(`--db must be sqlite, postgres or both (got ${which})`); process.exit(2); }
  // --kill: both; --kill-broker / --kill-headend: one of them (tells whose loss a loss is)
  const kill = process.argv.includes("--kill") || process.argv.includes("--kill-broker") || process.argv.includes("--kill-headend");
  killBroker = process.argv.includes("--kill") || process.argv.includes("--kill-broker");
  killHeadend = process.argv.includes("--kill") || process.argv.includes("--kill-headend");
  const autosave = arg("autosave", killBroker ? "changes" : "30");
  if (autosave !== "changes" && !(Number(autosave) >= 1)) { console.error(`--autosave must be "changes" or seconds ≥ 1 (got ${autosave})`); process.exit(2); }
  console.log(`head-end ingest: ${n} meters (${arg("generator", "lean")} transport), ${CODES.length} readings each per ${periodMs / 1000} s (time compressed ${(60_000 / periodMs).toFixed(1)}×) and a PQ aggregate per ${PQ_EVERY} periods, ${seconds} s run, ${arg("workers", "1")} ingest worker(s), mosquitto autosave ${autosave}, PostgreSQL fsync ${arg("pg-fsync", "on")}${kill ? `, SIGKILLed once: ${[killBroker ? "mosquitto" : "", killHeadend ? "the head-end" : ""].filter(Boolean).join(" and ")}` : ""}`);
  console.log("| db | meters | connect | ingest | p50 / p99 publish→row | lost | duplicate rows | per meter-day | CPU | load 1/5/15 min | notes |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  const pgHere = (() => { try { readFileSync("/usr/lib/postgresql/15/bin/initdb"); return true; } catch { return false; } })();
  if (which === "sqlite" || which === "both") await run("sqlite", n, seconds, periodMs);
  if ((which === "postgres" || which === "both") && pgHere) await run("postgres", n, seconds, periodMs);
  else if (which !== "sqlite") console.log("| postgres | – | skipped: /usr/lib/postgresql/15 is not installed (apt-get install postgresql) |");
  process.exit(0);
}

void main();
