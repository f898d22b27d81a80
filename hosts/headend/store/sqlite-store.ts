/**
 * The embedded database: one SQLite file through better-sqlite3 (synchronous,
 * in-process; no server to set up). WAL journal, so the dashboard reads while
 * the ingest writes; synchronous=NORMAL: a committed batch survives a crash of
 * the head-end process (the case the PUBACK-after-commit design covers), a
 * power cut may lose the last batches, which the broker then still holds
 * unacknowledged only if their PUBACKs had not gone out — docs/headend.md.
 */
import Database from "better-sqlite3";
import { statSync } from "node:fs";
import { MIGRATIONS, newerThan } from "./migrations";
import { fleetCountSql, fleetPageSql, fleetTotalsSql, meterSql, summaryOf, totalsOf, type FleetQuery, type FleetTotals } from "./fleet-query";
import { DAY, ENERGY_OBIS, POWER_OBIS, TEN_MIN, type CampaignRow, type CampaignState, type DownlinkRow, type EventRow, type HeadendStore, type IngestItem, type IngestOutcome, type MeterRef, type MeterSummary, type PqRow, type RejectSummary, type Resolution, type SeriesPoint, type StoreCounts, type StoreOptions, type UserRow } from "./store";
import { maxRejectsOf } from "./store";
import { mergeRejects } from "./reject-summary";

type Row = Record<string, unknown>;

const rollupSql = (table: string): string =>
  `INSERT INTO ${table} (meter, obis, bucket, n, sum, min, max, first_t, first_v, last_t, last_v) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT (meter, obis, bucket) DO UPDATE SET n = n + 1, sum = sum + excluded.sum, min = min(min, excluded.min), max = max(max, excluded.max),
     first_v = CASE WHEN excluded.first_t < first_t THEN excluded.first_v ELSE first_v END, first_t = min(first_t, excluded.first_t),
     last_v = CASE WHEN excluded.last_t >= last_t THEN excluded.last_v ELSE last_v END, last_t = max(last_t, excluded.last_t)`;

export class SqliteStore implements HeadendStore {
  private readonly db: Database.Database;
  private readonly meterIds = new Map<string, number>();
  private readonly obisIds = new Map<string, number>();
  private horizon = -Infinity;
  private st!: ReturnType<SqliteStore["prepare"]>;

  private readonly maxRejects: number;

  constructor(private readonly file: string, options: StoreOptions = {}) {
    this.maxRejects = maxRejectsOf(options);
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
  }

  async migrate(): Promise<number> {
    this.db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    const have = (this.db.prepare("SELECT max(version) AS v FROM schema_version").get() as Row).v as number | null;
    for (const m of MIGRATIONS) {
      if (have !== null && m.version <= have) continue;
      this.db.transaction(() => {
        this.db.exec(m.sqlite);
        this.db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(m.version);
      })();
    }
    this.st = this.prepare();
    this.horizon = ((this.db.prepare("SELECT value FROM meta WHERE key = 'pruned_before'").get() as Row | undefined)?.value as number | undefined) ?? -Infinity;
    return MIGRATIONS[MIGRATIONS.length - 1].version;
  }

