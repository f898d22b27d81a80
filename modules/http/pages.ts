import type { BillView, Household, HouseholdSnapshot, LoadView, PriceSlot, QualityView } from "../core/household";
import { CODES } from "../core/obis";
import { dayName, decisionWhat, localDayStart, NOT_KNOWN, plainReason, signed, when } from "../core/present";
import { barsFigure } from "./charts/bar-chart";
import { dayBars, hourBars, isTodaysBill, plannedRuns, priceSpan, trendLines } from "./charts/data";
import { powerFigure } from "./charts/power-chart";
import { cheapSlots, priceFigure } from "./charts/price-chart";
import type { PqTrend } from "./charts/pq-trend";
import { trendFigure } from "./charts/trend-chart";
import { clockTime, esc, kwh, money, price, watts } from "./html";

/**
 * The dynamic pages' bodies, rendered on the server from one snapshot (the
 * paper's CGI style: a function per page fills the template). Values that
 * change live carry data-k="key", the key of the SSE "live" event; a figure
 * with data-refresh="url" is fetched again by the live script each minute.
 */

export interface PageContext {
  snap: HouseholdSnapshot;
  offsetMin: number;
  /** CSRF token of the session, when the visitor may act. */
  csrf?: string;
  message?: string;
  /** For the charts (history); without it the pages have tables only. */
  household?: Household;
  /** The 10-min aggregates seen so far, for the quality trends. */
  trend?: PqTrend;
}

const DAY = 86_400_000;
const MIN = 60_000;

export function totalPower(snap: HouseholdSnapshot): number {
  let w = 0;
  for (const l of snap.loads) w += l.powerW;
  return w;
}

/** "Today's bill" or "Bill since Mon 1 Dec", from what the bill covers. */
export function billTitle(bill: BillView, now: number, offsetMin: number): string {
  return isTodaysBill(bill, now, offsetMin) ? "Today's bill" : `Bill since ${dayName(bill.from, now, offsetMin)}`;
}

/** Where the prices come from, as the tariff card says it. */
export function priceSource(snap: HouseholdSnapshot): string {
  const name = snap.tariffNow.name.toLowerCase();
  const from = name.includes("day-ahead") || name.includes("spot") ? "the day-ahead market feed" : name.includes("utility") || name.includes("table") ? "the utility's price table" : `“${snap.tariffNow.name}”`;
  return snap.grid.pricesStale ? `${from} (out of date)` : from;
}

/** The values the live script updates, keyed like the page's data-k attributes. */
export function liveValues(snap: HouseholdSnapshot, offsetMin = 0): Record<string, string> {
  const v: Record<string, string> = {
    total: watts(totalPower(snap)),
    today: kwh(snap.energyTodayWh),
    export: kwh(snap.exportTodayWh),
    bill: money(snap.bill.totalMinor, snap.bill.currency),
    tariff: price(snap.tariffNow.importMinorPerKWh),
    time: clockTime(snap.t, offsetMin),
  };
  for (const m of snap.meters) v[`m${m.id}`] = watts(m.values[CODES.powerNet] ?? NaN);
  for (const l of snap.loads) {
    v[`l-${l.id}`] = watts(l.powerW);
    v[`s-${l.id}`] = l.on ? "on" : "off";
  }
  return v;
}

function card(key: string, label: string, value: string, note = ""): string {
  return `<div class="card"><div class="k">${label}</div><div class="v"${key ? ` data-k="${key}"` : ""}>${esc(value)}</div>${note ? `<div class="note">${note}</div>` : ""}</div>`;
}

function volts(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? "not measured" : `${v.toFixed(1)} V`;
}

/** The dashboard's live power curve: today, 5-min means, fetched again each minute. */
export function powerTodayFigure(c: PageContext): string {
  if (!c.household) return "";
  const t0 = localDayStart(c.snap.t, c.offsetMin);
  const points = c.household.history("total", t0, Math.min(t0 + DAY, c.snap.t - (c.snap.t % (5 * MIN)) + 5 * MIN), 5 * MIN);
  return powerFigure("power-today", { points, t0, t1: t0 + DAY, now: c.snap.t, offsetMin: c.offsetMin, title: "Household power today" }, `Household power today, mean per 5 min (export below zero) · updated ${clockTime(c.snap.t, c.offsetMin)}`, "/chart/power-today");
}

