/**
 * Axis ticks a person reads without effort, for the web charts and the
 * display alike: values on 1-2-5 steps, times on round local hours (or days).
 */

/** The 1-2-5 step at or above `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

export interface Scale {
  min: number;
  max: number;
  step: number;
  ticks: number[];
}

/** A value axis over [lo, hi] (0 inside unless `withZero` is false) with at most `maxTicks` + 1 ticks on a 1-2-5 step. */
export function niceScale(lo: number, hi: number, maxTicks = 5, withZero = true): Scale {
  let a = withZero ? Math.min(0, lo) : lo;
  let b = withZero ? Math.max(0, hi) : hi;
  if (!Number.isFinite(a) || !Number.isFinite(b)) (a = 0), (b = 1);
  if (b - a <= 0) b = a + 1;
  const step = niceStep((b - a) / maxTicks);
  const min = Math.floor(a / step + 1e-9) * step;
  const max = Math.ceil(b / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let k = 0; min + k * step <= max + step / 2; k++) ticks.push(round(min + k * step, step));
  return { min, max, step, ticks };
}

function round(v: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  return Number(v.toFixed(digits));
}

const HOUR = 3_600_000;
const TIME_STEPS = Object.freeze([15 * 60_000, 30 * 60_000, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, 24 * HOUR]);

/** Times in [t0, t1] on round local hours (a step from TIME_STEPS), at most `maxTicks` of them. */
export function timeTicks(t0: number, t1: number, offsetMin: number, maxTicks: number): number[] {
  const span = Math.max(1, t1 - t0);
  let step = TIME_STEPS[TIME_STEPS.length - 1];
  for (const s of TIME_STEPS) {
    if (span / s <= maxTicks) {
      step = s;
      break;
    }
  }
  const off = offsetMin * 60_000;
  const first = Math.ceil((t0 + off) / step) * step - off;
  const out: number[] = [];
  for (let t = first; t <= t1; t += step) out.push(t);
  return out;
}

