// The MQTT 3.1.1 codec, cross-checked both ways against the mqtt-packet package
// (random packets of every type) and against mqtt-packet's own test fixtures.
import { describe, expect, it } from "vitest";
import mqtt from "mqtt-packet";
import { createHash, randomBytes } from "node:crypto";
import { MAX_PACKET_SIZE, MAX_REMAINING_LENGTH, decodePacket, encodePacket, MqttDecoder, MqttProtocolError, type Packet } from "../../modules/mqtt/codec";
import { loadFixtures } from "./mqtt-packet-fixtures";

// Bytes as hex; a digest for the huge fixture (hex of 256 MB would not fit a string).
const hex = (b: Uint8Array | string | undefined | null) => {
  if (b == null) return undefined;
  const buf = typeof b === "string" ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return buf.length > 65536 ? `sha256:${buf.length}:${createHash("sha256").update(buf).digest("hex")}` : buf.toString("hex");
};

/** The fields both codecs describe, in one shape, bytes as hex. */
function norm(p: any): any {
  const o: any = { cmd: p.cmd };
  switch (p.cmd) {
    case "connect":
      Object.assign(o, { protocolId: p.protocolId, protocolVersion: p.protocolVersion, bridgeMode: p.bridgeMode ? true : undefined, clientId: p.clientId, clean: !!p.clean, keepalive: p.keepalive, username: p.username == null ? undefined : String(p.username), password: hex(p.password) });
      if (p.will) o.will = { topic: p.will.topic, payload: hex(p.will.payload), qos: p.will.qos ?? 0, retain: !!p.will.retain };
      break;
    case "connack": Object.assign(o, { sessionPresent: !!p.sessionPresent, returnCode: p.returnCode }); break;
    case "publish": Object.assign(o, { topic: p.topic, payload: hex(p.payload), qos: p.qos, retain: !!p.retain, dup: !!p.dup, messageId: p.qos > 0 ? p.messageId : undefined }); break;
    case "subscribe": Object.assign(o, { messageId: p.messageId, subscriptions: p.subscriptions.map((s: any) => ({ topic: s.topic, qos: s.qos })) }); break;
    case "suback": Object.assign(o, { messageId: p.messageId, granted: [...p.granted] }); break;
    case "unsubscribe": Object.assign(o, { messageId: p.messageId, unsubscriptions: [...p.unsubscriptions] }); break;
    case "puback": case "pubrec": case "pubrel": case "pubcomp": case "unsuback": o.messageId = p.messageId; break;
  }
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

function theirParse(bytes: Uint8Array, opts?: object): any[] {
  const parser = mqtt.parser(opts);
  const out: any[] = [];
  const errors: Error[] = [];
  parser.on("packet", (p: any) => out.push(p));
  parser.on("error", (e: Error) => errors.push(e));
  parser.parse(Buffer.from(bytes));
  if (errors.length) throw errors[0];
  return out;
}

function toTheirs(p: Packet): any {
  const o: any = { ...p };
  if (p.cmd === "publish") o.payload = Buffer.from(p.payload);
  if (p.cmd === "connect") {
    if (p.password) o.password = Buffer.from(p.password);
    if (p.will) o.will = { ...p.will, payload: Buffer.from(p.will.payload) };
  }
  return o;
}

let seed = 1;
const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const str = (max: number) => { const chars = "abcXYZ/_-0189é€𝄞 "; let s = ""; const n = rnd(max); for (let i = 0; i < n; i++) s += [...chars][rnd(17)]; return s.replace(/[+#]/g, ""); };
const topic = () => "t/" + str(30);
const id = () => 1 + rnd(65535);
const qos = () => rnd(3) as 0 | 1 | 2;

function randomPacket(kind: number): Packet {
  switch (kind) {
    case 0: {
      const clean = rnd(2) === 1;
      const p: Packet = { cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId: clean ? str(23) : "c" + str(22), clean, keepalive: rnd(65536) };
      if (rnd(2)) p.will = { topic: topic(), payload: new Uint8Array(randomBytes(rnd(50))), qos: qos(), retain: rnd(2) === 1 };
      if (rnd(2)) { p.username = str(12); if (rnd(2)) p.password = new Uint8Array(randomBytes(rnd(20))); }
      return p;
    }
    case 1: return { cmd: "connack", sessionPresent: rnd(2) === 1, returnCode: rnd(6) };
    case 2: { const q = qos(); return { cmd: "publish", topic: topic(), payload: new Uint8Array(randomBytes(rnd(3) === 0 ? rnd(20000) : rnd(100))), qos: q, retain: rnd(2) === 1, dup: q > 0 && rnd(2) === 1, messageId: q > 0 ? id() : undefined }; }
    case 3: return { cmd: "puback", messageId: id() };
    case 4: return { cmd: "pubrec", messageId: id() };
    case 5: return { cmd: "pubrel", messageId: id() };
    case 6: return { cmd: "pubcomp", messageId: id() };
    case 7: return { cmd: "subscribe", messageId: id(), subscriptions: Array.from({ length: 1 + rnd(4) }, () => ({ topic: rnd(2) ? topic() + "/#" : "+/" + topic(), qos: qos() })) };
    case 8: return { cmd: "suback", messageId: id(), granted: Array.from({ length: 1 + rnd(4) }, () => [0, 1, 2, 0x80][rnd(4)]) };
    case 9: return { cmd: "unsubscribe", messageId: id(), unsubscriptions: Array.from({ length: 1 + rnd(4) }, topic) };
    case 10: return { cmd: "unsuback", messageId: id() };
    case 11: return { cmd: "pingreq" };
    case 12: return { cmd: "pingresp" };
    default: return { cmd: "disconnect" };
  }
}

describe("MQTT codec vs mqtt-packet", () => {
  it("encodes every packet type so mqtt-packet parses it back identically, and decodes what mqtt-packet generates", () => {
    for (let n = 0; n < 14 * 40; n++) {
      const p = randomPacket(n % 14);
      const ours = encodePacket(p);
      const parsed = theirParse(ours);
      expect(parsed).toHaveLength(1);
      expect(norm(parsed[0])).toEqual(norm(p));
      const theirs = new Uint8Array(mqtt.generate(toTheirs(p)));
      expect(hex(theirs)).toBe(hex(ours));
      expect(norm(decodePacket(theirs))).toEqual(norm(p));
    }
  });

  it("decodes a stream cut at every byte boundary", () => {
    const packets = Array.from({ length: 28 }, (_, i) => randomPacket(i % 14)).map((p) => ({ ...p, ...(p.cmd === "publish" ? { payload: p.payload.subarray(0, 200) } : {}) }) as Packet);
    const stream = Buffer.concat(packets.map((p) => Buffer.from(encodePacket(p))));
    for (const step of [1, 2, 3, 7, 64]) {
      const d = new MqttDecoder();
      const got: Packet[] = [];
      for (let i = 0; i < stream.length; i += step) got.push(...d.push(new Uint8Array(stream.subarray(i, i + step))));
      expect(got.map(norm)).toEqual(packets.map(norm));
    }
  });

  const fixtures = loadFixtures();
  const version = (f: any) => f.opts?.protocolVersion ?? f.object?.protocolVersion ?? 4;
  const good = fixtures.filter((f) => ["parseGenerate", "parseAndGenerate", "parseGenerateDefaults", "parseOnly"].includes(f.kind) && version(f) !== 5);

  it(`parses mqtt-packet's ${good.length} MQTT 3.1/3.1.1 fixtures as mqtt-packet does, and re-encodes them byte for byte`, () => {
    expect(good.length).toBeGreaterThan(30);
    for (const f of good) {
      const bytes = new Uint8Array(f.buffer!);
      const theirs = theirParse(bytes, f.opts);
      const ours = new MqttDecoder(MAX_PACKET_SIZE).push(bytes);
      expect(ours.map(norm), f.name).toEqual(theirs.map(norm));
      if (f.kind === "parseGenerate") expect(hex(encodePacket(ours[0])), f.name).toBe(hex(bytes));
    }
  });

  const bad = fixtures.filter((f) => f.kind === "parseError" && version(f) !== 5);
  it(`rejects the malformed packets of mqtt-packet's ${bad.length} MQTT 3.1/3.1.1 parse-error fixtures with an MqttProtocolError`, () => {
    const accepted: string[] = [];
    for (const f of bad) {
      const d = new MqttDecoder();
      try {
        const got = d.push(new Uint8Array(f.buffer!));
        if (got.length) accepted.push(f.name);
      } catch (e) {
        expect(e, f.name).toBeInstanceOf(MqttProtocolError);
        expect((e as Error).message.length).toBeGreaterThan(5);
      }
    }
    expect(accepted).toEqual([]);
  });

  it("refuses to encode what MQTT 3.1.1 cannot carry", () => {
    expect(() => encodePacket({ cmd: "publish", topic: "a/+", payload: new Uint8Array(), qos: 0, retain: false, dup: false })).toThrow(MqttProtocolError);
    expect(() => encodePacket({ cmd: "publish", topic: "a", payload: new Uint8Array(), qos: 1, retain: false, dup: false })).toThrow(/identifier/);
    expect(() => encodePacket({ cmd: "puback", messageId: 0 })).toThrow(/identifier/);
    expect(() => encodePacket({ cmd: "subscribe", messageId: 1, subscriptions: [] })).toThrow(/no topic/);
  });

  it("reports a broken stream and refuses to continue after it", () => {
    const d = new MqttDecoder();
    expect(() => d.push(Uint8Array.of(0xf0, 0x00))).toThrow(/unknown packet type 15/);
    expect(() => d.push(Uint8Array.of(0xd0, 0x00))).toThrow(/after a protocol error/);
    expect(() => new MqttDecoder().push(Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0xff, 0x01))).toThrow(/remaining length/);
    expect(() => new MqttDecoder(1000).push(Uint8Array.of(0x30, 0xff, 0x7f))).toThrow(/exceeds the limit/);
  });
});