  private prepare() {
    const p = (sql: string) => this.db.prepare(sql);
    return {
      meterGet: p("SELECT id FROM meters WHERE node = ? AND meter_id = ?"),
      meterAdd: p("INSERT INTO meters (node, meter_id) VALUES (?, ?)"),
      seen: p("UPDATE meters SET last_seen = max(coalesce(last_seen, 0), ?) WHERE id = ?"),
      obisGet: p("SELECT id FROM obis WHERE code = ?"),
      obisAdd: p("INSERT INTO obis (code, unit) VALUES (?, ?)"),
      reading: p("INSERT INTO readings (meter, obis, t, v, boot, seq) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
      readingOnce: p("SELECT 1 FROM readings WHERE meter = ? AND boot = ? AND seq = ?"),
      latest: p("INSERT INTO latest (meter, obis, t, v) VALUES (?, ?, ?, ?) ON CONFLICT (meter, obis) DO UPDATE SET t = excluded.t, v = excluded.v WHERE excluded.t >= latest.t"),
      r10: p(rollupSql("rollup_10min")),
      rday: p(rollupSql("rollup_day")),
      pq: p("INSERT INTO pq10 (meter, boot, seq, start, end_t, flagged, body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
      event: p("INSERT INTO events (meter, boot, seq, t, type, body) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
      status: p(`INSERT INTO node_status (node, online, t, boot, seq) VALUES (?, ?, ?, ?, ?) ON CONFLICT (node)
        DO UPDATE SET online = excluded.online, t = excluded.t, boot = excluded.boot, seq = excluded.seq WHERE ${newerThan("node_status")}`),
      // the report itself is the key (earlier firmware's carry no seq): migration 3's firmware_once
      fw: p("INSERT INTO firmware_reports (node, t, running, phase, body, boot, seq) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
      fwLatest: p(`INSERT INTO node_firmware (node, boot, seq, running, phase, t, body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (node)
        DO UPDATE SET boot = excluded.boot, seq = excluded.seq, running = excluded.running, phase = excluded.phase, t = excluded.t, body = excluded.body WHERE ${newerThan("node_firmware")}`),
      // an authentic result replaces a refusal (migration 6); nothing replaces an authentic one
      resultByCtr: p("UPDATE downlinks SET result_at = ?, ok = ?, error = ?, refused = ? WHERE node = ? AND ctr = ? AND (? IS NULL OR kind = ?) AND (result_at IS NULL OR (refused AND NOT ?))"),
      resultLatest: p("UPDATE downlinks SET result_at = ?, ok = ?, error = ?, refused = ? WHERE id = (SELECT id FROM downlinks WHERE node = ? AND kind = ? AND result_at IS NULL ORDER BY id DESC LIMIT 1)"),
      reject: p("INSERT INTO rejects (t, topic, payload, reason) VALUES (?, ?, ?, ?)"),
      rejectTop: p("SELECT max(id) AS id FROM rejects"),
      // per reason: how many rows at or below the cut, and the newest of them (SQLite's bare columns follow max(id))
      rejectCount: p(`INSERT INTO reject_pruned (reason, n, last_topic, last_at)
        SELECT reason, n, topic, t FROM (SELECT reason, count(*) AS n, topic, t, max(id) FROM rejects WHERE id <= ? GROUP BY reason) WHERE true
        ON CONFLICT (reason) DO UPDATE SET n = n + excluded.n, last_topic = excluded.last_topic, last_at = excluded.last_at`),
      rejectPrune: p("DELETE FROM rejects WHERE id <= ?"),
    };
  }

  private meter(node: string, meterId: number): number {
    const key = `${node}\u0000${meterId}`;
    let id = this.meterIds.get(key);
    if (id === undefined) {
      id = ((this.st.meterGet.get(node, meterId) as Row | undefined)?.id as number | undefined) ?? Number(this.st.meterAdd.run(node, meterId).lastInsertRowid);
      this.meterIds.set(key, id);
    }
    return id;
  }

  private obis(code: string, unit: string): number {
    let id = this.obisIds.get(code);
    if (id === undefined) {
      id = ((this.st.obisGet.get(code) as Row | undefined)?.id as number | undefined) ?? Number(this.st.obisAdd.run(code, unit).lastInsertRowid);
      this.obisIds.set(code, id);
    }
    return id;
  }

  private lookup(m: MeterRef): number | undefined {
    return (this.st.meterGet.get(m.node, m.meterId) as Row | undefined)?.id as number | undefined;
  }

  async ingest(batch: IngestItem[]): Promise<IngestOutcome> {
    const out: IngestOutcome = { stored: 0, duplicates: 0, rejected: 0 };
    const s = this.st;
    const reject = (topic: string, payload: Uint8Array, reason: string, t: number) => {
      s.reject.run(t, topic, Buffer.from(payload), reason);
      out.rejected++;
    };
    this.db.transaction(() => {
      for (const it of batch) {
        switch (it.kind) {
          case "reading": {
            if (it.t < this.horizon) {
              reject(`${it.node}/${it.meterId}/${it.obis}`, new TextEncoder().encode(JSON.stringify(it)), "older than the raw-reading retention", Date.now());
              break;
            }
            const m = this.meter(it.node, it.meterId);
            const o = this.obis(it.obis, it.unit);
            if (s.reading.run(m, o, it.t, it.v, it.boot, it.seq).changes === 0) {
              if (s.readingOnce.get(m, it.boot, it.seq)) out.duplicates++;
              else reject(`${it.node}/${it.meterId}/${it.obis}`, new TextEncoder().encode(JSON.stringify(it)), "a second reading of this code at the same time", Date.now());
              break;
            }
            s.latest.run(m, o, it.t, it.v);
            const b10 = it.t - (it.t % TEN_MIN);
            const bday = it.t - (it.t % DAY);
            s.r10.run(m, o, b10, it.v, it.v, it.v, it.t, it.v, it.t, it.v);
            s.rday.run(m, o, bday, it.v, it.v, it.v, it.t, it.v, it.t, it.v);
            s.seen.run(it.t, m);
            out.stored++;
            break;
          }
          case "pq": {
            const m = this.meter(it.node, it.meterId);
            const body = JSON.stringify({ u: it.u, i: it.i, p: it.p, thdu: it.thdu, thdi: it.thdi, f: it.f, u2: it.u2 });
            if (s.pq.run(m, it.boot, it.seq, it.start, it.end, it.flagged ? 1 : 0, body).changes === 0) out.duplicates++;
            else { s.seen.run(it.end, m); out.stored++; }
            break;
          }
          case "event": {
            const m = this.meter(it.node, it.meterId);
            if (s.event.run(m, it.boot, it.seq, it.t, it.type, it.body).changes === 0) out.duplicates++;
            else out.stored++;
            break;
          }
          case "status":
            // an older report (a resend, a will redelivered after the next "online") changes nothing
            if (s.status.run(it.node, it.online ? 1 : 0, it.t, it.order?.boot ?? null, it.order?.seq ?? null).changes === 0) out.duplicates++;
            else out.stored++;
            break;
          case "firmware": {
            // a retained report comes again on every subscription, a cluster resends one after newer ones
            const o = it.order;
            if (s.fw.run(it.node, it.t, it.running, it.phase, it.body, o?.boot ?? null, o?.seq ?? null).changes === 0) out.duplicates++;
            else {
              s.fwLatest.run(it.node, o?.boot ?? null, o?.seq ?? null, it.running, it.phase, it.t, it.body); // kept only if newer
              out.stored++;
            }
            break;
          }
          case "result": {
            const ok = it.ok ? 1 : 0;
            const refused = it.refused ? 1 : 0;
            const n = it.ctr >= 0 ? s.resultByCtr.run(it.t, ok, it.error ?? null, refused, it.node, it.ctr, it.cmd || null, it.cmd || null, refused).changes : s.resultLatest.run(it.t, ok, it.error ?? null, refused, it.node, it.cmd).changes;
            if (n > 0) out.stored++;
            else out.duplicates++; // a resend of a result already matched, or one for a command this head-end did not send
            break;
          }
          case "reject":
            reject(it.topic, it.payload, it.reason, it.t);
            break;
        }
      }
      if (out.rejected > 0) this.boundRejects();
    })();
    return out;
  }

  /** Keeps the newest maxRejects rows; the older ones are counted by reason first (in the batch's transaction). */
  private boundRejects(): void {
    const top = (this.st.rejectTop.get() as Row).id as number | null;
    if (top === null || top <= this.maxRejects) return;
    const cut = top - this.maxRejects; // ids are increasing: at most maxRejects of them are above the cut
    this.st.rejectCount.run(cut);
    this.st.rejectPrune.run(cut);
  }

  async meters(now: number): Promise<MeterSummary[]> {
    const day = now - (now % DAY);
    const rows = this.db.prepare(`
      SELECT m.node, m.meter_id, m.last_seen, s.online, s.t AS status_t,
        lp.v AS power, lp.t AS power_t,
        (SELECT d.last_v - coalesce((SELECT y.last_v FROM rollup_day y WHERE y.meter = m.id AND y.obis = d.obis AND y.bucket = d.bucket - ${DAY}), d.first_v)
           FROM rollup_day d WHERE d.meter = m.id AND d.obis = (SELECT id FROM obis WHERE code = @energy) AND d.bucket = @day) AS energy_today,
        (SELECT running FROM node_firmware f WHERE f.node = m.node) AS firmware,
        (SELECT phase FROM node_firmware f WHERE f.node = m.node) AS firmware_phase,
        (SELECT count(*) FROM events e WHERE e.meter = m.id AND e.t >= @since) + (SELECT count(*) FROM pq10 q WHERE q.meter = m.id AND q.flagged = 1 AND q.end_t >= @since) AS alarms
      FROM meters m LEFT JOIN node_status s ON s.node = m.node
        LEFT JOIN latest lp ON lp.meter = m.id AND lp.obis = (SELECT id FROM obis WHERE code = @power)
      ORDER BY m.node, m.meter_id`).all({ energy: ENERGY_OBIS, power: POWER_OBIS, day, since: now - DAY }) as Row[];
    return rows.map((r) => ({
      node: r.node as string,
      meterId: r.meter_id as number,
      status: r.online === null || r.online === undefined ? undefined : r.online ? "online" : "offline",
      statusAt: (r.status_t as number | null) ?? undefined,
      lastSeen: (r.last_seen as number | null) ?? undefined,
      powerW: (r.power as number | null) ?? undefined,
      powerAt: (r.power_t as number | null) ?? undefined,
      energyTodayWh: (r.energy_today as number | null) ?? undefined,
      firmware: (r.firmware as string | null) ?? undefined,
      firmwarePhase: (r.firmware_phase as string | null) ?? undefined,
      alarms: r.alarms as number,
    }));
  }

  async fleetList(q: FleetQuery, now: number): Promise<{ rows: MeterSummary[]; matching: number }> {
    const page = fleetPageSql(q, now);
    const count = fleetCountSql(q, now);
    const rows = (this.db.prepare(page.sql).all(page.params) as Row[]).map(summaryOf);
    return { rows, matching: (this.db.prepare(count.sql).get(count.params) as Row).n as number };
  }

  async fleetTotals(staleMs: number, now: number): Promise<FleetTotals> {
    const b = fleetTotalsSql({ staleMs }, now);
    return totalsOf(this.db.prepare(b.sql).get(b.params) as Row);
  }

  async meterSummary(ref: MeterRef, staleMs: number, now: number): Promise<MeterSummary | undefined> {
    const b = meterSql(ref, staleMs, now);
    const r = this.db.prepare(b.sql).get(b.params) as Row | undefined;
    return r ? summaryOf(r) : undefined;
  }

  async series(m: MeterRef, obis: string, from: number, to: number, res: Resolution): Promise<SeriesPoint[]> {
    const id = this.lookup(m);
    if (id === undefined) return [];
    if (res === "raw") {
      return this.db.prepare("SELECT r.t, r.v FROM readings r JOIN obis o ON o.id = r.obis WHERE r.meter = ? AND o.code = ? AND r.t >= ? AND r.t < ? ORDER BY r.t").all(id, obis, from, to) as SeriesPoint[];
    }
    const table = res === "10min" ? "rollup_10min" : "rollup_day";
    return this.db.prepare(`SELECT r.bucket AS t, r.sum / r.n AS v, r.min, r.max, r.last_v AS last FROM ${table} r JOIN obis o ON o.id = r.obis WHERE r.meter = ? AND o.code = ? AND r.bucket >= ? AND r.bucket < ? ORDER BY r.bucket`).all(id, obis, from, to) as SeriesPoint[];
  }

  async fleetSeries(what: "power" | "energy", from: number, to: number): Promise<SeriesPoint[]> {
    if (what === "power") {
      return this.db.prepare("SELECT r.bucket AS t, sum(r.sum / r.n) AS v FROM rollup_10min r WHERE r.obis = (SELECT id FROM obis WHERE code = ?) AND r.bucket >= ? AND r.bucket < ? GROUP BY r.bucket ORDER BY r.bucket").all(POWER_OBIS, from, to) as SeriesPoint[];
    }
    return this.db.prepare("SELECT r.bucket AS t, sum(r.last_v - r.first_v) AS v FROM rollup_day r WHERE r.obis = (SELECT id FROM obis WHERE code = ?) AND r.bucket >= ? AND r.bucket < ? GROUP BY r.bucket ORDER BY r.bucket").all(ENERGY_OBIS, from, to) as SeriesPoint[];
  }

  async obisCodes(m: MeterRef): Promise<string[]> {
    const id = this.lookup(m);
    if (id === undefined) return [];
    return (this.db.prepare("SELECT o.code FROM latest l JOIN obis o ON o.id = l.obis WHERE l.meter = ? ORDER BY o.code").all(id) as Row[]).map((r) => r.code as string);
  }

  async pq(m: MeterRef, from: number, to: number): Promise<PqRow[]> {
    const id = this.lookup(m);
    if (id === undefined) return [];
    const rows = this.db.prepare("SELECT start, end_t, flagged, body FROM pq10 WHERE meter = ? AND end_t > ? AND end_t <= ? ORDER BY end_t").all(id, from, to) as Row[];
    return rows.map((r) => ({ ...m, start: r.start as number, end: r.end_t as number, flagged: r.flagged === 1, ...(JSON.parse(r.body as string) as Omit<PqRow, "node" | "meterId" | "start" | "end" | "flagged">) }));
  }

  async events(m: MeterRef, from: number, to: number): Promise<EventRow[]> {
    const id = this.lookup(m);
    if (id === undefined) return [];
    const rows = this.db.prepare("SELECT boot, seq, t, type, body FROM events WHERE meter = ? AND t >= ? AND t < ? ORDER BY t").all(id, from, to) as Row[];
    return rows.map((r) => ({ ...m, boot: r.boot as number, seq: r.seq as number, t: r.t as number, type: r.type as string, body: r.body as string }));
  }

  async rejects(): Promise<RejectSummary[]> {
    const kept = this.db.prepare("SELECT reason, count(*) AS n, topic, t, max(id) FROM rejects GROUP BY reason").all() as Row[];
    const pruned = this.db.prepare("SELECT reason, n, last_topic AS topic, last_at AS t FROM reject_pruned").all() as Row[];
    return mergeRejects(kept, pruned);
  }

  async counts(): Promise<StoreCounts> {
    const c = (t: string) => (this.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as Row).n as number;
    return { readings: c("readings"), pq: c("pq10"), events: c("events"), rejects: c("rejects") };
  }

  async pruneRaw(before: number): Promise<number> {
    return this.db.transaction(() => {
      const n = this.db.prepare("DELETE FROM readings WHERE t < ?").run(before).changes;
      this.db.prepare("INSERT INTO meta (key, value) VALUES ('pruned_before', ?) ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)").run(before);
      this.horizon = Math.max(this.horizon, before);
      return n;
    })();
  }

  async retentionHorizon(): Promise<number> {
    return this.horizon;
  }

  async nodeKey(node: string): Promise<Uint8Array | undefined> {
    const r = this.db.prepare("SELECT key FROM node_keys WHERE node = ?").get(node) as Row | undefined;
    return r ? new Uint8Array(r.key as Buffer) : undefined;
  }

  async setNodeKey(node: string, key: Uint8Array): Promise<void> {
    this.db.prepare("INSERT INTO node_keys (node, key) VALUES (?, ?) ON CONFLICT (node) DO UPDATE SET key = excluded.key").run(node, Buffer.from(key));
  }

  async nodes(): Promise<string[]> {
    return (this.db.prepare("SELECT node FROM node_keys UNION SELECT node FROM meters ORDER BY node").all() as Row[]).map((r) => r.node as string);
  }

  async addDownlink(d: Omit<DownlinkRow, "id" | "ctr">, floor: number): Promise<DownlinkRow> {
    return this.db.transaction(() => {
      const max = ((this.db.prepare("SELECT max(ctr) AS c FROM downlinks WHERE node = ?").get(d.node) as Row).c as number | null) ?? 0;
      const ctr = Math.max(floor, max + 1);
      const id = Number(this.db.prepare("INSERT INTO downlinks (node, kind, ctr, body, sent_at, by_user, campaign) VALUES (?, ?, ?, ?, ?, ?, ?)").run(d.node, d.kind, ctr, d.body, d.sentAt, d.by, d.campaign ?? null).lastInsertRowid);
      return { ...d, id, ctr };
    })();
  }

  async downlinks(node?: string, limit = 100): Promise<DownlinkRow[]> {
    const rows = (node === undefined ? this.db.prepare("SELECT * FROM downlinks ORDER BY id DESC LIMIT ?").all(limit) : this.db.prepare("SELECT * FROM downlinks WHERE node = ? ORDER BY id DESC LIMIT ?").all(node, limit)) as Row[];
    return rows.map(downlinkRow);
  }

  async addCampaign(c: Omit<CampaignRow, "id">): Promise<CampaignRow> {
    const id = Number(this.db.prepare("INSERT INTO campaigns (version, offer, first_group, rest, state, reason, created_at, by_user) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").run(c.version, c.offer, JSON.stringify(c.firstGroup), JSON.stringify(c.rest), c.state, c.reason ?? null, c.createdAt, c.by).lastInsertRowid);
    return { ...c, id };
  }

  async updateCampaign(id: number, state: CampaignState, reason?: string): Promise<void> {
    this.db.prepare("UPDATE campaigns SET state = ?, reason = ? WHERE id = ?").run(state, reason ?? null, id);
  }

  async campaigns(): Promise<CampaignRow[]> {
    return (this.db.prepare("SELECT * FROM campaigns ORDER BY id DESC").all() as Row[]).map((r) => ({
      id: r.id as number, version: r.version as string, offer: r.offer as string, firstGroup: JSON.parse(r.first_group as string) as string[], rest: JSON.parse(r.rest as string) as string[],
      state: r.state as CampaignState, reason: (r.reason as string | null) ?? undefined, createdAt: r.created_at as number, by: r.by_user as string,
    }));
  }

  async firmwareSince(node: string, since: number) {
    return this.db.prepare("SELECT running, phase, t, body FROM firmware_reports WHERE node = ? AND t >= ? ORDER BY id").all(node, since) as { running: string; phase: string; t: number; body: string }[];
  }

  async firmware(node: string) {
    const r = this.db.prepare("SELECT running, phase, t, body FROM node_firmware WHERE node = ?").get(node) as Row | undefined;
    return r ? { running: r.running as string, phase: r.phase as string, t: r.t as number, body: r.body as string } : undefined;
  }

  async user(name: string): Promise<UserRow | undefined> {
    return this.db.prepare("SELECT name, role, record FROM users WHERE name = ?").get(name) as UserRow | undefined;
  }

  async putUser(u: UserRow): Promise<void> {
    this.db.prepare("INSERT INTO users (name, role, record) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET role = excluded.role, record = excluded.record").run(u.name, u.role, u.record);
  }

  async userCount(): Promise<number> {
    return (this.db.prepare("SELECT count(*) AS n FROM users").get() as Row).n as number;
  }

  async sizeBytes(): Promise<number> {
    this.db.pragma("wal_checkpoint(TRUNCATE)");
    if (this.file === ":memory:") return ((this.db.pragma("page_count", { simple: true }) as number) * (this.db.pragma("page_size", { simple: true }) as number));
    return statSync(this.file).size;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function downlinkRow(r: Row): DownlinkRow {
  return {
    id: r.id as number, node: r.node as string, kind: r.kind as DownlinkRow["kind"], ctr: r.ctr as number, body: r.body as string, sentAt: r.sent_at as number, by: r.by_user as string,
    campaign: (r.campaign as number | null) ?? undefined, resultAt: (r.result_at as number | null) ?? undefined,
    ok: r.ok === null || r.ok === undefined ? undefined : r.ok === 1, error: (r.error as string | null) ?? undefined,
  };
}
