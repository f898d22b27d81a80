/**
 * The OBIS data model (IEC 62056-61): every quantity has one name across the
 * code, CAN payloads, the web API and MQTT — its OBIS code, e.g. "1-0:32.7.0".
 *
 * `scale` is the DLMS scaler: a quantity is carried as an integer `raw` with
 * value = raw × 10^scale (voltage, scale −1 → 0.1 V resolution). `id` is a
 * small stable number for compact encodings (CAN payloads), never reused.
 */
export type ObisCode = string;

export type QuantityKind = "instantaneous" | "energy" | "demand" | "counter" | "quality";

export interface Quantity {
  readonly id: number;
  readonly code: ObisCode;
  readonly key: string;
  readonly name: string;
  readonly unit: string;
  readonly scale: number;
  readonly kind: QuantityKind;
  /** 1..3 for a phase quantity, 0 for total/neutral-free quantities, 4 for neutral. */
  readonly phase: number;
}

export interface ObisParts {
  a: number;
  b: number;
  c: number;
  d: number;
  e: number;
  f: number;
}

/** 1–3 decimal digits at `at`: value × 4 + digit count, or −1 (none, or a fourth digit). */
function digitsAt(text: string, at: number): number {
  let n = 0;
  let k = 0;
  for (let ch = text.charCodeAt(at); ch >= 0x30 && ch <= 0x39; ch = text.charCodeAt(at + k)) {
    if (k === 3) return -1;
    n = n * 10 + ch - 0x30;
    k++;
  }
  return k === 0 ? -1 : n * 4 + k;
}

function notObis(text: string): SyntaxError {
  return new SyntaxError(`not an OBIS code: ${JSON.stringify(text)}`);
}

/**
 * Parses "A-B:C.D.E" or "A-B:C.D.E*F" ("&" also separates F; F defaults to 255);
 * throws on anything else. Scanned by hand, not with a module-level RegExp:
 * Moddable preloads this module, and exec() on a preloaded RegExp crashed mcsim
 * (SIGSEGV in fx_RegExp_prototype_exec when a garbage collection ran during the match).
 */
export function parseObis(text: string): ObisParts {
  let r = digitsAt(text, 0);
  if (r < 0) throw notObis(text);
  const a = r >> 2;
  let at = r & 3;
  if (text.charCodeAt(at) !== 0x2d || (r = digitsAt(text, at + 1)) < 0) throw notObis(text);
  const b = r >> 2;
  at += 1 + (r & 3);
  if (text.charCodeAt(at) !== 0x3a || (r = digitsAt(text, at + 1)) < 0) throw notObis(text);
  const c = r >> 2;
  at += 1 + (r & 3);
  if (text.charCodeAt(at) !== 0x2e || (r = digitsAt(text, at + 1)) < 0) throw notObis(text);
  const d = r >> 2;
  at += 1 + (r & 3);
  if (text.charCodeAt(at) !== 0x2e || (r = digitsAt(text, at + 1)) < 0) throw notObis(text);
  const e = r >> 2;
  at += 1 + (r & 3);
  let f = 255;
  if (at < text.length) {
    const sep = text.charCodeAt(at);
    if ((sep !== 0x2a && sep !== 0x26) || (r = digitsAt(text, at + 1)) < 0) throw notObis(text);
    f = r >> 2;
    at += 1 + (r & 3);
  }
  if (at !== text.length) throw notObis(text);
  if (a > 255 || b > 255 || c > 255 || d > 255 || e > 255 || f > 255) throw new RangeError(`OBIS group out of range: ${text}`);
  return { a, b, c, d, e, f };
}

/** Formats the short form "A-B:C.D.E" (F omitted when 255). */
export function formatObis(p: ObisParts): ObisCode {
  const base = `${p.a}-${p.b}:${p.c}.${p.d}.${p.e}`;
  return p.f === 255 ? base : `${base}*${p.f}`;
}

/** Encodes the six groups into the 6-byte DLMS logical name. */
export function obisToBytes(code: ObisCode): Uint8Array {
  const p = parseObis(code);
  return Uint8Array.of(p.a, p.b, p.c, p.d, p.e, p.f);
}

export function obisFromBytes(bytes: Uint8Array): ObisCode {
  if (bytes.length !== 6) throw new RangeError("OBIS logical name is 6 bytes");
  return formatObis({ a: bytes[0], b: bytes[1], c: bytes[2], d: bytes[3], e: bytes[4], f: bytes[5] });
}

