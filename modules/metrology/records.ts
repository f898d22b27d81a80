/** The records MeterPipeline emits. Arrays are per phase (index 0 = L1). */
import { CODES, OBIS } from "../core/obis";

export interface WindowRecord {
  kind: "window";
  /** Start of the window, seconds from the first sample. */
  t: number;
  /** Window length in seconds. */
  duration: number;
  f: number;
  u: number[]; i: number[]; p: number[]; p1: number[]; ph: number[]; q1: number[];
  s: number[]; s1: number[]; sn: number[]; di: number[]; dv: number[]; sh: number[];
  n: number[]; pf: number[]; dpf: number[]; thdu: number[]; thdi: number[];
  /** Negative- and zero-sequence voltage unbalance, % (three phases only, else 0). */
  u2: number; u0: number;
  flagged: boolean;
}

export type EventType = "dip" | "swell" | "interruption";

export interface EventRecord {
  kind: "event";
  type: EventType;
  phase: number;
  start: number;
  duration: number;
  extreme: number;
  /** EN 50160 table cell, e.g. "80-70%/10-200ms". */
  cell: string;
}

export interface AggregateRecord extends Omit<WindowRecord, "kind"> {
  kind: "aggregate";
  interval: "3s" | "10min" | "2h";
  windows: number;
}

/** Frozen: the module is preloaded, so xsl keeps the table in flash instead of copying it to RAM. */
export const PHASE_FIELDS = Object.freeze(["u", "i", "p", "p1", "ph", "q1", "s", "s1", "sn", "di", "dv", "sh", "n", "pf", "dpf", "thdu", "thdi"] as const);
export type PhaseField = (typeof PHASE_FIELDS)[number];

/** OBIS code of a window field for phase index 0..2, where a code exists. */
export function obisCodeFor(field: PhaseField | "f", phase: number): string | undefined {
  const key: Partial<Record<PhaseField | "f", string>> = {
    u: `voltage_l${phase + 1}`, i: `current_l${phase + 1}`, p: `signed_power_l${phase + 1}`,
    q1: `reactive_power_l${phase + 1}`, s: `apparent_power_l${phase + 1}`, n: `nonactive_power_l${phase + 1}`,
    pf: `power_factor_l${phase + 1}`, dpf: `displacement_pf_l${phase + 1}`,
    thdu: `thd_voltage_l${phase + 1}`, thdi: `thd_current_l${phase + 1}`,
  };
  if (field === "f") return CODES.frequency;
  const k = key[field];
  return k ? OBIS.byName(k)?.code : undefined;
}

/** Flattens a window record into (OBIS code, value) pairs. */
export function windowToObis(r: WindowRecord): [string, number][] {
  const out: [string, number][] = [[CODES.frequency, r.f]];
  for (const field of PHASE_FIELDS) {
    const arr = r[field];
    for (let p = 0; p < arr.length; p++) {
      const code = obisCodeFor(field, p);
      if (code) out.push([code, arr[p]]);
    }
  }
  return out;
}
