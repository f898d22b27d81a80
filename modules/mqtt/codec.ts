/**
 * MQTT packet codec over Uint8Array, engine-neutral: 3.1.1 (and 3.1) by
 * default, and 5.0 when asked — every control packet encoded and decoded,
 * 5.0's properties and reason codes included. `MqttDecoder` takes bytes as
 * they arrive from a socket and hands out whole packets; a malformed packet
 * throws `MqttProtocolError` with a message that says what was wrong and at
 * which byte of the packet (0 = its first byte), so the session can report it
 * and reconnect. Decoding allocates only the decoded packet.
 */
import { WILL, type Properties } from "./properties";
import { validReasonCode, type ReasonPacket } from "./reason-codes";
import { fail, hex2, MAX_REMAINING_LENGTH, MqttProtocolError, Reader, Writer } from "./wire";

export { MAX_REMAINING_LENGTH, MqttProtocolError } from "./wire";

export type { Properties } from "./properties";

/** The largest whole packet MQTT can express (fixed header of 5 bytes included): a decoder limit meaning "none". */
export const MAX_PACKET_SIZE = MAX_REMAINING_LENGTH + 5;

export type QoS = 0 | 1 | 2;
export type ProtocolVersion = 3 | 4 | 5;

export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** MQTT 5 will properties (delay, expiry, content type, …). */
  properties?: Properties;
}

export interface Subscription {
  topic: string;
  qos: QoS;
  /** MQTT 5 subscription options: no local, retain as published, retain handling. */
  nl?: boolean;
  rap?: boolean;
  rh?: 0 | 1 | 2;
}

/**
 * A control packet. `properties` and the reason codes exist in MQTT 5 only;
 * CONNACK's `returnCode` is 5.0's reason code there. Acknowledgements decoded
 * as 5.0 always carry `reasonCode` (0 when the packet omitted it).
 */
export type Packet =
  | {
      cmd: "connect";
      protocolId: "MQTT" | "MQIsdp";
      protocolVersion: ProtocolVersion;
      /** Mosquitto's bridge flag (top bit of the protocol level). */
      bridgeMode?: boolean;
      clientId: string;
      clean: boolean;
      keepalive: number;
      username?: string;
      password?: Uint8Array;
      will?: Will;
      properties?: Properties;
    }
  | { cmd: "connack"; sessionPresent: boolean; returnCode: number; properties?: Properties }
  | {
      cmd: "publish"; topic: string; payload: Uint8Array; qos: QoS; retain: boolean; dup: boolean; messageId?: number; properties?: Properties;
      /** Set only by a decoder with `skipLargePublish`: the size of a PUBLISH read past unstored (no topic, no payload). */
      tooLarge?: number;
    }
  | { cmd: "puback" | "pubrec" | "pubrel" | "pubcomp"; messageId: number; reasonCode?: number; properties?: Properties }
  | { cmd: "unsuback"; messageId: number; reasonCodes?: number[]; properties?: Properties }
  | { cmd: "subscribe"; messageId: number; subscriptions: Subscription[]; properties?: Properties }
  | { cmd: "suback"; messageId: number; granted: number[]; properties?: Properties }
  | { cmd: "unsubscribe"; messageId: number; unsubscriptions: string[]; properties?: Properties }
  | { cmd: "pingreq" | "pingresp" }
  | { cmd: "disconnect"; reasonCode?: number; properties?: Properties }
  | { cmd: "auth"; reasonCode: number; properties?: Properties };

export type Cmd = Packet["cmd"];

// Frozen: the module is preloaded, so xsl keeps the table in flash instead of copying it to RAM.
const TYPES: readonly Cmd[] = Object.freeze<Cmd[]>(["connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp", "subscribe", "suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect", "auth"]);

/** A topic name may not hold + or # (without a regex literal: each evaluation of one is a new object). */
export function hasWildcard(topic: string): boolean {
  return topic.indexOf("+") >= 0 || topic.indexOf("#") >= 0;
}

function checkQos(q: number, what: string): QoS {
  if (q !== 0 && q !== 1 && q !== 2) fail(`${what}: invalid QoS ${q}`);
  return q;
}

