// XS conformance: the MQTT 3.1.1 codec — every packet type encoded, decoded
// from a stream cut into small pieces, and re-encoded to the same bytes.
import { encodePacket, MqttDecoder, type Packet } from "../../../modules/mqtt/codec";
import { concatBytes, toHex, utf8Encode } from "../../../modules/core/bytes";

const PACKETS: Packet[] = [
  { cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId: "xsmeter-n1", clean: false, keepalive: 60, username: "meter", password: utf8Encode("s3cret"), will: { topic: "xsmeter/n1/status", payload: utf8Encode("offline"), qos: 1, retain: true } },
  { cmd: "connack", sessionPresent: true, returnCode: 0 },
  { cmd: "publish", topic: "xsmeter/n1/meter/1/1-0:32.7.0", payload: utf8Encode('{"seq":42,"t":1767225600000,"v":230.12}'), qos: 1, retain: false, dup: true, messageId: 42 },
  { cmd: "publish", topic: "homeassistant/sensor/n1/m1_voltage_l1/config", payload: utf8Encode("{}"), qos: 0, retain: true, dup: false },
  { cmd: "puback", messageId: 42 },
  { cmd: "pubrec", messageId: 7 },
  { cmd: "pubrel", messageId: 7 },
  { cmd: "pubcomp", messageId: 7 },
  { cmd: "subscribe", messageId: 3, subscriptions: [{ topic: "xsmeter/n1/cmd/#", qos: 1 }, { topic: "+/é/€", qos: 0 }] },
  { cmd: "suback", messageId: 3, granted: [1, 0x80] },
  { cmd: "unsubscribe", messageId: 4, unsubscriptions: ["xsmeter/n1/cmd/#"] },
  { cmd: "unsuback", messageId: 4 },
  { cmd: "pingreq" },
  { cmd: "pingresp" },
  { cmd: "disconnect" },
];

function describe(p: Packet): unknown {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) o[k] = v instanceof Uint8Array ? toHex(v) : k === "will" && v ? { ...(v as object), payload: toHex((v as { payload: Uint8Array }).payload) } : v;
  return o;
}

export function run(): unknown {
  const wire = PACKETS.map((p) => encodePacket(p));
  const stream = concatBytes(...wire);
  const decoder = new MqttDecoder();
  const got: Packet[] = [];
  for (let i = 0; i < stream.length; i += 5) got.push(...decoder.push(stream.subarray(i, i + 5)));
  const same = got.every((p, i) => toHex(encodePacket(p)) === toHex(wire[i]));
  let error = "";
  try {
    new MqttDecoder().push(Uint8Array.of(0x62, 0x02, 0x00));
    new MqttDecoder().push(Uint8Array.of(0x40, 0x03, 0x00, 0x01, 0x00));
  } catch (e) {
    error = (e as Error).message;
  }
  return { wire: wire.map(toHex), decoded: got.map(describe), same, count: got.length, error, oversize: oversize() };
}

/** An oversized packet refused from its header (buffer untouched), and a 3.1.1 PUBLISH read past. */
function oversize(): unknown {
  const big = new Uint8Array(4 + 8192);
  big.set([0x30, 0xfc, 0xff, 0x3f]); // announces 1 MiB
  const d = new MqttDecoder(41 * 1024, 5);
  let refused = "";
  try {
    d.push(big);
  } catch (e) {
    refused = (e as Error).name + ": " + (e as Error).message;
  }
  const skip = new MqttDecoder(1000, 4, true);
  const p: Packet = { cmd: "publish", topic: "xsmeter/n1/cmd/price", payload: new Uint8Array(5000), qos: 1, retain: false, dup: false, messageId: 9 };
  const stream = concatBytes(encodePacket(p), encodePacket({ cmd: "pingresp" }));
  const got: Packet[] = [];
  for (let i = 0; i < stream.length; i += 700) got.push(...skip.push(stream.subarray(i, i + 700)));
  return { refused, capacity: d.capacity, skipped: got.map(describe), skipCapacity: skip.capacity };
}

export const probes = {
  encodeDecodePublish(): unknown {
    const p: Packet = { cmd: "publish", topic: "xsmeter/n1/meter/1/1-0:32.7.0", payload: utf8Encode('{"seq":42,"v":230.12}'), qos: 1, retain: false, dup: false, messageId: 42 };
    return new MqttDecoder().push(encodePacket(p)).length;
  },
};
