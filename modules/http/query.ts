import type { Household } from "../core/household";
import { DAY, HOUR, MINUTE, SECOND } from "../core/clock";

/**
 * The history API in the style of IoTaWatt's /query:
 *   /query?select=[time.iso,total.watts,load:oven.wh]&begin=d-1d&end=d&group=h&format=csv&header=yes
 * Times are unix seconds, ISO dates, or relative: y M w d h m s (start of the
 * current unit; "s" is now) with an optional ±N<unit> offset. group is
 * auto | all | N(s|m|h|d|w). Answers at most MAX_POINTS rows.
 */
export const MAX_POINTS = 2000;

const UNIT: Readonly<Record<string, number>> = Object.freeze({ s: SECOND, m: MINUTE, h: HOUR, d: DAY, w: 7 * DAY });

export function parseTime(text: string, now: number): number | undefined {
  if (/^\d{9,11}$/.test(text)) return Number(text) * 1000;
  if (/^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d)?Z?)?$/.test(text)) {
    const t = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text.endsWith("Z") ? text : `${text}Z`);
    return isNaN(t) ? undefined : t;
  }
  const m = /^([yMwdhms])(?:([+-])(\d{1,4})([yMwdhms]))?$/.exec(text);
  if (!m) return undefined;
  let t = startOf(m[1], now);
  if (m[2]) {
    const n = Number(m[3]) * (m[2] === "-" ? -1 : 1);
    if (m[4] === "M" || m[4] === "y") {
      const d = new Date(t);
      if (m[4] === "M") d.setUTCMonth(d.getUTCMonth() + n);
      else d.setUTCFullYear(d.getUTCFullYear() + n);
      t = d.getTime();
    } else t += n * UNIT[m[4]];
  }
  return t;
}

function startOf(unit: string, now: number): number {
  const d = new Date(now);
  switch (unit) {
    case "s": return now;
    case "m": return now - (now % MINUTE);
    case "h": return now - (now % HOUR);
    case "d": return now - (now % DAY);
    case "w": return now - (now % DAY) - ((d.getUTCDay() + 6) % 7) * DAY; // ISO week: Monday
    case "M": return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    default: return Date.UTC(d.getUTCFullYear(), 0, 1);
  }
}

export interface QueryResult {
  columns: string[];
  rows: (number | string | null)[][];
}

/** Runs a query; returns an error message for a 400 instead of throwing. */
export function runQuery(household: Household, params: Map<string, string>, now: number): QueryResult | string {
  const select = params.get("select");
  if (!select || !/^\[.+\]$/.test(select)) return "select=[…] is required";
  const columns = select.slice(1, -1).split(",").map((s) => s.trim());
  if (columns.length > 16) return "at most 16 columns";
  const begin = parseTime(params.get("begin") ?? "d", now);
  const end = parseTime(params.get("end") ?? "s", now);
  if (begin === undefined || end === undefined) return "begin/end: unix seconds, an ISO date, or y|M|w|d|h|m|s[±N unit]";
  if (!(end > begin)) return "end must be after begin";
  const group = params.get("group") ?? "auto";
  let step: number;
  if (group === "all") step = end - begin;
  else if (group === "auto") step = Math.max(MINUTE, niceGroup((end - begin) / 360));
  else {
    const g = /^(\d{0,4})([smhdw])$/.exec(group);
    if (!g) return "group: auto | all | N(s|m|h|d|w)";
    step = (g[1] ? Number(g[1]) : 1) * UNIT[g[2]];
    if (!(step > 0)) return "group must be positive";
  }
  const count = Math.ceil((end - begin) / step);
  if (count > MAX_POINTS) return `too many points (${count} > ${MAX_POINTS}); use a larger group`;
  const series = new Map<string, { w: number; wh: number }[]>();
  for (const c of columns) {
    if (c === "time.iso" || c === "time.unix") continue;
    const dot = c.lastIndexOf(".");
    const name = c.slice(0, dot);
    const unit = c.slice(dot + 1);
    if (dot <= 0 || (unit !== "watts" && unit !== "wh")) return `unknown column ${c} (use <series>.watts or <series>.wh)`;
    if (!series.has(name)) series.set(name, household.history(name, begin, end, step));
  }
  const rows: (number | string | null)[][] = [];
  for (let i = 0; i < count; i++) {
    const t = begin + i * step;
    rows.push(
      columns.map((c) => {
        if (c === "time.iso") return new Date(t).toISOString().slice(0, 19) + "Z";
        if (c === "time.unix") return t / 1000;
        const dot = c.lastIndexOf(".");
        const p = series.get(c.slice(0, dot))?.[i];
        const v = p ? (c.endsWith(".watts") ? p.w : p.wh) : NaN;
        return isFinite(v) ? Math.round(v * 100) / 100 : null;
      }),
    );
  }
  return { columns, rows };
}

function niceGroup(ms: number): number {
  for (const g of [MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, DAY]) if (g >= ms) return g;
  return DAY;
}

export function toCsv(r: QueryResult, header: boolean): string {
  const line = (cells: (number | string | null)[]): string => cells.map((c) => (c === null ? "" : String(c))).join(",");
  return (header ? line(r.columns) + "\n" : "") + r.rows.map(line).join("\n") + "\n";
}