function checkId(id: number | undefined, what: string): number {
  if (id === undefined || !(id >= 1 && id <= 0xffff && Number.isInteger(id))) fail(`${what}: packet identifier must be 1..65535, got ${id}`);
  return id;
}

function checkReason(packet: ReasonPacket, code: number): number {
  if (!validReasonCode(packet, code)) fail(`${packet}: invalid reason code ${hex2(code)}`);
  return code;
}

/** The fields a 3.1.1 packet cannot carry. */
function refuseV5Fields(p: Packet): void {
  const o = p as { properties?: unknown; reasonCode?: number; reasonCodes?: unknown; will?: { properties?: unknown } };
  if (o.properties !== undefined || o.will?.properties !== undefined) fail(`${p.cmd}: properties need MQTT 5`);
  if (o.reasonCode !== undefined && o.reasonCode !== 0) fail(`${p.cmd}: a reason code needs MQTT 5`);
  if (o.reasonCodes !== undefined) fail(`${p.cmd}: reason codes need MQTT 5`);
  if (p.cmd === "subscribe" && p.subscriptions.some((s) => s.nl || s.rap || s.rh)) fail("subscribe: subscription options need MQTT 5");
  if (p.cmd === "auth") fail("auth: the AUTH packet needs MQTT 5");
}

/**
 * Encodes one packet into its bytes on the wire, as MQTT 3.1.1 unless
 * `protocolVersion` is 5 (CONNECT says its own version). Where 5.0 allows a
 * short form, the bytes are those mqtt-packet writes: an acknowledgement with
 * reason 0 and no properties is 2 bytes; DISCONNECT and AUTH always carry the
 * reason code and a property length.
 */