export class ObisRegistry {
  private readonly byCode = new Map<ObisCode, Quantity>();
  private readonly byKey = new Map<string, Quantity>();
  private readonly byId = new Map<number, Quantity>();

  register(q: Omit<Quantity, "code"> & { code: ObisCode }): Quantity {
    const p = parseObis(q.code);
    const code = formatObis({ ...p, f: 255 });
    if (this.byCode.has(code)) throw new Error(`OBIS ${code} registered twice`);
    if (this.byKey.has(q.key)) throw new Error(`quantity key ${q.key} registered twice`);
    if (this.byId.has(q.id)) throw new Error(`quantity id ${q.id} registered twice`);
    const quantity = Object.freeze({ ...q, code });
    this.byCode.set(code, quantity);
    this.byKey.set(q.key, quantity);
    this.byId.set(q.id, quantity);
    return quantity;
  }

  get(code: ObisCode): Quantity | undefined {
    return this.byCode.get(stripF(code));
  }

  /** Like get, but throws a clear error for an unknown code. */
  mustGet(code: ObisCode): Quantity {
    const q = this.get(code);
    if (!q) throw new Error(`unknown OBIS code ${code}`);
    return q;
  }

  byName(key: string): Quantity | undefined {
    return this.byKey.get(key);
  }

  fromId(id: number): Quantity | undefined {
    return this.byId.get(id);
  }

  all(): Quantity[] {
    return [...this.byCode.values()].sort((a, b) => a.id - b.id);
  }

  /** value → integer raw per the quantity's scaler. */
  toRaw(code: ObisCode, value: number): number {
    return Math.round(value / 10 ** this.mustGet(code).scale);
  }

  fromRaw(code: ObisCode, raw: number): number {
    const scale = this.mustGet(code).scale;
    // Divide for negative scalers so 2301 × 10^-1 prints 230.1, not 230.10000000000002.
    return scale < 0 ? raw / 10 ** -scale : raw * 10 ** scale;
  }
}

function stripF(code: ObisCode): ObisCode {
  const p = parseObis(code);
  return formatObis({ ...p, f: 255 });
}

type Row = [id: number, code: ObisCode, key: string, name: string, unit: string, scale: number, kind: QuantityKind, phase: number];

/**
 * The quantities xsmeter measures and reports. Codes in groups C ≥ 128 or E ≥ 128
 * are manufacturer-specific (IEC 62056-61 reserves them) for IEEE 1459 terms with
 * no standard OBIS code.
 */
