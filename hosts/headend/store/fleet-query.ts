/**
 * The fleet list as one SQL text for both databases: a page of meters (search, state and alarm
 * filters, sort by a column, LIMIT/OFFSET done by the database, not by the page in JS), the number
 * that match, and the fleet's totals in one row. Parameters are written `@name`; SQLite binds them
 * by name, PostgreSQL gets them renumbered `$n` (`positional`). The state is computed in SQL with the
 * same rule as the pages' `liveness`, so a filter and the column it filters always agree.
 */
import { DAY, ENERGY_OBIS, POWER_OBIS, type MeterRef, type MeterSummary } from "./store";

export type FleetSort = "meter" | "state" | "lastSeen" | "power" | "energy" | "alarms";
export type FleetState = "online" | "offline" | "stale" | "unknown";

export interface FleetQuery {
  /** Part of a node name (case-insensitive), or a meter id, or "node / id". */
  search?: string;
  /** "offline" means not online: offline, stale or never seen. */
  state?: "offline";
  withAlarms?: boolean;
  sort?: FleetSort;
  desc?: boolean;
  limit: number;
  offset: number;
  /** A value older than this (ms) is not "now": the meter is stale and its power is last known. */
  staleMs: number;
}

export interface FleetTotals {
  meters: number;
  online: number;
  /** Sum of the power of online meters whose value is fresh (younger than staleMs), W. */
  powerNowW: number;
  /** Meters whose power counts in powerNowW. */
  powerNowMeters: number;
  energyTodayWh: number;
  alarms: number;
}

const STATE = `CASE WHEN s.online IS NOT NULL AND NOT s.online THEN 'offline' WHEN m.last_seen IS NOT NULL AND m.last_seen < @staleBefore THEN 'stale'
  WHEN s.online THEN 'online' WHEN m.last_seen IS NULL THEN 'unknown' ELSE 'online' END`;

/** Every meter with the columns that cost one row each (the state, the power): filters and sorts read these. */
const cheap = (where: string): string => `SELECT m.id AS mid, m.node, m.meter_id, m.last_seen, s.online, s.t AS status_t, lp.v AS power, lp.t AS power_t, ${STATE} AS state
  FROM meters m LEFT JOIN node_status s ON s.node = m.node
    LEFT JOIN latest lp ON lp.meter = m.id AND lp.obis = (SELECT id FROM obis WHERE code = @power)
  ${where}`;

// the columns that cost index look-ups per meter: computed so for a page's rows only (100 look-ups)
const energyOf = (f: string): string => `(SELECT d.last_v - coalesce((SELECT y.last_v FROM rollup_day y WHERE y.meter = d.meter AND y.obis = d.obis AND y.bucket = d.bucket - ${DAY}), d.first_v)
       FROM rollup_day d WHERE d.meter = ${f}.mid AND d.obis = (SELECT id FROM obis WHERE code = @energy) AND d.bucket = @day)`;
const alarmsOf = (f: string): string => `((SELECT count(*) FROM events e WHERE e.meter = ${f}.mid AND e.t >= @since) + (SELECT count(*) FROM pq10 q WHERE q.meter = ${f}.mid AND q.flagged AND q.end_t >= @since))`;
const firmwareOf = (f: string, col: string): string => `(SELECT ${col} FROM node_firmware fr WHERE fr.node = ${f}.node)`;

// ... and for every meter at once, when a sort, a filter or the whole list (the CSV) needs them, as joins the
// planner can run set-wide instead of a correlated look-up per meter (PostgreSQL took 16 s to sort 10,000 by
// energy that way): today's and the day before's daily roll-up joined in (PostgreSQL hashes the (obis, bucket)
// range; SQLite probes the primary key in its join loop — as a derived table SQLite scanned it once per
// meter, 8 s), and the last 24 h of events and flagged intervals grouped by meter (migration 5's
// events_since and pq10_flagged_since)
const ENERGY_JOIN = `LEFT JOIN rollup_day en ON en.meter = c.mid AND en.obis = (SELECT id FROM obis WHERE code = @energy) AND en.bucket = @day
    LEFT JOIN rollup_day ey ON ey.meter = en.meter AND ey.obis = en.obis AND ey.bucket = en.bucket - ${DAY}`;