export function encodePacket(p: Packet, protocolVersion: ProtocolVersion = 4): Uint8Array {
  const v5 = (p.cmd === "connect" ? p.protocolVersion : protocolVersion) === 5;
  if (!v5) refuseV5Fields(p);
  const w = new Writer();
  const code = TYPES.indexOf(p.cmd) + 1;
  const where = 1 << code;
  switch (p.cmd) {
    case "connect": {
      if (v5 && p.protocolId !== "MQTT") fail("connect: MQTT 5 is named MQTT");
      w.string(p.protocolId);
      w.byte(p.protocolVersion | (p.bridgeMode ? 0x80 : 0));
      let flags = 0;
      if (p.username !== undefined) flags |= 0x80;
      if (p.password !== undefined) {
        if (p.username === undefined && !v5) fail("connect: a password needs a username in MQTT 3.1.1");
        flags |= 0x40;
      }
      if (p.will) {
        flags |= 0x04 | (checkQos(p.will.qos, "will") << 3);
        if (p.will.retain) flags |= 0x20;
      }
      if (p.clean) flags |= 0x02;
      w.byte(flags);
      w.u16(p.keepalive);
      if (v5) w.properties(p.properties, where, "connect");
      w.string(p.clientId);
      if (p.will) {
        if (v5) w.properties(p.will.properties, WILL, "will");
        w.string(p.will.topic);
        w.prefixed(p.will.payload);
      }
      if (p.username !== undefined) w.string(p.username);
      if (p.password !== undefined) w.prefixed(p.password);
      return w.finish(0x10);
    }
    case "connack":
      w.byte(p.sessionPresent ? 1 : 0);
      w.byte(v5 ? checkReason("connack", p.returnCode) : p.returnCode);
      if (v5) w.properties(p.properties, where, "connack");
      return w.finish(0x20);
    case "publish": {
      const qos = checkQos(p.qos, "publish");
      // 5.0: an empty topic name stands for the one the topic alias was set to.
      if (p.topic.length === 0 && !(v5 && p.properties?.topicAlias)) fail("publish: empty topic");
      if (hasWildcard(p.topic)) fail(`publish: wildcard in topic name ${JSON.stringify(p.topic)}`);
      w.string(p.topic);
      if (qos > 0) w.u16(checkId(p.messageId, "publish"));
      if (v5) w.properties(p.properties, where, "publish");
      w.bytes(p.payload);
      return w.finish(0x30 | (p.dup ? 8 : 0) | (qos << 1) | (p.retain ? 1 : 0));
    }
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp": {
      w.u16(checkId(p.messageId, p.cmd));
      const rc = p.reasonCode ?? 0;
      if (v5 && (rc !== 0 || p.properties !== undefined)) {
        w.byte(checkReason(p.cmd, rc));
        w.properties(p.properties, where, p.cmd);
      }
      return w.finish(p.cmd === "pubrel" ? 0x62 : code << 4);
    }
    case "unsuback":
      w.u16(checkId(p.messageId, p.cmd));
      if (v5) {
        w.properties(p.properties, where, "unsuback");
        const codes = p.reasonCodes ?? [];
        if (codes.length === 0) fail("unsuback: MQTT 5 needs a reason code per topic filter");
        for (const c of codes) w.byte(checkReason("unsuback", c));
      }
      return w.finish(0xb0);
    case "subscribe":
      w.u16(checkId(p.messageId, "subscribe"));
      if (v5) w.properties(p.properties, where, "subscribe");
      if (p.subscriptions.length === 0) fail("subscribe: no topic filters");
      for (const s of p.subscriptions) {
        w.string(s.topic);
        const rh = s.rh ?? 0;
        if (rh !== 0 && rh !== 1 && rh !== 2) fail(`subscribe: invalid retain handling ${rh}`);
        w.byte(checkQos(s.qos, "subscribe") | (s.nl ? 4 : 0) | (s.rap ? 8 : 0) | (rh << 4));
      }
      return w.finish(0x82);
    case "suback":
      w.u16(checkId(p.messageId, "suback"));
      if (v5) w.properties(p.properties, where, "suback");
      if (p.granted.length === 0) fail("suback: no return codes");
      for (const g of p.granted) {
        if (v5) checkReason("suback", g);
        else if (g !== 0 && g !== 1 && g !== 2 && g !== 0x80) fail(`suback: invalid return code ${g}`);
        w.byte(g);
      }
      return w.finish(0x90);
    case "unsubscribe":
      w.u16(checkId(p.messageId, "unsubscribe"));
      if (v5) w.properties(p.properties, where, "unsubscribe");
      if (p.unsubscriptions.length === 0) fail("unsubscribe: no topic filters");
      for (const t of p.unsubscriptions) w.string(t);
      return w.finish(0xa2);
    case "pingreq":
    case "pingresp":
      return w.finish(code << 4);
    case "disconnect":
    case "auth":
      if (v5) {
        w.byte(checkReason(p.cmd, p.reasonCode ?? 0));
        w.properties(p.properties, where, p.cmd);
      }
      return w.finish(code << 4);
  }
}

// ---------- decoding ----------

