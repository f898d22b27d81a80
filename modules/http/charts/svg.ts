/**
 * The frame every chart shares: plot area, grid, value axis on the left, time
 * axis at the bottom, a type scale of 12 px labels / 13 px titles. Each chart
 * is drawn twice — wide (900 px) and narrow (358 px, a 390-px phone less the
 * page margins) — and CSS shows the one that fits, so the SVG is scaled by
 * about 1 and its text is the same size on the desktop and on the phone.
 */
import { esc } from "../html";
import { niceScale, timeLabel, timeTicks, valueLabel, type Scale } from "./axis";

export interface Size {
  w: number;
  h: number;
  narrow: boolean;
}

export const WIDE: Size = Object.freeze({ w: 900, h: 260, narrow: false });
export const NARROW: Size = Object.freeze({ w: 358, h: 220, narrow: true });

export const COLORS = Object.freeze({ line: "#0b6bcb", area: "#0b6bcb22", grid: "#e4e7ec", axis: "#98a2b3", text: "#475467", cheap: "#1a7f3722", cheapLine: "#1a7f37", event: "#c62828", now: "#f79009", exp: "#36a852", plan: "#7a5af8" });

export interface Frame {
  size: Size;
  x(t: number): number;
  y(v: number): number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  scale: Scale;
}

export interface FrameSpec {
  size: Size;
  t0: number;
  t1: number;
  lo: number;
  hi: number;
  unit: string;
  offsetMin: number;
  /** Label the time axis with days ("Wed 3") rather than hours. */
  dayLabels?: (t: number) => string;
  /** Tick times, when not round hours (e.g. one per bar). */
  times?: number[];
  /** False: the value axis spans the data only (a voltage trend), not down to 0. */
  withZero?: boolean;
}

/** Builds the frame and the SVG of its grid and axes. */
export function frame(spec: FrameSpec): { f: Frame; svg: string } {
  const { size } = spec;
  const scale = niceScale(spec.lo, spec.hi, size.narrow ? 4 : 5, spec.withZero ?? true);
  const label = (v: number) => valueLabel(v, scale.step, spec.unit);
  const widest = Math.max(...scale.ticks.map((v) => label(v).length));
  const left = 10 + widest * 7;
  const right = size.w - (size.narrow ? 14 : 20); // room for the last time label's half
  const top = 12;
  const bottom = size.h - 24;
  const x = (t: number) => left + ((t - spec.t0) / Math.max(1, spec.t1 - spec.t0)) * (right - left);
  const y = (v: number) => top + (1 - (v - scale.min) / (scale.max - scale.min)) * (bottom - top);
  let svg = "";
  for (const v of scale.ticks) {
    const yy = y(v).toFixed(1);
    svg += `<line x1="${left}" x2="${right}" y1="${yy}" y2="${yy}" stroke="${v === 0 ? COLORS.axis : COLORS.grid}"/><text x="${left - 5}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(label(v))}</text>`;
  }
  const times = spec.times ?? timeTicks(spec.t0, spec.t1, spec.offsetMin, size.narrow ? 4 : 8);
  for (const t of times) {
    const xx = x(t);
    const text = spec.dayLabels ? spec.dayLabels(t) : timeLabel(t, spec.offsetMin, spec.t0, spec.t1);
    // the first and last labels are anchored inward, so neither is clipped
    const anchor = xx - text.length * 3.4 < 0 ? "start" : xx + text.length * 3.4 > size.w ? "end" : "middle";
    svg += `<line x1="${xx.toFixed(1)}" x2="${xx.toFixed(1)}" y1="${bottom}" y2="${bottom + 4}" stroke="${COLORS.axis}"/><text x="${xx.toFixed(1)}" y="${bottom + 17}" text-anchor="${anchor}">${esc(text)}</text>`;
  }
  svg += `<line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="${COLORS.axis}"/>`;
  return { f: { size, x, y, left, right, top, bottom, scale }, svg };
}

/** One chart's SVG element. */
export function svgElement(size: Size, title: string, body: string): string {
  return `<svg class="${size.narrow ? "narrow" : "wide"}" viewBox="0 0 ${size.w} ${size.h}" width="${size.w}" height="${size.h}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(title)}" font-family="system-ui,sans-serif" font-size="12" fill="${COLORS.text}">${body}</svg>`;
}

/** Both sizes of a chart in one figure, with its caption. */
export function figure(id: string, caption: string, draw: (size: Size) => string, refresh?: string): string {
  return `<figure class="chart" id="${esc(id)}"${refresh ? ` data-refresh="${esc(refresh)}"` : ""}>${draw(WIDE)}${draw(NARROW)}<figcaption>${caption}</figcaption></figure>`;
}

/** The message drawn inside an empty plot area. */
export function emptyNote(f: Frame, text: string): string {
  return `<text x="${((f.left + f.right) / 2).toFixed(0)}" y="${((f.top + f.bottom) / 2).toFixed(0)}" text-anchor="middle" font-size="13">${esc(text)}</text>`;
}

export interface Run {
  /** First and last point of an unbroken run (whole pixels). */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** The run after its first point, as relative "l" steps between whole pixels (half the bytes of absolute decimals). */
  rel: string;
}

/** The unbroken runs of (t, v) points; non-finite values break a run. */
export function runs(f: Frame, pts: readonly { t: number; v: number }[]): Run[] {
  const out: Run[] = [];
  let cur: Run | undefined;
  for (const p of pts) {
    if (!Number.isFinite(p.v)) {
      cur = undefined;
      continue;
    }
    const x = Math.round(f.x(p.t));
    const y = Math.round(f.y(p.v));
    if (!cur) out.push((cur = { x0: x, y0: y, x1: x, y1: y, rel: "" }));
    else {
      if (x === cur.x1 && y === cur.y1) continue;
      cur.rel += `l${x - cur.x1} ${y - cur.y1}`;
      cur.x1 = x;
      cur.y1 = y;
    }
  }
  return out;
}

/** A polyline path through (t, v) points; non-finite values break it. */
export function linePath(f: Frame, pts: readonly { t: number; v: number }[]): string {
  return runs(f, pts).map((r) => `M${r.x0} ${r.y0}${r.rel}`).join("");
}

/** The area between the runs and the zero line. */
export function areaPath(f: Frame, list: readonly Run[]): string {
  const z = Math.round(f.y(0));
  return list.map((r) => `M${r.x0} ${z}L${r.x0} ${r.y0}${r.rel}L${r.x1} ${z}Z`).join("");
}

/** The "now" marker. */
export function nowLine(f: Frame, t: number): string {
  const x = f.x(t);
  if (!(x >= f.left && x <= f.right)) return "";
  return `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${f.top}" y2="${f.bottom}" stroke="${COLORS.now}" stroke-dasharray="4 3"/><text x="${(x + 3).toFixed(1)}" y="${f.top + 10}" fill="${COLORS.now}" text-anchor="${x > f.right - 30 ? "end" : "start"}">now</text>`;
}
