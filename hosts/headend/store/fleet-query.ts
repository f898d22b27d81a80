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

/** Every meter with its summary columns; the page and the totals read from it. */
const summary = (where: string): string => `WITH f AS (
  SELECT m.node, m.meter_id, m.last_seen, s.online, s.t AS status_t, lp.v AS power, lp.t AS power_t, ${STATE} AS state,
    (SELECT d.last_v - coalesce((SELECT y.last_v FROM rollup_day y WHERE y.meter = m.id AND y.obis = d.obis AND y.bucket = d.bucket - ${DAY}), d.first_v)
       FROM rollup_day d WHERE d.meter = m.id AND d.obis = (SELECT id FROM obis WHERE code = @energy) AND d.bucket = @day) AS energy_today,
    (SELECT running FROM firmware_reports fr WHERE fr.node = m.node ORDER BY fr.id DESC LIMIT 1) AS firmware,
    (SELECT phase FROM firmware_reports fr WHERE fr.node = m.node ORDER BY fr.id DESC LIMIT 1) AS firmware_phase,
    (SELECT count(*) FROM events e WHERE e.meter = m.id AND e.t >= @since) + (SELECT count(*) FROM pq10 q WHERE q.meter = m.id AND q.flagged AND q.end_t >= @since) AS alarms
  FROM meters m LEFT JOIN node_status s ON s.node = m.node
    LEFT JOIN latest lp ON lp.meter = m.id AND lp.obis = (SELECT id FROM obis WHERE code = @power)
  ${where}
)`;
const SEARCH = `WHERE (@search = '' OR lower(m.node) LIKE @like ESCAPE '!' OR m.meter_id = @searchId OR (lower(m.node) = @pairNode AND m.meter_id = @pairId))`;

// nulls last in both databases (SQLite sorts them first, PostgreSQL last, for ASC)
const SORTS: Record<FleetSort, string> = {
  meter: "node", state: "state", lastSeen: "last_seen", power: "power", energy: "energy_today", alarms: "alarms",
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
  if (q.withAlarms) w.push("alarms > 0");
  return w.length ? `WHERE ${w.join(" AND ")}` : "";
}

export function fleetPageSql(q: FleetQuery, now: number): Built {
  const col = SORTS[q.sort ?? "meter"];
  const dir = q.desc ? "DESC" : "ASC";
  const order = col === "node" ? `node ${dir}, meter_id ${dir}` : `(${col} IS NULL), ${col} ${dir}, node, meter_id`;
  return {
    sql: `${summary(SEARCH)} SELECT * FROM f ${filters(q)} ORDER BY ${order} LIMIT @limit OFFSET @offset`,
    params: { ...params(q, now), limit: Math.max(0, Math.floor(q.limit)), offset: Math.max(0, Math.floor(q.offset)) },
  };
}

/** How many meters match the search and filters (for the pager). */
export function fleetCountSql(q: FleetQuery, now: number): Built {
  return { sql: `${summary(SEARCH)} SELECT count(*) AS n FROM f ${filters(q)}`, params: params(q, now) };
}

/** The whole fleet's totals (no search, no filter): what the tiles say. */
export function fleetTotalsSql(q: Pick<FleetQuery, "staleMs">, now: number): Built {
  return {
    sql: `${summary("")} SELECT count(*) AS meters, sum(CASE WHEN state = 'online' THEN 1 ELSE 0 END) AS online,
      sum(CASE WHEN state = 'online' AND power_t >= @staleBefore THEN power ELSE 0 END) AS power_now,
      sum(CASE WHEN state = 'online' AND power_t >= @staleBefore THEN 1 ELSE 0 END) AS power_meters,
      sum(CASE WHEN energy_today > 0 THEN energy_today ELSE 0 END) AS energy_today, sum(alarms) AS alarms FROM f`,
    params: params({ staleMs: q.staleMs, limit: 0, offset: 0 }, now),
  };
}

/** One meter's summary (the meter page), without reading the others'. */
export function meterSql(ref: MeterRef, staleMs: number, now: number): Built {
  const p = params({ staleMs, limit: 1, offset: 0 }, now);
  return { sql: `${summary("WHERE m.node = @node AND m.meter_id = @meterId")} SELECT * FROM f`, params: { ...p, node: ref.node, meterId: ref.meterId } };
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