function decodeBody(first: number, r: Reader, version: ProtocolVersion): Packet {
  const type = first >> 4;
  const flags = first & 15;
  const cmd = TYPES[type - 1];
  const v5 = version === 5;
  if (!cmd || (cmd === "auth" && !v5)) fail(`unknown packet type ${type} (first byte 0x${first.toString(16)}) at byte 0`);
  r.what = cmd;
  const where = 1 << type;
  const reservedFlags = cmd === "pubrel" || cmd === "subscribe" || cmd === "unsubscribe" ? 2 : 0;
  if (cmd !== "publish" && flags !== reservedFlags) r.fail(`invalid header flags 0x${flags.toString(16)}`, r.base);
  switch (cmd) {
    case "connect": {
      const protocolId = r.string("protocol name");
      const levelAt = r.at;
      const level = r.byte();
      const protocolVersion = level & 0x7f;
      // Lenient like mosquitto and mqtt-packet: either name with level 3 (3.1) or 4 (3.1.1); 5.0 is MQTT only.
      const known = protocolId === "MQTT" || protocolId === "MQIsdp";
      if (!(known && (protocolVersion === 3 || protocolVersion === 4 || (protocolVersion === 5 && protocolId === "MQTT")))) {
        r.fail(`unsupported protocol ${protocolId} level ${protocolVersion}`, levelAt);
      }
      const c5 = protocolVersion === 5;
      const f = r.byte();
      if (f & 1) r.fail("reserved flag bit set", r.at - 1);
      const keepalive = r.u16();
      const properties = c5 ? r.properties(where) : undefined;
      const clientId = r.string("client id");
      const p: Packet = { cmd, protocolId, protocolVersion: protocolVersion as ProtocolVersion, clientId, clean: (f & 2) !== 0, keepalive };
      if (level & 0x80) p.bridgeMode = true;
      if (properties) p.properties = properties;
      if (f & 4) {
        const willProps = c5 ? r.properties(WILL) : undefined;
        const topic = r.string("will topic");
        const payload = r.prefixed("will payload");
        const qos = (f >> 3) & 3;
        if (qos === 3) r.fail("invalid will QoS 3", levelAt + 1);
        p.will = { topic, payload, qos: qos as QoS, retain: (f & 0x20) !== 0 };
        if (willProps) p.will.properties = willProps;
      } else if (f & 0x38) r.fail("will flags set without a will", levelAt + 1);
      if (f & 0x80) p.username = r.string("username");
      if (f & 0x40) {
        // 3.1 (level 3) and 5.0 allow a password without a user name; 3.1.1 does not.
        if (!(f & 0x80) && protocolVersion === 4) r.fail("password flag without username flag", levelAt + 1);
        p.password = r.prefixed("password");
      }
      r.done();
      return p;
    }
    case "connack": {
      const ack = r.byte();
      if (ack & 0xfe) r.fail("reserved acknowledge flags set", r.at - 1);
      const returnCode = r.byte();
      const p: Packet = { cmd, sessionPresent: (ack & 1) === 1, returnCode };
      // A 3.1.1 broker answers a 5.0 CONNECT with a 2-byte CONNACK (return code 1):
      // read that shape as it is, so the client can fall back.
      if (v5 && r.left() > 0) {
        if (!validReasonCode("connack", returnCode)) r.fail(`invalid reason code ${hex2(returnCode)}`, r.at - 1);
        const props = r.properties(where);
        if (props) p.properties = props;
      }
      r.done();
      return p;
    }
    case "publish": {
      const qos = (flags >> 1) & 3;
      if (qos === 3) r.fail("invalid QoS 3", r.base);
      const topicAt = r.at;
      const topic = r.string("topic", true);
      const dup = (flags & 8) === 8;
      let messageId = 0;
      if (qos > 0) {
        messageId = r.u16();
        if (messageId === 0) r.fail("packet identifier 0", r.at - 2);
      } else if (dup) r.fail("DUP set on QoS 0", r.base);
      const props = v5 ? r.properties(where) : undefined;
      if (v5 && topic === "" && !props?.topicAlias) r.fail("empty topic name without a topic alias", topicAt);
      // built once everything is read: no placeholder payload to throw away
      const p: Packet = { cmd, topic, payload: r.rest(), qos: qos as QoS, retain: (flags & 1) === 1, dup };
      if (qos > 0) p.messageId = messageId;
      if (props) p.properties = props;
      return p;
    }
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp": {
      const messageId = r.u16();
      if (!v5) {
        r.done();
        return { cmd, messageId };
      }
      // 5.0: reason code and properties may be left out (remaining length 2 or 3).
      const p: Packet = { cmd, messageId, reasonCode: 0 };
      if (r.left() > 0) {
        p.reasonCode = r.byte();
        if (!validReasonCode(cmd, p.reasonCode)) r.fail(`invalid reason code ${hex2(p.reasonCode)}`, r.at - 1);
      }
      if (r.left() > 0) {
        const props = r.properties(where);
        if (props) p.properties = props;
      }
      r.done();
      return p;
    }
    case "unsuback": {
      const messageId = r.u16();
      if (!v5) {
        r.done();
        return { cmd, messageId };
      }
      const p: Packet = { cmd, messageId, reasonCodes: [] };
      const props = r.properties(where);
      if (props) p.properties = props;
      if (r.left() === 0) r.fail("no reason codes");
      while (r.left() > 0) {
        const c = r.byte();
        if (!validReasonCode("unsuback", c)) r.fail(`invalid reason code ${hex2(c)}`, r.at - 1);
        p.reasonCodes!.push(c);
      }
      return p;
    }
    case "subscribe": {
      const messageId = r.u16();
      const p: Packet = { cmd, messageId, subscriptions: [] };
      if (v5) {
        const props = r.properties(where);
        if (props) p.properties = props;
      }
      while (r.left() > 0) {
        const topic = r.string("topic filter");
        const at = r.at;
        const o = r.byte();
        if (!v5) {
          if (o & 0xfc) r.fail("reserved bits set in requested QoS", at);
          if (o === 3) r.fail("invalid QoS 3", at);
          p.subscriptions.push({ topic, qos: o as QoS });
          continue;
        }
        if (o & 0xc0) r.fail("reserved bits 7-6 set in subscription options", at);
        if ((o & 3) === 3) r.fail("invalid QoS 3", at);
        const rh = (o >> 4) & 3;
        if (rh === 3) r.fail("invalid retain handling 3", at);
        p.subscriptions.push({ topic, qos: (o & 3) as QoS, nl: (o & 4) !== 0, rap: (o & 8) !== 0, rh: rh as 0 | 1 | 2 });
      }
      if (p.subscriptions.length === 0) r.fail("no topic filters");
      return p;
    }
    case "suback": {
      const messageId = r.u16();
      const p: Packet = { cmd, messageId, granted: [] };
      if (v5) {
        const props = r.properties(where);
        if (props) p.properties = props;
      }
      while (r.left() > 0) {
        const g = r.byte();
        if (v5 ? !validReasonCode("suback", g) : g !== 0 && g !== 1 && g !== 2 && g !== 0x80) r.fail(`invalid return code ${g}`, r.at - 1);
        p.granted.push(g);
      }
      if (v5 && p.granted.length === 0) r.fail("no reason codes");
      return p;
    }
    case "unsubscribe": {
      const messageId = r.u16();
      const p: Packet = { cmd, messageId, unsubscriptions: [] };
      if (v5) {
        const props = r.properties(where);
        if (props) p.properties = props;
      }
      while (r.left() > 0) p.unsubscriptions.push(r.string("topic filter"));
      if (p.unsubscriptions.length === 0) r.fail("no topic filters");
      return p;
    }
    case "pingreq":
    case "pingresp":
      r.done();
      return { cmd };
    case "disconnect":
    case "auth": {
      if (!v5) {
        r.done();
        return { cmd: "disconnect" };
      }
      // 5.0: remaining length 0 means reason 0; 1 means no properties.
      const p: { cmd: "disconnect" | "auth"; reasonCode: number; properties?: Properties } = { cmd, reasonCode: 0 };
      if (r.left() > 0) {
        p.reasonCode = r.byte();
        if (!validReasonCode(cmd, p.reasonCode)) r.fail(`invalid reason code ${hex2(p.reasonCode)}`, r.at - 1);
      }
      if (r.left() > 0) {
        const props = r.properties(where);
        if (props) p.properties = props;
      }
      r.done();
      return p as Packet;
    }
  }
}

