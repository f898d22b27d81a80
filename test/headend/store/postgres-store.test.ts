// The store suite against PostgreSQL 15 (a private server per run, a database per test), plus what
// only PostgreSQL has: readings in month partitions, and retention that drops whole months.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { missing } from "../../support/requires";
import { PostgresServer } from "../../support/postgres";
import { PostgresStore } from "../../../hosts/headend/store/postgres-store";
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

storeSuite("PostgreSQL", async () => {
  const url = await freshDb();
  const open = async () => {
    const s = new PostgresStore(url);
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

describe.skipIf(skip)("PostgreSQL shared by two workers", () => {
  it("counts a reading another worker committed while its own batch ran as a duplicate, never as a reject", async () => {
    const url = await freshDb();
    const a = new PostgresStore(url), b = new PostgresStore(url);
    await a.migrate(); await b.migrate();
    const t0 = Date.UTC(2026, 11, 3);
    const batch = Array.from({ length: 400 }, (_, k) => ({ kind: "reading" as const, node: `w${k % 20}`, meterId: 1, obis: "1-0:1.7.0", boot: 1, seq: k + 1, t: t0 + k * 1000, v: k, unit: "W" }));
    await a.ingest(batch.slice(0, 1)); await b.ingest(batch.slice(0, 1)); // both know the meters and the code
    // the same messages to both at once, several times (NATS without shared subscriptions does this)
    for (let round = 0; round < 5; round++) {
      const part = batch.slice(1 + round * 79, 1 + (round + 1) * 79);
      const [ra, rb] = await Promise.all([a.ingest(part), b.ingest(part)]);
      expect(ra.rejected + rb.rejected).toBe(0);
      expect(ra.stored + rb.stored).toBe(part.length);
      expect(ra.duplicates + rb.duplicates).toBe(part.length);
    }
    expect((await a.counts()).readings).toBe(396);
    await a.close(); await b.close();
  });
});