/** The meter's status cell: a lock-out's stale values say since when (and why, on hover). */
function meterStatus(m: HouseholdSnapshot["meters"][number], now: number, offsetMin: number): string {
  if (m.stale) return `<td class="bad" title="${esc(m.stale.reason)}">stale since ${esc(when(m.stale.since, now, offsetMin))}</td>`;
  return `<td class="${m.online ? "ok" : "bad"}">${m.online ? "online" : "offline"}</td>`;
}

export function dashboardPage(c: PageContext): string {
  const s = c.snap;
  const live = liveValues(s, c.offsetMin);
  let out = `<div class="cards">${card("total", "Power now", live.total)}${card("today", "Imported today", live.today)}${card("export", "Exported today", live.export)}${card("bill", billTitle(s.bill, s.t, c.offsetMin), live.bill, `<a href="/energy">details</a>`)}${card("tariff", "Price now", live.tariff, `from ${esc(priceSource(s))}`)}${cheapestCard(s, c.offsetMin)}</div>`;
  out += powerTodayFigure(c);
  out += `<h2>Meters</h2><table><tr><th>Meter</th><th class="n">Power</th><th class="n">Voltage</th><th>Status</th></tr>`;
  for (const m of s.meters) {
    out += `<tr><td><a href="/graph?series=meter:${m.id}">${esc(m.name)}</a></td><td class="n" data-k="m${m.id}">${live[`m${m.id}`]}</td><td class="n">${volts(m.values[CODES.voltage[0]])}</td>${meterStatus(m, s.t, c.offsetMin)}</tr>`;
  }
  out += `</table><h2>Loads</h2><table><tr><th>Load</th><th class="n">Power</th><th>Relay</th></tr>`;
  for (const l of s.loads) {
    out += `<tr><td><a href="/graph?series=load:${esc(l.id)}">${esc(l.name)}</a></td><td class="n" data-k="l-${esc(l.id)}">${live[`l-${l.id}`]}</td><td data-k="s-${esc(l.id)}">${l.on ? "on" : "off"}</td></tr>`;
  }
  return out + `</table><p class="mut">Updated <span data-k="time">${clockTime(s.t, c.offsetMin)}</span> · <a href="/api/snapshot">JSON</a> · <a href="/query?select=[time.iso,total.watts,total.wh]&amp;begin=d&amp;end=s&amp;group=h&amp;format=csv">today as CSV</a></p>`;
}

/** The cheapest hour coming among the known prices. */
export function cheapestComing(slots: readonly PriceSlot[], now: number): PriceSlot | undefined {
  let best: PriceSlot | undefined;
  for (const p of slots) if (p.start + p.durationMs > now && (!best || p.importMinorPerKWh < best.importMinorPerKWh)) best = p;
  return best;
}

function cheapestCard(s: HouseholdSnapshot, offsetMin: number): string {
  const best = cheapestComing(s.prices, s.t);
  return card("", "Cheapest coming", best ? price(best.importMinorPerKWh) : NOT_KNOWN, best ? `${best.start <= s.t ? "now" : dayName(best.start, s.t, offsetMin) === "today" ? `at ${esc(when(best.start, s.t, offsetMin))}` : esc(when(best.start, s.t, offsetMin))} · <a href="/prices">prices</a>` : "no prices for the coming hours");
}

export function graphPage(svg: string, series: string, range: string, label: string): string {
  const ranges = ["hour", "day", "week"]
    .map((r) => `<a class="btn${r === range ? "" : " sec"}" href="/graph?series=${esc(series)}&amp;range=${r}">${r}</a>`)
    .join(" ");
  return `<p>${esc(label)} · ${ranges}</p>${svg}<p class="mut"><a href="/query?select=[time.iso,${esc(series)}.watts,${esc(series)}.wh]&amp;begin=s-1${range === "week" ? "w" : range === "day" ? "d" : "h"}&amp;end=s&amp;group=auto&amp;format=csv">Download as CSV</a></p>`;
}

