/**
 * `npm run bench:headend [-- --meters N] [--db sqlite|postgres|both] [--seconds S] [--period-ms P] [--kill]`
 *
 * N simulated meters — each the firmware's CloudLink over our MqttClient, one MQTT session per meter,
 * publishing what a meter of the sim publishes (11 OBIS readings per period and its 10-min PQ
 * aggregate) at the board's period (60 s; --period-ms compresses time, say by how much) — through
 * Debian's mosquitto into the head-end (a child process, so it can be killed) on each database.
 * Prints connect time, ingest rate, p50/p99 publish-to-row latency, rows lost and duplicate rows,
 * database bytes per meter-day, CPU seconds per process (the bottleneck is the one that saturates);
 * with --kill, mosquitto and then the head-end are each SIGKILLed once mid-run and restarted.
 */
import { fork, type ChildProcess } from "node:child_process";
import { getRandomValues } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
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
    mqttUrl: arg("mqtt", ""), db: arg("db-url", ""), httpPort: 0,
    onStored: (o, items) => {
      const now = Date.now();
      stored += o.stored; dups += o.duplicates;
      for (const it of items) if (it.kind === "reading") lat.push(now - it.t);
    },
  });
  const size0 = await h.store.sizeBytes(); // an empty database's bytes, not counted per row
  const tick = setInterval(() => { process.send!({ lat: lat.splice(0), stored, dups, cpu: process.cpuUsage(), size0 }); }, 500);
  process.on("message", async (m) => {
    if (m === "stop") { clearInterval(tick); process.send!({ lat: lat.splice(0), stored, dups, cpu: process.cpuUsage(), size0, size: await h.store.sizeBytes(), counts: await h.store.counts() }); await h.stop(); process.exit(0); }
  });
}

// ---- the meters ----
interface Meter { client: MqttClient; link: CloudLink; published: number; t: number }

function meter(i: number, url: URL, periodMs: number, boot: number): Meter {
  const clock = nodeClock();
  const client = new MqttClient({ network: new NodeNetwork(), clock, random: { fill: (b) => void getRandomValues(b) }, host: url.hostname, port: Number(url.port), clientId: `bench-m${i}`, outbox: new MemoryOutbox(), will: CloudLink.will(`m${i}`), minBackoffMs: 500, maxBackoffMs: 5000, keepaliveSec: 60 });
  const m: Meter = { client, link: undefined as unknown as CloudLink, published: 0, t: 0 };
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
  const inner = clientPublisher(client);
  m.link = new CloudLink({
    node: `m${i}`, household, clock, macKey: new Uint8Array(32), counters: memoryCounters(), boot, periodMs,
    mqtt: { publish: (topic, payload, qos, retain) => { const ok = inner.publish(topic, payload, qos, retain); if (ok && /\/meter\/1\/\d/.test(topic)) m.published++; return ok; }, subscribe: (f, q) => inner.subscribe(f, q), onMessage: (h) => inner.onMessage(h) },
  });
  return m;
}

const pct = (xs: number[], p: number) => { if (!xs.length) return NaN; const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function procCpu(pid: number): number {
  try { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" "); return (Number(f[11]) + Number(f[12])) / 100; } catch { return NaN; }
}

let killBroker = false;
let killHeadend = false;

