/**
 * A batch of readings and 10-min aggregates as ONE PostgreSQL statement, so a
 * batch costs one round trip however many rows it holds (the old path made
 * ~8: BEGIN, insert, duplicate check, two roll-ups, latest, last seen, COMMIT,
 * plus one per aggregate). One statement is one transaction: the readings,
 * their roll-ups, `latest` and `last_seen` commit together or not at all.
 *
 * Data-modifying CTEs: the readings are inserted ON CONFLICT DO NOTHING, and
 * only the rows that insert RETURNs (the new ones) reach the roll-ups, so a
 * resend never counts twice. Every sub-statement sees the snapshot from before
 * the statement, which is what the duplicate check wants: a key that `readings`
 * already held is a resend; a key in neither is a second reading at the same
 * (meter, obis, t) under another (boot, seq) — a reject, decided by the caller.
 * Upserts are fed in key order, so two workers mostly lock rows in the same order (not always: see
 * writeBatch).
 */
import type pg from "pg";
import { DAY, TEN_MIN } from "./store";

export interface ReadingRow { meter: number; obis: number; t: number; v: number; boot: number; seq: number }
export interface PqInsert { meter: number; boot: number; seq: number; start: number; end: number; flagged: boolean; body: string }

export interface BatchResult {
  /** "meter/boot/seq" of the readings this statement stored. */
  stored: Set<string>;
  /** "meter/boot/seq" of readings that were already in the table before it (resends). */
  known: Set<string>;
  /** Aggregates stored (the others were resends). */
  pqStored: number;
}

const rollup = (table: string, size: number, name: string): string => `
${name} AS (
  INSERT INTO ${table} AS r (meter, obis, bucket, n, sum, min, max, first_t, first_v, last_t, last_v)
  SELECT meter, obis, t - t % ${size}, count(*), sum(v), min(v), max(v), min(t), (array_agg(v ORDER BY t))[1], max(t), (array_agg(v ORDER BY t DESC))[1]
    FROM ins GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (meter, obis, bucket) DO UPDATE SET n = r.n + excluded.n, sum = r.sum + excluded.sum, min = least(r.min, excluded.min), max = greatest(r.max, excluded.max),
    first_v = CASE WHEN excluded.first_t < r.first_t THEN excluded.first_v ELSE r.first_v END, first_t = least(r.first_t, excluded.first_t),
    last_v = CASE WHEN excluded.last_t >= r.last_t THEN excluded.last_v ELSE r.last_v END, last_t = greatest(r.last_t, excluded.last_t))`;

export const BATCH_SQL = `
WITH x AS (SELECT * FROM unnest($1::int[], $2::smallint[], $3::bigint[], $4::float8[], $5::bigint[], $6::bigint[]) AS x(meter, obis, t, v, boot, seq)),
ins AS (INSERT INTO readings (meter, obis, t, v, boot, seq) SELECT meter, obis, t, v, boot, seq FROM x ON CONFLICT DO NOTHING RETURNING meter, obis, t, v, boot, seq),
${rollup("rollup_10min", TEN_MIN, "r10")},
${rollup("rollup_day", DAY, "rday")},
lt AS (
  INSERT INTO latest AS l (meter, obis, t, v) SELECT DISTINCT ON (meter, obis) meter, obis, t, v FROM ins ORDER BY meter, obis, t DESC
  ON CONFLICT (meter, obis) DO UPDATE SET t = excluded.t, v = excluded.v WHERE excluded.t >= l.t),
pin AS (
  INSERT INTO pq10 (meter, boot, seq, start, end_t, flagged, body)
  SELECT * FROM unnest($7::int[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bool[], $13::text[])
  ON CONFLICT DO NOTHING RETURNING meter, end_t),
seen AS (
  UPDATE meters m SET last_seen = greatest(coalesce(m.last_seen, 0), s.t)
  FROM (SELECT meter, max(t) AS t FROM (SELECT meter, t FROM ins UNION ALL SELECT meter, end_t FROM pin) u GROUP BY meter ORDER BY meter) s WHERE m.id = s.meter)
SELECT 'n' AS k, meter, boot, seq FROM ins
UNION ALL SELECT 'k', x.meter, x.boot, x.seq FROM x LEFT JOIN ins USING (meter, boot, seq)
  WHERE ins.meter IS NULL AND EXISTS (SELECT 1 FROM readings r WHERE r.meter = x.meter AND r.boot = x.boot AND r.seq = x.seq)
UNION ALL SELECT 'p', meter, 0, 0 FROM pin`;

/** Tries of one batch statement when PostgreSQL picks it as a deadlock's victim. */
export const BATCH_TRIES = 3;

/** A deadlock victim (40P01) or a serialization failure (40001): the statement was rolled back whole. */
const retryable = (e: unknown): boolean => ["40P01", "40001"].includes((e as { code?: string }).code ?? "");

/**
 * Writes the batch in one statement (autocommit: the statement is the transaction). Two workers share
 * a meter's messages (a shared subscription deals them out one by one), and PostgreSQL does not promise
 * the order an UPDATE … FROM locks its rows in, so now and then their statements deadlock and one is
 * rolled back. Being one statement, it is simply run again (without that, the batch failed and the
 * ingest reconnected, for the broker to resend its whole in-flight window).
 */
export async function writeBatch(db: pg.Pool | pg.PoolClient, rs: readonly ReadingRow[], pqs: readonly PqInsert[]): Promise<BatchResult> {
  const col = <T, K extends keyof T>(xs: readonly T[], k: K) => xs.map((x) => x[k]);
  const params = [
    col(rs, "meter"), col(rs, "obis"), col(rs, "t"), col(rs, "v"), col(rs, "boot"), col(rs, "seq"),
    col(pqs, "meter"), col(pqs, "boot"), col(pqs, "seq"), col(pqs, "start"), col(pqs, "end"), col(pqs, "flagged"), col(pqs, "body"),
  ];
  for (let attempt = 1; ; attempt++) {
    try {
      return tally((await db.query(BATCH_SQL, params)).rows as { k: string; meter: number; boot: number; seq: number }[]);
    } catch (e) {
      if (attempt >= BATCH_TRIES || !retryable(e)) throw e;
    }
  }
}

function tally(rows: { k: string; meter: number; boot: number; seq: number }[]): BatchResult {
  const out: BatchResult = { stored: new Set(), known: new Set(), pqStored: 0 };
  for (const r of rows) {
    if (r.k === "p") out.pqStored++;
    else (r.k === "n" ? out.stored : out.known).add(`${r.meter}/${r.boot}/${r.seq}`);
  }
  return out;
}
