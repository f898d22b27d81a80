import type { HouseholdSnapshot, LoadView, QualityView } from "../core/household";
import { CODES } from "../core/obis";
import { clockTime, dateTime, esc, kwh, money, watts } from "./html";

/**
 * The dynamic pages' bodies, rendered on the server from one snapshot (the
 * paper's CGI style: a function per page fills the template). Values that
 * change live carry data-k="key", the key of the SSE "live" event.
 */

export interface PageContext {
  snap: HouseholdSnapshot;
  offsetMin: number;
  /** CSRF token of the session, when the visitor may act. */
  csrf?: string;
  message?: string;
}


export function totalPower(snap: HouseholdSnapshot): number {
  let w = 0;
  for (const l of snap.loads) w += l.powerW;
  return w;
}

/** The values the live script updates, keyed like the page's data-k attributes. */
export function liveValues(snap: HouseholdSnapshot): Record<string, string> {
  const v: Record<string, string> = {
    total: watts(totalPower(snap)),
    today: kwh(snap.energyTodayWh),
    export: kwh(snap.exportTodayWh),
    bill: money(snap.bill.totalMinor, snap.bill.currency),
    tariff: `${snap.tariffNow.importMinorPerKWh} c/kWh`,
    time: clockTime(snap.t, 0),
  };
  for (const m of snap.meters) v[`m${m.id}`] = watts(m.values[CODES.powerNet] ?? NaN);
  for (const l of snap.loads) {
    v[`l-${l.id}`] = watts(l.powerW);
    v[`s-${l.id}`] = l.on ? "on" : "off";
  }
  return v;
}

function card(key: string, label: string, value: string): string {
  return `<div class="card"><div class="k">${label}</div><div class="v" data-k="${key}">${esc(value)}</div></div>`;
}

/** The meter's status cell: a lock-out's stale values say since when (and why, on hover). */
function meterStatus(m: HouseholdSnapshot["meters"][number]): string {
  if (m.stale) return `<td class="bad" title="${esc(m.stale.reason)}">stale since ${new Date(m.stale.since).toISOString().slice(11, 16)} UTC</td>`;
  return `<td class="${m.online ? "ok" : "bad"}">${m.online ? "online" : "offline"}</td>`;
}

export function dashboardPage(c: PageContext): string {
  const s = c.snap;
  const live = liveValues(s);
  let out = `<div class="cards">${card("total", "Power now", live.total)}${card("today", "Energy today", live.today)}${card("export", "Exported today", live.export)}${card("bill", "Bill to date", live.bill)}${card("tariff", `Tariff now · ${esc(s.tariffNow.name)}`, live.tariff)}</div>`;
  out += `<h2>Meters</h2><table><tr><th>Meter</th><th class="n">Power</th><th class="n">Voltage</th><th>Status</th></tr>`;
  for (const m of s.meters) {
    out += `<tr><td><a href="/graph?series=meter:${m.id}">${esc(m.name)}</a></td><td class="n" data-k="m${m.id}">${live[`m${m.id}`]}</td><td class="n">${(m.values[CODES.voltage[0]] ?? NaN).toFixed(1)} V</td>${meterStatus(m)}</tr>`;
  }
  out += `</table><h2>Loads</h2><table><tr><th>Load</th><th class="n">Power</th><th>Relay</th><th></th></tr>`;
  for (const l of s.loads) {
    out += `<tr><td>${esc(l.name)}</td><td class="n" data-k="l-${esc(l.id)}">${live[`l-${l.id}`]}</td><td data-k="s-${esc(l.id)}">${l.on ? "on" : "off"}</td><td><a href="/graph?series=load:${esc(l.id)}">graph</a></td></tr>`;
  }
  return out + `</table><p class="mut">Updated <span data-k="time">${clockTime(s.t, 0)}</span> UTC · <a href="/api/snapshot">JSON</a> · <a href="/query?select=[time.iso,total.watts,total.wh]&amp;begin=d&amp;end=s&amp;group=h&amp;format=csv">today as CSV</a></p>`;
}