const ROWS: readonly Row[] = [
  // Energy registers
  [1, "1-0:1.8.0", "energy_import", "Active energy import (+A)", "Wh", 0, "energy", 0],
  [2, "1-0:1.8.1", "energy_import_t1", "Active energy import, tariff 1", "Wh", 0, "energy", 0],
  [3, "1-0:1.8.2", "energy_import_t2", "Active energy import, tariff 2", "Wh", 0, "energy", 0],
  [4, "1-0:1.8.3", "energy_import_t3", "Active energy import, tariff 3", "Wh", 0, "energy", 0],
  [5, "1-0:1.8.4", "energy_import_t4", "Active energy import, tariff 4", "Wh", 0, "energy", 0],
  [6, "1-0:2.8.0", "energy_export", "Active energy export (−A)", "Wh", 0, "energy", 0],
  [7, "1-0:2.8.1", "energy_export_t1", "Active energy export, tariff 1", "Wh", 0, "energy", 0],
  [8, "1-0:2.8.2", "energy_export_t2", "Active energy export, tariff 2", "Wh", 0, "energy", 0],
  [9, "1-0:3.8.0", "reactive_energy_import", "Reactive energy import (+R)", "varh", 0, "energy", 0],
  [10, "1-0:4.8.0", "reactive_energy_export", "Reactive energy export (−R)", "varh", 0, "energy", 0],
  [11, "1-0:5.8.0", "reactive_energy_q1", "Reactive energy QI", "varh", 0, "energy", 0],
  [12, "1-0:6.8.0", "reactive_energy_q2", "Reactive energy QII", "varh", 0, "energy", 0],
  [13, "1-0:7.8.0", "reactive_energy_q3", "Reactive energy QIII", "varh", 0, "energy", 0],
  [14, "1-0:8.8.0", "reactive_energy_q4", "Reactive energy QIV", "varh", 0, "energy", 0],
  [15, "1-0:21.8.0", "energy_import_l1", "Active energy import L1", "Wh", 0, "energy", 1],
  [16, "1-0:41.8.0", "energy_import_l2", "Active energy import L2", "Wh", 0, "energy", 2],
  [17, "1-0:61.8.0", "energy_import_l3", "Active energy import L3", "Wh", 0, "energy", 3],
  [18, "1-0:22.8.0", "energy_export_l1", "Active energy export L1", "Wh", 0, "energy", 1],
  [19, "1-0:42.8.0", "energy_export_l2", "Active energy export L2", "Wh", 0, "energy", 2],
  [20, "1-0:62.8.0", "energy_export_l3", "Active energy export L3", "Wh", 0, "energy", 3],
  [21, "1-0:16.8.0", "energy_net", "Active energy net (import − export)", "Wh", 0, "energy", 0],
  // Demand
  [30, "1-0:1.6.0", "max_demand_import", "Maximum demand, active import (15 min)", "W", 0, "demand", 0],
  [31, "1-0:1.4.0", "demand_import", "Current average demand, active import", "W", 0, "demand", 0],
  // Power totals
  [40, "1-0:1.7.0", "power_import", "Active power import (+P)", "W", -1, "instantaneous", 0],
  [41, "1-0:2.7.0", "power_export", "Active power export (−P)", "W", -1, "instantaneous", 0],
  [42, "1-0:3.7.0", "reactive_power_import", "Reactive power import (+Q)", "var", -1, "instantaneous", 0],
  [43, "1-0:4.7.0", "reactive_power_export", "Reactive power export (−Q)", "var", -1, "instantaneous", 0],
  [44, "1-0:9.7.0", "apparent_power", "Apparent power (S)", "VA", -1, "instantaneous", 0],
  [45, "1-0:13.7.0", "power_factor", "Power factor", "", -3, "instantaneous", 0],
  [46, "1-0:14.7.0", "frequency", "Supply frequency", "Hz", -3, "instantaneous", 0],
  [47, "1-0:16.7.0", "power_net", "Active power, signed (import − export)", "W", -1, "instantaneous", 0],
  // Per phase
  ...phaseRows(),
  // Power quality
  [100, "1-0:128.7.0", "unbalance_negative", "Voltage unbalance, negative sequence u2 (mfr)", "%", -3, "quality", 0],
  [101, "1-0:129.7.0", "unbalance_zero", "Voltage unbalance, zero sequence u0 (mfr)", "%", -3, "quality", 0],
  [110, "0-0:96.7.21", "power_failures", "Number of power failures", "", 0, "counter", 0],
  [111, "0-0:96.7.9", "long_power_failures", "Number of long power failures", "", 0, "counter", 0],
  // 10-min aggregates (IEC 61000-4-30, aligned to UTC): D = 5 "last average 1" with measuring period 1 = 10 min
  [120, "1-0:32.5.0", "voltage_l1_10min", "Voltage L1, last 10-min aggregate", "V", -2, "quality", 1],
  [121, "1-0:31.5.0", "current_l1_10min", "Current L1, last 10-min aggregate", "A", -3, "quality", 1],
  [122, "1-0:21.5.128", "signed_power_l1_10min", "Active power, signed L1, last 10-min mean (mfr)", "W", -1, "quality", 1],
  [123, "1-0:32.5.124", "thd_voltage_l1_10min", "Voltage THD L1, last 10-min aggregate", "%", -2, "quality", 1],
  [124, "1-0:31.5.124", "thd_current_l1_10min", "Current THD L1, last 10-min aggregate", "%", -2, "quality", 1],
  [125, "1-0:14.5.0", "frequency_10min", "Supply frequency, last 10-min mean", "Hz", -3, "quality", 0],
  [126, "1-0:128.5.0", "unbalance_negative_10min", "Voltage unbalance u2, last 10-min aggregate (mfr)", "%", -3, "quality", 0],
  // (end of the interval in 10-min periods since 1970) × 2 + flagged: one frame ties the values to their interval and flag
  [127, "0-0:130.5.0", "pq10_stamp", "Last 10-min aggregate: interval end / 600 s × 2 + flagged, 0 = none (mfr)", "", 0, "quality", 0],
];

