// What `npm run bench:mqtt5` runs inside XS: one reading's PUBLISH encoded and decoded
// as 3.1.1, as 5.0 by topic alias, and as 5.0 with several properties; a broker's
// CONNACK with properties decoded. Engine-neutral; the bench times each call alone.
import { encodePacket, MqttDecoder, type Packet } from "../../modules/mqtt/codec";
import { utf8Encode } from "../../modules/core/bytes";

export const TOPIC = "xsmeter/sim-42/meter/3/1-0:32.7.0";
export const PAYLOAD = '{"boot":1790000000,"seq":12345,"t":1790000000123,"v":230.12,"u":"V"}';

const payload = utf8Encode(PAYLOAD);
const v4: Packet = { cmd: "publish", topic: TOPIC, payload, qos: 1, retain: false, dup: false, messageId: 4242 };
const alias: Packet = { cmd: "publish", topic: "", payload, qos: 1, retain: false, dup: false, messageId: 4242, properties: { topicAlias: 3 } };
const rich: Packet = { cmd: "publish", topic: TOPIC, payload, qos: 1, retain: false, dup: false, messageId: 4242, properties: { topicAlias: 3, payloadFormatIndicator: true, messageExpiryInterval: 3600, contentType: "application/json", userProperties: [["meter", "3"]] } };
const connack = encodePacket({ cmd: "connack", sessionPresent: true, returnCode: 0, properties: { receiveMaximum: 20, topicAliasMaximum: 10, maximumQoS: 1, retainAvailable: true, serverKeepAlive: 45, maximumPacketSize: 1 << 20 } }, 5);
const d4 = new MqttDecoder(1 << 20, 4);
const d5 = new MqttDecoder(1 << 20, 5);

export function publish311(): number {
  return d4.push(encodePacket(v4)).length;
}
export function publish5Alias(): number {
  return d5.push(encodePacket(alias, 5)).length;
}
export function publish5Rich(): number {
  return d5.push(encodePacket(rich, 5)).length;
}
export function connack5(): number {
  return d5.push(connack).length;
}
export function nothing(): number {
  return 0;
}

// Heap probes: decode the same bytes n times keeping nothing, versus building an equal
// packet (same fields, same property object, a fresh payload copy and output array) n times.
const aliasBytes = encodePacket(alias, 5);
const richBytes = encodePacket(rich, 5);
export function decodeMany(which: "alias" | "rich", n: number): number {
  const bytes = which === "alias" ? aliasBytes : richBytes;
  let k = 0;
  for (let i = 0; i < n; i++) k += d5.push(bytes).length;
  return k;
}
export function buildMany(which: "alias" | "rich", n: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) {
    const p = which === "alias"
      ? { cmd: "publish", topic: "", payload: payload.slice(), qos: 1, retain: false, dup: false, messageId: 4242, properties: { topicAlias: 3 } }
      : { cmd: "publish", topic: TOPIC + "", payload: payload.slice(), qos: 1, retain: false, dup: false, messageId: 4242, properties: { topicAlias: 3, payloadFormatIndicator: true, messageExpiryInterval: 3600, contentType: "application/" + "json", userProperties: [["meter", "3"]] } };
    k += [p].length;
  }
  return k;
}
