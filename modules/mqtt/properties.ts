/**
 * MQTT 5.0 properties (OASIS MQTT 5.0 §2.2.2.2): what each identifier is
 * called, how its value is coded, and in which packets it may appear. The
 * codec reads and writes them through this one table, so a property is
 * described once. Names follow the mqtt-packet package so tests can compare.
 */

/** Properties of a packet (or of a will), in wire order when decoded. */
export interface Properties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  /** One in SUBSCRIBE; a PUBLISH from the server may carry several (an array then). */
  subscriptionIdentifier?: number | number[];
  sessionExpiryInterval?: number;
  assignedClientIdentifier?: string;
  serverKeepAlive?: number;
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
  requestProblemInformation?: boolean;
  willDelayInterval?: number;
  requestResponseInformation?: boolean;
  responseInformation?: string;
  serverReference?: string;
  reasonString?: string;
  receiveMaximum?: number;
  topicAliasMaximum?: number;
  topicAlias?: number;
  maximumQoS?: number;
  retainAvailable?: boolean;
  /** Name/value pairs, in order; a name may repeat. */
  userProperties?: [string, string][];
  maximumPacketSize?: number;
  wildcardSubscriptionAvailable?: boolean;
  subscriptionIdentifiersAvailable?: boolean;
  sharedSubscriptionAvailable?: boolean;
}

export type PropertyName = keyof Properties;

/** How a value is coded: a 0/1 byte, integers, a variable byte integer, UTF-8, binary, a string pair. */
export type PropertyType = "bool" | "u8" | "u16" | "u32" | "varint" | "string" | "binary" | "pair";

export interface PropertyDef {
  id: number;
  name: PropertyName;
  type: PropertyType;
  /** Bit n set = allowed in packet type n (1 CONNECT … 15 AUTH); bit 0 = will properties. */
  where: number;
  /** Zero is a protocol error (receive maximum, topic alias, …). */
  nonZero?: boolean;
}

/** Bit of a packet type in `where`; WILL is bit 0 (packet type 0 is reserved, so it is free). */
export const WILL = 1;
export const CONNECT = 1 << 1;
export const CONNACK = 1 << 2;
export const PUBLISH = 1 << 3;
export const PUBACK = 1 << 4;
export const PUBREC = 1 << 5;
export const PUBREL = 1 << 6;
export const PUBCOMP = 1 << 7;
export const SUBSCRIBE = 1 << 8;
export const SUBACK = 1 << 9;
export const UNSUBSCRIBE = 1 << 10;
export const UNSUBACK = 1 << 11;
export const DISCONNECT = 1 << 14;
export const AUTH = 1 << 15;

const MESSAGE = PUBLISH | WILL;
const ACKS = PUBACK | PUBREC | PUBREL | PUBCOMP | SUBACK | UNSUBACK;
const ALL = CONNECT | CONNACK | PUBLISH | WILL | ACKS | SUBSCRIBE | UNSUBSCRIBE | DISCONNECT | AUTH;

const DEFS: PropertyDef[] = [
  { id: 0x01, name: "payloadFormatIndicator", type: "bool", where: MESSAGE },
  { id: 0x02, name: "messageExpiryInterval", type: "u32", where: MESSAGE },
  { id: 0x03, name: "contentType", type: "string", where: MESSAGE },
  { id: 0x08, name: "responseTopic", type: "string", where: MESSAGE },
  { id: 0x09, name: "correlationData", type: "binary", where: MESSAGE },
  { id: 0x0b, name: "subscriptionIdentifier", type: "varint", where: PUBLISH | SUBSCRIBE, nonZero: true },
  { id: 0x11, name: "sessionExpiryInterval", type: "u32", where: CONNECT | CONNACK | DISCONNECT },
  { id: 0x12, name: "assignedClientIdentifier", type: "string", where: CONNACK },
  { id: 0x13, name: "serverKeepAlive", type: "u16", where: CONNACK },
  { id: 0x15, name: "authenticationMethod", type: "string", where: CONNECT | CONNACK | AUTH },
  { id: 0x16, name: "authenticationData", type: "binary", where: CONNECT | CONNACK | AUTH },
  { id: 0x17, name: "requestProblemInformation", type: "bool", where: CONNECT },
  { id: 0x18, name: "willDelayInterval", type: "u32", where: WILL },
  { id: 0x19, name: "requestResponseInformation", type: "bool", where: CONNECT },
  { id: 0x1a, name: "responseInformation", type: "string", where: CONNACK },
  { id: 0x1c, name: "serverReference", type: "string", where: CONNACK | DISCONNECT },
  { id: 0x1f, name: "reasonString", type: "string", where: CONNACK | ACKS | DISCONNECT | AUTH },
  { id: 0x21, name: "receiveMaximum", type: "u16", where: CONNECT | CONNACK, nonZero: true },
  { id: 0x22, name: "topicAliasMaximum", type: "u16", where: CONNECT | CONNACK },
  { id: 0x23, name: "topicAlias", type: "u16", where: PUBLISH, nonZero: true },
  // The standard allows 0 or 1; 2 is accepted too (mqtt-packet's fixtures send it, and it limits nothing).
  { id: 0x24, name: "maximumQoS", type: "u8", where: CONNACK },
  { id: 0x25, name: "retainAvailable", type: "bool", where: CONNACK },
  { id: 0x26, name: "userProperties", type: "pair", where: ALL },
  { id: 0x27, name: "maximumPacketSize", type: "u32", where: CONNECT | CONNACK, nonZero: true },
  { id: 0x28, name: "wildcardSubscriptionAvailable", type: "bool", where: CONNACK },
  { id: 0x29, name: "subscriptionIdentifiersAvailable", type: "bool", where: CONNACK },
  { id: 0x2a, name: "sharedSubscriptionAvailable", type: "bool", where: CONNACK },
];

/**
 * Definitions indexed by identifier (holes are unknown identifiers). This table,
 * PROPERTY_BY_NAME and every definition are frozen: the module is preloaded, so xsl
 * keeps them in flash instead of copying them to RAM.
 */
export const PROPERTY_BY_ID: readonly (PropertyDef | undefined)[] = (() => {
  const t: (PropertyDef | undefined)[] = [];
  for (let i = 0; i <= 0x2a; i++) t.push(undefined);
  for (const d of DEFS) t[d.id] = Object.freeze(d);
  return Object.freeze(t);
})();

/** Definitions by name, for encoding. */
export const PROPERTY_BY_NAME: { readonly [K in PropertyName]: PropertyDef } = (() => {
  const t: Record<string, PropertyDef> = {};
  for (const d of DEFS) t[d.name] = Object.freeze(d);
  return Object.freeze(t) as { [K in PropertyName]: PropertyDef };
})();

/** Whether a property may appear more than once in a packet of this kind. */
export function repeatable(def: PropertyDef, where: number): boolean {
  return def.type === "pair" || (def.id === 0x0b && where === PUBLISH);
}