/**
 * The Energy page from the booking: bars and rows per hour of the bill's day and per day of the
 * week, energy from the meters' counters and cost at the prices each slot was booked at, so the
 * hours add up to today's bill to the cent (never mean power × time, never today's prices).
 */
export function energyPage(c: PageContext): string {
  const s = c.snap;
  const cur = s.bill.currency;
  let out = "";
  const hh = c.household;
  if (hh?.energy) {
    const h = hourBars(hh, s, c.offsetMin);
    const from = h.t0 === localDayStart(s.t, c.offsetMin) ? "" : ` (the bill's day begins at ${clockTime(h.t0, c.offsetMin)})`;
    out += barsFigure("energy-hours", { ...h, offsetMin: c.offsetMin, title: "Energy per hour today" }, `Energy per hour today${from}: import up, export down; over each bar its cost as booked (import at its slots' prices, less the export credit)`);
    const hourRows = h.bars.map((b) => `<tr><td>${esc(b.label)}</td><td class="n">${kwh(b.importWh)}</td><td class="n">${kwh(b.exportWh)}</td><td class="n">${esc(b.cost)}</td></tr>`).join("");
    out += `<h2>Today by hour</h2><table class="compact"><tr><th>Hour</th><th class="n">Imported</th><th class="n">Exported</th><th class="n">Cost</th></tr>${hourRows || `<tr><td colspan="4" class="mut">nothing booked yet</td></tr>`}</table>`;
    if (h.bars.length) out += `<p class="mut">The hours together: ${esc(money(h.totalMinor, cur))}${isTodaysBill(s.bill, s.t, c.offsetMin) ? ` = today's bill` : ""}.</p>`;
    const d = dayBars(hh, s, c.offsetMin);
    out += barsFigure("energy-days", { ...d, offsetMin: c.offsetMin, title: "Energy per day", dayLabels: (t) => dayName(t, s.t, c.offsetMin), shortDayLabels: (t) => weekday(t, c.offsetMin) }, "Energy per day, last 7 days: each day's cost as booked (today's is today's bill)");
    const rows = d.bars.slice().reverse().map((b) => `<tr><td>${esc(b.label)}</td><td class="n">${kwh(b.importWh)}</td><td class="n">${kwh(b.exportWh)}</td><td class="n">${esc(b.cost)}</td></tr>`).join("");
    out += `<h2>Per day</h2><table class="compact"><tr><th>Day</th><th class="n">Imported</th><th class="n">Exported</th><th class="n">Cost</th></tr>${rows || `<tr><td colspan="4" class="mut">nothing booked yet</td></tr>`}</table>`;
  } else out += `<p class="mut">This household books no energy per interval: energy per hour and per day are not known here, only the bill below.</p>`;
  out += `<h2>${billTitle(s.bill, s.t, c.offsetMin)} <small class="mut">(${esc(when(s.bill.from, s.t, c.offsetMin))} – ${esc(when(s.bill.to, s.t, c.offsetMin))})</small></h2><table>${s.bill.lines.map((l) => `<tr><td>${esc(l.label)}${l.quantity !== undefined ? ` <span class="mut">${esc(signed(l.quantity, 2))} ${esc(l.unit ?? "")}</span>` : ""}</td><td class="n">${money(l.amountMinor, cur)}</td></tr>`).join("")}<tr><th>Total</th><th class="n">${money(s.bill.totalMinor, cur)}</th></tr><tr><td>Month forecast</td><td class="n">${esc(forecastText(s.bill, cur))}</td></tr></table>`;
  return out;
}

