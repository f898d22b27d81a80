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
  /** Planned start (ms, UTC); while "waiting", the latest start that still meets the deadline (the fallback). */
  startAt: number;
  durationMs: number;
  /** Must finish by this time. */
  deadline: number;
  /** "waiting": the prices do not reach the deadline (or are stale); replanned when they come, else started at startAt. */
  state: "planned" | "waiting" | "running" | "done" | "missed";
  /** Why it is planned (or waiting) as it is. */
  reason?: string;
}

/** A manual switch the policy leaves alone until `until` (shedding for overload excepted). */
export interface ManualHold {
  on: boolean;
  until: number;
  actor: Decision["actor"];
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
  /** A manual switch in force. */
  hold?: ManualHold;
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
  action: "on" | "off" | "schedule" | "shed" | "restore" | "fallback" | "keep" | "wait" | "cancel";
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

/** One supply event, listed once however many meters saw it. */
export interface PqEventView {
  type: "dip" | "swell" | "interruption";
  /** The first meter that reported it. */
  meterId: number;
  /** Every meter that saw it. */
  meters: number[];
  phase: number;
  start: number;
  /** 0 with `cell: null` when the duration was not reported. */
  durationMs: number;
  /** Residual (dip/interruption) or maximum (swell) RMS voltage; null when not reported. */
  extremeV: number | null;
  /** EN 50160 table cell, e.g. "70-40%/0.2-0.5s"; null when depth and duration were not reported. */
  cell: string | null;
  /** Why `cell` is null. */
  cellReason?: string;
}

export interface Alarm {
  t: number;
  kind: "dip" | "swell" | "interruption" | "auth" | "missing-slave" | "price-stale" | "overload";
  message: string;
  meterId?: number;
}

export interface QualityView {
  meterId: number;
  /** Last reading; null before the meter's first answer (reason in notMeasured). */
  frequencyHz: number | null;
  /** Last reading, L1; empty before the first answer. */
  thdVoltagePct: number[];
  thdCurrentPct: number[];
  /** Negative-sequence voltage unbalance (%) of the last 10-min aggregate; null when not measured (reason in notMeasured). */
  unbalanceNegativePct: number | null;
  /** Why each null or empty field is not measured, by field name. */
  notMeasured: Record<string, string>;
  /** EN 50160 dip table: rows `dipRows` (residual voltage) × columns `dipCols` (duration); counts of the events this meter saw. */
  dipTable: number[][];
  dipRows: readonly string[];
  dipCols: readonly string[];
  /** Dips and interruptions this meter saw whose depth and duration were not reported (in no cell). */
  dipsUnclassified: number;
  /** The meter's own counters (1-0:32.32.0, 1-0:32.36.0, 0-0:96.7.21); null before its first answer. */
  dipCount: number | null;
  swellCount: number | null;
  interruptionCount: number | null;
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
  /** Today's bill (slots since 00:00 UTC). */
  bill: BillView;
  /** Everything booked so far (since billToDate.from). */
  billToDate?: BillView;
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
  /** Mean of the power samples in the bucket (NaN: none). */
  w: number;
  /**
   * Energy measured in the bucket: the meters' counter deltas ("total", "meter:<id>"), or a
   * plug's power over the time it was observed ("load:<id>"). Never extrapolated; NaN: none.
   */
  wh: number;
  /** Time of the bucket that was observed (ms). */
  coveredMs?: number;
  /** Observed less than the whole bucket (a gap, or the bucket is still running). */
  partial?: boolean;
  /** Resolution of the stored data that answered (ms). */
  resMs?: number;
}

/**
 * Booked energy and its cost in one bucket [t, t + stepMs), from the price slots the
 * aggregator booked (each at the price it was booked at). The money is rounded so that
 * the buckets of a range add up to that range's bill to the cent.
 */
export interface EnergyBucket {
  t: number;
  stepMs: number;
  importWh: number;
  exportWh: number;
  importMinor: number;
  /** Export credit (positive). */
  exportMinor: number;
  /** importMinor − exportMinor. */
  netMinor: number;
  /** Price slots booked in the bucket. */
  slots: number;
}

export interface ActionResult {
  ok: boolean;
  error?: string;
}

export interface Household {
  snapshot(): HouseholdSnapshot;
  /** The household's clock (virtual in a simulated run); views take "now" from it. Default: snapshot().t. */
  now?(): number;
  /** Booked energy and cost per bucket (households that book energy). */
  energy?(from: number, to: number, stepMs: number): EnergyBucket[];
  /** Series "total", "meter:<id>" or "load:<id>", averaged over steps of `stepMs`. */
  history(series: string, from: number, to: number, stepMs: number): HistoryPoint[];
  switchLoad(id: string, on: boolean, actor: Decision["actor"]): ActionResult;
  scheduleLoad(id: string, durationMs: number, deadline: number, actor: Decision["actor"]): ActionResult & { startAt?: number };
  /** Cancels a load's planned, waiting or running run (a running one is switched off). */
  cancelPlan?(id: string, actor: Decision["actor"]): ActionResult;
  /** Called after every change; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}
