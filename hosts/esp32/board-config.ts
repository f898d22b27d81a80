/**
 * The board's settings from mc/config (manifest "config": {"xsmeter": {...}}),
 * with their defaults. Every key is listed in README "Configuration keys".
 */
import { MAX_NODE } from "../../modules/can/protocol";
import { MAX_BOOKED_METERS } from "../../modules/app/booking-journal";
import { OBIS_TOPIC_FORMS, type ObisTopicForm } from "../../modules/mqtt/obis-topic";

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
   * Measure run, dips/swells/interruptions, 3 s/10 min/2 h aggregates). On by
   * default: its snapshot analyzer (≈89 KB at 6400 S/s, more than the XS heap of
   * a board without PSRAM) is made only at the first waveform snapshot, and the
   * board captures none yet.
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
  /** The aggregator's household web page (board-web.ts); port 0: no web server. */
  web: {
    port: number;
    /**
     * PBKDF2-HMAC-SHA256 iterations of the sign-in password, board-sized: each costs
     * ≈36,100 XS computrons (test:xs pbkdf2x100; ≈72,500 before the HMAC pads were prepared once per call), so 100 ≈ 3.6 M computrons per sign-in.
     */
    pbkdf2Iterations: number;
    /** Reading without sign-in (control always needs it). */
    readOpen: boolean;
    utcOffsetMin: number;
  };
  /** The utility's MQTT link of the aggregator (board-cloud.ts); empty host: no cloud link. */
  cloud: {
    host: string;
    port: number;
    /** Node id in the topics xsmeter/<node>/… (letters, digits, _ and -). */
    node: string;
    /** Readings period until the cloud sets publishIntervalMs. */
    periodMs: number;
    /** A trial firmware must reach the broker within this, or the board resets and ESP-IDF rolls back. */
    selfTestMs: number;
    /** Let Home Assistant switch loads marked switchable over its unauthenticated command topic (default false). */
    haSwitching: boolean;
    /** How reading topics write the OBIS code: "dotted" (1-0:1.8.0, default) or "underscored" (1-0:1_8_0, for a NATS broker). */
    obisTopics: ObisTopicForm;
  };
  /** The contract's flat tariff (minor units per kWh): the aggregator's prices until the utility sends a table. */
  tariff: { importMinorPerKWh: number; exportMinorPerKWh: number };
  /** Firmware updates (board-ota.ts). */
  firmware: {
    /** The version this build is (a newer signed image is needed to update). */
    version: string;
    /** The utility's Ed25519 firmware key, 64 hex digits; empty: firmware offers are refused. */
    publicKey: string;
  };
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
  metrology: true,
  nominalVoltage: 230,
  nominalFrequency: 50,
  display: true,
  longPressMs: 600,
  web: { port: 80, pbkdf2Iterations: 100, readOpen: true, utcOffsetMin: 0 },
  cloud: { host: "", port: 1883, node: "meter", periodMs: 60_000, selfTestMs: 300_000, haSwitching: false, obisTopics: "dotted" },
  firmware: { version: "1.0.0", publicKey: "" },
  tariff: { importMinorPerKWh: 30, exportMinorPerKWh: 8 },
});

// The patterns are made per call, not kept at module level: a preloaded RegExp lives in ROM, and
// XS 17 crashed matching one (README, board section: the obis SIGSEGV).
const matches = (v: unknown, pattern: () => RegExp): boolean => typeof v === "string" && pattern().test(v);

function isPort(p: unknown, zeroOk: boolean): boolean {
  return Number.isInteger(p) && (p as number) <= 65535 && (p as number) >= (zeroOk ? 0 : 1);
}