export function graphPage(svg: string, series: string, range: string, label: string): string {
  const ranges = ["hour", "day", "week"]
    .map((r) => `<a class="btn${r === range ? "" : " sec"}" href="/graph?series=${esc(series)}&amp;range=${r}">${r}</a>`)
    .join(" ");
  return `<p>${esc(label)} · ${ranges}</p>${svg}<p class="mut"><a href="/query?select=[time.iso,${esc(series)}.watts,${esc(series)}.wh]&amp;begin=s-1${range === "week" ? "w" : range === "day" ? "d" : "h"}&amp;end=s&amp;group=auto&amp;format=csv">Download as CSV</a></p>`;
}

export interface EnergyRow {
  label: string;
  wh: number;
  minor: number;
}

export function energyPage(c: PageContext, perHour: EnergyRow[], perDay: EnergyRow[]): string {
  const cur = c.snap.bill.currency;
  const rows = (list: EnergyRow[]): string => list.map((r) => `<tr><td>${esc(r.label)}</td><td class="n">${kwh(r.wh)}</td><td class="n">${money(r.minor, cur)}</td></tr>`).join("");
  // Energy and cost as booked: each slot's metered energy at the price it was booked at.
  let out = `<h2>Today by hour</h2><table><tr><th>Hour</th><th class="n">Energy (net)</th><th class="n">Cost</th></tr>${rows(perHour)}</table>`;
  out += `<h2>Per day</h2><table><tr><th>Day</th><th class="n">Energy (net)</th><th class="n">Cost</th></tr>${rows(perDay)}</table>`;
  out += `<h2>Today's bill</h2><table>${c.snap.bill.lines.map((l) => `<tr><td>${esc(l.label)}</td><td class="n">${money(l.amountMinor, cur)}</td></tr>`).join("")}<tr><th>Total</th><th class="n">${money(c.snap.bill.totalMinor, cur)}</th></tr></table>`;
  return out;
}

export function pricesPage(c: PageContext): string {
  const s = c.snap;
  const g = s.grid;
  let out = `<div class="cards">${card("", "Renewables", g.renewableAvailable ? `available (${Math.round(g.renewableShare * 100)} %)` : `low (${Math.round(g.renewableShare * 100)} %)`)}${card("", "Co-generator", g.cogenerator)}${card("", "Prices", g.pricesStale ? "stale" : "up to date")}</div>`;
  out += `<h2>Price table</h2><table><tr><th>Time</th><th class="n">Import</th><th class="n">Export</th><th>Renewable share</th></tr>`;
  for (const p of s.prices) {
    const now = s.t >= p.start && s.t < p.start + p.durationMs;
    out += `<tr${now ? ' class="now"' : ""}><td>${clockTime(p.start, c.offsetMin)}${now ? " ◀ now" : ""}</td><td class="n">${p.importMinorPerKWh} c</td><td class="n">${p.exportMinorPerKWh} c</td><td><span class="bar" style="width:${Math.round(p.renewableShare * 100)}px"></span> ${Math.round(p.renewableShare * 100)} %</td></tr>`;
  }
  return out + `</table>`;
}

/** The run and the manual hold as the controller has them (a waiting run says why, and its latest start). */
function runText(l: LoadView, offsetMin: number): string {
  let out = "";
  const r = l.run;
  if (r) {
    const at = clockTime(r.startAt, offsetMin);
    const what = r.state === "waiting" ? `waiting for prices, starts ${at} at the latest` : r.state === "planned" ? `planned ${at}` : r.state === "running" ? `running since ${at}` : `${r.state} (${at})`;
    out += ` <span class="mut" title="${esc(r.reason ?? "")}">${what}, by ${clockTime(r.deadline, offsetMin)}</span>`;
  }
  if (l.hold) out += ` <span class="mut">switched ${l.hold.on ? "on" : "off"} by hand until ${clockTime(l.hold.until, offsetMin)}</span>`;
  return out;
}

