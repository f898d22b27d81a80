import type { HistoryPoint } from "../core/household";
import { clockTime, esc } from "./html";

/**
 * The "Power Graph" of one load as an inline SVG: a filled line of mean power
 * per step, axis ticks in W or kW, time labels. No script, no library.
 */
export function powerGraphSvg(points: HistoryPoint[], title: string, offsetMin: number): string {
  const W = 480;
  const H = 240;
  const L = 52;
  const R = 12;
  const T = 20;
  const B = 30;
  const finite = points.filter((p) => isFinite(p.w));
  let min = Math.min(0, ...finite.map((p) => p.w));
  let max = Math.max(0, ...finite.map((p) => p.w));
  if (max - min < 1) max = min + 1;
  const span = max - min;
  const step = niceStep(span / 4);
  min = Math.floor(min / step) * step;
  max = Math.ceil(max / step) * step;
  const t0 = points.length ? points[0].t : 0;
  const t1 = points.length ? points[points.length - 1].t : 1;
  const x = (t: number): number => L + ((t - t0) / Math.max(1, t1 - t0)) * (W - L - R);
  const y = (w: number): number => T + (1 - (w - min) / (max - min)) * (H - T - B);
  let grid = "";
  for (let v = min; v <= max + step / 2; v += step) {
    const label = Math.abs(max) >= 2000 || Math.abs(min) >= 2000 ? `${(v / 1000).toFixed(1)} kW` : `${step < 1 ? v.toFixed(1) : Math.round(v)} W`;
    grid += `<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e4e7ec"/><text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${label}</text>`;
  }
  for (let k = 0; k <= 4; k++) {
    const t = t0 + ((t1 - t0) * k) / 4;
    grid += `<text x="${x(t).toFixed(1)}" y="${H - 10}" text-anchor="middle">${clockTime(t, offsetMin)}</text>`;
  }
  let path = "";
  let pen = false;
  for (const p of points) {
    if (!isFinite(p.w)) {
      pen = false;
      continue;
    }
    path += `${pen ? "L" : "M"}${x(p.t).toFixed(1)} ${y(p.w).toFixed(1)}`;
    pen = true;
  }
  return `<svg class="graph" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(title)}" font-family="system-ui,sans-serif" font-size="12" fill="#667085">${grid}<line x1="${L}" x2="${W - R}" y1="${y(0).toFixed(1)}" y2="${y(0).toFixed(1)}" stroke="#98a2b3"/><path d="${path}" fill="none" stroke="#0b6bcb" stroke-width="2" stroke-linejoin="round"/>${finite.length ? "" : `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="14">no data yet</text>`}</svg>`;
}

function niceStep(raw: number): number {
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}
