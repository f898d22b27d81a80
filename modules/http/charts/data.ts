/**
 * From the household to the charts' inputs: today's power, energy per hour
 * and per day from the household's booking (the meters' counters per price
 * slot, at the price each slot was booked at), the known price slots with the
 * planned runs, and the power-quality trends. Times follow the snapshot's clock (the
 * household's, virtual in a speed run), days the local day.
 */
import type { BillView, EnergyBucket, Household, HouseholdSnapshot, PriceSlot } from "../../core/household";
import { clockTime, dayName, localDayStart, money, NOT_KNOWN } from "../../core/present";
import type { EnergyBar } from "./bar-chart";
import type { PlannedRun } from "./price-chart";
import { phaseMean, type PqTrend } from "./pq-trend";
import type { TrendLine } from "./trend-chart";

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** True when the bill started today (local) — today's bill, whether its day begins at local or at UTC midnight. */
export function isTodaysBill(bill: BillView, now: number, offsetMin: number): boolean {
  return bill.from >= localDayStart(now, offsetMin) - MIN && now - bill.from <= DAY;
}

/**
 * The start of the day the household books "today" in: the UTC day, as the aggregator's and the
 * demo's today's bill do (shown in local time; at UTC+1 it begins at 01:00).
 */
export function bookingDayStart(now: number): number {
  return now - (now % DAY);
}

/** Booked buckets as bars, the cost of each as booked (net of the export credit); only buckets that booked a slot. */
function bookedBars(buckets: readonly EnergyBucket[], currency: string, label: (b: EnergyBucket) => string): EnergyBar[] {
  return buckets.filter((b) => b.slots > 0 || b.importWh > 0 || b.exportWh > 0).map((b) => ({
    t: b.t, ms: b.stepMs, importWh: b.importWh, exportWh: b.exportWh, cost: money(b.netMinor, currency), label: label(b),
  }));
}

/** Today's (the booking day's) energy per hour from the booking: the hours add up to today's bill to the cent. */
export function hourBars(hh: Household, snap: HouseholdSnapshot, offsetMin: number): { bars: EnergyBar[]; t0: number; t1: number; totalMinor: number } {
  const t0 = bookingDayStart(snap.t);
  const t1 = t0 + DAY;
  const buckets = hh.energy?.(t0, t1, HOUR) ?? [];
  const bars = bookedBars(buckets, snap.bill.currency, (b) => `${clockTime(b.t, offsetMin)}–${clockTime(b.t + HOUR, offsetMin)}`);
  return { bars, t0, t1, totalMinor: buckets.reduce((n, b) => n + b.netMinor, 0) };
}

/** The last 7 booking days, each booked on its own (so each day's cost is that day's bill to the cent). */
export function dayBars(hh: Household, snap: HouseholdSnapshot, offsetMin: number): { bars: EnergyBar[]; t0: number; t1: number } {
  const today = bookingDayStart(snap.t);
  const t0 = today - 6 * DAY;
  const bars: EnergyBar[] = [];
  for (let d = t0; d <= today; d += DAY) bars.push(...bookedBars(hh.energy?.(d, d + DAY, DAY) ?? [], snap.bill.currency, (b) => dayName(b.t + DAY / 2, snap.t, offsetMin)));
  return { bars, t0, t1: today + DAY };
}

/** The runs planned or running, by load name. */
export function plannedRuns(snap: HouseholdSnapshot): PlannedRun[] {
  const out: PlannedRun[] = [];
  for (const l of snap.loads) if (l.run && (l.run.state === "planned" || l.run.state === "running")) out.push({ name: l.name, start: l.run.startAt, end: l.run.startAt + l.run.durationMs });
  return out;
}

/** The span of the known prices, at least today (local), at most today and tomorrow. */
export function priceSpan(snap: HouseholdSnapshot, offsetMin: number): { t0: number; t1: number } {
  const t0 = localDayStart(snap.t, offsetMin);
  let end = t0 + DAY;
  for (const s of snap.prices) end = Math.max(end, s.start + s.durationMs);
  return { t0, t1: Math.min(end, t0 + 2 * DAY) };
}

export type TrendKind = "voltage" | "frequency" | "thd";

/** One line per meter through its held 10-min aggregates. */
export function trendLines(trend: PqTrend, kind: TrendKind, t0: number): TrendLine[] {
  return trend.meters().map((id) => ({
    name: `Meter ${id}`,
    points: trend.of(id).filter((a) => a.end >= t0).map((a) => ({ t: a.end, v: kind === "voltage" ? phaseMean(a.voltageV) : kind === "frequency" ? a.frequencyHz : phaseMean(a.thdVoltagePct) })),
  }));
}