const ALARMS_ALL = `(SELECT a.meter, sum(a.n) AS alarms FROM (
    SELECT e.meter, count(*) AS n FROM events e WHERE e.t >= @since GROUP BY e.meter
    UNION ALL SELECT q.meter, count(*) AS n FROM pq10 q WHERE q.flagged AND q.end_t >= @since GROUP BY q.meter) a GROUP BY a.meter)`;
/** Lists longer than this get their dear columns from the set-wide joins above, not per row. */
export const WIDE_LIST = 1000;

const SEARCH = `WHERE (@search = '' OR lower(m.node) LIKE @like ESCAPE '!' OR m.meter_id = @searchId OR (lower(m.node) = @pairNode AND m.meter_id = @pairId))`;

/** The meters (cheap columns) plus what this query's sort and filters need of the dear ones, as k_energy / k_alarms (set-wide joins). */
function keyed(q: Pick<FleetQuery, "sort" | "withAlarms">, where: string, wide = false): string {
  const energy = wide || q.sort === "energy";
  const alarms = wide || q.sort === "alarms" || q.withAlarms;
  const cols = `${energy ? ", en.last_v - coalesce(ey.last_v, en.first_v) AS k_energy" : ""}${alarms ? ", coalesce(al.alarms, 0) AS k_alarms" : ""}`;
  const joins = `${energy ? ` ${ENERGY_JOIN}` : ""}${alarms ? ` LEFT JOIN ${ALARMS_ALL} al ON al.meter = c.mid` : ""}`;
  return `WITH f AS (SELECT c.*${cols} FROM (${cheap(where)}) c${joins})`;
}

// nulls last in both databases (SQLite sorts them first, PostgreSQL last, for ASC)
const SORTS: Record<FleetSort, string> = {
  meter: "node", state: "state", lastSeen: "last_seen", power: "power", energy: "k_energy", alarms: "k_alarms",
};

export interface Built {
  sql: string;
  params: Record<string, string | number>;
}

function params(q: FleetQuery, now: number): Record<string, string | number> {
  const search = (q.search ?? "").trim().toLowerCase().slice(0, 64);
  const pair = /^(.*?)\s*\/\s*(\d{1,6})$/.exec(search);
  return {
    energy: ENERGY_OBIS, power: POWER_OBIS, day: now - (now % DAY), since: now - DAY, staleBefore: now - q.staleMs,
    search, like: `%${search.replace(/[!%_]/g, (c) => `!${c}`)}%`, pairNode: pair ? pair[1] : "", pairId: pair ? Number(pair[2]) : -1,
    searchId: /^\d{1,6}$/.test(search) ? Number(search) : -1,
  };
}

function filters(q: FleetQuery): string {
  const w: string[] = [];
  if (q.state === "offline") w.push("state <> 'online'");
  if (q.withAlarms) w.push("k_alarms > 0");
  return w.length ? `WHERE ${w.join(" AND ")}` : "";
}

function orderBy(q: FleetQuery): string {
  const col = SORTS[q.sort ?? "meter"];
  const dir = q.desc ? "DESC" : "ASC";
  return col === "node" ? `node ${dir}, meter_id ${dir}` : `(${col} IS NULL), ${col} ${dir}, node, meter_id`;
}

/**
 * The page's keys chosen, ordered and limited first; the dear columns then for those rows only — or, for a
 * list longer than WIDE_LIST (the CSV of every page), from the set-wide joins in the same one query.
 */
function pageSql(q: FleetQuery, where: string): string {
  const wide = q.limit > WIDE_LIST;
  const dear = wide
    ? "p.k_energy AS energy_today, p.k_alarms AS alarms, fw.running AS firmware, fw.phase AS firmware_phase FROM p LEFT JOIN node_firmware fw ON fw.node = p.node"
    : `${energyOf("p")} AS energy_today, ${alarmsOf("p")} AS alarms, ${firmwareOf("p", "running")} AS firmware, ${firmwareOf("p", "phase")} AS firmware_phase FROM p`;
  return `${keyed(q, where, wide)}, p AS (SELECT * FROM f ${filters(q)} ORDER BY ${orderBy(q)} LIMIT @limit OFFSET @offset)
  SELECT p.*, ${dear} ORDER BY ${orderBy(q)}`;
}

