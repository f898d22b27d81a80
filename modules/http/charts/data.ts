/**
 * From the household to the charts' inputs: today's power, energy per hour
 * and per day (import and export split by the sign of each step), the cost of
 * each from the price slot it fell in, the known price slots with the planned
 * runs, and the power-quality trends. Times follow the snapshot's clock (the
 * household's, virtual in a speed run), days the local day.
 */
import type { BillView, Household, HouseholdSnapshot, PriceSlot } from "../../core/household";
import { clockTime, dayName, localDayStart, money, NOT_KNOWN } from "../../core/present";
import type { EnergyBar } from "./bar-chart";
import type { PlannedRun } from "./price-chart";
import { phaseMean, type PqTrend } from "./pq-trend";
import type { TrendLine } from "./trend-chart";

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The import price of the slot holding t, if one is known. */
export function priceAt(slots: readonly PriceSlot[], t: number): number | undefined {
  for (const s of slots) if (t >= s.start && t < s.start + s.durationMs) return s.importMinorPerKWh;
  return undefined;
}

/** True when the bill started today (local) — today's bill, whether its day begins at local or at UTC midnight. */
export function isTodaysBill(bill: BillView, now: number, offsetMin: number): boolean {
  return bill.from >= localDayStart(now, offsetMin) - MIN && now - bill.from <= DAY;
}

/** Energy per `stepMs` bucket in [t0, t1), split into import and export by the sign of each `subMs` step, with the cost of the import at the slot's price (undefined when a slot is not known). */
export function energyBucketsWithPrices(hh: Household, t0: number, t1: number, stepMs: number, subMs: number, slots: readonly PriceSlot[]) {
  const out: { t: number; importWh: number; exportWh: number; measured: boolean; costMinor: number | undefined }[] = [];
  for (let t = t0; t < t1; t += stepMs) out.push({ t, importWh: 0, exportWh: 0, measured: false, costMinor: slots.length ? 0 : undefined });
  for (const p of hh.history("total", t0, t1, subMs)) {
    if (!Number.isFinite(p.wh)) continue;
    const b = out[Math.floor((p.t - t0) / stepMs)];
    if (!b) continue;
    b.measured = true;
    if (p.wh >= 0) b.importWh += p.wh;
    else b.exportWh -= p.wh;
    if (b.costMinor !== undefined && p.wh > 0) {
      const c = priceAt(slots, p.t);
      b.costMinor = c === undefined ? undefined : b.costMinor + (p.wh / 1000) * c;
    }
  }
  return out;
}

/** Today's energy per hour with the cost of each at its slot's price. */
export function hourBars(hh: Household, snap: HouseholdSnapshot, offsetMin: number): { bars: EnergyBar[]; t0: number; t1: number } {
  const t0 = localDayStart(snap.t, offsetMin);
  const t1 = t0 + DAY;
  const buckets = energyBucketsWithPrices(hh, t0, Math.min(t1, snap.t + MIN), HOUR, 15 * MIN, snap.prices);
  const bars = buckets.filter((b) => b.measured).map((b) => ({
    t: b.t, ms: HOUR, importWh: b.importWh, exportWh: b.exportWh,
    cost: b.costMinor === undefined ? NOT_KNOWN : money(b.costMinor, snap.bill.currency),
    label: `${clockTime(b.t, offsetMin)}–${clockTime(b.t + HOUR, offsetMin)}`,
  }));
  return { bars, t0, t1 };
}

/** The last 7 local days' energy; today's cost is the bill's when the bill is today's, other days' only where prices are known. */
export function dayBars(hh: Household, snap: HouseholdSnapshot, offsetMin: number): { bars: EnergyBar[]; t0: number; t1: number } {
  const today = localDayStart(snap.t, offsetMin);
  const t0 = today - 6 * DAY;
  const t1 = today + DAY;
  const buckets = energyBucketsWithPrices(hh, t0, Math.min(t1, snap.t + MIN), DAY, HOUR, snap.prices);
  const bars = buckets.filter((b) => b.measured).map((b) => {
    const billed = b.t === today && isTodaysBill(snap.bill, snap.t, offsetMin) ? snap.bill.totalMinor : b.costMinor;
    return { t: b.t, ms: DAY, importWh: b.importWh, exportWh: b.exportWh, cost: billed === undefined ? NOT_KNOWN : money(billed, snap.bill.currency), label: dayName(b.t, snap.t, offsetMin) };
  });
  return { bars, t0, t1 };
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
