/**
 * PostgreSQL behind the same interface (npm pg): for a fleet past what one
 * SQLite file takes, several head-end processes writing to one database, read
 * replicas for the dashboards. A batch of readings and aggregates is one
 * statement, one round trip (postgres-batch.ts): readings inserted with ON
 * CONFLICT DO NOTHING RETURNING what was new, and only those rolled up.
 * Readings are partitioned by month (created as data arrives; retention drops
 * whole months).
 */
import pg from "pg";
import { MIGRATIONS, newerThan } from "./migrations";
import { supersedes, type ReportOrder } from "../../../modules/mqtt/report-order";
import { fleetCountSql, fleetPageSql, fleetTotalsSql, meterSql, positional, summaryOf, totalsOf, type FleetQuery, type FleetTotals } from "./fleet-query";
import { writeBatch, type PqInsert, type ReadingRow } from "./postgres-batch";
import { DAY, ENERGY_OBIS, POWER_OBIS, type CampaignRow, type CampaignState, type DownlinkRow, type EventRow, type HeadendStore, type IngestItem, type IngestOutcome, type MeterRef, type MeterSummary, type PqRow, type RejectSummary, type Resolution, type SeriesPoint, type StoreCounts, type StoreOptions, type UserRow } from "./store";
import { maxRejectsOf } from "./store";
import { mergeRejects } from "./reject-summary";

type Row = Record<string, unknown>;
type Reading = Extract<IngestItem, { kind: "reading" }>;
type Pq = Extract<IngestItem, { kind: "pq" }>;

// BIGINT (20) as numbers: every BIGINT here is a time in ms or a counter, far below 2^53
const types = { getTypeParser: (oid: number, format?: string) => (oid === 20 ? (v: string) => Number(v) : (pg.types.getTypeParser as (o: number, f?: string) => (v: string) => unknown)(oid, format)) };

export class PostgresStore implements HeadendStore {
  private readonly pool: pg.Pool;
  private readonly meterIds = new Map<string, number>();
  private readonly obisIds = new Map<string, number>();
  private readonly months = new Set<number>();
  private horizon = -Infinity;
  private readonly maxRejects: number;

  constructor(url: string, options: StoreOptions = {}) {
    this.maxRejects = maxRejectsOf(options);
    this.pool = new pg.Pool({ connectionString: url, max: 4, types });
    this.pool.on("error", () => {}); // an idle client's broken connection: the next query reconnects
    // a checked-out client's broken connection fails its query (the batch is left unacknowledged), not the process
    this.pool.on("connect", (c) => c.on("error", () => {}));
  }

  private q(sql: string, params: unknown[] = []): Promise<pg.QueryResult<Row>> {
    return this.pool.query(sql, params);
  }

