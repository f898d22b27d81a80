/**
 * The dashboard's pages as HTML strings: the fleet, one meter, downlinks and
 * campaigns, sign-in and first-run set-up. Everything from outside is escaped;
 * a value not known yet says so ("no reading yet") instead of a placeholder.
 */
import { esc } from "../../../modules/http/html";
import type { CampaignRow, DownlinkRow, EventRow, MeterSummary, PqRow, RejectSummary, SeriesPoint } from "../store/store";
import type { WebSession } from "./sessions";
import { chartSvg } from "./chart";
import { EVENTS_CSS, eventsTable, utcTime } from "./events-table";
import type { CampaignStatus } from "../downlink/campaign";
import type { FleetSort, FleetTotals } from "../store/fleet-query";
import { TEN_MIN } from "../store/store";

const CSS = `*{box-sizing:border-box}body{font:15px/1.4 system-ui,sans-serif;margin:0;color:#1f2328;background:#fff}
header{display:flex;flex-wrap:wrap;gap:.4em 1.2em;align-items:center;padding:.6em 1em;background:#0b3d6e;color:#fff}header a{color:#fff}
header b{font-size:1.1em}header form{margin-left:auto}main{padding:1em;max-width:1200px;margin:auto}
table{border-collapse:collapse;width:100%}th,td{padding:.35em .5em;border-bottom:1px solid #d8dee4;text-align:left;white-space:nowrap}
.tw{overflow-x:auto}.num{text-align:right}.on{color:#1a7f37;font-weight:600}.off{color:#d1242f;font-weight:600}.unk{color:#656d76}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,420px),1fr));gap:1em}.chart{width:100%;height:auto;font:11px system-ui;fill:#424a53}
.chart .grid{stroke:#e4e7ec}.chart .mark{stroke:#d1242f;stroke-width:1.5;stroke-dasharray:3 2}.chart .ct{font-weight:600;font-size:12px}.chart .empty{fill:#656d76;font-size:13px}
.tiles{display:flex;flex-wrap:wrap;gap:.8em;margin:.5em 0 1em}.tile{border:1px solid #d8dee4;border-radius:6px;padding:.5em .8em;min-width:9em}.tile b{display:block;font-size:1.3em}
form.box{border:1px solid #d8dee4;border-radius:6px;padding:.8em;margin:.5em 0;max-width:560px}label{display:block;margin:.3em 0}input,textarea,select{font:inherit;max-width:100%}
textarea{width:100%;min-height:5em}.old{color:#656d76;font-style:italic}form.filters{display:flex;flex-wrap:wrap;gap:.4em 1em;align-items:center;margin:.5em 0}form.filters label{margin:0}
.pager{margin:.4em 0}.pager a{margin-left:.6em}th a{color:inherit}.err{color:#d1242f}.ok{color:#1a7f37}.note{color:#656d76}button{font:inherit;padding:.25em .8em}
${EVENTS_CSS}`;

export function page(title: string, body: string, s?: WebSession): string {
  const nav = s
    ? `<a href="/">Fleet</a><a href="/downlinks">Downlinks</a><a href="/campaigns">Campaigns</a><a href="/rejects">Rejected messages</a><span>${esc(s.user)} (${s.role})</span><form method="post" action="/logout"><input type="hidden" name="csrf" value="${s.csrf}"><button>Sign out</button></form>`
    : "";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)} · xsmeter head-end</title><style>${CSS}</style></head><body><header><b>xsmeter head-end</b>${nav}</header><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

export const when = (t: number | undefined): string => (t === undefined ? "never" : `${utcTime(t)} UTC`);
const watts = (w: number | undefined): string => (w === undefined ? `<span class="unk">no reading yet</span>` : Math.abs(w) >= 1000 ? `${(w / 1000).toFixed(2)} kW` : `${Math.round(w)} W`);
const kwh = (wh: number | undefined): string =>
  wh === undefined ? `<span class="unk">no reading today</span>` : wh < 0 ? `<span class="err">register went down (reset or replaced?)</span>` : `${(wh / 1000).toFixed(2)} kWh`;

/** Online: the node's last status said so and a reading came within `staleMs`. */
export function liveness(m: MeterSummary, now: number, staleMs: number): "online" | "offline" | "stale" | "unknown" {
  if (m.status === "offline") return "offline";
  if (m.lastSeen !== undefined && now - m.lastSeen > staleMs) return "stale";
  if (m.status === "online") return "online";
  return m.lastSeen === undefined ? "unknown" : "online";
}

