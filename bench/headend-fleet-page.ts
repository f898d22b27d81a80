/**
 * `npm run bench:headend-fleet-page -- [--meters N] [--db sqlite|postgres|both] [--runs R]`
 *
 * The fleet page at N meters (default 10,000: 1,000 nodes × 10 meters, a tenth of the nodes offline,
 * an hour of 10-min power and energy per meter): bytes of the HTML and the server's time to answer
 * (request to last byte, over loopback, the median of R runs after one warm-up), for the first page,
 * a deep page sorted by power, sorted by energy today and by alarms, a search, the "offline only" and
 * "with alarms" filters, and the fleet CSV; then the store's own queries for the same. A tenth of the
 * meters have alarms in the last 24 h (events, flagged 10-min intervals), each meter an older event.
 * Figures, not assertions: compare rows of the same run; say the machine's load beside them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:http";
import { SqliteStore } from "../hosts/headend/store/sqlite-store";
import { PostgresStore } from "../hosts/headend/store/postgres-store";
import type { HeadendStore, IngestItem } from "../hosts/headend/store/store";
import { startWeb } from "../hosts/headend/web/server";
import { passwordRecord } from "../hosts/headend/web/passwords";
import { PostgresServer } from "../test/support/postgres";
import pg from "pg";

const arg = (k: string, d: string): string => { const i = process.argv.indexOf(`--${k}`); return i > 0 ? process.argv[i + 1] : d; };
const METERS = Number(arg("meters", "10000"));
const RUNS = Number(arg("runs", "5"));
const DB = arg("db", "both");
const PER_NODE = 10;

function fleet(now: number): IngestItem[] {
  const items: IngestItem[] = [];
  for (let n = 0; n < METERS / PER_NODE; n++) {
    const node = `node-${String(n).padStart(4, "0")}`;
    items.push({ kind: "status", node, online: n % 10 !== 3, t: now - 60_000 });
    items.push({ kind: "firmware", node, t: now - 86_400_000, running: "1.3.2", phase: "running", body: "{}" });
    for (let id = 1; id <= PER_NODE; id++) {
      let seq = 0;
      const wh = 1_000_000 + n * 97 + id;
      const last = n % 10 === 3 ? now - 3 * 3_600_000 : now - 20_000; // offline nodes' meters stopped 3 h ago
      for (let k = 6; k >= 0; k--) {
        const t = last - k * 600_000;
        items.push({ kind: "reading", node, meterId: id, obis: "1-0:1.7.0", boot: 1, seq: ++seq, t, v: 300 + ((n * 7 + id * 13 + k) % 900), unit: "W" });
        items.push({ kind: "reading", node, meterId: id, obis: "1-0:1.8.0", boot: 1, seq: ++seq, t, v: wh + (6 - k) * 50, unit: "Wh" });
      }
      if ((n + id) % 17 === 0) items.push({ kind: "event", node, meterId: id, boot: 1, seq: ++seq, t: now - 3_600_000, type: "dip", body: "{}" });
      // history an alarm look-up must skip (older than 24 h), and flagged 10-min intervals on a tenth of the meters
      items.push({ kind: "event", node, meterId: id, boot: 1, seq: ++seq, t: now - 2 * 86_400_000, type: "swell", body: "{}" });
      items.push({ kind: "pq", node, meterId: id, boot: 1, seq: ++seq, start: last - 1_200_000, end: last - 600_000, flagged: (n + id) % 10 === 0, u: [230], i: [1], p: [230], thdu: [2], thdi: [5], f: 50 });
    }
  }
  return items;
}

function get(port: number, path: string, cookie: string): Promise<{ ms: number; bytes: number; status: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request({ host: "127.0.0.1", port, path, headers: { cookie } }, (res) => {
      let bytes = 0;
      res.on("data", (c: Buffer) => { bytes += c.length; });
      res.on("end", () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes, status: res.statusCode ?? 0 }));
    });
    req.on("error", reject);
    req.end();
  });
}

function signIn(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const body = "user=bench&password=bench-password-1";
    const req = request({ host: "127.0.0.1", port, path: "/login", method: "POST", headers: { origin: `http://127.0.0.1:${port}`, "content-type": "application/x-www-form-urlencoded", "content-length": body.length } }, (res) => {
      res.resume();
      const sid = /sid=([0-9a-f]{48})/.exec(String(res.headers["set-cookie"] ?? ""))?.[1];
      if (sid) resolve(`sid=${sid}`);
      else reject(new Error(`sign-in failed: ${res.statusCode}`));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const PATHS = ["/", "/?page=50&sort=power&dir=desc", "/?sort=energy&dir=desc", "/?page=20&sort=alarms&dir=desc", "/?q=node-0999", "/?state=offline", "/?alarms=1", "/fleet.csv"];

async function bench(name: string, store: HeadendStore, analyze?: () => Promise<void>): Promise<void> {
  const now = Date.now();
  const items = fleet(now);
  for (let k = 0; k < items.length; k += 5000) await store.ingest(items.slice(k, k + 5000));
  // what autovacuum does to a table this size soon after such a load: without statistics PostgreSQL's planner
  // took the flagged-intervals index (end_t first) for each page row's alarm count, 80 ms instead of 5
  if (analyze) await analyze();
  await store.putUser({ name: "bench", role: "viewer", record: passwordRecord("bench-password-1") });
  const web = await startWeb({ store, sender: {} as never, campaigns: {} as never }, 0);
  const cookie = await signIn(web.port);
  for (const p of PATHS) {
    await get(web.port, p, cookie); // warm-up (statement caches, page cache)
    const runs: { ms: number; bytes: number; status: number }[] = [];
    for (let r = 0; r < RUNS; r++) runs.push(await get(web.port, p, cookie));
    const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
    console.log(`${name.padEnd(10)} ${String(METERS).padStart(6)} meters  ${p.padEnd(32)} ${String(runs[0].status)}  ${(runs[0].bytes / 1024).toFixed(1).padStart(8)} KiB  median ${ms[ms.length >> 1].toFixed(1).padStart(7)} ms  (min ${ms[0].toFixed(1)}, max ${ms[ms.length - 1].toFixed(1)})`);
  }
  // the store's share, where the store has these queries (after paging came in)
  const st = store as HeadendStore & Partial<{ fleetList(q: object, now: number): Promise<unknown>; fleetTotals(staleMs: number, now: number): Promise<unknown> }>;
  if (st.fleetList && st.fleetTotals) {
    const calls: [string, () => Promise<unknown>][] = [
      ["store.fleetList, first page", () => st.fleetList!({ limit: 100, offset: 0, staleMs: 180_000 }, now)],
      ["store.fleetList, by power", () => st.fleetList!({ limit: 100, offset: 4900, staleMs: 180_000, sort: "power", desc: true }, now)],
      ["store.fleetList, by energy", () => st.fleetList!({ limit: 100, offset: 0, staleMs: 180_000, sort: "energy", desc: true }, now)],
      ["store.fleetList, by alarms", () => st.fleetList!({ limit: 100, offset: 1900, staleMs: 180_000, sort: "alarms", desc: true }, now)],
      ["store.fleetList, all (the CSV)", () => st.fleetList!({ limit: 1_000_000, offset: 0, staleMs: 180_000 }, now)],
      ["store.fleetTotals", () => st.fleetTotals!(180_000, now)],
    ];
    for (const [label, f] of calls) {
      await f();
      const ms: number[] = [];
      for (let r = 0; r < RUNS; r++) { const t0 = process.hrtime.bigint(); await f(); ms.push(Number(process.hrtime.bigint() - t0) / 1e6); }
      ms.sort((a, b) => a - b);
      console.log(`${name.padEnd(10)} ${String(METERS).padStart(6)} meters  ${label.padEnd(32)}               median ${ms[ms.length >> 1].toFixed(1).padStart(7)} ms`);
    }
  }
  await web.close();
  await store.close();
}

async function main(): Promise<void> {
  console.log(`fleet page bench: ${METERS} meters, ${RUNS} runs per row; load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  if (DB === "sqlite" || DB === "both") {
    const dir = mkdtempSync(join(tmpdir(), "xsm-fleetpage-"));
    const s = new SqliteStore(join(dir, "he.db"));
    await s.migrate();
    await bench("SQLite", s);
    rmSync(dir, { recursive: true, force: true });
  }
  if (DB === "postgres" || DB === "both") {
    const pgs = new PostgresServer();
    await pgs.start();
    try {
      const s = new PostgresStore(pgs.url);
      await s.migrate();
      await bench("PostgreSQL", s, async () => {
        const c = new pg.Client({ connectionString: pgs.url });
        await c.connect();
        await c.query("ANALYZE");
        await c.end();
      });
    } finally {
      pgs.remove();
    }
  }
  console.log(`load average at the end ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