  async migrate(): Promise<number> {
    const c = await this.pool.connect();
    try {
      await c.query("SELECT pg_advisory_lock(7243)"); // two head-ends starting at once migrate one after the other
      await c.query("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
      const have = (await c.query("SELECT max(version) AS v FROM schema_version")).rows[0].v as number | null;
      for (const m of MIGRATIONS) {
        if (have !== null && m.version <= have) continue;
        await c.query("BEGIN");
        await c.query(m.postgres);
        await c.query("INSERT INTO schema_version (version) VALUES ($1)", [m.version]);
        await c.query("COMMIT");
      }
      await c.query("SELECT pg_advisory_unlock(7243)");
    } finally {
      c.release();
    }
    this.horizon = ((await this.q("SELECT value FROM meta WHERE key = 'pruned_before'")).rows[0]?.value as number | undefined) ?? -Infinity;
    return MIGRATIONS[MIGRATIONS.length - 1].version;
  }

  /** The month partition holding `t` (UTC), created if missing (outside the batch's transaction). */
  private async partitionFor(t: number): Promise<void> {
    const d = new Date(t);
    const key = d.getUTCFullYear() * 100 + d.getUTCMonth() + 1;
    if (this.months.has(key)) return;
    const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    const to = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    try {
      await this.q(`CREATE TABLE IF NOT EXISTS readings_${key} PARTITION OF readings FOR VALUES FROM (${from}) TO (${to})`);
    } catch (e) {
      // another worker created it between our check and our create
      if (!/already exists/.test((e as Error).message)) throw e;
    }
    this.months.add(key);
  }

  /**
   * Ids of the batch's meters and OBIS codes, the unknown ones created in one statement each (their own
   * autocommit: an id cached from a transaction that then rolled back would name no row).
   */
  private async resolveIds(items: readonly (MeterRef & { kind: string; obis?: string; unit?: string })[]): Promise<void> {
    const meters = new Map<string, MeterRef>();
    const codes = new Map<string, string>();
    for (const it of items) {
      const key = `${it.node}\u0000${it.meterId}`;
      if (!this.meterIds.has(key)) meters.set(key, it);
      if (it.obis !== undefined && !this.obisIds.has(it.obis)) codes.set(it.obis, it.unit ?? "");
    }
    if (meters.size) {
      const ms = [...meters.values()].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : a.meterId - b.meterId));
      const rows = (await this.q("INSERT INTO meters (node, meter_id) SELECT * FROM unnest($1::text[], $2::int[]) ON CONFLICT (node, meter_id) DO UPDATE SET node = excluded.node RETURNING id, node, meter_id", [ms.map((m) => m.node), ms.map((m) => m.meterId)])).rows;
      for (const r of rows) this.meterIds.set(`${r.node as string}\u0000${r.meter_id as number}`, r.id as number);
    }
    if (codes.size) {
      const cs = [...codes.keys()].sort();
      const rows = (await this.q("INSERT INTO obis (code, unit) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (code) DO UPDATE SET code = excluded.code RETURNING id, code", [cs, cs.map((c) => codes.get(c)!)])).rows;
      for (const r of rows) this.obisIds.set(r.code as string, r.id as number);
    }
  }

  private meterId(m: MeterRef): number {
    return this.meterIds.get(`${m.node}\u0000${m.meterId}`)!;
  }

  /**
   * Readings and aggregates: one statement (postgres-batch.ts). Anything else in the batch (events, status,
   * firmware, results, rejects) in one transaction after it. Each part is idempotent on redelivery, and the
   * subscriber acknowledges the batch only after both, so a crash between them loses nothing.
   */
  async ingest(batch: IngestItem[]): Promise<IngestOutcome> {
    const out: IngestOutcome = { stored: 0, duplicates: 0, rejected: 0 };
    const readings = batch.filter((b): b is Reading => b.kind === "reading" && b.t >= this.horizon);
    const pqs = batch.filter((b): b is Pq => b.kind === "pq");
    const rest = batch.filter((b) => (b.kind !== "reading" || b.t < this.horizon) && b.kind !== "pq");
    const months = new Set<number>();
    for (const r of readings) months.add(r.t - (r.t % DAY)); // a day per key: few per batch, each month looked up once
    for (const d of months) await this.partitionFor(d);
    await this.resolveIds(batch.filter((b): b is Reading | Pq | Extract<IngestItem, { kind: "event" }> => b.kind === "reading" || b.kind === "pq" || b.kind === "event"));
    const stale: Reading[] = [];
    if (readings.length || pqs.length) {
      const rows: ReadingRow[] = readings.map((r) => ({ meter: this.meterId(r), obis: this.obisIds.get(r.obis)!, t: r.t, v: r.v, boot: r.boot, seq: r.seq }));
      const pqRows: PqInsert[] = pqs.map((a) => ({ meter: this.meterId(a), boot: a.boot, seq: a.seq, start: a.start, end: a.end, flagged: a.flagged, body: JSON.stringify({ u: a.u, i: a.i, p: a.p, thdu: a.thdu, thdi: a.thdi, f: a.f, u2: a.u2 }) }));
      const r = await writeBatch(this.pool, rows, pqRows);
      out.stored += r.stored.size + r.pqStored;
      out.duplicates += pqs.length - r.pqStored;
      // a key twice in this batch: the first is stored, the others are resends
      const counted = new Set<string>();
      rows.forEach((row, k) => {
        const key = `${row.meter}/${row.boot}/${row.seq}`;
        if (r.stored.has(key) && !counted.has(key)) counted.add(key);
        else if (r.stored.has(key) || r.known.has(key)) out.duplicates++;
        else stale.push(readings[k]);
      });
    }
    const second = await this.notResends(stale, out);
    if (rest.length || second.length) await this.others(rest, second, out);
    return out;
  }

  /**
   * Of the readings the batch statement neither stored nor found by key, those whose key another worker
   * committed while it ran (its snapshot predates that commit; ON CONFLICT waited for it, the lookup did
   * not see it) are resends; the rest are second readings at the same time. A fresh statement sees
   * those commits. Rare (two workers given one message), so a query only when there is one.
   */
  private async notResends(stale: Reading[], out: IngestOutcome): Promise<Reading[]> {
    if (!stale.length) return stale;
    const ids = stale.map((r) => this.meterId(r));
    const rows = (await this.q("SELECT DISTINCT r.meter, r.boot, r.seq FROM readings r JOIN unnest($1::int[], $2::bigint[], $3::bigint[], $4::bigint[]) AS k(meter, boot, seq, t) ON r.meter = k.meter AND r.boot = k.boot AND r.seq = k.seq AND r.t = k.t", [ids, stale.map((r) => r.boot), stale.map((r) => r.seq), stale.map((r) => r.t)])).rows;
    const have = new Set(rows.map((r) => `${r.meter as number}/${r.boot as number}/${r.seq as number}`));
    return stale.filter((r, k) => { const resend = have.has(`${ids[k]}/${r.boot}/${r.seq}`); if (resend) out.duplicates++; return !resend; });
  }

  /**
   * A batch's status messages in one statement (every meter publishes one when it connects, and the
   * retained ones all come at each subscription: per-row statements here were a round trip each).
   * The newest of a node in the batch is kept, as one at a time would have (report-order.ts), and the
   * statement keeps the stored one if that is newer; what either step passed over is counted a duplicate.
   */
  private async statuses(c: pg.PoolClient, rest: IngestItem[], out: IngestOutcome): Promise<void> {
    const last = new Map<string, { online: boolean; t: number; order?: ReportOrder }>();
    for (const it of rest) {
      if (it.kind !== "status") continue;
      if (supersedes(it.order, last.get(it.node)?.order)) { last.set(it.node, { online: it.online, t: it.t, order: it.order }); out.stored++; }
      else out.duplicates++;
    }
    if (!last.size) return;
    const nodes = [...last.keys()].sort(); // one lock order for every worker
    const v = nodes.map((n) => last.get(n)!);
    const taken = (await c.query(`INSERT INTO node_status (node, online, t, boot, seq) SELECT * FROM unnest($1::text[], $2::bool[], $3::bigint[], $4::bigint[], $5::bigint[])
      ON CONFLICT (node) DO UPDATE SET online = excluded.online, t = excluded.t, boot = excluded.boot, seq = excluded.seq WHERE ${newerThan("node_status")}`,
    [nodes, v.map((s) => s.online), v.map((s) => s.t), v.map((s) => s.order?.boot ?? null), v.map((s) => s.order?.seq ?? null)])).rowCount ?? 0;
    out.stored -= nodes.length - taken; // older than the node's stored status: changed nothing
    out.duplicates += nodes.length - taken;
  }

  /** What is not a reading or an aggregate, and the readings to keep aside, in one transaction. */
  private async others(rest: IngestItem[], stale: Reading[], out: IngestOutcome): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query("BEGIN");
      const reject = async (topic: string, payload: Uint8Array, reason: string, t: number) => {
        await c.query("INSERT INTO rejects (t, topic, payload, reason) VALUES ($1, $2, $3, $4)", [t, topic, Buffer.from(payload), reason]);
        out.rejected++;
      };
      const asReject = (it: Reading) => [`${it.node}/${it.meterId}/${it.obis}`, new TextEncoder().encode(JSON.stringify(it))] as const;
      for (const it of stale) await reject(...asReject(it), "a second reading of this code at the same time", Date.now());
      await this.statuses(c, rest, out);
      for (const it of rest) {
        switch (it.kind) {
          case "reading":
            await reject(...asReject(it), "older than the raw-reading retention", Date.now());
            break;
          case "event": {
            if ((await c.query("INSERT INTO events (meter, boot, seq, t, type, body) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING", [this.meterId(it), it.boot, it.seq, it.t, it.type, it.body])).rowCount) out.stored++;
            else out.duplicates++;
            break;
          }
          case "firmware": {
            // the report itself is the key (earlier firmware's carry no seq): migration 3's firmware_once; a report a
            // second worker is inserting at the same moment waits for its commit and is a duplicate too
            const o = [it.order?.boot ?? null, it.order?.seq ?? null];
            if ((await c.query("INSERT INTO firmware_reports (node, t, running, phase, body, boot, seq) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (node, md5(body)) DO NOTHING", [it.node, it.t, it.running, it.phase, it.body, ...o])).rowCount) {
              // the node's state: only if newer than the one it has (a resent older report stays history)
              await c.query(`INSERT INTO node_firmware (node, boot, seq, running, phase, t, body) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (node)
                DO UPDATE SET boot = excluded.boot, seq = excluded.seq, running = excluded.running, phase = excluded.phase, t = excluded.t, body = excluded.body WHERE ${newerThan("node_firmware")}`, [it.node, ...o, it.running, it.phase, it.t, it.body]);
              out.stored++;
            } else out.duplicates++;
            break;
          }
          case "result": {
            const n = it.ctr >= 0
              // an authentic result replaces a refusal (migration 6); nothing replaces an authentic one
              ? (await c.query("UPDATE downlinks SET result_at = $1, ok = $2, error = $3, refused = $7 WHERE node = $4 AND ctr = $5 AND ($6 = '' OR kind = $6) AND (result_at IS NULL OR (refused AND NOT $7))", [it.t, it.ok, it.error ?? null, it.node, it.ctr, it.cmd, !!it.refused])).rowCount
              : (await c.query("UPDATE downlinks SET result_at = $1, ok = $2, error = $3, refused = $6 WHERE id = (SELECT id FROM downlinks WHERE node = $4 AND kind = $5 AND result_at IS NULL ORDER BY id DESC LIMIT 1)", [it.t, it.ok, it.error ?? null, it.node, it.cmd, !!it.refused])).rowCount;
            if (n) out.stored++;
            else out.duplicates++;
            break;
          }
          case "reject":
            await reject(it.topic, it.payload, it.reason, it.t);
            break;
          default:
            break;
        }
      }
      if (out.rejected > 0) await this.boundRejects(c);
      await c.query("COMMIT");
    } catch (e) {
      await c.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  /**
   * Keeps the newest maxRejects rows; the older ones are counted by reason first, in the batch's transaction.
   * Under a transaction-scoped advisory lock: two workers pruning at once would count the same rows twice.
   */
  private async boundRejects(c: pg.PoolClient): Promise<void> {
    const top = (await c.query("SELECT max(id) AS id FROM rejects")).rows[0].id as number | null;
    if (top === null || top <= this.maxRejects) return;
    const cut = top - this.maxRejects; // ids are increasing (gaps only make fewer rows): at most maxRejects above the cut
    await c.query("SELECT pg_advisory_xact_lock(7244)");
    await c.query(`INSERT INTO reject_pruned AS p (reason, n, last_topic, last_at)
      SELECT DISTINCT ON (reason) reason, count(*) OVER (PARTITION BY reason), topic, t FROM rejects WHERE id <= $1 ORDER BY reason, id DESC
      ON CONFLICT (reason) DO UPDATE SET n = p.n + excluded.n, last_topic = excluded.last_topic, last_at = excluded.last_at`, [cut]);
    await c.query("DELETE FROM rejects WHERE id <= $1", [cut]);
  }

  private async lookup(m: MeterRef): Promise<number | undefined> {
    return (await this.q("SELECT id FROM meters WHERE node = $1 AND meter_id = $2", [m.node, m.meterId])).rows[0]?.id as number | undefined;
  }

  async meters(now: number): Promise<MeterSummary[]> {
    const day = now - (now % DAY);
    const rows = (await this.q(`
      SELECT m.node, m.meter_id, m.last_seen, s.online, s.t AS status_t, lp.v AS power, lp.t AS power_t,
        (SELECT d.last_v - coalesce((SELECT y.last_v FROM rollup_day y WHERE y.meter = m.id AND y.obis = d.obis AND y.bucket = d.bucket - ${DAY}), d.first_v)
           FROM rollup_day d WHERE d.meter = m.id AND d.obis = (SELECT id FROM obis WHERE code = $1) AND d.bucket = $3) AS energy_today,
        f.running AS firmware, f.phase AS firmware_phase,
        (SELECT count(*) FROM events e WHERE e.meter = m.id AND e.t >= $4) + (SELECT count(*) FROM pq10 q WHERE q.meter = m.id AND q.flagged AND q.end_t >= $4) AS alarms
      FROM meters m LEFT JOIN node_status s ON s.node = m.node
        LEFT JOIN latest lp ON lp.meter = m.id AND lp.obis = (SELECT id FROM obis WHERE code = $2)
        LEFT JOIN node_firmware f ON f.node = m.node
      ORDER BY m.node, m.meter_id`, [ENERGY_OBIS, POWER_OBIS, day, now - DAY])).rows;
    return rows.map((r) => ({
      node: r.node as string, meterId: r.meter_id as number,
      status: r.online === null ? undefined : r.online ? "online" : "offline",
      statusAt: (r.status_t as number | null) ?? undefined, lastSeen: (r.last_seen as number | null) ?? undefined,
      powerW: (r.power as number | null) ?? undefined, powerAt: (r.power_t as number | null) ?? undefined,
      energyTodayWh: (r.energy_today as number | null) ?? undefined,
      firmware: (r.firmware as string | null) ?? undefined, firmwarePhase: (r.firmware_phase as string | null) ?? undefined,
      alarms: Number(r.alarms),
    }));
  }

  async fleetList(q: FleetQuery, now: number): Promise<{ rows: MeterSummary[]; matching: number }> {
    const page = positional(fleetPageSql(q, now));
    const count = positional(fleetCountSql(q, now));
    const [rows, n] = await Promise.all([this.q(page.sql, page.values), this.q(count.sql, count.values)]);
    return { rows: rows.rows.map(summaryOf), matching: Number(n.rows[0].n) };
  }

  async fleetTotals(staleMs: number, now: number): Promise<FleetTotals> {
    const b = positional(fleetTotalsSql({ staleMs }, now));
    return totalsOf((await this.q(b.sql, b.values)).rows[0]);
  }

  async meterSummary(ref: MeterRef, staleMs: number, now: number): Promise<MeterSummary | undefined> {
    const b = positional(meterSql(ref, staleMs, now));
    const r = (await this.q(b.sql, b.values)).rows[0];
    return r ? summaryOf(r) : undefined;
  }

  async series(m: MeterRef, obis: string, from: number, to: number, res: Resolution): Promise<SeriesPoint[]> {
    const id = await this.lookup(m);
    if (id === undefined) return [];
    const lim = (x: number) => (Number.isFinite(x) ? x : x > 0 ? 9e15 : -9e15);
    if (res === "raw") return (await this.q("SELECT r.t, r.v FROM readings r JOIN obis o ON o.id = r.obis WHERE r.meter = $1 AND o.code = $2 AND r.t >= $3 AND r.t < $4 ORDER BY r.t", [id, obis, lim(from), lim(to)])).rows as unknown as SeriesPoint[];
    const table = res === "10min" ? "rollup_10min" : "rollup_day";
    return (await this.q(`SELECT r.bucket AS t, r.sum / r.n AS v, r.min, r.max, r.last_v AS last FROM ${table} r JOIN obis o ON o.id = r.obis WHERE r.meter = $1 AND o.code = $2 AND r.bucket >= $3 AND r.bucket < $4 ORDER BY r.bucket`, [id, obis, lim(from), lim(to)])).rows as unknown as SeriesPoint[];
  }

  async fleetSeries(what: "power" | "energy", from: number, to: number): Promise<SeriesPoint[]> {
    if (what === "power") return (await this.q("SELECT r.bucket AS t, sum(r.sum / r.n) AS v FROM rollup_10min r WHERE r.obis = (SELECT id FROM obis WHERE code = $1) AND r.bucket >= $2 AND r.bucket < $3 GROUP BY r.bucket ORDER BY r.bucket", [POWER_OBIS, from, to])).rows as unknown as SeriesPoint[];
    return (await this.q("SELECT r.bucket AS t, sum(r.last_v - r.first_v) AS v FROM rollup_day r WHERE r.obis = (SELECT id FROM obis WHERE code = $1) AND r.bucket >= $2 AND r.bucket < $3 GROUP BY r.bucket ORDER BY r.bucket", [ENERGY_OBIS, from, to])).rows as unknown as SeriesPoint[];
  }

  async obisCodes(m: MeterRef): Promise<string[]> {
    const id = await this.lookup(m);
    if (id === undefined) return [];
    return (await this.q("SELECT o.code FROM latest l JOIN obis o ON o.id = l.obis WHERE l.meter = $1 ORDER BY o.code", [id])).rows.map((r) => r.code as string);
  }

  async pq(m: MeterRef, from: number, to: number): Promise<PqRow[]> {
    const id = await this.lookup(m);
    if (id === undefined) return [];
    const rows = (await this.q("SELECT start, end_t, flagged, body FROM pq10 WHERE meter = $1 AND end_t > $2 AND end_t <= $3 ORDER BY end_t", [id, Number.isFinite(from) ? from : -9e15, Number.isFinite(to) ? to : 9e15])).rows;
    return rows.map((r) => ({ ...m, start: r.start as number, end: r.end_t as number, flagged: r.flagged as boolean, ...(JSON.parse(r.body as string) as Omit<PqRow, "node" | "meterId" | "start" | "end" | "flagged">) }));
  }

  async events(m: MeterRef, from: number, to: number): Promise<EventRow[]> {
    const id = await this.lookup(m);
    if (id === undefined) return [];
    const rows = (await this.q("SELECT boot, seq, t, type, body FROM events WHERE meter = $1 AND t >= $2 AND t < $3 ORDER BY t", [id, Number.isFinite(from) ? from : -9e15, Number.isFinite(to) ? to : 9e15])).rows;
    return rows.map((r) => ({ ...m, boot: r.boot as number, seq: r.seq as number, t: r.t as number, type: r.type as string, body: r.body as string }));
  }

  async rejects(): Promise<RejectSummary[]> {
    const kept = (await this.q("SELECT g.reason, g.n, r.topic, r.t FROM (SELECT reason, count(*) AS n, max(id) AS last FROM rejects GROUP BY reason) g JOIN rejects r ON r.id = g.last")).rows;
    const pruned = (await this.q("SELECT reason, n, last_topic AS topic, last_at AS t FROM reject_pruned")).rows;
    return mergeRejects(kept, pruned);
  }

  async counts(): Promise<StoreCounts> {
    const c = async (t: string) => (await this.q(`SELECT count(*) AS n FROM ${t}`)).rows[0].n as number;
    return { readings: await c("readings"), pq: await c("pq10"), events: await c("events"), rejects: await c("rejects") };
  }

  async pruneRaw(before: number): Promise<number> {
    const c = await this.pool.connect();
    try {
      await c.query("BEGIN");
      // whole months before the horizon go at once (DROP, no dead rows to vacuum); the rest row by row
      let n = 0;
      const parts = (await c.query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'readings'::regclass")).rows.map((r) => r.relname as string);
      for (const p of parts) {
        const key = Number(p.slice("readings_".length));
        const end = Date.UTC(Math.floor(key / 100), key % 100, 1);
        if (end <= before) {
          n += (await c.query(`SELECT count(*) AS n FROM ${p}`)).rows[0].n as number;
          await c.query(`DROP TABLE ${p}`);
          this.months.delete(key);
        }
      }
      n += (await c.query("DELETE FROM readings WHERE t < $1", [before])).rowCount ?? 0;
      await c.query("INSERT INTO meta (key, value) VALUES ('pruned_before', $1) ON CONFLICT (key) DO UPDATE SET value = greatest(meta.value, excluded.value)", [before]);
      await c.query("COMMIT");
      this.horizon = Math.max(this.horizon, before);
      return n;
    } catch (e) {
      await c.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  async retentionHorizon(): Promise<number> {
    return this.horizon;
  }

  async nodeKey(node: string): Promise<Uint8Array | undefined> {
    const r = (await this.q("SELECT key FROM node_keys WHERE node = $1", [node])).rows[0];
    return r ? new Uint8Array(r.key as Buffer) : undefined;
  }

  async setNodeKey(node: string, key: Uint8Array): Promise<void> {
    await this.q("INSERT INTO node_keys (node, key) VALUES ($1, $2) ON CONFLICT (node) DO UPDATE SET key = excluded.key", [node, Buffer.from(key)]);
  }

  async nodes(): Promise<string[]> {
    return (await this.q("SELECT node FROM node_keys UNION SELECT node FROM meters ORDER BY node")).rows.map((r) => r.node as string);
  }

  async addDownlink(d: Omit<DownlinkRow, "id" | "ctr">, floor: number): Promise<DownlinkRow> {
    const c = await this.pool.connect();
    try {
      await c.query("BEGIN");
      await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [d.node]); // one counter at a time per node
      const max = ((await c.query("SELECT max(ctr) AS c FROM downlinks WHERE node = $1", [d.node])).rows[0].c as number | null) ?? 0;
      const ctr = Math.max(floor, max + 1);
      const id = (await c.query("INSERT INTO downlinks (node, kind, ctr, body, sent_at, by_user, campaign) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id", [d.node, d.kind, ctr, d.body, d.sentAt, d.by, d.campaign ?? null])).rows[0].id as number;
      await c.query("COMMIT");
      return { ...d, id, ctr };
    } catch (e) {
      await c.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  async downlinks(node?: string, limit = 100): Promise<DownlinkRow[]> {
    const rows = node === undefined ? (await this.q("SELECT * FROM downlinks ORDER BY id DESC LIMIT $1", [limit])).rows : (await this.q("SELECT * FROM downlinks WHERE node = $1 ORDER BY id DESC LIMIT $2", [node, limit])).rows;
    return rows.map((r) => ({
      id: r.id as number, node: r.node as string, kind: r.kind as DownlinkRow["kind"], ctr: r.ctr as number, body: r.body as string, sentAt: r.sent_at as number, by: r.by_user as string,
      campaign: (r.campaign as number | null) ?? undefined, resultAt: (r.result_at as number | null) ?? undefined, ok: (r.ok as boolean | null) ?? undefined, error: (r.error as string | null) ?? undefined,
    }));
  }

  async addCampaign(c: Omit<CampaignRow, "id">): Promise<CampaignRow> {
    const id = (await this.q("INSERT INTO campaigns (version, offer, first_group, rest, state, reason, created_at, by_user) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id", [c.version, c.offer, JSON.stringify(c.firstGroup), JSON.stringify(c.rest), c.state, c.reason ?? null, c.createdAt, c.by])).rows[0].id as number;
    return { ...c, id };
  }

  async updateCampaign(id: number, state: CampaignState, reason?: string): Promise<void> {
    await this.q("UPDATE campaigns SET state = $1, reason = $2 WHERE id = $3", [state, reason ?? null, id]);
  }

  async campaigns(): Promise<CampaignRow[]> {
    return (await this.q("SELECT * FROM campaigns ORDER BY id DESC")).rows.map((r) => ({
      id: r.id as number, version: r.version as string, offer: r.offer as string, firstGroup: JSON.parse(r.first_group as string) as string[], rest: JSON.parse(r.rest as string) as string[],
      state: r.state as CampaignState, reason: (r.reason as string | null) ?? undefined, createdAt: r.created_at as number, by: r.by_user as string,
    }));
  }

  async firmwareSince(node: string, since: number) {
    return (await this.q("SELECT running, phase, t, body FROM firmware_reports WHERE node = $1 AND t >= $2 ORDER BY id", [node, since])).rows as unknown as { running: string; phase: string; t: number; body: string }[];
  }

  async firmware(node: string) {
    return (await this.q("SELECT running, phase, t, body FROM node_firmware WHERE node = $1", [node])).rows[0] as unknown as { running: string; phase: string; t: number; body: string } | undefined;
  }

  async user(name: string): Promise<UserRow | undefined> {
    return (await this.q("SELECT name, role, record FROM users WHERE name = $1", [name])).rows[0] as unknown as UserRow | undefined;
  }

  async putUser(u: UserRow): Promise<void> {
    await this.q("INSERT INTO users (name, role, record) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET role = excluded.role, record = excluded.record", [u.name, u.role, u.record]);
  }

  async userCount(): Promise<number> {
    return (await this.q("SELECT count(*) AS n FROM users")).rows[0].n as number;
  }

  async sizeBytes(): Promise<number> {
    return (await this.q("SELECT pg_database_size(current_database()) AS n")).rows[0].n as number;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
