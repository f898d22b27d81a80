/**
 * Dips, swells and interruptions from the one-cycle RMS refreshed every half
 * cycle (IEC 61000-4-30): thresholds and hysteresis are configuration.
 */
import type { EventRecord, EventType } from "./records";

export interface EventThresholds {
  /** Fractions of the declared input voltage. */
  dip: number; swell: number; interruption: number; hysteresis: number;
}

export const DEFAULT_THRESHOLDS: EventThresholds = Object.freeze({ dip: 0.9, swell: 1.1, interruption: 0.05, hysteresis: 0.02 });

// Frozen, each row too: the module is preloaded, so xsl keeps the tables in flash instead of copying them to RAM.
const DIP_ROWS = freezeRows([[0.8, "90-80%"], [0.7, "80-70%"], [0.4, "70-40%"], [0.05, "40-5%"], [-1, "<5%"]] as const);
const DIP_COLS = freezeRows([[0.2, "10-200ms"], [0.5, "0.2-0.5s"], [1, "0.5-1s"], [5, "1-5s"], [60, "5-60s"], [Infinity, ">60s"]] as const);
const SWELL_COLS = freezeRows([[0.5, "10-500ms"], [5, "0.5-5s"], [60, "5-60s"], [Infinity, ">60s"]] as const);

function freezeRows<T extends readonly (readonly unknown[])[]>(rows: T): T {
  for (const row of rows) Object.freeze(row);
  return Object.freeze(rows);
}

/** The EN 50160 dip table's row labels (residual voltage) and column labels (duration), as in `en50160Cell`. */
export const EN50160_DIP_ROWS: readonly string[] = Object.freeze(DIP_ROWS.map((r) => r[1]));
export const EN50160_DIP_COLS: readonly string[] = Object.freeze(DIP_COLS.map((c) => c[1]));

/** Row and column of a dip or interruption in the EN 50160 table (residual as a fraction of nominal, duration in s). */
export function en50160DipIndex(ratio: number, duration: number): { row: number; col: number } {
  return { row: DIP_ROWS.findIndex((r) => ratio >= r[0]), col: DIP_COLS.findIndex((c) => duration <= c[0]) };
}

/** The EN 50160 table cell of an event (residual or extreme as a fraction of nominal). */
export function en50160Cell(type: EventType, ratio: number, duration: number): string {
  if (type === "swell") {
    const row = ratio >= 1.2 ? ">=120%" : "120-110%";
    return `${row}/${SWELL_COLS.find((c) => duration <= c[0])![1]}`;
  }
  const row = DIP_ROWS.find((r) => ratio >= r[0])![1];
  return `${row}/${DIP_COLS.find((c) => duration <= c[0])![1]}`;
}

const NONE = 0, DIP = 1, SWELL = 2;

export class EventDetector {
  private readonly state: Int8Array;
  private readonly start: Float64Array;
  private readonly extreme: Float64Array;

  constructor(phases: number, private readonly nominal: number, private readonly th: EventThresholds, private readonly emit: (e: EventRecord) => void) {
    this.state = new Int8Array(phases);
    this.start = new Float64Array(phases);
    this.extreme = new Float64Array(phases);
  }

  /** True while any phase is in an event. */
  active(): boolean {
    for (let p = 0; p < this.state.length; p++) if (this.state[p] !== NONE) return true;
    return false;
  }

  /** One-cycle RMS `v` of phase p at time t (s); returns true if an event is active or just ended. */
  update(p: number, v: number, t: number): boolean {
    const un = this.nominal, th = this.th;
    const s = this.state[p];
    if (s === NONE) {
      if (v < th.dip * un) { this.state[p] = DIP; this.start[p] = t; this.extreme[p] = v; return true; }
      if (v > th.swell * un) { this.state[p] = SWELL; this.start[p] = t; this.extreme[p] = v; return true; }
      return false;
    }
    if (s === DIP) {
      if (v < this.extreme[p]) this.extreme[p] = v;
      if (v >= (th.dip + th.hysteresis) * un) this.finish(p, t, this.extreme[p] < th.interruption * un ? "interruption" : "dip");
      return true;
    }
    if (v > this.extreme[p]) this.extreme[p] = v;
    if (v <= (th.swell - th.hysteresis) * un) this.finish(p, t, "swell");
    return true;
  }

  /**
   * The events still in progress at time t (the end of a recording), each with its duration
   * so far; they stay open. Called once at the end, so the array it returns is no per-sample cost.
   */
  ongoing(t: number): EventRecord[] {
    const out: EventRecord[] = [];
    for (let p = 0; p < this.state.length; p++) {
      const s = this.state[p];
      if (s === NONE) continue;
      const extreme = this.extreme[p], duration = t - this.start[p];
      const type: EventType = s === SWELL ? "swell" : extreme < this.th.interruption * this.nominal ? "interruption" : "dip";
      out.push({ kind: "event", type, phase: p + 1, start: this.start[p], duration, extreme, cell: en50160Cell(type, extreme / this.nominal, duration) });
    }
    return out;
  }

  private finish(p: number, t: number, type: EventType): void {
    const duration = t - this.start[p];
    const extreme = this.extreme[p];
    this.state[p] = NONE;
    this.emit({ kind: "event", type, phase: p + 1, start: this.start[p], duration, extreme, cell: en50160Cell(type, extreme / this.nominal, duration) });
  }
}