/**
 * A packet whose fixed header announces more than the decoder's limit: refused
 * from those 2-5 bytes, before any of its body is buffered. `size` is the whole
 * packet as announced (fixed header included, as MQTT 5's Maximum Packet Size counts).
 */
export class MqttPacketTooLarge extends MqttProtocolError {
  override name = "MqttPacketTooLarge";
  constructor(readonly size: number, readonly limit: number) {
    super(`packet of ${size} bytes exceeds the limit of ${limit} (refused from its fixed header, before its body)`);
  }
}

/**
 * Stream decoder: `push(bytes)` returns the packets completed by those bytes
 * and keeps a partial one for later. After it throws, the stream is unusable
 * (framing is lost): drop the connection. `protocolVersion` says how to read
 * what follows (a client sets it with its CONNECT; a decoded CONNECT sets it,
 * as a server would).
 *
 * Memory is bounded by `maxPacket` (whole packet, fixed header included), never
 * by what the peer announces: the fixed header is read a byte at a time, checked
 * (at most 4 length bytes, at most `maxPacket`), and only then is the body taken
 * in, the buffer growing with the bytes that actually arrived. Whole packets
 * inside one `push` are decoded where they lie, without a copy.
 *
 * `skipLargePublish` (an MQTT 3.1.1 client): a PUBLISH over the limit is not an
 * error but read past — only its topic length and packet identifier are looked
 * at, the rest is counted off unstored — and returned as a publish with
 * `tooLarge` set and no topic or payload, so the session can acknowledge it. A
 * persistent 3.1.1 session would otherwise deliver it again on every reconnect.
 */