function phaseRows(): Row[] {
  const rows: Row[] = [];
  const bases = [20, 40, 60];
  for (let ph = 1; ph <= 3; ph++) {
    const c = bases[ph - 1];
    const L = `L${ph}`;
    const id = 50 + (ph - 1) * 16;
    rows.push(
      [id, `1-0:${c + 12}.7.0`, `voltage_l${ph}`, `Voltage ${L}`, "V", -2, "instantaneous", ph],
      [id + 1, `1-0:${c + 11}.7.0`, `current_l${ph}`, `Current ${L}`, "A", -3, "instantaneous", ph],
      [id + 2, `1-0:${c + 1}.7.0`, `power_import_l${ph}`, `Active power import ${L}`, "W", -1, "instantaneous", ph],
      [id + 3, `1-0:${c + 2}.7.0`, `power_export_l${ph}`, `Active power export ${L}`, "W", -1, "instantaneous", ph],
      [id + 4, `1-0:${c + 3}.7.0`, `reactive_power_l${ph}`, `Fundamental reactive power Q1 ${L}`, "var", -1, "instantaneous", ph],
      [id + 5, `1-0:${c + 9}.7.0`, `apparent_power_l${ph}`, `Apparent power S ${L}`, "VA", -1, "instantaneous", ph],
      [id + 6, `1-0:${c + 13}.7.0`, `power_factor_l${ph}`, `Power factor ${L}`, "", -3, "instantaneous", ph],
      [id + 7, `1-0:${c + 12}.7.124`, `thd_voltage_l${ph}`, `Voltage THD ${L}`, "%", -2, "quality", ph],
      [id + 8, `1-0:${c + 11}.7.124`, `thd_current_l${ph}`, `Current THD ${L}`, "%", -2, "quality", ph],
      [id + 9, `1-0:${c + 12}.32.0`, `voltage_sags_l${ph}`, `Number of voltage sags ${L}`, "", 0, "counter", ph],
      [id + 10, `1-0:${c + 12}.36.0`, `voltage_swells_l${ph}`, `Number of voltage swells ${L}`, "", 0, "counter", ph],
      [id + 11, `1-0:${c + 3}.7.128`, `nonactive_power_l${ph}`, `Non-active power N ${L} (mfr)`, "var", -1, "instantaneous", ph],
      [id + 12, `1-0:${c + 13}.7.128`, `displacement_pf_l${ph}`, `Displacement power factor ${L} (mfr)`, "", -3, "instantaneous", ph],
      [id + 13, `1-0:${c + 1}.7.128`, `signed_power_l${ph}`, `Active power, signed ${L} (mfr)`, "W", -1, "instantaneous", ph],
    );
  }
  rows.push([98, "1-0:91.7.0", "current_neutral", "Current N", "A", -3, "instantaneous", 4]);
  return rows;
}

function buildStandard(): ObisRegistry {
  const registry = new ObisRegistry();
  for (const [id, code, key, name, unit, scale, kind, phase] of ROWS) {
    registry.register({ id, code, key, name, unit, scale, kind, phase });
  }
  // Frozen so xsl keeps the preloaded registry in flash (its Maps are read-only there anyway).
  Object.freeze(registry);
  return registry;
}

/** The registry shared by the whole firmware. */
export const OBIS = buildStandard();

/** Frequently used codes, by meaning (frozen throughout, so xsl keeps the preloaded table in flash). */
export const CODES = Object.freeze({
  energyImport: "1-0:1.8.0",
  energyExport: "1-0:2.8.0",
  reactiveImport: "1-0:3.8.0",
  reactiveExport: "1-0:4.8.0",
  powerImport: "1-0:1.7.0",
  powerExport: "1-0:2.7.0",
  powerNet: "1-0:16.7.0",
  apparentPower: "1-0:9.7.0",
  powerFactor: "1-0:13.7.0",
  frequency: "1-0:14.7.0",
  maxDemand: "1-0:1.6.0",
  voltage: Object.freeze(["1-0:32.7.0", "1-0:52.7.0", "1-0:72.7.0"] as const),
  current: Object.freeze(["1-0:31.7.0", "1-0:51.7.0", "1-0:71.7.0"] as const),
  signedPower: Object.freeze(["1-0:21.7.128", "1-0:41.7.128", "1-0:61.7.128"] as const),
  thdVoltage: Object.freeze(["1-0:32.7.124", "1-0:52.7.124", "1-0:72.7.124"] as const),
  thdCurrent: Object.freeze(["1-0:31.7.124", "1-0:51.7.124", "1-0:71.7.124"] as const),
  powerFailures: "0-0:96.7.21",
  longPowerFailures: "0-0:96.7.9",
} as const);
