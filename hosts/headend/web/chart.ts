/**
 * Line charts as inline SVG, drawn on the server (no script, no CDN): one or
 * more series over time, y ticks at round steps, UTC time labels, optional
 * markers (flagged intervals, events) as red ticks on the time axis. An empty
 * chart says that there is no data for the period instead of drawing a line.
 */
import { esc } from "../../../modules/http/html";

export interface ChartSeries {
  name: string;
  points: { t: number; v: number }[];
  color?: string;
}

export interface ChartOptions {
  title: string;
  unit: string;
  from: number;
  to: number;
  markers?: { t: number; label: string }[];
  /** Bars instead of a line (daily energy). */
  bars?: boolean;
}

const COLORS = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700"];
const W = 640;
const H = 220;
const L = 58;
const R = 12;
const T = 24;
const B = 28;

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function timeLabel(t: number, span: number): string {
  const iso = new Date(t).toISOString();
  return span > 2 * 86_400_000 ? iso.slice(5, 10) : iso.slice(11, 16);
}

export function chartSvg(series: ChartSeries[], o: ChartOptions): string {
  const pts = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.v));
  const head = `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}" xmlns="http://www.w3.org/2000/svg"><text x="${L}" y="15" class="ct">${esc(o.title)}${o.unit ? ` (${esc(o.unit)})` : ""}</text>`;
  if (pts.length === 0) return `${head}<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="#f6f8fa"/><text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="empty">No data for this period yet</text></svg>`;
  let min = Math.min(...pts.map((p) => p.v));
  let max = Math.max(...pts.map((p) => p.v));
  if (o.bars) min = Math.min(0, min);
  if (max - min < 1e-9) { max += Math.abs(max) * 0.01 || 1; min -= Math.abs(min) * 0.01 || 1; }
  const step = niceStep((max - min) / 4);
  min = Math.floor(min / step) * step;
  max = Math.ceil(max / step) * step;
  const span = Math.max(1, o.to - o.from);
  const x = (t: number) => L + ((t - o.from) / span) * (W - L - R);
  const y = (v: number) => T + (1 - (v - min) / (max - min)) * (H - T - B);
  const digits = step < 1 ? Math.min(3, Math.ceil(-Math.log10(step))) : 0;
  let g = "";
  for (let v = min; v <= max + step / 2; v += step) g += `<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/><text x="${L - 5}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(digits)}</text>`;
  for (let k = 0; k <= 4; k++) {
    const t = o.from + (span * k) / 4;
    g += `<text x="${x(t).toFixed(1)}" y="${H - 8}" text-anchor="${k === 0 ? "start" : k === 4 ? "end" : "middle"}">${timeLabel(t, span)}</text>`;
  }
  let body = "";
  series.forEach((s, i) => {
    const c = s.color ?? COLORS[i % COLORS.length];
    const ps = s.points.filter((p) => Number.isFinite(p.v) && p.t >= o.from && p.t <= o.to);
    if (o.bars) {
      const bw = Math.max(2, ((W - L - R) / Math.max(1, span / 86_400_000)) * 0.7);
      for (const p of ps) body += `<rect x="${(x(p.t) + 1).toFixed(1)}" y="${Math.min(y(p.v), y(0)).toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.abs(y(0) - y(p.v)).toFixed(1)}" fill="${c}"><title>${esc(new Date(p.t).toISOString().slice(0, 10))}: ${p.v.toFixed(1)} ${esc(o.unit)}</title></rect>`;
    } else if (ps.length === 1) {
      body += `<circle cx="${x(ps[0].t).toFixed(1)}" cy="${y(ps[0].v).toFixed(1)}" r="3" fill="${c}"/>`;
    } else {
      body += `<polyline fill="none" stroke="${c}" stroke-width="1.6" points="${ps.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ")}"/>`;
    }
  });
  let marks = "";
  for (const m of o.markers ?? []) if (m.t >= o.from && m.t <= o.to) marks += `<line x1="${x(m.t).toFixed(1)}" x2="${x(m.t).toFixed(1)}" y1="${T}" y2="${H - B}" class="mark"><title>${esc(m.label)}</title></line>`;
  const legend = series.length > 1 ? series.map((s, i) => `<tspan fill="${s.color ?? COLORS[i % COLORS.length]}">■ ${esc(s.name)} </tspan>`).join("") : "";
  return `${head}<text x="${W - R}" y="15" text-anchor="end" class="lg">${legend}</text>${g}${marks}${body}</svg>`;
}
