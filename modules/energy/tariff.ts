/**
 * Tariff definitions. Money is integer minor units (cents); energy prices are
 * integer milli-minor units per kWh (31.5 ct/kWh = 31500) so no floating-point
 * cents ever appear; prices are net of VAT, which the bill adds once.
 */
export interface TouRule {
  name: string;
  /** Import tariff register 1..4 this rule counts into. */
  register: number;
  /** Bit i set = applies on weekday i (0 = Sunday), local time. */
  days: number;
  /** Local minutes from midnight, [from, to); from > to wraps midnight. */
  fromMinute: number;
  toMinute: number;
  milliMinorPerKWh: number;
}

export interface DynamicSlot {
  start: number;
  /** 15 or 60 minutes. */
  durationMs: number;
  importMilliMinorPerKWh: number;
  exportMilliMinorPerKWh?: number;
}

export interface Tariff {
  currency: string;
  /** VAT in basis points (1900 = 19 %). */
  vatBasisPoints: number;
  fixedMinorPerDay?: number;
  fixedMinorPerMonth?: number;
  /** Flat import price, used when no TOU rule or dynamic slot applies. */
  importMilliMinorPerKWh: number;
  /** Time-of-use rules, first match wins. */
  tou?: TouRule[];
  /** Dynamic prices (day-ahead spot), replacing TOU where present. */
  dynamic?: DynamicSlot[];
  /** Feed-in price (flat) unless a dynamic slot has one. */
  exportMilliMinorPerKWh?: number;
  /** Capacity tariff: milli-minor per kW of the month's highest 15-min demand. */
  capacityMilliMinorPerKWMonth?: number;
  /** Minimum billed capacity (kW), e.g. 2.5 in Flanders. */
  capacityMinimumKW?: number;
  /** Local time = UTC + this offset (fixed; DST is not modelled). */
  utcOffsetMinutes?: number;
}

export interface PriceAt {
  importMilli: number;
  exportMilli: number;
  /** "dynamic", a TOU rule's name, or "flat". */
  source: string;
  register: number;
}

/** The price in force at time t (ms UTC). */
export function priceAt(tariff: Tariff, t: number): PriceAt {
  const exportFlat = tariff.exportMilliMinorPerKWh ?? 0;
  const tou = touAt(tariff, t);
  const register = tou ? tou.register : 1;
  if (tariff.dynamic) {
    const s = findSlot(tariff.dynamic, t);
    if (s) return { importMilli: s.importMilliMinorPerKWh, exportMilli: s.exportMilliMinorPerKWh ?? exportFlat, source: "dynamic", register };
  }
  if (tou) return { importMilli: tou.milliMinorPerKWh, exportMilli: exportFlat, source: tou.name, register };
  return { importMilli: tariff.importMilliMinorPerKWh, exportMilli: exportFlat, source: "flat", register };
}

export function touAt(tariff: Tariff, t: number): TouRule | undefined {
  if (!tariff.tou) return undefined;
  const local = new Date(t + (tariff.utcOffsetMinutes ?? 0) * 60_000);
  const day = local.getUTCDay();
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes();
  for (const r of tariff.tou) {
    if (((r.days >> day) & 1) === 0) continue;
    const inside = r.fromMinute <= r.toMinute ? minute >= r.fromMinute && minute < r.toMinute : minute >= r.fromMinute || minute < r.toMinute;
    if (inside) return r;
  }
  return undefined;
}

function findSlot(slots: DynamicSlot[], t: number): DynamicSlot | undefined {
  // Slots are few (≤ 2 days × 96): a linear scan is cheap and needs no sorting.
  for (const s of slots) if (t >= s.start && t < s.start + s.durationMs) return s;
  return undefined;
}

/** Rounds an amount in millionths of a minor unit to minor units, half away from zero. */
export function microToMinor(micro: number): number {
  return micro < 0 ? -Math.round(-micro / 1e6) : Math.round(micro / 1e6);
}
