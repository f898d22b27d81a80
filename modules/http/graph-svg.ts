import type { HistoryPoint } from "../core/household";
import { dayName, localDayStart } from "../core/present";
import { powerFigure } from "./charts/power-chart";

const DAY = 86_400_000;
const WEEKDAYS = Object.freeze(["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]);

/**
 * The "Power Graph" of one series over [t0, t1): the shared power chart
 * (nice ticks on round hours, or one per day for a week), no script, no library.
 */
export function powerGraphSvg(points: HistoryPoint[], title: string, offsetMin: number, t0: number, t1: number, now: number): string {
  let times: number[] | undefined;
  let dayLabels: ((t: number) => string) | undefined;
  let shortDayLabels: ((t: number) => string) | undefined;
  if (t1 - t0 > 2 * DAY) {
    times = [];
    for (let t = localDayStart(t0, offsetMin) + DAY / 2; t < t1; t += DAY) if (t > t0) times.push(t);
    dayLabels = (t) => dayName(t, now, offsetMin);
    shortDayLabels = (t) => WEEKDAYS[new Date(t + offsetMin * 60_000).getUTCDay()];
  }
  return powerFigure("graph", { points, t0, t1, now, offsetMin, title, times, dayLabels, shortDayLabels }, title);
}