/** "12 s ago", "5 min ago", "3 h ago", "4 d ago": how an operator reads a last-seen time. */
export function ago(t: number | undefined, now: number): string {
  if (t === undefined) return "never";
  const s = Math.max(0, Math.round((now - t) / 1000));
  return s < 90 ? `${s} s ago` : s < 90 * 60 ? `${Math.round(s / 60)} min ago` : s < 36 * 3600 ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 86400)} d ago`;
}

/** Power is "now" only from an online meter and younger than staleMs; otherwise it is its last known value, with its age. */
export function powerNow(m: MeterSummary, live: string, now: number, staleMs: number): string {
  if (m.powerW === undefined) return watts(undefined);
  if (live === "online" && m.powerAt !== undefined && now - m.powerAt <= staleMs) return watts(m.powerW);
  return `<span class="old" title="last known value at ${when(m.powerAt)}, not now">last known ${watts(m.powerW)}, ${ago(m.powerAt, now)}</span>`;
}

/** The fleet list's URL parameters, checked (server.ts parses them, the page writes its links from them). */
export interface FleetView {
  page: number;
  search: string;
  offline: boolean;
  alarms: boolean;
  sort: FleetSort;
  desc: boolean;
}

export const PAGE_SIZE = 100;

export function fleetHref(v: FleetView, change: Partial<FleetView> = {}, path = "/"): string {
  const w = { ...v, ...change };
  const p = new URLSearchParams();
  if (w.search) p.set("q", w.search);
  if (w.offline) p.set("state", "offline");
  if (w.alarms) p.set("alarms", "1");
  if (w.sort !== "meter") p.set("sort", w.sort);
  if (w.desc) p.set("dir", "desc");
  if (w.page > 1 && path === "/") p.set("page", String(w.page));
  const qs = p.toString();
  return esc(qs ? `${path}?${qs}` : path);
}

export interface FleetPageData {
  rows: MeterSummary[];
  matching: number;
  totals: FleetTotals;
  power: SeriesPoint[];
  energy: SeriesPoint[];
  now: number;
  staleMs: number;
  view: FleetView;
}

/** A 10-min bucket is complete once its end has passed: the one still filling would be drawn as a drop. */
export const completeBuckets = (points: SeriesPoint[], now: number): SeriesPoint[] => points.filter((p) => p.t + TEN_MIN <= now);

function fleetTiles(t: FleetTotals, staleMs: number): string {
  return `<div class="tiles"><div class="tile">Meters<b>${t.meters}</b></div><div class="tile">Online<b>${t.online}</b><span class="note">${t.meters - t.online} not online</span></div>
<div class="tile">Power now<b>${t.powerNowMeters ? watts(t.powerNowW) : "no reading yet"}</b><span class="note">${t.powerNowMeters} of ${t.meters} meters online</span><span class="note" style="display:block">read in the last ${Math.round(staleMs / 60_000)} min</span></div><div class="tile">Energy today<b>${(t.energyTodayWh / 1000).toFixed(2)} kWh</b></div>
<div class="tile">Alarms (24 h)<b>${t.alarms}</b></div></div>`;
}

function fleetFilters(v: FleetView): string {
  return `<form class="filters" method="get" action="/"><label>Search <input name="q" value="${esc(v.search)}" placeholder="node or meter id" maxlength="64"></label>
