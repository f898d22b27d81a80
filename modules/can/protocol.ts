import { OBIS, type ObisCode, type Quantity } from "../core/obis";

/**
 * The xsmeter CAN protocol (11-bit identifiers, 125 kbit/s):
 *
 *   id = message (5 bits) << 6 | node (6 bits)
 *
 * Lower identifiers win arbitration, so the message number is the priority:
 * alarms first, then resync, energy registers, instantaneous values, power
 * quality, counters, then the 10-min aggregate (polled once per 10 min). Node 0 is the master; a remote frame to node 0 of a
 * message is a broadcast request ("every slave, send this quantity"); each
 * slave answers with a data frame on (message, its node), and among answers to
 * one request the lower node number goes first. Up to 63 slaves.
 *
 * Data frame of a quantity (8 bytes, Intel byte order):
 *   0..3  value, int32, in units of 10^scaler of the quantity (modules/core/obis)
 *   4     freshness value, low 8 bits
 *   5..7  MAC: AES-CMAC(node key, id16BE ‖ bytes 0..3 ‖ freshness32BE), first 24 bits
 * Resync request (message 22, master → slave `node`, a data frame): 0..3 the
 *   floor (low 32 bits, LE: the master's last accepted freshness of that slave),
 *   4..7 first 32 bits of AES-CMAC(node key, id16BE ‖ floor32BE ‖ floor high 24 ‖ "RSRQ").
 *   A remote frame on message 1 is no longer answered: without the key nobody can
 *   make a slave move its counter or write flash.
 * Sync frame (message 1, the answer): 0..3 freshness (low 32 bits, LE), 4..7 first
 *   32 bits of AES-CMAC(node key, id16BE ‖ freshness32BE ‖ floor32BE ‖ freshness
 *   high 24 ‖ floor high 24): bound to the request it answers; freshness > floor.
 */
export const NODE_BITS = 6;
export const MAX_NODE = (1 << NODE_BITS) - 1;
export const BROADCAST = 0;
export const MSG_ALARM = 0;
export const MSG_SYNC = 1;
/** The master's authenticated resync request (after the PQ10 messages; slaves never send it). */
export const MSG_RESYNC = 22;
export const MAC_BYTES = 3;

export type MessageClass = "alarm" | "sync" | "energy" | "instantaneous" | "quality" | "counter";

export interface MessageDef {
  msg: number;
  cls: MessageClass;
  code: ObisCode;
  quantity: Quantity;
}

/** Quantities the master reads, in priority order (message numbers 2…). */
export const POLLED_CODES: readonly ObisCode[] = Object.freeze([
  "1-0:1.8.0", // active energy +A
  "1-0:2.8.0", // active energy −A
  "1-0:16.7.0", // active power, signed
  "1-0:3.7.0", // reactive power
  "1-0:32.7.0", // voltage L1
  "1-0:31.7.0", // current L1
  "1-0:14.7.0", // frequency
  "1-0:13.7.0", // power factor
  "1-0:32.7.124", // voltage THD L1
  "1-0:31.7.124", // current THD L1
  "1-0:32.32.0", // voltage sags L1
  "1-0:32.36.0", // voltage swells L1
  "0-0:96.7.21", // power failures
]);

function classOf(q: Quantity): MessageClass {
  return q.kind === "energy" ? "energy" : q.kind === "quality" ? "quality" : q.kind === "counter" ? "counter" : "instantaneous";
}

export const MESSAGES: readonly MessageDef[] = Object.freeze(
  POLLED_CODES.map((code, i) => {
    const quantity = OBIS.mustGet(code);
    return Object.freeze({ msg: i + 2, cls: classOf(quantity), code: quantity.code, quantity });
  }),
);

/**
 * The last 10-min power-quality aggregate (messages 15…21): not in the
 * every-cycle poll; the master asks for them once after each 10-min boundary
 * (`CanMaster.pollCycle(done, PQ10_CODES)`). The stamp goes first: it says
 * which interval the other values belong to (0 = the slave has none yet).
 */
export const PQ10_STAMP: ObisCode = "0-0:130.5.0";
export const PQ10_CODES: readonly ObisCode[] = Object.freeze([
  PQ10_STAMP,
  "1-0:32.5.0", // voltage L1
  "1-0:31.5.0", // current L1
  "1-0:21.5.128", // active power L1, signed (mean)
  "1-0:32.5.124", // voltage THD L1
  "1-0:31.5.124", // current THD L1
  "1-0:14.5.0", // frequency (mean)
]);

export const PQ10_MESSAGES: readonly MessageDef[] = Object.freeze(
  PQ10_CODES.map((code, i) => {
    const quantity = OBIS.mustGet(code);
    return Object.freeze({ msg: MESSAGES.length + 2 + i, cls: classOf(quantity), code: quantity.code, quantity });
  }),
);

/** Every message of the protocol with a quantity (the DBC describes these). */
export const ALL_MESSAGES: readonly MessageDef[] = Object.freeze([...MESSAGES, ...PQ10_MESSAGES]);

/** (stamp) → the interval it names, or undefined for 0 ("none yet") and nonsense. */
export function decodePq10Stamp(stamp: number): { end: number; flagged: boolean } | undefined {
  if (!Number.isInteger(stamp) || stamp <= 0) return undefined;
  return { end: Math.floor(stamp / 2) * 600_000, flagged: (stamp & 1) === 1 };
}

export function encodePq10Stamp(end: number, flagged: boolean): number {
  return Math.floor(end / 600_000) * 2 + (flagged ? 1 : 0);
}

const byCode = new Map<ObisCode, MessageDef>();
const byMsg = new Map<number, MessageDef>();
for (const m of ALL_MESSAGES) {
  byCode.set(m.code, m);
  byMsg.set(m.msg, m);
}

export function messageForCode(code: ObisCode): MessageDef | undefined {
  return byCode.get(OBIS.get(code)?.code ?? code);
}
export function messageByNumber(msg: number): MessageDef | undefined {
  return byMsg.get(msg);
}

export function canId(msg: number, node: number): number {
  return (msg << NODE_BITS) | node;
}
export function msgOf(id: number): number {
  return id >>> NODE_BITS;
}
export function nodeOf(id: number): number {
  return id & MAX_NODE;
}

/** Value → raw int32 per the quantity's scaler; clamps to the int32 range. */
export function toRawValue(def: MessageDef, value: number): number {
  const raw = Math.round(value / 10 ** def.quantity.scale);
  return raw > 0x7fffffff ? 0x7fffffff : raw < -0x80000000 ? -0x80000000 : raw;
}
export function fromRawValue(def: MessageDef, raw: number): number {
  const s = def.quantity.scale;
  return s < 0 ? raw / 10 ** -s : raw * 10 ** s;
}
