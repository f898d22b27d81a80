/**
 * MQTT 3.1.1 (and 3.1) packet codec over Uint8Array, engine-neutral: every
 * one of the fourteen control packets, encoded and decoded. `MqttDecoder`
 * takes bytes as they arrive from a socket and hands out whole packets; a
 * malformed packet throws `MqttProtocolError` with a message that says what
 * was wrong, so the session can report it and reconnect.
 */
import { utf8DecodeStrict, utf8Encode } from "../core/bytes";

export type QoS = 0 | 1 | 2;

export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
}

export type Packet =
  | {
      cmd: "connect";
      protocolId: "MQTT" | "MQIsdp";
      protocolVersion: 3 | 4;
      /** Mosquitto's bridge flag (top bit of the protocol level). */
      bridgeMode?: boolean;
      clientId: string;
      clean: boolean;
      keepalive: number;
      username?: string;
      password?: Uint8Array;
      will?: Will;
    }
  | { cmd: "connack"; sessionPresent: boolean; returnCode: number }
  | { cmd: "publish"; topic: string; payload: Uint8Array; qos: QoS; retain: boolean; dup: boolean; messageId?: number }
  | { cmd: "puback" | "pubrec" | "pubrel" | "pubcomp" | "unsuback"; messageId: number }
  | { cmd: "subscribe"; messageId: number; subscriptions: { topic: string; qos: QoS }[] }
  | { cmd: "suback"; messageId: number; granted: number[] }
  | { cmd: "unsubscribe"; messageId: number; unsubscriptions: string[] }
  | { cmd: "pingreq" | "pingresp" | "disconnect" };

export type Cmd = Packet["cmd"];

const TYPES: readonly Cmd[] = ["connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp", "subscribe", "suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect"];

export class MqttProtocolError extends Error {
  override name = "MqttProtocolError";
}

function fail(message: string): never {
  throw new MqttProtocolError(message);
}

/** The largest remaining length MQTT can express (4 length bytes). */
export const MAX_REMAINING_LENGTH = 268_435_455;

// ---------- encoding ----------

class Writer {
  private chunks: Uint8Array[] = [];
  private small: number[] = [];
  private length = 0;

