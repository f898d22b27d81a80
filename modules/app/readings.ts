/**
 * What a slave reports to the aggregator each poll cycle, and the seams the
 * app uses where another room's part plugs in:
 * - `MeterFrontEnd`: the slave's measuring side. SEAM until the metrology
 *   room's MeterPipeline is wired: the host simulator implements it from
 *   per-second load powers (fast mode) or from 12-bit samples (real time).
 * - `SlaveLink`: how the aggregator reaches a slave. SEAM until the CAN room's
 *   CanMaster/CanSlave are wired: `DirectLink` (direct-link.ts) hands the
 *   readings over in memory and counts cycles the way the bus would.
 */
import type { PqAggregate } from "../core/household";

export interface MeterReadings {
  /** Time of the measurement (ms, UTC). */
  t: number;
  /** Active power (W), negative = export. */
  powerW: number;
  reactiveVar: number;
  voltageV: number;
  currentA: number;
  frequencyHz: number;
  powerFactor: number;
  thdVoltagePct: number;
  thdCurrentPct: number;
  /** Energy counters since the meter started (Wh). */
  importWh: number;
  exportWh: number;
  dips: number;
  swells: number;
  interruptions: number;
  /** The latest power-quality event this meter saw, if any. */
  lastEvent?: { type: "dip" | "swell" | "interruption"; start: number; durationMs: number; extremeV: number };
}

export interface MeterFrontEnd {
  /** Runs the measuring work for the period ending at `now`; returns modelled ms of CPU. */
  measure(now: number): number | void;
  readings(): MeterReadings;
  /** The last completed 10-min power-quality aggregate, if this front end makes them (app/pq-aggregate.ts). */
  aggregate?(): PqAggregate | undefined;
}

export interface LinkStats {
  cycles: number;
  framesOk: number;
  authFailures: number;
  busLoadPct: number;
  lastCycleMs: number;
}

export interface SlaveLink {
  /** Asks slave `id` for its readings; undefined when it did not answer. */
  poll(id: number, now: number): MeterReadings | undefined;
  /** The last 10-min aggregate the link has fetched from slave `id` (links that carry them). */
  aggregate?(id: number): PqAggregate | undefined;
  /** Ends one poll cycle (statistics). */
  endCycle(now: number): void;
  stats(): LinkStats;
}

export function emptyReadings(t: number): MeterReadings {
  return { t, powerW: 0, reactiveVar: 0, voltageV: 0, currentA: 0, frequencyHz: 0, powerFactor: 1, thdVoltagePct: 0, thdCurrentPct: 0, importWh: 0, exportWh: 0, dips: 0, swells: 0, interruptions: 0 };
}
