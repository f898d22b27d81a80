/** Today's power curve (dashboard and graph page): mean power per step, export below the zero line. */
import type { HistoryPoint } from "../../core/household";
import { areaPath, COLORS, emptyNote, figure, frame, nowLine, runs, svgElement, type Size } from "./svg";

export interface PowerChartSpec {
  points: readonly HistoryPoint[];
  /** Span drawn (ms, UTC): e.g. the local day. */
  t0: number;
  t1: number;
  now: number;
  offsetMin: number;
  title: string;
  /** Day labels on the time axis (a week). */
  dayLabels?: (t: number) => string;
  /** Shorter day labels for the narrow drawing ("Thu"). */
  shortDayLabels?: (t: number) => string;
  /** Day ticks to go with them. */
  times?: number[];
}

export function powerSvg(spec: PowerChartSpec, size: Size): string {
  let lo = 0;
  let hi = 0;
  let n = 0;
  for (const p of spec.points) {
    if (!Number.isFinite(p.w)) continue;
    n++;
    if (p.w < lo) lo = p.w;
    if (p.w > hi) hi = p.w;
  }
  const kw = Math.max(hi, -lo) >= 2000;
  const k = kw ? 1000 : 1;
  const { f, svg } = frame({ size, t0: spec.t0, t1: spec.t1, lo: lo / k, hi: hi / k, unit: kw ? "kW" : "W", offsetMin: spec.offsetMin, dayLabels: size.narrow ? spec.shortDayLabels ?? spec.dayLabels : spec.dayLabels, times: spec.times });
  const list = runs(f, spec.points.map((p) => ({ t: p.t, v: p.w / k })));
  const line = list.map((r) => `M${r.x0} ${r.y0}${r.rel}`).join("");
  // the area closes each unbroken run on the zero line, so export reads as a fill below it
  const area = areaPath(f, list);
  const body = `${svg}<path d="${area}" fill="${COLORS.area}"/><path d="${line}" fill="none" stroke="${COLORS.line}" stroke-width="2" stroke-linejoin="round"/>${nowLine(f, spec.now)}${n ? "" : emptyNote(f, "not measured yet")}`;
  return svgElement(size, spec.title, body);
}

export function powerFigure(id: string, spec: PowerChartSpec, caption: string, refresh?: string): string {
  return figure(id, caption, (size) => powerSvg(spec, size), refresh);
}