/** A deadline the form can meet: the whole hour at least 3 h ahead (the default run is 2 h). */
function defaultDeadline(now: number, offsetMin: number): string {
  const h = 3_600_000;
  return clockTime(Math.ceil((now + 3 * h) / h) * h, offsetMin);
}

function loadControls(l: LoadView, csrf: string, now = 0, offsetMin = 0): string {
  const token = `<input type="hidden" name="csrf" value="${esc(csrf)}"><input type="hidden" name="id" value="${esc(l.id)}">`;
  let f = `<form class="inline" method="post" action="/control/switch">${token}<input type="hidden" name="on" value="${l.on ? "0" : "1"}"><button${l.on ? ' class="sec"' : ""}>${l.on ? "Switch off" : "Switch on"}</button></form>`;
  if (l.kind === "deferrable") {
    f += ` <form class="inline" method="post" action="/control/schedule">${token}<input name="hours" size="1" value="2" aria-label="hours" style="width:2.5em">&nbsp;h by <input name="deadline" size="4" value="${defaultDeadline(now, offsetMin)}" aria-label="deadline" style="width:4em"> <button class="sec">Schedule</button></form>`;
    if (l.run && (l.run.state === "planned" || l.run.state === "waiting" || l.run.state === "running")) f += ` <form class="inline" method="post" action="/control/cancel">${token}<button class="sec">Cancel plan</button></form>`;
  }
  return f;
}

export function controlPage(c: PageContext): string {
  const s = c.snap;
  let out = c.message ? `<div class="msg">${esc(c.message)}</div>` : "";
  if (!c.csrf) out += `<div class="msg">Reading is open; to switch or schedule loads, <a href="/login">sign in</a>.</div>`;
  out += `<table><tr><th>Load</th><th class="n">Power</th><th>Relay</th><th></th></tr>`;
  for (const l of s.loads) {
    const run = runText(l, c.offsetMin);
    out += `<tr><td><a href="/graph?series=load:${esc(l.id)}">${esc(l.name)}</a><br><small class="mut">${l.kind}</small></td><td class="n" data-k="l-${esc(l.id)}">${watts(l.powerW)}</td><td id="relay-${esc(l.id)}" data-k="s-${esc(l.id)}">${l.on ? "on" : "off"}</td><td>${c.csrf && l.kind !== "fixed" && l.kind !== "generator" ? loadControls(l, c.csrf, s.t, c.offsetMin) : ""}${run}</td></tr>`;
  }
  out += `</table><h2>Decisions</h2><table><tr><th>Time</th><th>Load</th><th>Action</th><th>Reason</th><th>By</th></tr>`;
  for (const d of s.decisions.slice(-20).reverse()) out += `<tr><td>${s.t - d.t < 86_400_000 ? clockTime(d.t, c.offsetMin) : dateTime(d.t, c.offsetMin)}</td><td>${esc(d.load)}</td><td>${d.action}</td><td>${esc(d.reason)}</td><td>${d.actor}</td></tr>`;
  if (!s.decisions.length) out += `<tr><td colspan="5" class="mut">no decisions yet</td></tr>`;
  return out + `</table>`;
}