/** Merges mc/config's xsmeter object over the defaults (one level deep for the grouped keys). */
export function boardConfig(raw: Record<string, any> | undefined): BoardConfig {
  const c = raw ?? {};
  const out: BoardConfig = { ...DEFAULTS, ...c };
  out.can = { ...DEFAULTS.can, ...(c.can ?? {}) };
  out.spi = { ...DEFAULTS.spi, ...(c.spi ?? {}) };
  out.stpm = { ...DEFAULTS.stpm, ...(c.stpm ?? {}) };
  out.web = { ...DEFAULTS.web, ...(c.web ?? {}) };
  out.cloud = { ...DEFAULTS.cloud, ...(c.cloud ?? {}) };
  out.firmware = { ...DEFAULTS.firmware, ...(c.firmware ?? {}) };
  out.tariff = { ...DEFAULTS.tariff, ...(c.tariff ?? {}) };
  if (out.role !== "slave" && out.role !== "aggregator") throw new RangeError(`xsmeter.role must be "slave" or "aggregator", not ${String(out.role)}`);
  if (![125_000, 250_000, 500_000, 1_000_000].includes(out.can.bitrate)) throw new RangeError(`xsmeter.can.bitrate ${out.can.bitrate} not supported`);
  if (!["twai", "mcp2515", "none"].includes(out.can.controller)) throw new RangeError(`xsmeter.can.controller must be "twai", "mcp2515" or "none", not ${String(out.can.controller)}`);
  if (out.touchRotation !== undefined && ![0, 90, 180, 270].includes(out.touchRotation)) throw new RangeError(`xsmeter.touchRotation must be 0, 90, 180 or 270, not ${String(out.touchRotation)}`);
  if (out.nominalFrequency !== 50 && out.nominalFrequency !== 60) throw new RangeError(`xsmeter.nominalFrequency must be 50 or 60, not ${String(out.nominalFrequency)}`);
  if (!(out.journalPeriodMs > 0) || !(out.journalThresholdWh > 0)) throw new RangeError("xsmeter.journalPeriodMs and journalThresholdWh must be positive");
  // CAN node ids are 6 bits (0 is the aggregator); the aggregator's booking checkpoint holds at most 16 meters.
  const ids = out.slaveIds;
  if (!(Array.isArray(ids) && ids.length >= 1 && ids.length <= MAX_BOOKED_METERS && ids.every((id) => Number.isInteger(id) && id >= 1 && id <= MAX_NODE) && new Set(ids).size === ids.length)) {
    throw new RangeError(`xsmeter.slaveIds must be 1..${MAX_BOOKED_METERS} different CAN node ids 1..${MAX_NODE}, not ${JSON.stringify(ids)}`);
  }
  if (out.role === "slave" && !(Number.isInteger(out.meterId) && out.meterId >= 1 && out.meterId <= MAX_NODE)) throw new RangeError(`xsmeter.meterId must be a CAN node id 1..${MAX_NODE}, not ${String(out.meterId)}`);
  if (!isPort(out.web.port, true)) throw new RangeError(`xsmeter.web.port must be 0..65535 (0: no web server), not ${String(out.web.port)}`);
  const it = out.web.pbkdf2Iterations;
  if (!(Number.isInteger(it) && it >= 10 && it <= 100_000)) throw new RangeError(`xsmeter.web.pbkdf2Iterations must be an integer 10..100000, not ${String(it)}`);
  if (typeof out.cloud.host !== "string") throw new RangeError("xsmeter.cloud.host must be a host name or address (empty: no cloud link)");
  if (!isPort(out.cloud.port, false)) throw new RangeError(`xsmeter.cloud.port must be 1..65535, not ${String(out.cloud.port)}`);
  if (!matches(out.cloud.node, () => /^[A-Za-z0-9_-]{1,32}$/)) throw new RangeError(`xsmeter.cloud.node must be 1..32 letters, digits, _ or -, not ${String(out.cloud.node)}`);
  if (!(out.cloud.periodMs >= 1000) || !(out.cloud.selfTestMs >= 10_000)) throw new RangeError("xsmeter.cloud.periodMs must be ≥ 1000 and selfTestMs ≥ 10000");
  if (typeof out.cloud.haSwitching !== "boolean") throw new RangeError(`xsmeter.cloud.haSwitching must be true or false, not ${String(out.cloud.haSwitching)}`);
  if (OBIS_TOPIC_FORMS.indexOf(out.cloud.obisTopics) < 0) throw new RangeError(`xsmeter.cloud.obisTopics must be "dotted" or "underscored", not ${String(out.cloud.obisTopics)}`);
  if (!matches(out.firmware.version, () => /^\d{1,5}\.\d{1,5}\.\d{1,5}$/)) throw new RangeError(`xsmeter.firmware.version must be major.minor.patch, not ${String(out.firmware.version)}`);
  const { importMinorPerKWh: imp, exportMinorPerKWh: exp } = out.tariff;
  if (!(Number.isFinite(imp) && Number.isFinite(exp) && imp >= 0 && exp >= 0)) throw new RangeError("xsmeter.tariff.importMinorPerKWh and exportMinorPerKWh must be numbers ≥ 0");
  if (!matches(out.firmware.publicKey, () => /^([0-9a-f]{64})?$/)) throw new RangeError("xsmeter.firmware.publicKey must be 64 lower-case hex digits (or empty: no updates)");
  return out;
}
