/** Axis labels of the web charts; the ticks themselves are core/ticks (shared with the display). */
import { clockTime } from "../../core/present";
export { niceScale, niceStep, timeTicks, type Scale } from "../../core/ticks";

const WEEKDAYS = Object.freeze(["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]);

/** "06:00"; "24:00" for the local midnight that ends a one-day span; the weekday ("Thu") for a midnight inside a longer one. */
export function timeLabel(t: number, offsetMin: number, start: number, end: number): string {
  const s = clockTime(t, offsetMin);
  if (s !== "00:00" || end - start <= 86_400_000) return s === "00:00" && t === end ? "24:00" : s;
  return WEEKDAYS[new Date(t + offsetMin * 60_000).getUTCDay()];
}

/** A value tick's label: "1.5 kW", "800 W", "26 c". */
export function valueLabel(v: number, step: number, unit: string): string {
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const s = Math.abs(v).toFixed(digits);
  return `${v < 0 && Number(s) !== 0 ? "\u2212" : ""}${s}${unit ? ` ${unit}` : ""}`;
}
