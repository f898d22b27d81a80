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
