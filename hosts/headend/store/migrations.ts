/**
 * The schema, as numbered migrations (applied in order, each once, recorded in
 * schema_version). Written once for SQLite and once for PostgreSQL where the
 * dialects differ; the table and index names are the same, and docs/headend.md
 * says why each index is there.
 */
export interface Migration {
  version: number;
  what: string;
  sqlite: string;
  postgres: string;
}

export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    what: "meters, readings with exactly-once keys, roll-ups, aggregates, events, states, rejects",
    sqlite: `
CREATE TABLE meters (id INTEGER PRIMARY KEY, node TEXT NOT NULL, meter_id INTEGER NOT NULL, last_seen INTEGER, UNIQUE (node, meter_id));
CREATE TABLE obis (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, unit TEXT NOT NULL);
-- clustered on (meter, obis, t): a per-meter range query is one contiguous b-tree range
CREATE TABLE readings (meter INTEGER NOT NULL, obis INTEGER NOT NULL, t INTEGER NOT NULL, v REAL NOT NULL, boot INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (meter, obis, t)) WITHOUT ROWID;
-- exactly once: a resend of (meter, boot, seq) conflicts here and is counted as a duplicate
CREATE UNIQUE INDEX readings_once ON readings (meter, boot, seq);
-- retention deletes by time across meters
CREATE INDEX readings_t ON readings (t);
CREATE TABLE latest (meter INTEGER NOT NULL, obis INTEGER NOT NULL, t INTEGER NOT NULL, v REAL NOT NULL, PRIMARY KEY (meter, obis)) WITHOUT ROWID;
CREATE TABLE rollup_10min (meter INTEGER NOT NULL, obis INTEGER NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL,
  first_t INTEGER NOT NULL, first_v REAL NOT NULL, last_t INTEGER NOT NULL, last_v REAL NOT NULL, PRIMARY KEY (meter, obis, bucket)) WITHOUT ROWID;
CREATE TABLE rollup_day (meter INTEGER NOT NULL, obis INTEGER NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL,
  first_t INTEGER NOT NULL, first_v REAL NOT NULL, last_t INTEGER NOT NULL, last_v REAL NOT NULL, PRIMARY KEY (meter, obis, bucket)) WITHOUT ROWID;
-- fleet graphs read one bucket range across all meters
CREATE INDEX rollup_10min_bucket ON rollup_10min (obis, bucket);
CREATE INDEX rollup_day_bucket ON rollup_day (obis, bucket);
CREATE TABLE pq10 (meter INTEGER NOT NULL, boot INTEGER NOT NULL, seq INTEGER NOT NULL, start INTEGER NOT NULL, end_t INTEGER NOT NULL, flagged INTEGER NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (meter, end_t, boot, seq)) WITHOUT ROWID;
CREATE UNIQUE INDEX pq10_once ON pq10 (meter, boot, seq);
CREATE TABLE events (meter INTEGER NOT NULL, boot INTEGER NOT NULL, seq INTEGER NOT NULL, t INTEGER NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (meter, boot, seq)) WITHOUT ROWID;
CREATE INDEX events_t ON events (meter, t);
CREATE TABLE node_status (node TEXT PRIMARY KEY, online INTEGER NOT NULL, t INTEGER NOT NULL);
CREATE TABLE firmware_reports (id INTEGER PRIMARY KEY, node TEXT NOT NULL, t INTEGER NOT NULL, running TEXT NOT NULL, phase TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX firmware_node ON firmware_reports (node, id);
CREATE TABLE rejects (id INTEGER PRIMARY KEY, t INTEGER NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL, reason TEXT NOT NULL);
-- pruned_before: raw readings older than this are gone, so older ones are refused (they would count twice in the roll-ups)
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
`,
    postgres: `
CREATE TABLE meters (id SERIAL PRIMARY KEY, node TEXT NOT NULL, meter_id INTEGER NOT NULL, last_seen BIGINT, UNIQUE (node, meter_id));
CREATE TABLE obis (id SERIAL PRIMARY KEY, code TEXT NOT NULL UNIQUE, unit TEXT NOT NULL);
-- range-partitioned by month of t (partitions created as data arrives): a month is dropped whole by retention,
-- and a per-meter range query touches only the months it spans. A unique index on a partitioned table must
-- hold the partition key, so exactly-once is (meter, boot, seq, t): a resend repeats its t.
CREATE TABLE readings (meter INTEGER NOT NULL, obis SMALLINT NOT NULL, t BIGINT NOT NULL, v DOUBLE PRECISION NOT NULL, boot BIGINT NOT NULL, seq BIGINT NOT NULL,
  PRIMARY KEY (meter, obis, t)) PARTITION BY RANGE (t);
CREATE UNIQUE INDEX readings_once ON readings (meter, boot, seq, t);
CREATE TABLE latest (meter INTEGER NOT NULL, obis SMALLINT NOT NULL, t BIGINT NOT NULL, v DOUBLE PRECISION NOT NULL, PRIMARY KEY (meter, obis));
CREATE TABLE rollup_10min (meter INTEGER NOT NULL, obis SMALLINT NOT NULL, bucket BIGINT NOT NULL, n INTEGER NOT NULL, sum DOUBLE PRECISION NOT NULL, min DOUBLE PRECISION NOT NULL, max DOUBLE PRECISION NOT NULL,
  first_t BIGINT NOT NULL, first_v DOUBLE PRECISION NOT NULL, last_t BIGINT NOT NULL, last_v DOUBLE PRECISION NOT NULL, PRIMARY KEY (meter, obis, bucket));
CREATE TABLE rollup_day (meter INTEGER NOT NULL, obis SMALLINT NOT NULL, bucket BIGINT NOT NULL, n INTEGER NOT NULL, sum DOUBLE PRECISION NOT NULL, min DOUBLE PRECISION NOT NULL, max DOUBLE PRECISION NOT NULL,
  first_t BIGINT NOT NULL, first_v DOUBLE PRECISION NOT NULL, last_t BIGINT NOT NULL, last_v DOUBLE PRECISION NOT NULL, PRIMARY KEY (meter, obis, bucket));
CREATE INDEX rollup_10min_bucket ON rollup_10min (obis, bucket);
CREATE INDEX rollup_day_bucket ON rollup_day (obis, bucket);
CREATE TABLE pq10 (meter INTEGER NOT NULL, boot BIGINT NOT NULL, seq BIGINT NOT NULL, start BIGINT NOT NULL, end_t BIGINT NOT NULL, flagged BOOLEAN NOT NULL, body TEXT NOT NULL, PRIMARY KEY (meter, boot, seq));
CREATE INDEX pq10_end ON pq10 (meter, end_t);
CREATE TABLE events (meter INTEGER NOT NULL, boot BIGINT NOT NULL, seq BIGINT NOT NULL, t BIGINT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (meter, boot, seq));
CREATE INDEX events_t ON events (meter, t);
CREATE TABLE node_status (node TEXT PRIMARY KEY, online BOOLEAN NOT NULL, t BIGINT NOT NULL);
CREATE TABLE firmware_reports (id BIGSERIAL PRIMARY KEY, node TEXT NOT NULL, t BIGINT NOT NULL, running TEXT NOT NULL, phase TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX firmware_node ON firmware_reports (node, id);
CREATE TABLE rejects (id BIGSERIAL PRIMARY KEY, t BIGINT NOT NULL, topic TEXT NOT NULL, payload BYTEA NOT NULL, reason TEXT NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
`,
  },
  {
    version: 2,
    what: "keys, downlinks, campaigns, users",
    sqlite: `
CREATE TABLE node_keys (node TEXT PRIMARY KEY, key BLOB NOT NULL);
CREATE TABLE downlinks (id INTEGER PRIMARY KEY, node TEXT NOT NULL, kind TEXT NOT NULL, ctr INTEGER NOT NULL, body TEXT NOT NULL, sent_at INTEGER NOT NULL, by_user TEXT NOT NULL,
  campaign INTEGER, result_at INTEGER, ok INTEGER, error TEXT);
-- a result is matched by (node, ctr); the next counter is the node's max
CREATE UNIQUE INDEX downlinks_ctr ON downlinks (node, ctr);
CREATE TABLE campaigns (id INTEGER PRIMARY KEY, version TEXT NOT NULL, offer TEXT NOT NULL, first_group TEXT NOT NULL, rest TEXT NOT NULL, state TEXT NOT NULL, reason TEXT,
  created_at INTEGER NOT NULL, by_user TEXT NOT NULL);
CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, record TEXT NOT NULL);
`,
    postgres: `
CREATE TABLE node_keys (node TEXT PRIMARY KEY, key BYTEA NOT NULL);
CREATE TABLE downlinks (id BIGSERIAL PRIMARY KEY, node TEXT NOT NULL, kind TEXT NOT NULL, ctr BIGINT NOT NULL, body TEXT NOT NULL, sent_at BIGINT NOT NULL, by_user TEXT NOT NULL,
  campaign INTEGER, result_at BIGINT, ok BOOLEAN, error TEXT);
CREATE UNIQUE INDEX downlinks_ctr ON downlinks (node, ctr);
CREATE TABLE campaigns (id SERIAL PRIMARY KEY, version TEXT NOT NULL, offer TEXT NOT NULL, first_group TEXT NOT NULL, rest TEXT NOT NULL, state TEXT NOT NULL, reason TEXT,
  created_at BIGINT NOT NULL, by_user TEXT NOT NULL);
CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, record TEXT NOT NULL);
`,
  },
  {
    version: 3,
    what: "firmware reports exactly once (a unique key on the report), rejects bounded in total (pruned rows counted by reason)",
    // Firmware reports carry boot but no seq (board-cloud.ts, the sim's meter.ts), so the key is the report
    // itself: a resend is byte-identical, two different reports differ (boot, phase, bytes, …). PostgreSQL
    // keys an md5 of the body (a b-tree entry cannot hold a 16 KiB body); SQLite keys the body (no key size
    // limit). Reports a redelivery had already stored twice are removed, keeping the first copy, so the
    // node's latest report is its newest one again. reject_pruned keeps, per reason, how many rows the
    // bound removed and the last of them, so the rejects page still counts every reject.
    sqlite: `
DELETE FROM firmware_reports WHERE id NOT IN (SELECT min(id) FROM firmware_reports GROUP BY node, body);
CREATE UNIQUE INDEX firmware_once ON firmware_reports (node, body);
CREATE TABLE reject_pruned (reason TEXT PRIMARY KEY, n INTEGER NOT NULL, last_topic TEXT NOT NULL, last_at INTEGER NOT NULL);
`,
    postgres: `
DELETE FROM firmware_reports f USING firmware_reports g WHERE f.node = g.node AND f.body = g.body AND f.id > g.id;
CREATE UNIQUE INDEX firmware_once ON firmware_reports (node, md5(body));
CREATE TABLE reject_pruned (reason TEXT PRIMARY KEY, n BIGINT NOT NULL, last_topic TEXT NOT NULL, last_at BIGINT NOT NULL);
`,
  },
  {
    version: 4,
    what: "status and firmware reports ordered by (boot, seq): a node's state never goes back to an older report",
    // boot/seq stay NULL for earlier firmware's reports (taken in arrival order, as before). node_firmware is the
    // node's newest report, kept by the ingest (firmware_reports stays the history campaigns read); it starts
    // as each node's last report by arrival, which is what "latest" meant until now.
    sqlite: `
ALTER TABLE node_status ADD COLUMN boot INTEGER;
ALTER TABLE node_status ADD COLUMN seq INTEGER;
ALTER TABLE firmware_reports ADD COLUMN boot INTEGER;
ALTER TABLE firmware_reports ADD COLUMN seq INTEGER;
CREATE TABLE node_firmware (node TEXT PRIMARY KEY, boot INTEGER, seq INTEGER, running TEXT NOT NULL, phase TEXT NOT NULL, t INTEGER NOT NULL, body TEXT NOT NULL);
INSERT INTO node_firmware (node, running, phase, t, body)
  SELECT node, running, phase, t, body FROM firmware_reports f WHERE id = (SELECT max(id) FROM firmware_reports g WHERE g.node = f.node);
`,
    postgres: `
ALTER TABLE node_status ADD COLUMN boot BIGINT, ADD COLUMN seq BIGINT;
ALTER TABLE firmware_reports ADD COLUMN boot BIGINT, ADD COLUMN seq BIGINT;
CREATE TABLE node_firmware (node TEXT PRIMARY KEY, boot BIGINT, seq BIGINT, running TEXT NOT NULL, phase TEXT NOT NULL, t BIGINT NOT NULL, body TEXT NOT NULL);
INSERT INTO node_firmware (node, running, phase, t, body)
  SELECT DISTINCT ON (node) node, running, phase, t, body FROM firmware_reports ORDER BY node, id DESC;
`,
  },
  {
    version: 5,
    what: "the fleet list sorted or filtered by alarms reads the last 24 h of events and flagged intervals by time",
    // fleet-query.ts groups the last 24 h by meter instead of looking each meter up: these make that a range
    // of one index each (the existing ones lead with the meter). Only flagged intervals are alarms, so the
    // aggregates' index holds those alone.
    sqlite: `
CREATE INDEX events_since ON events (t, meter);
CREATE INDEX pq10_flagged_since ON pq10 (end_t, meter) WHERE flagged;
`,
    postgres: `
CREATE INDEX events_since ON events (t, meter);
CREATE INDEX pq10_flagged_since ON pq10 (end_t, meter) WHERE flagged;
`,
  },
  {
    version: 6,
    what: "a downlink's result says whether it was the meter's refusal of a copy or its own result",
    // A refusal (cmd/result with "refused": a replayed copy, a forged or malformed message naming that ctr)
    // settles a downlink only until the meter's authentic result for it arrives: a broker that redelivers a
    // command (NATS after a node's death) gets the copy refused, and that refusal can overtake the QoS 1
    // result of the original, which was applied.
    sqlite: `
ALTER TABLE downlinks ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;
`,
    postgres: `
ALTER TABLE downlinks ADD COLUMN refused BOOLEAN NOT NULL DEFAULT false;
`,
  },
]);

/**
 * The upsert condition that keeps a node's newest report in \`table\` (node_status, node_firmware): a report
 * with (boot, seq) replaces only an older one; one without order (earlier firmware) replaces any, and any
 * ordered one replaces it (modules/mqtt/report-order.ts \`supersedes\`, in SQL).
 */
export const newerThan = (table: string): string =>
  `excluded.seq IS NULL OR ${table}.seq IS NULL OR excluded.boot > ${table}.boot OR (excluded.boot = ${table}.boot AND excluded.seq > ${table}.seq)`;
