/**
 * `/api/energy?begin=d&end=d+1d&group=h`: the booked energy and cost per bucket
 * (Household.energy), with /query's time syntax (parseTime). group is 15m, h or
 * d. The buckets add up to the bill of the range to the cent (see EnergyBucket).
 */
import type { EnergyBucket, Household } from "../core/household";
import { DAY, HOUR, MINUTE } from "../core/clock";
import { parseTime } from "./query";

/** Buckets one answer may hold (a year of days, a week of quarter hours). */
export const MAX_ENERGY_BUCKETS = 800;

const GROUPS: Readonly<Record<string, number>> = Object.freeze({ "15m": 15 * MINUTE, h: HOUR, d: DAY });

export interface EnergyAnswer {
  begin: number;
  end: number;
  groupMs: number;
  buckets: EnergyBucket[];
  /** The sums of the buckets (= the bill of the range). */
  importWh: number;
  exportWh: number;
  netMinor: number;
}

export function energyQuery(household: Household, params: Map<string, string> | undefined, now: number): EnergyAnswer | string {
  if (!params) return "malformed query string";
  if (!household.energy) return "this household books no energy";
  const begin = parseTime(params.get("begin") ?? "d", now);
  const end = parseTime(params.get("end") ?? "d+1d", now);
  const groupMs = GROUPS[params.get("group") ?? "h"];
  if (begin === undefined || end === undefined) return "begin and end: unix seconds, an ISO date or d, h, w, M with ±N<unit>";
  if (!groupMs) return "group: 15m, h or d";
  if (!(end > begin)) return "end must be after begin";
  if ((end - begin) / groupMs > MAX_ENERGY_BUCKETS) return `at most ${MAX_ENERGY_BUCKETS} buckets: a larger group or a shorter range`;
  const buckets = household.energy(begin, end, groupMs);
  let importWh = 0, exportWh = 0, netMinor = 0;
  for (const b of buckets) {
    importWh += b.importWh;
    exportWh += b.exportWh;
    netMinor += b.netMinor;
  }
  return { begin, end, groupMs, buckets, importWh: Math.round(importWh * 1000) / 1000, exportWh: Math.round(exportWh * 1000) / 1000, netMinor };
}