<label><input type="checkbox" name="state" value="offline"${v.offline ? " checked" : ""}> not online only</label><label><input type="checkbox" name="alarms" value="1"${v.alarms ? " checked" : ""}> with alarms only</label>
${v.sort !== "meter" ? `<input type="hidden" name="sort" value="${v.sort}">` : ""}${v.desc ? `<input type="hidden" name="dir" value="desc">` : ""}<button>Show</button>${v.search || v.offline || v.alarms ? ` <a href="/">all meters</a>` : ""}</form>`;
}

function sortHead(v: FleetView, col: FleetSort, label: string, num = false): string {
  const on = v.sort === col;
  const arrow = on ? (v.desc ? " ▼" : " ▲") : "";
  return `<th${num ? ` class="num"` : ""}${on ? ` aria-sort="${v.desc ? "descending" : "ascending"}"` : ""}><a href="${fleetHref(v, { sort: col, desc: on ? !v.desc : col !== "meter" && col !== "state", page: 1 })}">${label}${arrow}</a></th>`;
}

function pager(v: FleetView, matching: number): string {
  const pages = Math.max(1, Math.ceil(matching / PAGE_SIZE));
  const first = (v.page - 1) * PAGE_SIZE;
  const shown = matching === 0 ? "no meter matches" : first >= matching ? `page ${v.page} is past the last (${pages})` : `meters ${first + 1}–${Math.min(matching, first + PAGE_SIZE)} of ${matching}`;
  const prev = v.page > 1 ? `<a href="${fleetHref(v, { page: Math.min(v.page - 1, pages) })}" rel="prev">‹ previous</a>` : "";
  const next = v.page < pages ? `<a href="${fleetHref(v, { page: v.page + 1 })}" rel="next">next ›</a>` : "";
  return `<p class="pager">${shown} · page ${v.page} of ${pages} ${prev} ${next}</p>`;
}

export function fleetPage(d: FleetPageData, s: WebSession): string {
  const { now, staleMs, view } = d;
  const charts = `<div class="charts">${chartSvg([{ name: "fleet", points: completeBuckets(d.power, now).map((p) => ({ t: p.t, v: p.v / 1000 })) }], { title: "Fleet power, 10-min mean, last 24 h (complete intervals)", unit: "kW", from: now - 86_400_000, to: now })}
${chartSvg([{ name: "fleet", points: d.energy.map((p) => ({ t: p.t, v: p.v / 1000 })) }], { title: "Fleet energy per day, last 30 days (today so far)", unit: "kWh", from: now - 30 * 86_400_000, to: now, bars: true })}</div>`;
  const rows = d.rows.map((m) => {
    const live = liveness(m, now, staleMs);
    return `<tr><td><a href="/meter/${encodeURIComponent(m.node)}/${m.meterId}">${esc(m.node)} / ${m.meterId}</a></td>
<td class="${live === "online" ? "on" : live === "unknown" ? "unk" : "off"}">${live}</td><td title="${when(m.lastSeen)}">${ago(m.lastSeen, now)}</td><td class="num">${powerNow(m, live, now, staleMs)}</td><td class="num">${kwh(m.energyTodayWh)}</td>
<td>${m.firmware ? `${esc(m.firmware)}${m.firmwarePhase && m.firmwarePhase !== "running" ? ` (${esc(m.firmwarePhase)})` : ""}` : `<span class="unk">not reported</span>`}</td><td class="num">${m.alarms ? `<span class="err">${m.alarms}</span>` : "0"}</td></tr>`;
  }).join("");
  const head = `<tr>${sortHead(view, "meter", "Meter (node / id)")}${sortHead(view, "state", "State")}${sortHead(view, "lastSeen", "Last seen")}${sortHead(view, "power", "Power now", true)}${sortHead(view, "energy", "Energy today", true)}<th>Firmware</th>${sortHead(view, "alarms", "Alarms 24 h", true)}</tr>`;
  const table = d.totals.meters === 0
    ? `<p class="note">No meter has published yet. Meters appear here with their first reading.</p>`
    : `${fleetFilters(view)}${pager(view, d.matching)}${d.rows.length ? `<div class="tw"><table><thead>${head}</thead><tbody>${rows}</tbody></table></div>${pager(view, d.matching)}` : ""}`;
  return page("Fleet", fleetTiles(d.totals, staleMs) + charts + `<h2>Meters</h2>` + table + `<p><a href="${fleetHref(view, {}, "/fleet.csv")}">CSV of this list</a> (every page)</p>`, s);
}

export interface MeterPageData {
  m: MeterSummary;
  live: string;
  staleMs: number;
  power: SeriesPoint[];
  energy: SeriesPoint[];
  pq: PqRow[];
  events: EventRow[];
  downlinks: DownlinkRow[];
  codes: string[];
  now: number;
  notice?: string;
}

export function meterPage(d: MeterPageData, s: WebSession): string {
  const { m, now } = d;
  const base = `/meter/${encodeURIComponent(m.node)}/${m.meterId}`;
  const from = now - 86_400_000;
  const flags = d.pq.filter((q) => q.flagged).map((q) => ({ t: q.end, label: `flagged interval ending ${when(q.end)}` }));
  const marks = [...flags, ...d.events.map((e) => ({ t: e.t, label: `${e.type} at ${when(e.t)}` }))];
  const phases = Math.max(1, ...d.pq.map((q) => q.u.length));
  const per = (f: (q: PqRow) => number[], name: string) => Array.from({ length: phases }, (_, p) => ({ name: `${name} L${p + 1}`, points: d.pq.map((q) => ({ t: q.end, v: f(q)[p] })) }));
  const tiles = `<div class="tiles"><div class="tile">State<b class="${d.live === "online" ? "on" : "off"}">${d.live}</b><span class="note" title="${when(m.lastSeen)}">last seen ${ago(m.lastSeen, now)}</span></div><div class="tile">Power now<b>${powerNow(m, d.live, now, d.staleMs)}</b></div>
