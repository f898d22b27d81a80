/**
 * Energy registers keyed by OBIS code, integrated from per-phase powers.
 *
 * Values are kept in milli-watt-hours (mWh / mvarh) in a Float64Array; the
 * journal stores their integer floor, so a restored value is never above the
 * true one. The totals 1.8.0/2.8.0 and the tariff registers are phase-balanced
 * (the signed sum of the phases is integrated, as German "saldierende" meters
 * do; case T16); per-phase registers integrate each phase on its own, and
 * 1-0:1.8.128 / 1-0:2.8.128 (manufacturer codes) are the sums of the per-phase
 * registers. Reactive energy is split into the four quadrants of the summed
 * P and Q; 3.8.0 = QI + QII and 4.8.0 = QIII + QIV.
 */
import type { ObisCode } from "../core/obis";

/** Stored register slots, in journal order. */
export const STORED: readonly ObisCode[] = Object.freeze([
  "1-0:1.8.0", "1-0:2.8.0",
  "1-0:1.8.1", "1-0:1.8.2", "1-0:1.8.3", "1-0:1.8.4",
  "1-0:2.8.1", "1-0:2.8.2",
  "1-0:21.8.0", "1-0:41.8.0", "1-0:61.8.0",
  "1-0:22.8.0", "1-0:42.8.0", "1-0:62.8.0",
  "1-0:5.8.0", "1-0:6.8.0", "1-0:7.8.0", "1-0:8.8.0",
]);
const IMP = 0, EXP = 1, T_IMP = 2, T_EXP = 6, PH_IMP = 8, PH_EXP = 11, Q = 14;
export const REGISTER_COUNT = STORED.length;
/** Registers roll over at 2^40 mWh (1,099,511 kWh), like a 7-digit kWh display. */
export const ROLLOVER_MWH = 2 ** 40;
const QUARTER_MS = 15 * 60 * 1000;
const MS_PER_HOUR = 3_600_000;

export interface MaxDemand {
  /** Highest 15-min mean import power (balanced), W. */
  watts: number;
  /** Start of that quarter hour (ms UTC), 0 when none. */
  at: number;
}

/** Verifies the proof of an authenticated preset (e.g. an HMAC-SHA-256 over the message). */
export type PresetVerifier = (message: Uint8Array, proof: Uint8Array) => boolean;

export interface PresetRequest {
  code: ObisCode;
  /** New value, Wh (integer). */
  valueWh: number;
  /** Strictly increasing per meter: a replayed request is refused. */
  counter: number;
  actor: string;
}

export interface PresetEntry extends PresetRequest {
  t: number;
  oldWh: number;
}

export class EnergyRegisters {
  /** mWh per stored register. */
  readonly values = new Float64Array(REGISTER_COUNT);
  /** Balanced import/export energy (Wh) of the last integrate() call, e.g. for the load profile. */
  lastStepImportWh = 0;
  lastStepExportWh = 0;
  private tariff = 0;
  private exportTariff = 0;
  private blockStart = -1;
  private blockImportMwh = 0;
  private lastBlockW = 0;
  maxDemand: MaxDemand = { watts: 0, at: 0 };
  /** Counter of the last accepted preset (replay protection, persisted). */
  presetCounter = 0;
  readonly presetLog: PresetEntry[] = [];

  /** Selects tariff register 1..4 for import and 1..2 for export. */
  setTariff(importTariff: number, exportTariff = Math.min(importTariff, 2)): void {
    if (!(importTariff >= 1 && importTariff <= 4 && exportTariff >= 1 && exportTariff <= 2)) throw new RangeError(`tariff ${importTariff}/${exportTariff} out of range`);
    this.tariff = importTariff - 1;
    this.exportTariff = exportTariff - 1;
  }

  /**
   * Integrates `dtMs` of constant powers ending at `t`: `pW[i]` signed active
   * power of phase i (positive = import), `qVar[i]` signed reactive power.
   * Allocates nothing.
   */
  integrate(t: number, dtMs: number, pW: ArrayLike<number>, qVar?: ArrayLike<number>): void {
    if (!(dtMs > 0)) return;
    const h = dtMs / MS_PER_HOUR;
    const v = this.values;
    let sumP = 0;
    let sumQ = 0;
    for (let i = 0; i < pW.length && i < 3; i++) {
      const e = pW[i] * h * 1000;
      sumP += pW[i];
      if (e > 0) v[PH_IMP + i] += e;
      else v[PH_EXP + i] -= e;
      if (qVar) sumQ += qVar[i];
    }
    const e = sumP * h * 1000;
    if (e > 0) {
      v[IMP] += e;
      v[T_IMP + this.tariff] += e;
    } else if (e < 0) {
      v[EXP] -= e;
      v[T_EXP + this.exportTariff] -= e;
    }
    this.lastStepImportWh = e > 0 ? e / 1000 : 0;
    this.lastStepExportWh = e < 0 ? -e / 1000 : 0;
    const eq = Math.abs(sumQ) * h * 1000;
    if (eq > 0) v[Q + (sumP >= 0 ? (sumQ >= 0 ? 0 : 3) : sumQ >= 0 ? 1 : 2)] += eq;
    for (let i = 0; i < REGISTER_COUNT; i++) if (v[i] >= ROLLOVER_MWH) v[i] -= ROLLOVER_MWH;
    this.demand(t, e > 0 ? e : 0);
  }

