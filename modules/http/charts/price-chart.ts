/**
 * The price curve for the slots known (today and tomorrow): import price as
 * steps, the cheapest quarter of the coming slots shaded, each planned run
 * drawn as a bar under the curve with its load's name, and "now".
 */
import type { PriceSlot } from "../../core/household";
import { esc } from "../html";
import { COLORS, emptyNote, figure, frame, nowLine, svgElement, type Size } from "./svg";

export interface PlannedRun {
  name: string;
  start: number;
  end: number;
}

export interface PriceChartSpec {
  slots: readonly PriceSlot[];
  runs: readonly PlannedRun[];
  now: number;
  t0: number;
  t1: number;
  offsetMin: number;
  title: string;
}

/** Start times of the cheap slots: the cheapest quarter of the slots not yet over. */
export function cheapSlots(slots: readonly PriceSlot[], now: number): Set<number> {
  const coming = slots.filter((s) => s.start + s.durationMs > now).sort((a, b) => a.importMinorPerKWh - b.importMinorPerKWh);
  const n = Math.ceil(coming.length / 4);
  return new Set(coming.slice(0, n).map((s) => s.start));
}

export function priceSvg(spec: PriceChartSpec, size: Size): string {
  let lo = 0;
  let hi = 0;
  for (const s of spec.slots) {
    lo = Math.min(lo, s.importMinorPerKWh);
    hi = Math.max(hi, s.importMinorPerKWh);
  }
  const { f, svg } = frame({ size, t0: spec.t0, t1: spec.t1, lo, hi, unit: "c", offsetMin: spec.offsetMin });
  const cheap = cheapSlots(spec.slots, spec.now);
  let shade = "";
  let d = "";
  let prevEnd = NaN;
  for (const s of [...spec.slots].sort((a, b) => a.start - b.start)) {
    if (s.start + s.durationMs <= spec.t0 || s.start >= spec.t1) continue;
    const x0 = f.x(Math.max(s.start, spec.t0));
    const x1 = f.x(Math.min(s.start + s.durationMs, spec.t1));
    const y = f.y(s.importMinorPerKWh).toFixed(0);
    if (cheap.has(s.start)) shade += `<rect x="${x0.toFixed(0)}" y="${f.top}" width="${(x1 - x0).toFixed(0)}" height="${f.bottom - f.top}" fill="${COLORS.cheap}"/>`;
    d += `${s.start === prevEnd ? "L" : "M"}${x0.toFixed(0)} ${y}H${x1.toFixed(0)}`;
    prevEnd = s.start + s.durationMs;
  }
  let runs = "";
  spec.runs.forEach((r, i) => {
    const x0 = f.x(Math.max(r.start, spec.t0));
    const x1 = f.x(Math.min(r.end, spec.t1));
    if (!(x1 > x0)) return;
    const y = f.bottom - 16 - i * 16;
    runs += `<rect x="${x0.toFixed(0)}" y="${y}" width="${(x1 - x0).toFixed(0)}" height="12" rx="3" fill="${COLORS.plan}"/><text x="${(x1 + 3).toFixed(0)}" y="${y + 10}" fill="${COLORS.plan}" text-anchor="${x1 > f.right - 60 ? "end" : "start"}"${x1 > f.right - 60 ? ` dx="${(x0 - x1 - 6).toFixed(0)}"` : ""}>${esc(r.name)}</text>`;
  });
  const body = `${shade}${svg}<path d="${d}" fill="none" stroke="${COLORS.line}" stroke-width="2"/>${runs}${nowLine(f, spec.now)}${spec.slots.length ? "" : emptyNote(f, "no prices known yet")}`;
  return svgElement(size, spec.title, body);
}

export function priceFigure(id: string, spec: PriceChartSpec, caption: string): string {
  return figure(id, caption, (size) => priceSvg(spec, size));
}
