/**
 * The meter page's power-quality events as a table a person reads: the start in
 * UTC (said in the header, as the rest of the dashboard), the kind, the phase,
 * the duration and the residual (dip, interruption) or maximum (swell) voltage
 * with their units, and the EN 50160 cell — read from the event as the firmware
 * publishes it (CloudLink: the household's PqEventView), never its raw JSON.
 * A field the event does not carry says "not reported".
 */
import { esc } from "../../../modules/http/html";
import type { EventRow } from "../store/store";

const KINDS: Record<string, string> = { dip: "Dip", swell: "Swell", interruption: "Interruption" };
const NOT = `<span class="unk">not reported</span>`;

/** "2026-12-04 07:12:05" (UTC; the column header says so). */
export const utcTime = (t: number): string => new Date(t).toISOString().replace("T", " ").slice(0, 19);

/** 120 ms, 1.25 s, 3 min 5 s. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(ms < 9_995 ? 2 : 1)} s`; // never "60.0 s" or "10.00 s"
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

function body(e: EventRow): Record<string, unknown> {
  try {
    const j = JSON.parse(e.body) as unknown;
    return typeof j === "object" && j !== null && !Array.isArray(j) ? (j as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const num = (x: unknown): number | undefined => (typeof x === "number" && Number.isFinite(x) ? x : undefined);

/** One event's cells: kind, phase, duration, voltage, EN 50160 cell, meters. */
export function eventCells(e: EventRow): string[] {
  const b = body(e);
  const phase = num(b.phase);
  const ms = num(b.durationMs);
  // 0 ms with no cell: the duration was not reported (PqEventView)
  const reported = ms !== undefined && !(ms === 0 && (b.cell === null || b.cell === undefined));
  const v = num(b.extremeV);
  const cell = typeof b.cell === "string" ? esc(b.cell.slice(0, 40)) : typeof b.cellReason === "string" ? `<span class="unk">not classified: ${esc(b.cellReason.slice(0, 80))}</span>` : NOT;
  const meters = Array.isArray(b.meters) && b.meters.every((x) => Number.isSafeInteger(x)) ? (b.meters as number[]).slice(0, 16).join(", ") : String(e.meterId);
  return [
    KINDS[e.type] ?? esc(e.type),
    phase !== undefined ? `L${phase}` : NOT,
    reported ? duration(ms) : NOT,
    v !== undefined ? `${v.toFixed(1)} V ${e.type === "swell" ? "max" : "residual"}` : NOT,
    cell,
    meters,
  ];
}

/** On a narrow screen each event is a block of "label: value" pairs, not a row to scroll sideways. */
export const EVENTS_CSS = `@media (max-width:640px){table.events thead{display:none}table.events tr{display:block;padding:.4em 0;border-bottom:1px solid #d8dee4}
table.events td{display:inline-block;border:0;padding:.1em .9em .1em 0;white-space:normal;text-align:left}table.events td::before{content:attr(data-l) ": ";color:#656d76}}`;

export function eventsTable(events: EventRow[]): string {
  if (!events.length) return `<p class="note">No power-quality events in the last 24 h.</p>`;
  const head = ["Start (UTC)", "Kind", "Phase", "Duration", "Voltage", "EN 50160 class", "Seen by meters"];
  // data-l: each cell's header, shown before it where a phone stacks the row (EVENTS_CSS)
  const rows = events.map((e) => `<tr>${[utcTime(e.t), ...eventCells(e)].map((c, k) => `<td data-l="${head[k]}"${k === 3 || k === 4 ? ' class="num"' : ""}>${c}</td>`).join("")}</tr>`);
  return `<div class="tw"><table class="events"><thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}