<div class="tile">Energy today<b>${kwh(m.energyTodayWh)}</b></div><div class="tile">Firmware<b>${m.firmware ? esc(m.firmware) : "not reported"}</b></div><div class="tile">Alarms (24 h)<b>${m.alarms}</b></div></div>`;
  const charts = `<div class="charts">
${chartSvg([{ name: "power", points: completeBuckets(d.power, now) }], { title: "Active power, 10-min mean (complete intervals)", unit: "W", from, to: now, markers: marks })}
${chartSvg([{ name: "energy", points: d.energy.map((p) => ({ t: p.t, v: p.v / 1000 })) }], { title: "Energy import per day", unit: "kWh", from: now - 30 * 86_400_000, to: now, bars: true })}
${chartSvg(per((q) => q.u, "U"), { title: "Voltage, 10-min (red: flagged, events)", unit: "V", from, to: now, markers: marks })}
${chartSvg([{ name: "f", points: d.pq.map((q) => ({ t: q.end, v: q.f })) }], { title: "Frequency, 10-min", unit: "Hz", from, to: now, markers: marks })}
${chartSvg(per((q) => q.thdu, "THD U"), { title: "Voltage THD, 10-min", unit: "%", from, to: now, markers: marks })}</div>`;
  const events = eventsTable(d.events);
  const csvLinks = d.codes.map((c) => `<a href="${base}/csv?obis=${encodeURIComponent(c)}&res=raw">${esc(c)} raw</a> · <a href="${base}/csv?obis=${encodeURIComponent(c)}&res=10min">10-min</a> · <a href="${base}/csv?obis=${encodeURIComponent(c)}&res=day">daily</a>`).join("<br>");
  const forms = s.role === "operator" ? sendForms(m.node, s) : `<p class="note">Signed in as a viewer: sending commands needs the operator role.</p>`;
  return page(`Meter ${m.node} / ${m.meterId}`, `${d.notice ?? ""}${tiles}${charts}<h2>Events</h2>${events}<h2>Downlinks to ${esc(m.node)}</h2>${downlinkTable(d.downlinks)}${forms}
<h2>Export</h2><p>${csvLinks || "No series yet."}<br><a href="${base}/pq.csv">10-min power quality CSV</a> · <a href="${base}/events.csv">events CSV</a></p>`, s);
}

export function downlinkTable(rows: DownlinkRow[]): string {
  if (!rows.length) return `<p class="note">No downlinks sent yet.</p>`;
  return `<div class="tw"><table><thead><tr><th>Sent</th><th>Node</th><th>Kind</th><th>Counter</th><th>By</th><th>Result</th><th>Body</th></tr></thead><tbody>${rows.map((r) => `<tr><td>${when(r.sentAt)}</td><td>${esc(r.node)}</td><td>${r.kind}${r.campaign ? ` (campaign ${r.campaign})` : ""}</td><td>${r.ctr}</td><td>${esc(r.by)}</td>
<td>${r.resultAt === undefined ? `<span class="unk">waiting for the meter</span>` : r.ok ? `<span class="ok">accepted</span> ${when(r.resultAt)}` : `<span class="err">refused: ${esc(r.error ?? "no reason given")}</span>`}</td><td>${esc(r.body.slice(0, 120))}</td></tr>`).join("")}</tbody></table></div>`;
}

function sendForms(node: string, s: WebSession): string {
  const h = `<input type="hidden" name="csrf" value="${s.csrf}"><input type="hidden" name="node" value="${esc(node)}">`;
  return `<form class="box" method="post" action="/send/load">${h}<b>Load command</b><label>Load id <input name="id" required></label><label><select name="on"><option value="true">switch on</option><option value="false">switch off</option></select></label><button>Send load command</button></form>
