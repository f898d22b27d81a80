// The store suite against PostgreSQL 15 (a private server per run, a database per test), plus what
// only PostgreSQL has: readings in month partitions, and retention that drops whole months.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { missing } from "../../support/requires";
import { PostgresServer } from "../../support/postgres";
import { PostgresStore } from "../../../hosts/headend/store/postgres-store";
import { MIGRATIONS } from "../../../hosts/headend/store/migrations";
import { storeSuite } from "./store-suite";

const skip = missing("postgres");
const server = new PostgresServer();
let n = 0;

beforeAll(async () => {
  if (!skip) await server.start();
}, 60_000);
afterAll(() => {
  if (!skip) server.remove();
});

async function freshDb(): Promise<string> {
  const name = `he_${process.pid}_${++n}`;
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  return server.url.replace(/\/postgres$/, `/${name}`);
}

storeSuite("PostgreSQL", async (maxRejects?: number) => {
  const url = await freshDb();
  const open = async () => {
    const s = new PostgresStore(url, { maxRejects });
    await s.migrate();
    return s;
  };
  return { store: await open(), reopen: open };
}, skip);

describe.skipIf(skip)("PostgreSQL partitions", () => {
  it("puts readings in month partitions and drops a whole month past retention", async () => {
    const url = await freshDb();
    const s = new PostgresStore(url);
    await s.migrate();
    const nov = Date.UTC(2026, 10, 15);
    const dec = Date.UTC(2026, 11, 15);
    const r = (seq: number, t: number) => ({ kind: "reading" as const, node: "p", meterId: 1, obis: "1-0:1.7.0", boot: 1, seq, t, v: seq, unit: "W" });
    expect(await s.ingest([r(1, nov), r(2, nov + 1000), r(3, dec)])).toEqual({ stored: 3, duplicates: 0, rejected: 0 });
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const parts = async () => (await c.query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'readings'::regclass ORDER BY 1")).rows.map((x) => x.relname as string);
    expect(await parts()).toEqual(["readings_202611", "readings_202612"]);
    expect((await c.query("SELECT count(*)::int AS n FROM readings_202611")).rows[0].n).toBe(2);
    expect(await s.pruneRaw(Date.UTC(2026, 11, 1))).toBe(2);
    expect(await parts()).toEqual(["readings_202612"]);
    expect((await s.series({ node: "p", meterId: 1 }, "1-0:1.7.0", 0, Infinity, "day")).length).toBe(2); // roll-ups stay
    await c.end();
    await s.close();
  });
});

describe.skipIf(skip)("PostgreSQL migration 3 on a database of version 2", () => {
  it("removes the firmware reports a redelivery had stored twice, keeping the first, then keys them", async () => {
    const url = await freshDb();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query("CREATE TABLE schema_version (version INTEGER NOT NULL)");
    for (const m of MIGRATIONS.filter((x) => x.version <= 2)) await c.query(m.postgres + `INSERT INTO schema_version VALUES (${m.version});`);
    for (const [k, bytes] of [1, 2, 1, 2, 3].entries()) await c.query("INSERT INTO firmware_reports (node, t, running, phase, body) VALUES ('n', $1, '1.0.0', 'downloading', $2)", [k, `{"bytes":${bytes}}`]);
    await c.query("INSERT INTO firmware_reports (node, t, running, phase, body) VALUES ('m', 9, '1.0.0', 'downloading', '{\"bytes\":1}')");
    await c.end();
    const s = new PostgresStore(url);
    expect(await s.migrate()).toBe(3);
    expect((await s.firmwareSince("n", 0)).map((r) => [r.t, r.body])).toEqual([[0, '{"bytes":1}'], [1, '{"bytes":2}'], [4, '{"bytes":3}']]);
    expect((await s.firmwareSince("m", 0)).length).toBe(1);
    expect(await s.ingest([{ kind: "firmware", node: "n", t: 10, running: "1.0.0", phase: "downloading", body: '{"bytes":2}' }])).toEqual({ stored: 0, duplicates: 1, rejected: 0 });
    await s.close();
  });
});
