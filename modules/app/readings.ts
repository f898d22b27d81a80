/**
 * What a slave reports to the aggregator each poll cycle, and the two ports
 * the app is wired through:
 * - `MeterFrontEnd`: the slave's measuring side — the metrology room's
 *   MeterPipeline on samples (host simulator in real time, recordings), the
 *   STPM3x registers on the board (hosts/esp32/stpm-front-end.ts), or the
 *   simulator's per-second load powers in fast mode.
 * - `SlaveLink`: how the aggregator reaches a slave — `CanLink` (can-link.ts)
 *   over the CAN room's authenticated CanMaster/CanSlave, or `DirectLink`
 *   (direct-link.ts) in memory for fast simulated days.
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
  lastEvent?: { type: "dip" | "swell" | "interruption"; start: number; durationMs: number; extremeV: number; /** 1..3 (L1 when absent). */ phase?: number };
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
  /** Identifiers of slave `id` the link has locked out now (links that authenticate), with since/until. */
  lockouts?(id: number, now: number): { id: number; since: number; until: number; failures: number }[];
  stats(): LinkStats;
}

export function emptyReadings(t: number): MeterReadings {
  return { t, powerW: 0, reactiveVar: 0, voltageV: 0, currentA: 0, frequencyHz: 0, powerFactor: 1, thdVoltagePct: 0, thdCurrentPct: 0, importWh: 0, exportWh: 0, dips: 0, swells: 0, interruptions: 0 };
}