<form class="box" method="post" action="/send/config">${h}<b>Configuration</b><label>Settings (JSON) <textarea name="json">{"publishIntervalMs": 60000}</textarea></label><button>Send configuration</button></form>
<form class="box" method="post" action="/send/price">${h}<b>Price table</b><label>Slots (JSON list of {start, durationMs, importMinorPerKWh, exportMinorPerKWh, renewableShare}) <textarea name="json"></textarea></label><button>Send price table</button></form>`;
}

export function downlinksPage(rows: DownlinkRow[], s: WebSession, notice = ""): string {
  return page("Downlinks", notice + downlinkTable(rows), s);
}

export function campaignsPage(list: CampaignStatus[], nodes: string[], s: WebSession, notice = ""): string {
  const items = list.length
    ? list.map((c) => `<h2>Campaign ${c.campaign.id}: firmware ${esc(c.campaign.version)} — <span class="${c.campaign.state === "halted" ? "err" : c.campaign.state === "done" ? "ok" : ""}">${c.campaign.state}</span></h2>
${c.campaign.reason ? `<p class="err">${esc(c.campaign.reason)}</p>` : ""}<p class="note">started ${when(c.campaign.createdAt)} by ${esc(c.campaign.by)}</p>
<div class="tw"><table><thead><tr><th>Node</th><th>Group</th><th>Offered</th><th>Outcome</th></tr></thead><tbody>${c.nodes.map((n) => `<tr><td>${esc(n.node)}</td><td>${c.campaign.firstGroup.includes(n.node) ? "first" : "rest"}</td><td>${n.sentAt ? when(n.sentAt) : "not yet"}</td><td class="${n.outcome === "confirmed" ? "ok" : n.outcome === "pending" ? "unk" : "err"}">${n.outcome}</td></tr>`).join("")}</tbody></table></div>`).join("")
    : `<p class="note">No campaign yet.</p>`;
  const form = s.role === "operator"
    ? `<form class="box" method="post" action="/campaigns"><input type="hidden" name="csrf" value="${s.csrf}"><b>New firmware campaign</b>
<label>Version <input name="version" required></label><label>Image URL <input name="url" required size="40"></label><label>Size (bytes) <input name="size" required inputmode="numeric"></label><label>SHA-256 <input name="sha256" required size="64"></label>
<label>First group (nodes, comma-separated) <input name="first" required value="${esc(nodes.slice(0, 1).join(","))}"></label><label>Rest (after the first group confirmed) <input name="rest" value="${esc(nodes.slice(1).join(","))}"></label><button>Start campaign</button></form>`
    : "";
  return page("Firmware campaigns", notice + form + items, s);
}

export function rejectsPage(rows: RejectSummary[], s: WebSession): string {
  const body = rows.length
    ? `<div class="tw"><table><thead><tr><th>Reason</th><th class="num">Count</th><th class="num">Rows kept</th><th>Last topic</th><th>Last at</th></tr></thead><tbody>${rows.map((r) => `<tr><td>${esc(r.reason)}</td><td class="num">${r.count}</td><td class="num">${r.kept}</td><td>${esc(r.lastTopic)}</td><td>${when(r.lastAt)}</td></tr>`).join("")}</tbody></table></div>`
    : `<p class="note">No message was rejected.</p>`;
  return page("Rejected messages", `<p class="note">Messages the ingest could not take are kept in the rejects table with their reason; the table keeps the newest rows only, the older ones stay counted here.</p>${body}`, s);
}

export function loginPage(error = "", setup = false): string {
  const setupLink = setup ? `<p class="note">No operator yet: <a href="/setup">set up the first one</a> with the token printed when the head-end started.</p>` : "";
  return page("Sign in", `${error ? `<p class="err">${esc(error)}</p>` : ""}<form class="box" method="post" action="/login"><label>User <input name="user" autocomplete="username" required></label><label>Password <input type="password" name="password" autocomplete="current-password" required></label><button>Sign in</button></form>${setupLink}`);
}

export function setupPage(error = ""): string {
  return page("First operator", `${error ? `<p class="err">${esc(error)}</p>` : ""}<p>There is no user yet. Enter the set-up token the head-end printed when it started, and the first operator's name and password (10 characters or more).</p>
<form class="box" method="post" action="/setup"><label>Set-up token <input name="token" required autocomplete="off"></label><label>User <input name="user" required></label><label>Password <input type="password" name="password" minlength="10" required autocomplete="new-password"></label><button>Create operator</button></form>`);
}
