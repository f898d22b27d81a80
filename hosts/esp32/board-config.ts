/**
 * The board's settings from mc/config (manifest "config": {"xsmeter": {...}}),
 * with their defaults. Every key is listed in README "Configuration keys".
 */
export interface BoardConfig {
  role: "slave" | "aggregator";
  meterId: number;
  slaveIds: number[];
  can: { controller: "twai" | "mcp2515" | "none"; bitrate: number; tx: number; rx: number; oscillatorHz: number; select: number; interrupt: number };
  spi: { clock: number; out: number; in: number; port: number };
  stpm: { select: number; hz: number; vRms: number; iRms: number; power: number; energy: number; vSample: number; iSample: number; snapshotRate: number };
  relays: { id: string; pin: number; activeLow: boolean }[];
  journalPartition: string;
  /** Sectors of the energy journal's ring (each boot scans them all). */
  journalSectors: number;
  /** Energy journal write policy of a slave: a snapshot at least this often while energy flows… */
  journalPeriodMs: number;
  /** …and at once when this much energy (Wh) is not yet on flash. */
  journalThresholdWh: number;
  measurePeriodMs: number;
  pollPeriodMs: number;
  /**
   * A slave runs the metrology room's board path (BoardMetrology: a window per
   * Measure run, dips/swells/interruptions, 3 s/10 min/2 h aggregates). Off by
   * default: its snapshot analyzer allocates ≈89 KB at 6400 S/s, more than the
   * XS heap of a board without PSRAM.
   */
  metrology: boolean;
  nominalVoltage: number;
  nominalFrequency: 50 | 60;
  /** The aggregator draws the display (when the board has a screen). */
  display: boolean;
  /** Long press on the touch screen (ms). */
  longPressMs: number;
  /** Rotation of touch points onto the display; default: mc/config's "rotation" (the screen's). */
  touchRotation?: 0 | 90 | 180 | 270;
}

/** Freezes an object and everything in it (so a Moddable preload keeps the defaults in flash). */
function deepFreeze<T>(o: T): T {
  for (const v of Object.values(o as object)) if (v !== null && typeof v === "object") deepFreeze(v);
  return Object.freeze(o);
}

export const DEFAULTS: BoardConfig = deepFreeze({
  role: "slave",
  meterId: 1,
  slaveIds: [1, 2, 3],
  can: { controller: "twai", bitrate: 125_000, tx: 21, rx: 22, oscillatorHz: 8_000_000, select: 15, interrupt: 4 },
  spi: { clock: 18, out: 23, in: 19, port: 2 },
  stpm: { select: 5, hz: 1_000_000, vRms: 0.0354, iRms: 0.00104, power: 0.00036, energy: 1e-6, vSample: 2e-5, iSample: 1e-6, snapshotRate: 6400 },
  relays: [],
  journalPartition: "xsjournal",
  journalSectors: 32,
  journalPeriodMs: 60_000,
  journalThresholdWh: 10,
  measurePeriodMs: 1000,
  pollPeriodMs: 1000,
  metrology: false,
  nominalVoltage: 230,
  nominalFrequency: 50,
  display: true,
  longPressMs: 600,
});

/** Merges mc/config's xsmeter object over the defaults (one level deep for the grouped keys). */
export function boardConfig(raw: Record<string, any> | undefined): BoardConfig {
  const c = raw ?? {};
  const out: BoardConfig = { ...DEFAULTS, ...c };
  out.can = { ...DEFAULTS.can, ...(c.can ?? {}) };
  out.spi = { ...DEFAULTS.spi, ...(c.spi ?? {}) };
  out.stpm = { ...DEFAULTS.stpm, ...(c.stpm ?? {}) };
  if (out.role !== "slave" && out.role !== "aggregator") throw new RangeError(`xsmeter.role must be "slave" or "aggregator", not ${String(out.role)}`);
  if (![125_000, 250_000, 500_000, 1_000_000].includes(out.can.bitrate)) throw new RangeError(`xsmeter.can.bitrate ${out.can.bitrate} not supported`);
  if (!["twai", "mcp2515", "none"].includes(out.can.controller)) throw new RangeError(`xsmeter.can.controller must be "twai", "mcp2515" or "none", not ${String(out.can.controller)}`);
  if (out.touchRotation !== undefined && ![0, 90, 180, 270].includes(out.touchRotation)) throw new RangeError(`xsmeter.touchRotation must be 0, 90, 180 or 270, not ${String(out.touchRotation)}`);
  if (out.nominalFrequency !== 50 && out.nominalFrequency !== 60) throw new RangeError(`xsmeter.nominalFrequency must be 50 or 60, not ${String(out.nominalFrequency)}`);
  if (!(out.journalPeriodMs > 0) || !(out.journalThresholdWh > 0)) throw new RangeError("xsmeter.journalPeriodMs and journalThresholdWh must be positive");
  return out;
}