  byte(v: number): void {
    this.small.push(v & 255);
    this.length++;
  }
  u16(v: number): void {
    if (!(v >= 0 && v <= 0xffff && Number.isInteger(v))) fail(`value ${v} does not fit 16 bits`);
    this.byte(v >> 8);
    this.byte(v);
  }
  bytes(b: Uint8Array): void {
    this.flush();
    this.chunks.push(b);
    this.length += b.length;
  }
  prefixed(b: Uint8Array): void {
    if (b.length > 0xffff) fail(`field of ${b.length} bytes exceeds 65535`);
    this.u16(b.length);
    this.bytes(b);
  }
  string(s: string): void {
    this.prefixed(utf8Encode(s));
  }
  finish(first: number): Uint8Array {
    this.flush();
    const n = this.length;
    if (n > MAX_REMAINING_LENGTH) fail(`packet too long: ${n} bytes`);
    const len: number[] = [];
    let x = n;
    do {
      let d = x % 128;
      x = Math.floor(x / 128);
      if (x > 0) d |= 128;
      len.push(d);
    } while (x > 0);
    const out = new Uint8Array(1 + len.length + n);
    out[0] = first;
    out.set(len, 1);
    let at = 1 + len.length;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
  private flush(): void {
    if (this.small.length) {
      this.chunks.push(Uint8Array.from(this.small));
      this.small = [];
    }
  }
}

function checkQos(q: number, what: string): QoS {
  if (q !== 0 && q !== 1 && q !== 2) fail(`${what}: invalid QoS ${q}`);
  return q;
}

function checkId(id: number | undefined, what: string): number {
  if (id === undefined || !(id >= 1 && id <= 0xffff && Number.isInteger(id))) fail(`${what}: packet identifier must be 1..65535, got ${id}`);
  return id;
}

/** Encodes one packet into its bytes on the wire. */
export function encodePacket(p: Packet): Uint8Array {
  const w = new Writer();
  const code = TYPES.indexOf(p.cmd) + 1;
  switch (p.cmd) {
    case "connect": {
      w.string(p.protocolId);
      w.byte(p.protocolVersion | (p.bridgeMode ? 0x80 : 0));
      let flags = 0;
      if (p.username !== undefined) flags |= 0x80;
      if (p.password !== undefined) {
        if (p.username === undefined) fail("connect: a password needs a username in MQTT 3.1.1");
        flags |= 0x40;
      }
      if (p.will) {
        flags |= 0x04 | (checkQos(p.will.qos, "will") << 3);
        if (p.will.retain) flags |= 0x20;
      }
      if (p.clean) flags |= 0x02;
      w.byte(flags);
      w.u16(p.keepalive);
      w.string(p.clientId);
      if (p.will) {
        w.string(p.will.topic);
        w.prefixed(p.will.payload);
      }
      if (p.username !== undefined) w.string(p.username);
      if (p.password !== undefined) w.prefixed(p.password);
      return w.finish(0x10);
    }
    case "connack":
      w.byte(p.sessionPresent ? 1 : 0);
      w.byte(p.returnCode);
      return w.finish(0x20);
    case "publish": {
      const qos = checkQos(p.qos, "publish");
      if (p.topic.length === 0) fail("publish: empty topic");
      if (/[+#]/.test(p.topic)) fail(`publish: wildcard in topic name ${JSON.stringify(p.topic)}`);
      w.string(p.topic);
      if (qos > 0) w.u16(checkId(p.messageId, "publish"));
      w.bytes(p.payload);
      return w.finish(0x30 | (p.dup ? 8 : 0) | (qos << 1) | (p.retain ? 1 : 0));
    }
    case "puback":
    case "pubrec":
    case "pubcomp":
    case "unsuback":
      w.u16(checkId(p.messageId, p.cmd));
      return w.finish(code << 4);
    case "pubrel":
      w.u16(checkId(p.messageId, p.cmd));
      return w.finish(0x62);
    case "subscribe":
      w.u16(checkId(p.messageId, "subscribe"));
      if (p.subscriptions.length === 0) fail("subscribe: no topic filters");
      for (const s of p.subscriptions) {
        w.string(s.topic);
        w.byte(checkQos(s.qos, "subscribe"));
      }
      return w.finish(0x82);
    case "suback":
      w.u16(checkId(p.messageId, "suback"));
      for (const g of p.granted) {
        if (g !== 0 && g !== 1 && g !== 2 && g !== 0x80) fail(`suback: invalid return code ${g}`);
        w.byte(g);
      }
      return w.finish(0x90);
    case "unsubscribe":
      w.u16(checkId(p.messageId, "unsubscribe"));
      if (p.unsubscriptions.length === 0) fail("unsubscribe: no topic filters");
      for (const t of p.unsubscriptions) w.string(t);
      return w.finish(0xa2);
    case "pingreq":
    case "pingresp":
    case "disconnect":
      return w.finish(code << 4);
  }
}

// ---------- decoding ----------

class Reader {
  at: number;
  constructor(private readonly b: Uint8Array, start: number, private readonly end: number, private readonly what: string) {
    this.at = start;
  }
  left(): number {
    return this.end - this.at;
  }
  byte(): number {
    if (this.at >= this.end) fail(`${this.what}: packet too short`);
    return this.b[this.at++];
  }
  u16(): number {
    if (this.at + 2 > this.end) fail(`${this.what}: packet too short`);
    const v = (this.b[this.at] << 8) | this.b[this.at + 1];
    this.at += 2;
    return v;
  }
  prefixed(): Uint8Array {
    const n = this.u16();
    if (this.at + n > this.end) fail(`${this.what}: length ${n} runs past the end of the packet`);
    const out = this.b.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }
  string(field: string): string {
    const raw = this.prefixed();
    const s = utf8DecodeStrict(raw);
    if (s === undefined) fail(`${this.what}: ${field} is not valid UTF-8`);
    if (s.indexOf("\u0000") >= 0) fail(`${this.what}: ${field} contains U+0000`);
    return s;
  }
  rest(): Uint8Array {
    const out = this.b.slice(this.at, this.end);
    this.at = this.end;
    return out;
  }
  done(): void {
    if (this.at !== this.end) fail(`${this.what}: ${this.end - this.at} unexpected trailing bytes`);
  }
}

function decodeBody(first: number, b: Uint8Array, start: number, end: number): Packet {
  const type = first >> 4;
  const flags = first & 15;
  const cmd = TYPES[type - 1];
  if (!cmd) fail(`unknown packet type ${type} (first byte 0x${first.toString(16)})`);
  const r = new Reader(b, start, end, cmd);
  const reservedFlags = cmd === "pubrel" || cmd === "subscribe" || cmd === "unsubscribe" ? 2 : 0;
  if (cmd !== "publish" && flags !== reservedFlags) fail(`${cmd}: invalid header flags 0x${flags.toString(16)}`);
  switch (cmd) {
    case "connect": {
      const protocolId = r.string("protocol name");
      const level = r.byte();
      const protocolVersion = level & 0x7f;
      // Lenient like mosquitto and mqtt-packet: either name with level 3 (3.1) or 4 (3.1.1).
      if (!((protocolId === "MQTT" || protocolId === "MQIsdp") && (protocolVersion === 3 || protocolVersion === 4))) {
        fail(`connect: unsupported protocol ${protocolId} level ${protocolVersion}`);
      }
      const f = r.byte();
      if (f & 1) fail("connect: reserved flag bit set");
      const keepalive = r.u16();
      const clientId = r.string("client id");
      const p: Packet = { cmd, protocolId, protocolVersion, clientId, clean: (f & 2) !== 0, keepalive };
      if (level & 0x80) p.bridgeMode = true;
      if (f & 4) {
        const topic = r.string("will topic");
        const payload = r.prefixed();
        p.will = { topic, payload, qos: checkQos((f >> 3) & 3, "will"), retain: (f & 0x20) !== 0 };
      } else if (f & 0x38) fail("connect: will flags set without a will");
      if (f & 0x80) p.username = r.string("username");
      if (f & 0x40) {
        if (!(f & 0x80) && protocolVersion === 4) fail("connect: password flag without username flag");
        p.password = r.prefixed();
      }
      r.done();
      return p;
    }
    case "connack": {
      const ack = r.byte();
      if (ack & 0xfe) fail("connack: reserved acknowledge flags set");
      const returnCode = r.byte();
      r.done();
      return { cmd, sessionPresent: (ack & 1) === 1, returnCode };
    }
    case "publish": {
      const qos = (flags >> 1) & 3;
      if (qos === 3) fail("publish: invalid QoS 3");
      const topic = r.string("topic");
      if (/[+#]/.test(topic)) fail(`publish: wildcard in topic name ${JSON.stringify(topic)}`);
      const p: Packet = { cmd, topic, payload: new Uint8Array(0), qos: qos as QoS, retain: (flags & 1) === 1, dup: (flags & 8) === 8 };
      if (qos > 0) {
        p.messageId = r.u16();
        if (p.messageId === 0) fail("publish: packet identifier 0");
      } else if (p.dup) fail("publish: DUP set on QoS 0");
      p.payload = r.rest();
      return p;
    }
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
    case "unsuback": {
      const messageId = r.u16();
      r.done();
      return { cmd, messageId };
    }
    case "subscribe": {
      const messageId = r.u16();
      const subscriptions: { topic: string; qos: QoS }[] = [];
      while (r.left() > 0) {
        const topic = r.string("topic filter");
        const q = r.byte();
        if (q & 0xfc) fail("subscribe: reserved bits set in requested QoS");
        subscriptions.push({ topic, qos: checkQos(q, "subscribe") });
      }
      if (subscriptions.length === 0) fail("subscribe: no topic filters");
      return { cmd, messageId, subscriptions };
    }
    case "suback": {
      const messageId = r.u16();
      const granted: number[] = [];
      while (r.left() > 0) {
        const g = r.byte();
        if (g !== 0 && g !== 1 && g !== 2 && g !== 0x80) fail(`suback: invalid return code ${g}`);
        granted.push(g);
      }
      return { cmd, messageId, granted };
    }
    case "unsubscribe": {
      const messageId = r.u16();
      const unsubscriptions: string[] = [];
      while (r.left() > 0) unsubscriptions.push(r.string("topic filter"));
      if (unsubscriptions.length === 0) fail("unsubscribe: no topic filters");
      return { cmd, messageId, unsubscriptions };
    }
    case "pingreq":
    case "pingresp":
    case "disconnect":
      r.done();
      return { cmd };
  }
}

/**
 * Stream decoder: `push(bytes)` returns the packets completed by those bytes
 * and keeps a partial one for later. After it throws, the stream is unusable
 * (framing is lost): drop the connection.
 */
export class MqttDecoder {
  private buf = new Uint8Array(256);
  private len = 0;
  private broken = false;

  constructor(private readonly maxPacket = 1 << 20) {}

  push(bytes: Uint8Array): Packet[] {
    if (this.broken) fail("decoder used after a protocol error");
    this.append(bytes);
    const out: Packet[] = [];
    let at = 0;
    try {
      for (;;) {
        if (this.len - at < 2) break;
        let mult = 1;
        let remaining = 0;
        let i = at + 1;
        let complete = false;
        for (let k = 0; k < 4; k++) {
          if (i >= this.len) break;
          const d = this.buf[i++];
          remaining += (d & 127) * mult;
          mult *= 128;
          if ((d & 128) === 0) {
            complete = true;
            break;
          }
          if (k === 3) fail("malformed remaining length (more than 4 bytes)");
        }
        if (!complete) break;
        if (remaining > this.maxPacket) fail(`packet of ${remaining} bytes exceeds the limit of ${this.maxPacket}`);
        if (this.len - i < remaining) break;
        out.push(decodeBody(this.buf[at], this.buf, i, i + remaining));
        at = i + remaining;
      }
    } catch (e) {
      this.broken = true;
      throw e;
    }
    this.buf.copyWithin(0, at, this.len);
    this.len -= at;
    return out;
  }

  private append(bytes: Uint8Array): void {
    if (this.len + bytes.length > this.buf.length) {
      const size = Math.max(this.buf.length * 2, this.len + bytes.length);
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }
}

/** Decodes exactly one whole packet (throws if the bytes hold less or more). */
export function decodePacket(bytes: Uint8Array): Packet {
  const d = new MqttDecoder(MAX_REMAINING_LENGTH);
  const packets = d.push(bytes);
  if (packets.length !== 1) fail(packets.length === 0 ? "incomplete packet" : `${packets.length} packets where one was expected`);
  return packets[0];
}
