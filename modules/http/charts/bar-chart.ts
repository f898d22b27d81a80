/**
 * Energy as bars (per hour of today, per day of the week): import up, export
 * down, the cost of each bar written over it where there is room, and in the
 * bar's tooltip everywhere.
 */
import { esc } from "../html";
import { COLORS, emptyNote, figure, frame, svgElement, type Size } from "./svg";

export interface EnergyBar {
  /** Interval start and length (ms, UTC). */
  t: number;
  ms: number;
  importWh: number;
  exportWh: number;
  /** Cost label ("€0.42", "not known yet"). */
  cost: string;
  /** Tooltip head, e.g. "14:00–15:00" or "Wed 3 Dec". */
  label: string;
}

export interface BarChartSpec {
  bars: readonly EnergyBar[];
  t0: number;
  t1: number;
  offsetMin: number;
  title: string;
  /** Day labels under the bars (per-day chart) instead of hour ticks. */
  dayLabels?: (t: number) => string;
  /** Shorter day labels for the narrow drawing ("Thu"). */
  shortDayLabels?: (t: number) => string;
}

export function barsSvg(spec: BarChartSpec, size: Size): string {
  let hi = 0;
  let lo = 0;
  for (const b of spec.bars) {
    if (Number.isFinite(b.importWh)) hi = Math.max(hi, b.importWh / 1000);
    if (Number.isFinite(b.exportWh)) lo = Math.min(lo, -b.exportWh / 1000);
  }
  const labels = size.narrow ? spec.shortDayLabels ?? spec.dayLabels : spec.dayLabels;
  const times = spec.dayLabels ? spec.bars.map((b) => b.t + b.ms / 2) : undefined;
  const { f, svg } = frame({ size, t0: spec.t0, t1: spec.t1, lo, hi: hi * 1.12, unit: "kWh", offsetMin: spec.offsetMin, times, dayLabels: labels && ((t) => labels(t - 1)) });
  let body = svg;
  let any = false;
  for (const b of spec.bars) {
    const x0 = f.x(b.t);
    const w = Math.max(1, f.x(b.t + b.ms) - x0 - (size.narrow ? 1 : 2));
    const tip = `<title>${esc(`${b.label}: ${(b.importWh / 1000).toFixed(2)} kWh in${b.exportWh > 0 ? `, ${(b.exportWh / 1000).toFixed(2)} kWh out` : ""}, ${b.cost}`)}</title>`;
    if (Number.isFinite(b.importWh) && b.importWh > 0) {
      any = true;
      const y = f.y(b.importWh / 1000);
      body += `<rect x="${(x0 + 1).toFixed(0)}" y="${y.toFixed(0)}" width="${w.toFixed(0)}" height="${(f.y(0) - y).toFixed(0)}" fill="${COLORS.line}">${tip}</rect>`;
      // the cost over the bar where it fits (a 24-bar day on the desktop; a week everywhere); unknown costs stay in the tooltip
      if (w >= 2 + b.cost.length * 5.8 && /\d/.test(b.cost)) body += `<text x="${(x0 + 1 + w / 2).toFixed(0)}" y="${(y - 4).toFixed(0)}" text-anchor="middle"${w < 40 ? ' font-size="11"' : ""}>${esc(b.cost)}</text>`;
    }
    if (Number.isFinite(b.exportWh) && b.exportWh > 0) {
      any = true;
      const y = f.y(-b.exportWh / 1000);
      body += `<rect x="${(x0 + 1).toFixed(0)}" y="${f.y(0).toFixed(0)}" width="${w.toFixed(0)}" height="${(y - f.y(0)).toFixed(0)}" fill="${COLORS.exp}">${tip}</rect>`;
    }
  }
  if (!any) body += emptyNote(f, "not measured yet");
  return svgElement(size, spec.title, body);
}

export function barsFigure(id: string, spec: BarChartSpec, caption: string): string {
  return figure(id, caption, (size) => barsSvg(spec, size));
}