export class MqttDecoder {
  private buf = new Uint8Array(SMALL_BUFFER);
  /** Bytes of the current partial packet held in `buf` (fixed header included). */
  private len = 0;
  /** The current packet's whole size once its fixed header is read; -1 before. */
  private size = -1;
  private headerLen = 0;
  private broken = false;
  private readonly reader = new Reader();
  // skipping an oversized PUBLISH: its first byte, body bytes seen of `skipBody`, topic length, packet id
  private skipFirst = 0;
  private skipBody = 0;
  private skipSeen = 0;
  private skipTopic = 0;
  private skipId = 0;

  constructor(private readonly maxPacket = 1 << 20, public protocolVersion: ProtocolVersion = 4, private readonly skipLargePublish = false) {}

  /** Bytes of a partial packet held now (a test's and a bench's view of the memory it costs). */
  get buffered(): number {
    return this.len;
  }

  /** Size of the buffer it holds. */
  get capacity(): number {
    return this.buf.length;
  }

  push(bytes: Uint8Array): Packet[] {
    if (this.broken) fail("decoder used after a protocol error");
    const out: Packet[] = [];
    const n = bytes.length;
    try {
      let at = 0;
      // a packet begun in an earlier push is completed first
      while (at < n && (this.len > 0 || this.skipBody > 0)) at = this.continuePartial(bytes, at, out);
      // whole packets inside `bytes` are decoded where they lie
      while (at < n) {
        const h = this.frame(bytes, at, n);
        if (h === 0) break;
        this.headerLen = h;
        if (this.skipBody > 0) {
          at += h; // an oversized PUBLISH: the rest of it is counted off below
          break;
        }
        if (at + this.size > n) break;
        out.push(this.decode(bytes, at, h));
        at += this.size;
        this.size = -1;
      }
      // what is left starts a packet: keep it (its body only once the header allowed it)
      while (at < n) at = this.continuePartial(bytes, at, out);
    } catch (e) {
      this.broken = true;
      throw e;
    }
    return out;
  }

  /** Takes bytes of the partial packet (or of the PUBLISH being skipped); returns where it stopped. */
  private continuePartial(bytes: Uint8Array, at: number, out: Packet[]): number {
    const n = bytes.length;
    if (this.skipBody > 0) {
      at = this.skip(bytes, at, n);
      if (this.skipSeen === this.skipBody) out.push(this.skipped());
      return at;
    }
    // the fixed header, a byte at a time: at most 5, and checked after each
    while (this.size < 0 && at < n) {
      this.buf[this.len++] = bytes[at++];
      this.headerLen = this.frame(this.buf, 0, this.len);
      if (this.skipBody > 0) {
        this.len = 0;
        return at;
      }
    }
    if (this.size < 0) return at;
    const take = Math.min(this.size - this.len, n - at);
    if (take > 0) {
      this.reserve(this.len + take);
      this.buf.set(at === 0 && take === n ? bytes : bytes.subarray(at, at + take), this.len);
      this.len += take;
      at += take;
    }
    if (this.len === this.size) {
      out.push(this.decode(this.buf, 0, this.headerLen));
      this.len = 0;
      this.size = -1;
      // a large packet's buffer is not kept between packets (a price table's 40 KiB on the board)
      if (this.buf.length > LARGE_BUFFER) this.buf = new Uint8Array(SMALL_BUFFER);
    }
    return at;
  }

