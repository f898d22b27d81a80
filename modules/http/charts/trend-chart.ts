/**
 * A power-quality trend: one line per meter through its 10-min aggregates
 * (drawn at the interval's end), the EN 50160 limits as dashed lines, and each
 * dip, swell or interruption as a red mark at its start.
 */
import type { PqEventView } from "../../core/household";
import { esc } from "../html";
import { COLORS, emptyNote, figure, frame, linePath, svgElement, type Size } from "./svg";

const PALETTE = Object.freeze(["#0b6bcb", "#f79009", "#7a5af8", "#1a7f37", "#c11574", "#475467"]);

export interface TrendLine {
  name: string;
  points: readonly { t: number; v: number }[];
}

export interface TrendSpec {
  lines: readonly TrendLine[];
  events: readonly PqEventView[];
  /** Limits drawn as dashed lines (e.g. 207 and 253 V). */
  limits: readonly number[];
  unit: string;
  /** Values the axis must hold besides the data (keeps a flat line from filling the plot). */
  range: readonly [number, number];
  t0: number;
  t1: number;
  offsetMin: number;
  title: string;
}

export function trendSvg(spec: TrendSpec, size: Size): string {
  let lo = spec.range[0];
  let hi = spec.range[1];
  for (const l of spec.lines) for (const p of l.points) if (Number.isFinite(p.v)) (lo = Math.min(lo, p.v)), (hi = Math.max(hi, p.v));
  const { f, svg } = frame({ size, t0: spec.t0, t1: spec.t1, lo, hi, unit: spec.unit, offsetMin: spec.offsetMin, withZero: false });
  const base = f.scale.min;
  const top = f.scale.max;
  const y = f.y;
  let body = svg;
  const off: number[] = [];
  for (const lim of spec.limits) {
    if (lim >= base && lim <= top) body += `<line x1="${f.left}" x2="${f.right}" y1="${y(lim).toFixed(1)}" y2="${y(lim).toFixed(1)}" stroke="${COLORS.event}" stroke-dasharray="6 4" opacity=".6"/>`;
    else off.push(lim);
  }
  // limits the data is far from are named, not drawn (drawing them would flatten the line)
  if (off.length) body += `<text x="${f.right}" y="${f.bottom - 6}" text-anchor="end">${esc(`limits ${off.join(" / ")} ${spec.unit}: off the scale`)}</text>`;
  let any = false;
  let legend = "";
  spec.lines.forEach((l, i) => {
    const color = PALETTE[i % PALETTE.length];
    const d = linePath(f, l.points);
    if (d) any = true;
    body += `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`;
    // the legend's entries share the plot's width, so the last is not cut on a phone
    const step = Math.min(80, (f.right - f.left - 8) / Math.max(1, spec.lines.length));
    legend += `<rect x="${(f.left + 8 + i * step).toFixed(1)}" y="${f.top + 2}" width="10" height="3" fill="${color}"/><text x="${(f.left + 22 + i * step).toFixed(1)}" y="${f.top + 8}">${esc(l.name)}</text>`;
  });
  for (const e of spec.events) {
    if (e.start < spec.t0 || e.start > spec.t1) continue;
    const x = f.x(e.start).toFixed(1);
    body += `<line x1="${x}" x2="${x}" y1="${f.top}" y2="${f.bottom}" stroke="${COLORS.event}" stroke-width="1.5"><title>${esc(`${e.type}, meter${e.meters.length > 1 ? "s" : ""} ${e.meters.join(", ")} L${e.phase}, ${e.cell === null ? "duration and depth not reported" : `${e.durationMs} ms, ${e.extremeV === null ? "depth not reported" : `${e.extremeV.toFixed(1)} V`}`}`)}</title></line>`;
  }
  body += legend;
  if (!any) body += emptyNote(f, "no 10-min aggregate yet");
  return svgElement(size, spec.title, body);
}

export function trendFigure(id: string, spec: TrendSpec, caption: string): string {
  return figure(id, caption, (size) => trendSvg(spec, size));
}
