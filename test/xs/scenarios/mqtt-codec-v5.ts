// XS conformance: the MQTT 5.0 side of the codec — all fifteen packet types with
// properties (user properties, topic alias, expiry, content type, correlation data,
// subscription options, reason codes) encoded, decoded from a stream cut into small
// pieces and re-encoded to the same bytes; and the decode errors of malformed
// properties (their messages name the byte), which must read the same on both engines.
import { encodePacket, MqttDecoder, type Packet } from "../../../modules/mqtt/codec";
import { concatBytes, toHex, utf8Encode } from "../../../modules/core/bytes";

const PACKETS: Packet[] = [
  {
    cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clientId: "xsmeter-n1", clean: false, keepalive: 60, username: "meter", password: utf8Encode("s3cret"),
    properties: { sessionExpiryInterval: 0xffffffff, receiveMaximum: 16, maximumPacketSize: 1 << 20, userProperties: [["fw", "1.2.0"], ["fw", "a"]] },
    will: { topic: "xsmeter/n1/status", payload: utf8Encode("offline"), qos: 1, retain: true, properties: { willDelayInterval: 30, payloadFormatIndicator: true, contentType: "text/plain" } },
  },
  { cmd: "connack", sessionPresent: true, returnCode: 0, properties: { receiveMaximum: 20, topicAliasMaximum: 10, maximumQoS: 1, retainAvailable: true, serverKeepAlive: 45, assignedClientIdentifier: "auto-7", reasonString: "welcome" } },
  { cmd: "publish", topic: "xsmeter/n1/meter/1/1-0:32.7.0", payload: utf8Encode('{"seq":42,"v":230.12}'), qos: 1, retain: false, dup: true, messageId: 42, properties: { topicAlias: 3, messageExpiryInterval: 3600, contentType: "application/json", responseTopic: "xsmeter/n1/ack", correlationData: Uint8Array.of(0, 1, 0xfe, 0xff), payloadFormatIndicator: true, userProperties: [["é", "€"]] } },
  { cmd: "publish", topic: "", payload: utf8Encode("{}"), qos: 0, retain: false, dup: false, properties: { topicAlias: 3, subscriptionIdentifier: [1, 268435455] } },
  { cmd: "puback", messageId: 42 },
  { cmd: "puback", messageId: 43, reasonCode: 0x87, properties: { reasonString: "not for you" } },
  { cmd: "pubrec", messageId: 7, reasonCode: 0x10 },
  { cmd: "pubrel", messageId: 7, reasonCode: 0x92 },
  { cmd: "pubcomp", messageId: 7 },
  { cmd: "subscribe", messageId: 3, properties: { subscriptionIdentifier: 16384 }, subscriptions: [{ topic: "xsmeter/n1/cmd/#", qos: 1, nl: true, rap: false, rh: 2 }, { topic: "+/é/€", qos: 0, rap: true, rh: 1 }] },
  { cmd: "suback", messageId: 3, granted: [1, 0x87], properties: { reasonString: "half" } },
  { cmd: "unsubscribe", messageId: 4, unsubscriptions: ["xsmeter/n1/cmd/#"], properties: { userProperties: [["why", "bye"]] } },
  { cmd: "unsuback", messageId: 4, reasonCodes: [0x11] },
  { cmd: "pingreq" },
  { cmd: "pingresp" },
  { cmd: "disconnect", reasonCode: 0x8e, properties: { reasonString: "session taken over", serverReference: "b2.example" } },
  { cmd: "auth", reasonCode: 0x18, properties: { authenticationMethod: "SCRAM-SHA-256", authenticationData: Uint8Array.of(1, 2, 3) } },
];

// Malformed 5.0 packets (each decoded alone): the error message, or "accepted".
const MALFORMED: number[][] = [
  [0x30, 0x0b, 0x00, 0x01, 0x74, 0x06, 0x23, 0x00, 0x05, 0x23, 0x00, 0x06, 0x68], // topic alias twice
  [0x30, 0x07, 0x00, 0x01, 0x74, 0x02, 0x7e, 0x00, 0x68], // unknown property 0x7e
  [0x30, 0x0a, 0x00, 0x01, 0x74, 0x05, 0x11, 0x00, 0x00, 0x00, 0x01, 0x68], // session expiry in a PUBLISH
  [0x40, 0x05, 0x00, 0x01, 0x00, 0x09, 0x1f], // property length past the packet
  [0x30, 0x08, 0x00, 0x01, 0x74, 0x03, 0x03, 0x00, 0x0a, 0x68], // content type past the properties
  [0x30, 0x09, 0x00, 0x01, 0x74, 0x05, 0x0b, 0xff, 0xff, 0xff, 0xff], // 5-byte variable integer
  [0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x00], // receive maximum 0
  [0x40, 0x03, 0x00, 0x01, 0x8e], // a DISCONNECT reason in a PUBACK
  [0x20, 0x02, 0x00, 0x01], // a 3.1.1 broker's refusal: accepted, return code 1
];

/** JSON-able view: bytes as hex, at any depth (properties, will, user properties). */
function describe(v: unknown): unknown {
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(describe);
  if (v && typeof v === "object") {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = describe(x);
    return o;
  }
  return v;
}

export function run(): unknown {
  const wire = PACKETS.map((p) => encodePacket(p, 5));
  const stream = concatBytes(...wire);
  const decoder = new MqttDecoder(1 << 20, 5);
  const got: Packet[] = [];
  for (let i = 0; i < stream.length; i += 7) got.push(...decoder.push(stream.subarray(i, i + 7)));
  const same = got.length === wire.length && got.every((p, i) => toHex(encodePacket(p, 5)) === toHex(wire[i]));
  const errors = MALFORMED.map((bytes) => {
    try {
      return describe(new MqttDecoder(1 << 20, 5).push(Uint8Array.from(bytes)));
    } catch (e) {
      return (e as Error).message;
    }
  });
  return { wire: wire.map(toHex), decoded: got.map(describe), same, count: got.length, errors };
}

export const probes = {
  encodeDecodePublishWithAlias(): unknown {
    const p: Packet = { cmd: "publish", topic: "", payload: utf8Encode('{"seq":42,"v":230.12}'), qos: 1, retain: false, dup: false, messageId: 42, properties: { topicAlias: 3 } };
    return new MqttDecoder(1 << 20, 5).push(encodePacket(p, 5)).length;
  },
};
