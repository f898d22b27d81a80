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
  /** The span answered, after clamping to what is stored (ms). */
  begin: number;
  end: number;
  /** True when the span asked reached outside what is stored. */
  clamped: boolean;
}

/**
 * What the meter keeps: a query is answered over at most this span ending
 * now, whatever it asks. The loops under a query (one bucket per group, one
 * stored step per bucket) are then bounded by the stored history, not by the
 * request: `begin=y-9999y&group=all` walked ten thousand years of minutes.
 */
export interface QueryBounds {
  /** How far back history is stored (ms): HouseholdStore's capacity × step. */
  retainedMs: number;
  /** The resolution history is stored at (ms): no bucket is finer. */
  stepMs: number;
}

/** HouseholdStore's default history: one week at one minute. */
export const DEFAULT_QUERY_BOUNDS: Readonly<QueryBounds> = Object.freeze({ retainedMs: 7 * DAY, stepMs: MINUTE });

/** A column: time, or a series (total, meter:<id>, load:<id>) with a unit. */
const isColumn = (c: string): boolean => c === "time.iso" || c === "time.unix" || /^(total|meter:\d{1,3}|load:[A-Za-z0-9_-]{1,32})\.(watts|wh)$/.test(c);

/** Runs a query; returns an error message for a 400 instead of throwing. */
export function runQuery(household: Household, params: Map<string, string>, now: number, bounds: QueryBounds = DEFAULT_QUERY_BOUNDS): QueryResult | string {
  const select = params.get("select");
  if (!select || !/^\[.+\]$/.test(select)) return "select=[…] is required";
  const columns = select.slice(1, -1).split(",").map((s) => s.trim());
  if (columns.length > 16) return "at most 16 columns";
  for (const c of columns) if (!isColumn(c)) return `unknown column ${c.slice(0, 40)} (use time.iso, time.unix, or <series>.watts|.wh with series total, meter:<id>, load:<id>)`;
  const asked = { begin: parseTime(params.get("begin") ?? "d", now), end: parseTime(params.get("end") ?? "s", now) };
  if (asked.begin === undefined || asked.end === undefined) return "begin/end: unix seconds, an ISO date, or y|M|w|d|h|m|s[±N unit]";
  if (!(asked.end > asked.begin)) return "end must be after begin";
  const span = clampSpan(asked.begin, asked.end, now, bounds);
  if (typeof span === "string") return span;
  const { begin, end } = span;
  const step = groupStep(params.get("group") ?? "auto", end - begin, bounds);
  if (typeof step === "string") return step;
  const count = Math.ceil((end - begin) / step);
  if (count > MAX_POINTS) return `too many points (${count} > ${MAX_POINTS}); use a larger group`;
  const series = new Map<string, { w: number; wh: number }[]>();
  for (const c of columns) {
    if (c === "time.iso" || c === "time.unix") continue;
    const name = c.slice(0, c.lastIndexOf("."));
    if (!series.has(name)) series.set(name, household.history(name, begin, end, step));
  }
  const rows: (number | string | null)[][] = [];
  for (let i = 0; i < count; i++) rows.push(row(columns, series, begin + i * step, i));
  return { columns, rows, begin, end, clamped: begin !== asked.begin || end !== asked.end };
}

/** The asked span cut to [now − retained, now]; a span wholly outside it is refused with the reason. */
function clampSpan(begin: number, end: number, now: number, bounds: QueryBounds): { begin: number; end: number } | string {
  const oldest = now - bounds.retainedMs;
  const kept = `history is kept for ${Math.round(bounds.retainedMs / HOUR)} h, up to now`;
  if (end <= oldest || begin >= now) return `nothing stored between begin and end (${kept})`;
  return { begin: Math.max(begin, oldest), end: Math.min(end, now) };
}

/** The bucket length for `group` over a span of `span` ms, never finer than what is stored. */
function groupStep(group: string, span: number, bounds: QueryBounds): number | string {
  if (group === "all") return span;
  if (group === "auto") return Math.max(bounds.stepMs, niceGroup(span / 360));
  const g = /^(\d{0,4})([smhdw])$/.exec(group);
  if (!g) return "group: auto | all | N(s|m|h|d|w)";
  const step = (g[1] ? Number(g[1]) : 1) * UNIT[g[2]];
  if (!(step > 0)) return "group must be positive";
  return step;
}

function row(columns: string[], series: Map<string, { w: number; wh: number }[]>, t: number, i: number): (number | string | null)[] {
  return columns.map((c) => {
    if (c === "time.iso") return new Date(t).toISOString().slice(0, 19) + "Z";
    if (c === "time.unix") return t / 1000;
    const dot = c.lastIndexOf(".");
    const p = series.get(c.slice(0, dot))?.[i];
    const v = p ? (c.endsWith(".watts") ? p.w : p.wh) : NaN;
    return isFinite(v) ? Math.round(v * 100) / 100 : null;
  });
}

function niceGroup(ms: number): number {
  for (const g of [MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, DAY]) if (g >= ms) return g;
  return DAY;
}

/**
 * One CSV cell (RFC 4180 quoting) with formula injection defused (OWASP "CSV
 * Injection"): a text cell starting with = + - @ tab or CR gets a leading '
 * so a spreadsheet shows it instead of running it. Numbers are written as
 * numbers (a negative reading stays a number, not a text "'-5").
 */
export function csvCell(c: number | string | null): string {
  if (c === null) return "";
  if (typeof c === "number") return String(c);
  const text = /^[=+\-@\t\r]/.test(c) ? `'${c}` : c;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: readonly (number | string | null)[]): string {
  return cells.map(csvCell).join(",") + "\n";
}

export function toCsv(r: Pick<QueryResult, "columns" | "rows">, header: boolean): string {
  return (header ? csvLine(r.columns) : "") + r.rows.map(csvLine).join("");
}