const WEEKDAYS = Object.freeze(["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]);

function weekday(t: number, offsetMin: number): string {
  return WEEKDAYS[new Date(t + offsetMin * 60_000).getUTCDay()];
}

/** The month forecast, or "not enough data" until a whole day is measured. */
export function forecastText(bill: BillView, currency: string): string {
  return bill.to - bill.from >= DAY && Number.isFinite(bill.forecastMonthMinor) && bill.forecastMonthMinor ? `about ${money(bill.forecastMonthMinor, currency)}` : "not enough data (needs a whole day)";
}

export function pricesPage(c: PageContext): string {
  const s = c.snap;
  const g = s.grid;
  const share = (x: number) => `${Math.round(x * 100)} %`;
  let out = `<div class="cards">${card("", "Price now", price(s.tariffNow.importMinorPerKWh), `from ${esc(priceSource(s))}`)}${card("", "Prices updated", g.pricesUpdatedAt > 0 ? when(g.pricesUpdatedAt, s.t, c.offsetMin) : NOT_KNOWN, g.pricesStale ? '<span class="bad">out of date</span>' : "up to date")}${card("", "Renewables", g.renewableAvailable ? `available, ${share(g.renewableShare)}` : `low, ${share(g.renewableShare)}`)}${card("", "Co-generator", g.cogenerator)}</div>`;
  const span = priceSpan(s, c.offsetMin);
  out += priceFigure("prices", { slots: s.prices, runs: plannedRuns(s), now: s.t, ...span, offsetMin: c.offsetMin, title: "Import price today and tomorrow" }, "Import price (c/kWh): green = the cheapest quarter of the coming slots, purple = planned runs");
  out += `<h2>Price table <small class="mut">(hours with the same prices in one row)</small></h2><table class="compact"><tr><th>Time</th><th class="n">Import c/kWh</th><th class="n">Export c/kWh</th><th class="n">Renewables</th></tr>`;
  const cheap = cheapSlots(s.prices, s.t);
  let day = "";
  for (const row of priceRows(byHour(s.prices), cheap, s.t, c.offsetMin)) {
    const d = dayName(row.start, s.t, c.offsetMin);
    if (d !== day) {
      day = d;
      out += `<tr class="day"><th colspan="4">${esc(d === "today" || d === "tomorrow" ? `${d[0].toUpperCase()}${d.slice(1)}, ${dayName(row.start, row.start + 7 * DAY, c.offsetMin)}` : d)}</th></tr>`;
    }
    out += `<tr${row.now ? ' class="now"' : ""}><td>${clockTime(row.start, c.offsetMin)}–${row.end === localDayStart(row.end, c.offsetMin) ? "24:00" : clockTime(row.end, c.offsetMin)}${row.now ? " ◀ now" : ""}${row.cheap ? ' <span class="tag">cheap</span>' : ""}</td><td class="n">${row.imp}</td><td class="n">${row.exp}</td><td class="n">${row.ren}</td></tr>`;
  }
  if (!s.prices.length) out += `<tr><td colspan="4" class="mut">no prices known yet</td></tr>`;
  return out + `</table>`;
}

interface PriceRow {
  start: number;
  end: number;
  imp: string;
  exp: string;
  ren: string;
  cheap: boolean;
  now: boolean;
}

/** Consecutive hours of the same day with the same prices, the same share and the same cheapness, as one row. */
function priceRows(hours: ReturnType<typeof byHour>, cheap: Set<number>, now: number, offsetMin: number): PriceRow[] {
  const out: PriceRow[] = [];
  for (const h of hours) {
    const row: PriceRow = {
      start: h.start, end: h.end,
      imp: range(h.slots.map((p) => p.importMinorPerKWh)), exp: range(h.slots.map((p) => p.exportMinorPerKWh)),
      ren: `${Math.round((h.slots.reduce((n, p) => n + p.renewableShare, 0) / h.slots.length) * 100)} %`,
      cheap: h.slots.some((p) => cheap.has(p.start)), now: now >= h.start && now < h.end,
    };
    const last = out[out.length - 1];
    if (last && last.end === row.start && !last.now && !row.now && last.imp === row.imp && last.exp === row.exp && last.ren === row.ren && last.cheap === row.cheap && dayName(last.start, now, offsetMin) === dayName(row.start, now, offsetMin)) last.end = row.end;
    else out.push(row);
  }
  return out;
}

/** The slots grouped by the hour they start in (quarter-hour tables read as one row per hour). */
function byHour(slots: readonly PriceSlot[]): { start: number; end: number; slots: PriceSlot[] }[] {
  const out: { start: number; end: number; slots: PriceSlot[] }[] = [];
  for (const p of [...slots].sort((a, b) => a.start - b.start)) {
    const h = p.start - (p.start % 3_600_000);
    const last = out[out.length - 1];
    if (last && last.start === h) {
      last.slots.push(p);
      last.end = Math.max(last.end, p.start + p.durationMs);
    } else out.push({ start: h, end: p.start + p.durationMs, slots: [p] });
  }
  return out;
}

/** "26.8" or "24.1–26.8" (c/kWh, one decimal). */
function range(xs: number[]): string {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return signed(lo, 1) === signed(hi, 1) ? signed(lo, 1) : `${signed(lo, 1)}–${signed(hi, 1)}`;
}

/** The run and the manual hold as the controller has them (a waiting run says why, and its latest start). */
function runText(l: LoadView, now: number, offsetMin: number): string {
  let out = "";
  const r = l.run;
  if (r) {
    const at = when(r.startAt, now, offsetMin);
    const span = `${at}–${clockTime(r.startAt + r.durationMs, offsetMin)}`;
    const what = r.state === "waiting" ? `waiting for prices; starts ${at} at the latest` : r.state === "planned" ? `planned for ${span}` : r.state === "running" ? `running since ${at}` : r.state === "done" ? `ran ${span}` : `missed: ${span}`;
    out += `<div class="mut"${r.reason ? ` title="${esc(r.reason)}"` : ""}>${esc(what)}, by ${esc(when(r.deadline, now, offsetMin))}</div>`;
  }
  if (l.hold) out += `<div class="mut">switched ${l.hold.on ? "on" : "off"} by hand until ${esc(when(l.hold.until, now, offsetMin))}</div>`;
  return out;
}

/** A form's default deadline: 8 h from now, on the hour (a default that can always be planned). */
export function defaultDeadline(now: number, offsetMin: number): string {
  const t = now + 8 * 3_600_000;
  return clockTime(t - (t % 3_600_000) + 3_600_000, offsetMin);
}

function loadControls(l: LoadView, csrf: string, now: number, offsetMin: number): string {
  const token = `<input type="hidden" name="csrf" value="${esc(csrf)}"><input type="hidden" name="id" value="${esc(l.id)}">`;
  let f = `<form class="inline" method="post" action="/control/switch">${token}<input type="hidden" name="on" value="${l.on ? "0" : "1"}"><button${l.on ? ' class="sec"' : ""}>${l.on ? "Switch off" : "Switch on"}</button></form>`;
  if (l.kind === "deferrable") {
    f += ` <form class="inline" method="post" action="/control/schedule">${token}<label>Run <input name="hours" size="1" value="2" aria-label="hours" style="width:2.6em"> h by <input name="deadline" size="4" value="${defaultDeadline(now, offsetMin)}" aria-label="deadline" style="width:4.2em"></label> <button class="sec">Plan</button></form>`;
    if (l.run && (l.run.state === "planned" || l.run.state === "waiting" || l.run.state === "running")) f += ` <form class="inline" method="post" action="/control/cancel">${token}<button class="sec">Cancel plan</button></form>`;
  }
  return f;
}

const KIND = Object.freeze({ switchable: "switchable", deferrable: "can wait for cheap hours", fixed: "always on (not switched)", generator: "generator (not switched)" });

export function controlPage(c: PageContext): string {
  const s = c.snap;
  let out = c.message ? `<div class="msg">${esc(c.message)}</div>` : "";
  if (!c.csrf) out += `<div class="msg">Reading is open; to switch or plan loads, <a href="/login">sign in</a>.</div>`;
  out += `<div class="loads">`;
  for (const l of s.loads) {
    const controls = c.csrf && l.kind !== "fixed" && l.kind !== "generator" ? `<div class="ctl">${loadControls(l, c.csrf, s.t, c.offsetMin)}</div>` : "";
    out += `<div class="load"><div class="head"><a href="/graph?series=load:${esc(l.id)}"><b>${esc(l.name)}</b></a> <span class="mut">${KIND[l.kind] ?? l.kind}</span></div><div class="state"><span data-k="l-${esc(l.id)}">${watts(l.powerW)}</span> · relay <b id="relay-${esc(l.id)}" data-k="s-${esc(l.id)}">${l.on ? "on" : "off"}</b></div>${runText(l, s.t, c.offsetMin)}${controls}</div>`;
  }
  out += `</div><h2>Decisions</h2><table class="compact"><tr><th>When</th><th>What and why</th></tr>`;
  const names = new Map(s.loads.map((l) => [l.id, l.name] as [string, string]));
  for (const d of s.decisions.slice(-20).reverse()) out += `<tr><td>${esc(when(d.t, s.t, c.offsetMin))}</td><td>${esc(decisionWhat(d, names))}<br><span class="mut">${esc(plainReason(d.reason, s.t, c.offsetMin, names))}</span></td></tr>`;
  if (!s.decisions.length) out += `<tr><td colspan="2" class="mut">no decisions yet</td></tr>`;
  return out + `</table>`;
}

export function qualityPage(c: PageContext): string {
  // A value the meter did not measure reads "not measured" (the reason as its tooltip), never 0.
  const nm = (q: QualityView, k: string, v: string | null): string => (v === null ? `<span class="mut" title="${esc(q.notMeasured[k] ?? "")}">not measured</span>` : v);
  const s = c.snap;
  let out = "";
  // the trends first: the picture a household looks at; the figures per meter after them
  if (c.trend) {
    const t1 = s.t;
    const t0 = t1 - DAY;
    const spec = { events: s.events, t0, t1, offsetMin: c.offsetMin };
    out += `<h2>Trends, last 24 h <small class="mut">(10-min aggregates; red lines: dips, swells, interruptions)</small></h2>`;
    out += trendFigure("trend-voltage", { ...spec, lines: trendLines(c.trend, "voltage", t0), limits: [207, 253], unit: "V", range: [225, 235], title: "Voltage, 10-min RMS" }, "Voltage (mean of the phases), 10-min RMS; EN 50160 limits 230 V ± 10 % (dashed when on the scale)");
    out += trendFigure("trend-frequency", { ...spec, lines: trendLines(c.trend, "frequency", t0), limits: [49.5, 50.5], unit: "Hz", range: [49.9, 50.1], title: "Frequency, 10-min mean" }, "Frequency, 10-min mean; EN 50160 limits 50 Hz ± 1 % (dashed when on the scale)");
    out += trendFigure("trend-thd", { ...spec, lines: trendLines(c.trend, "thd", t0), limits: [8], unit: "%", range: [0, 4], title: "Voltage THD, 10-min RMS" }, "Voltage THD (mean of the phases), 10-min RMS; EN 50160 limit 8 % (dashed when on the scale)");
  }
  out += `<h2>Now, per meter</h2><div class="cards wide">`;
  for (const q of s.quality) {
    const num = (k: string, x: number | null, digits: number, unit: string): string => nm(q, k, x === null || !Number.isFinite(x) ? null : `${x.toFixed(digits)}${unit ? ` ${unit}` : ""}`);
    const phases = (k: string, xs: readonly number[]): string => nm(q, k, xs.some(Number.isFinite) ? `${xs.map((x) => (Number.isFinite(x) ? x.toFixed(1) : "–")).join(" / ")} %` : null);
    out += `<div class="card"><div class="k">Meter ${q.meterId}</div><dl><dt>Frequency</dt><dd>${num("frequencyHz", q.frequencyHz, 3, "Hz")}</dd><dt>THD U</dt><dd>${phases("thdVoltagePct", q.thdVoltagePct)}</dd><dt>THD I</dt><dd>${phases("thdCurrentPct", q.thdCurrentPct)}</dd><dt>Unbalance</dt><dd>${num("unbalanceNegativePct", q.unbalanceNegativePct, 2, "%")}</dd><dt>Dips</dt><dd>${num("dipCount", q.dipCount, 0, "")}</dd><dt>Swells</dt><dd>${num("swellCount", q.swellCount, 0, "")}</dd><dt>Interruptions</dt><dd>${num("interruptionCount", q.interruptionCount, 0, "")}</dd></dl></div>`;
  }
  out += `</div>`;
  out += pq10minTable(c);
  for (const q of s.quality) {
    out += `<h2>EN 50160 dips · meter ${q.meterId}</h2><table class="compact dips"><tr><th>Residual voltage</th>${q.dipCols.map((h) => `<th class="n">${esc(h)}</th>`).join("")}</tr>`;
    q.dipRows.forEach((label, r) => {
      out += `<tr><td>${esc(label)}</td>${q.dipCols.map((_, k) => `<td class="n">${q.dipTable[r]?.[k] ?? 0}</td>`).join("")}</tr>`;
    });
    out += `</table>`;
    if (q.dipsUnclassified) out += `<p class="mut">${q.dipsUnclassified} more without reported depth and duration (in no cell)</p>`;
  }
  // one row per supply event, however many meters saw it (merged); depth and duration "not measured" when not reported
  out += `<h2>Events</h2><table class="compact"><tr><th>Start</th><th>What</th><th class="n">Duration</th><th class="n">Extreme</th></tr>`;
  for (const e of s.events.slice(-30).reverse()) {
    const unknown = `<span class="mut" title="${esc(e.cellReason ?? "")}">not measured</span>`;
    const who = `meter${e.meters.length > 1 ? "s" : ""} ${e.meters.join(", ")} · L${e.phase}`;
    out += `<tr><td>${esc(when(e.start, s.t, c.offsetMin))}</td><td>${e.type}, ${who}${e.cell ? ` <span class="mut">${esc(e.cell)}</span>` : ""}</td><td class="n">${e.cell === null ? unknown : `${e.durationMs} ms`}</td><td class="n">${e.extremeV === null ? unknown : `${e.extremeV.toFixed(1)} V`}</td></tr>`;
  }
  if (!s.events.length) out += `<tr><td colspan="4" class="mut">no events</td></tr>`;
  return out + `</table>`;
}

/** The meters' last IEC 61000-4-30 10-min aggregates (only when the household has some). */
function pq10minTable(c: PageContext): string {
  const list = c.snap.pq10min ?? [];
  if (!list.length) return "";
  const ph = (xs: number[], d: number) => xs.map((x) => x.toFixed(d)).join(" / ");
  let out = `<h2>Last 10-min aggregates</h2><div class="tw"><table class="compact"><tr><th>Meter</th><th>Interval</th><th class="n">U</th><th class="n">I</th><th class="n">P</th><th class="n">THD U</th><th class="n">THD I</th><th class="n">Frequency</th><th>Flagged</th></tr>`;
  for (const a of list) {
    out += `<tr><td>Meter ${a.meterId}</td><td>${clockTime(a.start, c.offsetMin)}–${clockTime(a.end, c.offsetMin)}</td><td class="n">${ph(a.voltageV, 2)} V</td><td class="n">${ph(a.currentA, 3)} A</td><td class="n">${ph(a.powerW, 1)} W</td><td class="n">${ph(a.thdVoltagePct, 2)} %</td><td class="n">${ph(a.thdCurrentPct, 2)} %</td><td class="n">${a.frequencyHz.toFixed(3)} Hz</td><td>${a.flagged ? "yes (dip, swell or interruption)" : "no"}</td></tr>`;
  }
  return out + `</table></div>`;
}

export function formPage(action: string, csrf: string, fields: string, button: string, message?: string): string {
  return `${message ? `<div class="msg">${esc(message)}</div>` : ""}<form method="post" action="${action}"><input type="hidden" name="csrf" value="${esc(csrf)}">${fields}<p><button>${button}</button></p></form>`;
}