export function qualityPage(c: PageContext): string {
  // A value the meter did not measure reads "not measured" (the reason as its tooltip), never 0.
  const nm = (q: QualityView, k: string, v: string | null): string => (v === null ? `<span class="mut" title="${esc(q.notMeasured[k] ?? "")}">not measured</span>` : v);
  const list = (q: QualityView, k: string, xs: number[]): string => nm(q, k, xs.length ? `${xs.map((x) => x.toFixed(1)).join(" / ")} %` : null);
  let out = `<table><tr><th>Meter</th><th class="n">Frequency</th><th class="n">THD U</th><th class="n">THD I</th><th class="n">Unbalance</th><th class="n">Dips</th><th class="n">Swells</th><th class="n">Interruptions</th></tr>`;
  for (const q of c.snap.quality) {
    const num = (k: string, x: number | null, f: (x: number) => string): string => nm(q, k, x === null ? null : f(x));
    out += `<tr><td>Meter ${q.meterId}</td><td class="n">${num("frequencyHz", q.frequencyHz, (x) => `${x.toFixed(3)} Hz`)}</td><td class="n">${list(q, "thdVoltagePct", q.thdVoltagePct)}</td><td class="n">${list(q, "thdCurrentPct", q.thdCurrentPct)}</td><td class="n">${num("unbalanceNegativePct", q.unbalanceNegativePct, (x) => `${x.toFixed(2)} %`)}</td><td class="n">${num("dipCount", q.dipCount, String)}</td><td class="n">${num("swellCount", q.swellCount, String)}</td><td class="n">${num("interruptionCount", q.interruptionCount, String)}</td></tr>`;
  }
  out += `</table>`;
  out += pq10minTable(c);
  for (const q of c.snap.quality) {
    out += `<h2>EN 50160 dips · meter ${q.meterId}</h2><table><tr><th>Residual voltage</th>${q.dipCols.map((h) => `<th class="n">${esc(h)}</th>`).join("")}</tr>`;
    q.dipRows.forEach((label, r) => {
      out += `<tr><td>${esc(label)}</td>${q.dipCols.map((_, k) => `<td class="n">${q.dipTable[r][k]}</td>`).join("")}</tr>`;
    });
    out += `</table>`;
    if (q.dipsUnclassified) out += `<p class="mut">${q.dipsUnclassified} more without reported depth and duration (in no cell)</p>`;
  }
  out += `<h2>Events</h2><table><tr><th>Start</th><th>Type</th><th>Meters/phase</th><th class="n">Duration</th><th class="n">Extreme</th><th>Cell</th></tr>`;
  for (const e of c.snap.events.slice(-30).reverse()) {
    const unknown = `<span class="mut" title="${esc(e.cellReason ?? "")}">not measured</span>`;
    out += `<tr><td>${dateTime(e.start, c.offsetMin)}</td><td>${e.type}</td><td>${e.meters.join(", ")}/L${e.phase}</td><td class="n">${e.cell === null ? unknown : `${e.durationMs} ms`}</td><td class="n">${e.extremeV === null ? unknown : `${e.extremeV.toFixed(1)} V`}</td><td>${e.cell === null ? unknown : esc(e.cell)}</td></tr>`;
  }
  if (!c.snap.events.length) out += `<tr><td colspan="6" class="mut">no events</td></tr>`;
  return out + `</table>`;
}

/** The meters' last IEC 61000-4-30 10-min aggregates (only when the household has some). */
function pq10minTable(c: PageContext): string {
  const list = c.snap.pq10min ?? [];
  if (!list.length) return "";
  const ph = (xs: number[], d: number) => xs.map((x) => x.toFixed(d)).join(" / ");
  let out = `<h2>Last 10-min aggregates</h2><table><tr><th>Meter</th><th>Interval</th><th class="n">U</th><th class="n">I</th><th class="n">P</th><th class="n">THD U</th><th class="n">THD I</th><th class="n">Frequency</th><th>Flagged</th></tr>`;
  for (const a of list) {
    out += `<tr><td>Meter ${a.meterId}</td><td>${clockTime(a.start, c.offsetMin)}–${clockTime(a.end, c.offsetMin)}</td><td class="n">${ph(a.voltageV, 2)} V</td><td class="n">${ph(a.currentA, 3)} A</td><td class="n">${ph(a.powerW, 1)} W</td><td class="n">${ph(a.thdVoltagePct, 2)} %</td><td class="n">${ph(a.thdCurrentPct, 2)} %</td><td class="n">${a.frequencyHz.toFixed(3)} Hz</td><td>${a.flagged ? "yes (dip, swell or interruption)" : "no"}</td></tr>`;
  }
  return out + `</table>`;
}

export function formPage(action: string, csrf: string, fields: string, button: string, message?: string): string {
  return `${message ? `<div class="msg">${esc(message)}</div>` : ""}<form method="post" action="${action}"><input type="hidden" name="csrf" value="${esc(csrf)}">${fields}<p><button>${button}</button></p></form>`;
}