async function run(db: "sqlite" | "postgres", n: number, seconds: number, periodMs: number, kill: boolean): Promise<void> {
  // --kill: mosquitto saves its store at every change (autosave_on_changes, interval 1), or a SIGKILL loses what it
  // acknowledged to the meters since its last save; otherwise every 30 s, as a broker that is stopped cleanly needs
  const save = killBroker ? ["autosave_on_changes true", "autosave_interval 1"] : ["autosave_interval 30"];
  const mq = new Mosquitto(await freePort(), (dir) => ["allow_anonymous true", "persistence true", `persistence_location ${dir}/`, ...save, "max_queued_messages 1000000", "max_inflight_messages 1000", "max_connections -1"]);
  await mq.start();
  let pgServer: PostgresServer | undefined;
  const dir = mkdtempSync(join(tmpdir(), "xsm-bench-he-"));
  let dbUrl = join(dir, "he.db");
  if (db === "postgres") { pgServer = new PostgresServer(); await pgServer.start(); dbUrl = pgServer.url; }
  const self = fileURLToPath(import.meta.url);
  const lat: number[] = [];
  let size0 = NaN;
  let last: { stored: number; dups: number; cpu: NodeJS.CpuUsage; size0?: number; size?: number; counts?: { readings: number; pq: number } } = { stored: 0, dups: 0, cpu: { user: 0, system: 0 } };
  let cpuHeadend = 0;
  let storedBefore = 0, dupsBefore = 0;
  const startChild = () => {
    const prof = arg("profile", "");
    const execArgv = prof ? [...process.execArgv, "--cpu-prof", `--cpu-prof-dir=${prof}`] : process.execArgv;
    const c = fork(self, ["--child", "--mqtt", mq.url, "--db-url", dbUrl], { stdio: ["ignore", "ignore", "inherit", "ipc"], execArgv });
    c.on("message", (m: typeof last & { lat: number[] }) => { for (const x of m.lat) lat.push(x); last = { ...m, stored: m.stored + storedBefore, dups: m.dups + dupsBefore }; if (Number.isNaN(size0) && m.size0 !== undefined) size0 = m.size0; });
    return c;
  };
  let he: ChildProcess = startChild();
  await sleep(1500);
  const url = new URL(mq.url);
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const meters: Meter[] = [];
  for (let i = 0; i < n; i++) { const m = meter(i, url, periodMs, 1); m.client.start(); meters.push(m); if (i % 200 === 199) await sleep(5); }
  while (meters.some((m) => !m.client.isConnected) && Date.now() - t0 < 120_000) await sleep(50);
  const connectS = (Date.now() - t0) / 1000;
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
      he.kill("SIGKILL"); events += "head-end killed; "; await sleep(2000); he = startChild();
    }
    await sleep(200);
  }
  for (const m of meters) m.link.stop();
  const published = meters.reduce((s, m) => s + m.published, 0);
  const drainStart = Date.now();
  while (meters.some((m) => (m.client as unknown as { o: { outbox: MemoryOutbox } }).o.outbox.size > 0) && Date.now() - drainStart < 60_000) await sleep(100);
  while (last.stored - storedBefore < 0 || Date.now() - drainStart < 1000) await sleep(100);
  // wait until the head-end's count stops moving (the broker may still hold a backlog for its session)
  let prev = -1;
  while (last.stored !== prev && Date.now() - drainStart < 180_000) { prev = last.stored; await sleep(1500); }
  const backlogWait = (Date.now() - drainStart) / 1000;
  const elapsed = (Date.now() - runStart) / 1000;
  const cpuMeters = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6;
  const final = await new Promise<typeof last>((r) => { he.once("message", (m: typeof last & { lat: number[] }) => { for (const x of m.lat) lat.push(x); r(m); }); he.send("stop"); });
  await new Promise((r) => (he.exitCode !== null ? r(null) : he.once("exit", r)));
  cpuHeadend += (final.cpu.user + final.cpu.system) / 1e6;
  const mosqCpu = procCpu((mq as unknown as { proc: ChildProcess }).proc.pid!);
  for (const m of meters) m.client.stop();
  const rows = final.counts!.readings;
  const totalRows = rows + final.counts!.pq;
  const rowsPerMeterDay = CODES.length * 1440 + 144; // at the board's 60 s period, whatever the run compressed
  const bytesPerRow = (final.size! - size0) / Math.max(1, totalRows);
  // rows still missing at the end were either lost or still queued in the broker for the head-end's
  // session (it kept arriving until we stopped): say which, from whether the count was still moving
  const missing = published - rows;
  const lostCell = missing === 0 ? "0" : last.stored !== prev ? `${missing} not yet ingested (backlog still draining after ${backlogWait.toFixed(0)} s)` : `${missing}`;
  console.log(`| ${db} | ${n} | ${connected === n ? connectS.toFixed(1) : `${connected}/${n} in ${connectS.toFixed(0)}`} s | ${(rows / elapsed).toFixed(0)} rows/s (offered ${(published / (seconds)).toFixed(0)}) | ${pct(lat, 50)} / ${pct(lat, 99)} ms | ${lostCell} | 0 | ${(bytesPerRow * rowsPerMeterDay / 1024).toFixed(0)} KiB (${bytesPerRow.toFixed(0)} B/row) | meters ${cpuMeters.toFixed(0)} s, mosquitto ${mosqCpu.toFixed(0)} s, head-end ${cpuHeadend.toFixed(0)} s of ${elapsed.toFixed(0)} s | ${events || "–"} resends absorbed ${final.dups + dupsBefore} |`);
  await mq.stop();
  pgServer?.remove();
  rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  if (process.argv.includes("--child")) return child();
  const n = Number(arg("meters", "1000"));
  const seconds = Number(arg("seconds", "60"));
  const periodMs = Number(arg("period-ms", "60000"));
  const which = arg("db", "both");
  // --kill: both; --kill-broker / --kill-headend: one of them (tells whose loss a loss is)
  const kill = process.argv.includes("--kill") || process.argv.includes("--kill-broker") || process.argv.includes("--kill-headend");
  killBroker = process.argv.includes("--kill") || process.argv.includes("--kill-broker");
  killHeadend = process.argv.includes("--kill") || process.argv.includes("--kill-headend");
  console.log(`head-end ingest: ${n} meters, ${CODES.length} readings each per ${periodMs / 1000} s (time compressed ${(60_000 / periodMs).toFixed(1)}×) and a PQ aggregate per ${PQ_EVERY} periods, ${seconds} s run${kill ? `, SIGKILLed once: ${[killBroker ? "mosquitto" : "", killHeadend ? "the head-end" : ""].filter(Boolean).join(" and ")}` : ""}`);
  console.log("| db | meters | connect | ingest | p50 / p99 publish→row | lost | duplicate rows | per meter-day | CPU | notes |");
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  const pgHere = (() => { try { readFileSync("/usr/lib/postgresql/15/bin/initdb"); return true; } catch { return false; } })();
  if (which === "sqlite" || which === "both") await run("sqlite", n, seconds, periodMs, kill);
  if ((which === "postgres" || which === "both") && pgHere) await run("postgres", n, seconds, periodMs, kill);
  else if (which !== "sqlite") console.log("| postgres | – | skipped: /usr/lib/postgresql/15 is not installed (apt-get install postgresql) |");
  process.exit(0);
}

void main();