  /** Value of any register or derived register by OBIS code, in Wh (varh). */
  get(code: ObisCode): number {
    const v = this.values;
    const i = STORED.indexOf(code);
    if (i >= 0) return v[i] / 1000;
    switch (code) {
      case "1-0:1.8.128": return (v[PH_IMP] + v[PH_IMP + 1] + v[PH_IMP + 2]) / 1000;
      case "1-0:2.8.128": return (v[PH_EXP] + v[PH_EXP + 1] + v[PH_EXP + 2]) / 1000;
      case "1-0:3.8.0": return (v[Q] + v[Q + 1]) / 1000;
      case "1-0:4.8.0": return (v[Q + 2] + v[Q + 3]) / 1000;
      case "1-0:16.8.0": return (v[IMP] - v[EXP]) / 1000;
      case "1-0:1.6.0": return this.maxDemand.watts;
      case "1-0:1.4.0": return this.lastBlockW;
    }
    throw new Error(`no energy register ${code}`);
  }

  /** All registers by OBIS code (Wh, varh, W). */
  snapshot(): Record<ObisCode, number> {
    const out: Record<ObisCode, number> = {};
    for (const code of [...STORED, "1-0:1.8.128", "1-0:2.8.128", "1-0:3.8.0", "1-0:4.8.0", "1-0:16.8.0", "1-0:1.6.0", "1-0:1.4.0"]) out[code] = this.get(code);
    return out;
  }

  /** The message a preset's proof is computed over: "preset|code|valueWh|counter|actor" in UTF-8-safe ASCII. */
  static presetMessage(r: PresetRequest): string {
    return `preset|${r.code}|${r.valueWh}|${r.counter}|${r.actor}`;
  }

  /**
   * Sets a stored register to match the utility's meter, if the proof verifies
   * and the counter is fresh. Returns an error text or undefined on success.
   */
  preset(t: number, r: PresetRequest, proof: Uint8Array, verify: PresetVerifier, encode: (s: string) => Uint8Array): string | undefined {
    const i = STORED.indexOf(r.code);
    if (i < 0) return `register ${r.code} cannot be preset`;
    if (!Number.isSafeInteger(r.valueWh) || r.valueWh < 0 || r.valueWh * 1000 >= ROLLOVER_MWH) return `bad value ${r.valueWh}`;
    if (!Number.isSafeInteger(r.counter) || r.counter <= this.presetCounter) return `replayed or stale preset counter ${r.counter} (last ${this.presetCounter})`;
    if (!verify(encode(EnergyRegisters.presetMessage(r)), proof)) return "preset authentication failed";
    const oldWh = this.values[i] / 1000;
    this.values[i] = r.valueWh * 1000;
    this.presetCounter = r.counter;
    this.presetLog.push({ ...r, t, oldWh });
    return undefined;
  }

  /** Restores persisted state (journal recovery). */
  restore(mwh: ArrayLike<number>, maxDemand: MaxDemand, presetCounter: number): void {
    for (let i = 0; i < REGISTER_COUNT; i++) this.values[i] = mwh[i];
    this.maxDemand = { ...maxDemand };
    this.presetCounter = presetCounter;
    this.blockStart = -1;
    this.blockImportMwh = 0;
  }

  /** Starts a new maximum-demand period (e.g. at the start of a billing month). */
  resetMaxDemand(): void {
    this.maxDemand = { watts: 0, at: 0 };
  }

  /** Quarter hours aligned to :00/:15/:30/:45; demand kW = kWh × 4 (case T17). */
  private demand(t: number, importMwh: number): void {
    const start = t - (t % QUARTER_MS);
    if (this.blockStart < 0) this.blockStart = start;
    if (start !== this.blockStart) {
      // A block that lost its beginning to a reboot still counts: demand can only be under-stated.
      this.lastBlockW = (this.blockImportMwh / 1000) * 4;
      if (this.lastBlockW > this.maxDemand.watts) this.maxDemand = { watts: this.lastBlockW, at: this.blockStart };
      this.blockStart = start;
      this.blockImportMwh = 0;
    }
    this.blockImportMwh += importMwh;
  }
}