export function fleetPageSql(q: FleetQuery, now: number): Built {
  return { sql: pageSql(q, SEARCH), params: { ...params(q, now), limit: Math.max(0, Math.floor(q.limit)), offset: Math.max(0, Math.floor(q.offset)) } };
}

/** How many meters match the search and filters (for the pager). */
export function fleetCountSql(q: FleetQuery, now: number): Built {
  return { sql: `${keyed(q, SEARCH)} SELECT count(*) AS n FROM f ${filters(q)}`, params: params(q, now) };
}

/** The whole fleet's totals (no search, no filter): what the tiles say, as set-wide sums, not per-meter sub-queries. */
export function fleetTotalsSql(q: Pick<FleetQuery, "staleMs">, now: number): Built {
  const gain = "d.last_v - coalesce(y.last_v, d.first_v)";
  return {
    sql: `SELECT count(*) AS meters, sum(CASE WHEN state = 'online' THEN 1 ELSE 0 END) AS online,
      sum(CASE WHEN state = 'online' AND power_t >= @staleBefore THEN power ELSE 0 END) AS power_now,
      sum(CASE WHEN state = 'online' AND power_t >= @staleBefore THEN 1 ELSE 0 END) AS power_meters,
      (SELECT sum(CASE WHEN ${gain} > 0 THEN ${gain} ELSE 0 END) FROM rollup_day d
         LEFT JOIN rollup_day y ON y.meter = d.meter AND y.obis = d.obis AND y.bucket = d.bucket - ${DAY}
         WHERE d.obis = (SELECT id FROM obis WHERE code = @energy) AND d.bucket = @day) AS energy_today,
      (SELECT count(*) FROM meters me JOIN events e ON e.meter = me.id AND e.t >= @since)
        + (SELECT count(*) FROM meters mq JOIN pq10 q ON q.meter = mq.id AND q.end_t >= @since AND q.flagged) AS alarms
      FROM (${cheap("")}) f`,
    params: params({ staleMs: q.staleMs, limit: 0, offset: 0 }, now),
  };
}

/** One meter's summary (the meter page), without reading the others'. */
export function meterSql(ref: MeterRef, staleMs: number, now: number): Built {
  const p = params({ staleMs, limit: 1, offset: 0 }, now);
  return { sql: pageSql({ staleMs, limit: 1, offset: 0 }, "WHERE m.node = @node AND m.meter_id = @meterId"), params: { ...p, node: ref.node, meterId: ref.meterId, limit: 1, offset: 0 } };
}

/** A row of any of the queries above as the pages' MeterSummary. */
export function summaryOf(r: Record<string, unknown>): MeterSummary {
  const num = (x: unknown): number | undefined => (x === null || x === undefined ? undefined : Number(x));
  return {
    node: r.node as string, meterId: Number(r.meter_id),
    status: r.online === null || r.online === undefined ? undefined : r.online ? "online" : "offline",
    statusAt: num(r.status_t), lastSeen: num(r.last_seen), powerW: num(r.power), powerAt: num(r.power_t),
    energyTodayWh: num(r.energy_today), firmware: (r.firmware as string | null) ?? undefined,
    firmwarePhase: (r.firmware_phase as string | null) ?? undefined, alarms: Number(r.alarms),
  };
}

export function totalsOf(r: Record<string, unknown>): FleetTotals {
  const n = (x: unknown): number => Number(x ?? 0);
  return { meters: n(r.meters), online: n(r.online), powerNowW: n(r.power_now), powerNowMeters: n(r.power_meters), energyTodayWh: n(r.energy_today), alarms: n(r.alarms) };
}

/** PostgreSQL: `@name` → `$n`, and the values in that order. */
export function positional(b: Built): { sql: string; values: (string | number)[] } {
  const names: string[] = [];
  const sql = b.sql.replace(/@([a-zA-Z]+)/g, (_, n: string) => {
    let k = names.indexOf(n);
    if (k < 0) k = names.push(n) - 1;
    return `$${k + 1}`;
  });
  return { sql, values: names.map((n) => b.params[n]) };
}