  /**
   * Reads the fixed header at `at`: its length (2-5), setting `size`, or 0 when
   * incomplete. Throws on a 5th length byte, and on a size over the limit unless
   * it starts skipping an oversized PUBLISH.
   */
  private frame(b: Uint8Array, at: number, end: number): number {
    let remaining = 0;
    let mult = 1;
    for (let k = 0; k < 4; k++) {
      const i = at + 1 + k;
      if (i >= end) return 0;
      const d = b[i];
      remaining += (d & 127) * mult;
      mult *= 128;
      if ((d & 128) === 0) {
        const size = 2 + k + remaining;
        if (size > this.maxPacket) this.refuse(b[at], remaining, size);
        else this.size = size;
        return 2 + k;
      }
    }
    fail("malformed remaining length (more than 4 bytes) at byte 1");
  }

  private refuse(first: number, remaining: number, size: number): void {
    if (!this.skipLargePublish || first >> 4 !== 3) throw new MqttPacketTooLarge(size, this.maxPacket);
    if (((first >> 1) & 3) === 3) fail("publish: invalid QoS 3 at byte 0");
    this.skipFirst = first;
    this.skipBody = remaining;
    this.skipSeen = this.skipTopic = this.skipId = 0;
    this.size = size;
  }

  /** Counts off an oversized PUBLISH's body, reading only the topic length and packet identifier. */
  private skip(b: Uint8Array, at: number, end: number): number {
    const qos = (this.skipFirst >> 1) & 3;
    while (at < end && this.skipSeen < this.skipBody) {
      const k = this.skipSeen;
      const idAt = 2 + this.skipTopic;
      if (k < 2) this.skipTopic = this.skipTopic * 256 + b[at];
      else if (qos > 0 && k >= idAt && k < idAt + 2) this.skipId = this.skipId * 256 + b[at];
      else {
        // jump to the identifier if it is still ahead, else to the end of the packet
        const step = Math.min((qos > 0 && k < idAt ? idAt : this.skipBody) - k, end - at);
        at += step;
        this.skipSeen += step;
        continue;
      }
      at++;
      this.skipSeen++;
    }
    return at;
  }

  private skipped(): Packet {
    const qos = ((this.skipFirst >> 1) & 3) as QoS;
    if (2 + this.skipTopic + (qos > 0 ? 2 : 0) > this.skipBody) fail(`publish: topic of ${this.skipTopic} bytes runs past the end of the packet`);
    if (qos > 0 && this.skipId === 0) fail("publish: packet identifier 0");
    const p: Packet = { cmd: "publish", topic: "", payload: new Uint8Array(0), qos, retain: (this.skipFirst & 1) === 1, dup: (this.skipFirst & 8) === 8, tooLarge: this.size };
    if (qos > 0) p.messageId = this.skipId;
    this.skipBody = this.skipSeen = 0;
    this.size = -1;
    return p;
  }

  private decode(b: Uint8Array, at: number, headerLen: number): Packet {
    this.reader.reset(b, at, at + headerLen, at + this.size, "packet");
    const p = decodeBody(b[at], this.reader, this.protocolVersion);
    if (p.cmd === "connect") this.protocolVersion = p.protocolVersion;
    return p;
  }

  /** Grows the buffer (doubling, never past the packet being read) to hold `need` bytes. */
  private reserve(need: number): void {
    if (need <= this.buf.length) return;
    let size = this.buf.length;
    while (size < need) size *= 2;
    const next = new Uint8Array(Math.min(size, this.size));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

/** The partial-packet buffer at rest, and the size above which it is let go after its packet. */
const SMALL_BUFFER = 256;
const LARGE_BUFFER = 4096;

/** Decodes exactly one whole packet (throws if the bytes hold less or more). */
export function decodePacket(bytes: Uint8Array, protocolVersion: ProtocolVersion = 4): Packet {
  const d = new MqttDecoder(MAX_PACKET_SIZE, protocolVersion);
  const packets = d.push(bytes);
  if (packets.length !== 1) fail(packets.length === 0 ? "incomplete packet" : `${packets.length} packets where one was expected`);
  return packets[0];
}
