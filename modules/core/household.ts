import type { ObisCode } from "./obis";
import type { TaskStats } from "./scheduler";

/**
 * The household as the presentation rooms see it (web page, display, MQTT).
 * The aggregator (modules/app) implements `Household`; http, ui and mqtt only
 * read snapshots and ask for actions through it, so they never reach into
 * metrology, energy or control directly. Money is in integer minor units.
 */

export interface MeterView {
  id: number;
  name: string;
  role: "aggregator" | "slave";
  online: boolean;
  /** Last time a reading arrived (ms, UTC). */
  lastSeen: number;
  /** Latest values by OBIS code (engineering units, see OBIS registry). */
  values: Record<ObisCode, number>;
  /**
   * Set while the values are not being refreshed because the link locked out one of the
   * meter's identifiers (repeated authentication failures: forged frames, or a broken slave):
   * the values are those of `since` and stay so until `until` at the latest.
   */
  stale?: StaleMark;
}

export interface StaleMark {
  since: number;
  until: number;
  reason: string;
}

export type LoadKind = "switchable" | "deferrable" | "fixed" | "generator";

export interface DeferredRun {
  /** Planned start (ms, UTC). */
  startAt: number;
  durationMs: number;
  /** Must finish by this time. */
  deadline: number;
  state: "planned" | "running" | "done" | "missed";
}

export interface LoadView {
  id: string;
  name: string;
  meterId: number;
  kind: LoadKind;
  /** Relay state. */
  on: boolean;
  /** Present power; negative for a generator exporting. */
  powerW: number;
  /** Shed first = lowest priority. */
  priority: number;
  run?: DeferredRun;
}

export interface PriceSlot {
  start: number;
  durationMs: number;
  /** Import price per kWh, minor units (e.g. cents), VAT included. */
  importMinorPerKWh: number;
  exportMinorPerKWh: number;
  /** 0..1 share of renewable generation forecast in this slot. */
  renewableShare: number;
}

export interface GridState {
  renewableAvailable: boolean;
  renewableShare: number;
  cogenerator: "off" | "running" | "fault";
  thermalDemandW: number;
  pricesUpdatedAt: number;
  pricesStale: boolean;
}

export interface Decision {
  t: number;
  load: string;
  action: "on" | "off" | "schedule" | "shed" | "restore" | "fallback" | "keep";
  reason: string;
  actor: "policy" | "user" | "cloud" | "display";
}

export interface BillLine {
  label: string;
  quantity?: number;
  unit?: string;
  amountMinor: number;
}

export interface BillView {
  currency: string;
  from: number;
  to: number;
  lines: BillLine[];
  totalMinor: number;
  forecastMonthMinor: number;
}

export interface PqEventView {
  type: "dip" | "swell" | "interruption";
  meterId: number;
  phase: number;
  start: number;
  durationMs: number;
  /** Residual (dip/interruption) or maximum (swell) RMS voltage. */
  extremeV: number;
  /** EN 50160 table cell, e.g. "70-40%/0.2-0.5s". */
  cell: string;
}

export interface Alarm {
  t: number;
  kind: "dip" | "swell" | "interruption" | "auth" | "missing-slave" | "price-stale" | "overload";
  message: string;
  meterId?: number;
}

export interface QualityView {
  meterId: number;
  frequencyHz: number;
  thdVoltagePct: number[];
  thdCurrentPct: number[];
  unbalanceNegativePct: number;
  /** EN 50160 dip table: rows by residual voltage, columns by duration; counts. */
  dipTable: number[][];
  swellCount: number;
  interruptionCount: number;
}

/**
 * One meter's IEC 61000-4-30 10-minute aggregate (interval aligned to the UTC
 * clock): RMS of the voltage, current and THD values over the interval, mean
 * active power and frequency. `flagged` is true when a dip, swell or
 * interruption overlapped the interval (flagged values stay, but statistics
 * that ask for unflagged data leave them out). Arrays are per phase (0 = L1).
 */
export interface PqAggregate {
  meterId: number;
  /** Interval start and end (ms, UTC; end − start = 600 000). */
  start: number;
  end: number;
  voltageV: number[];
  currentA: number[];
  /** Mean active power, negative = export. */
  powerW: number[];
  thdVoltagePct: number[];
  thdCurrentPct: number[];
  frequencyHz: number;
  /** Negative-sequence voltage unbalance (%), three-phase meters only. */
  unbalancePct?: number;
  flagged: boolean;
}

export interface BusView {
  cycles: number;
  framesOk: number;
  authFailures: number;
  missing: number[];
  busLoadPct: number;
  lastCycleMs: number;
}

export interface HouseholdSnapshot {
  t: number;
  meters: MeterView[];
  loads: LoadView[];
  prices: PriceSlot[];
  grid: GridState;
  bill: BillView;
  energyTodayWh: number;
  exportTodayWh: number;
  tariffNow: { name: string; importMinorPerKWh: number };
  decisions: Decision[];
  events: PqEventView[];
  alarms: Alarm[];
  tasks: TaskStats[];
  quality: QualityView[];
  bus: BusView;
  /** The last completed 10-minute aggregate of each meter that has one. */
  pq10min?: PqAggregate[];
}

export interface HistoryPoint {
  t: number;
  /** Mean power over the step. */
  w: number;
  /** Energy over the step. */
  wh: number;
}

export interface ActionResult {
  ok: boolean;
  error?: string;
}

export interface Household {
  snapshot(): HouseholdSnapshot;
  /** Series "total", "meter:<id>" or "load:<id>", averaged over steps of `stepMs`. */
  history(series: string, from: number, to: number, stepMs: number): HistoryPoint[];
  switchLoad(id: string, on: boolean, actor: Decision["actor"]): ActionResult;
  scheduleLoad(id: string, durationMs: number, deadline: number, actor: Decision["actor"]): ActionResult & { startAt?: number };
  /** Called after every change; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}
