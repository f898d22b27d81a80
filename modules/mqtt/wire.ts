/**
 * The bytes under the MQTT codec: `Writer` builds a packet (integers, variable
 * byte integers, length-prefixed strings and binary, 5.0 property blocks) and
 * `Reader` reads one packet's body with bounds checks, every failure an
 * `MqttProtocolError` naming the byte (offset from the packet's first byte).
 * Property blocks go through the table in properties.ts in both directions.
 */
import { utf8DecodeStrict, utf8Encode } from "../core/bytes";
import { PROPERTY_BY_ID, PROPERTY_BY_NAME, repeatable, WILL, type Properties, type PropertyDef, type PropertyName } from "./properties";

export class MqttProtocolError extends Error {
  override name = "MqttProtocolError";
}

export function fail(message: string): never {
  throw new MqttProtocolError(message);
}

/** The largest remaining length (and variable byte integer) MQTT can express: 4 bytes of 7 bits. */
export const MAX_REMAINING_LENGTH = 268_435_455;

/** 0x0b, 0x8e: how reason codes and property ids are shown. */
export const hex2 = (n: number) => (n < 16 ? "0x0" : "0x") + n.toString(16);

/** Builds one packet: small values batched, large byte fields kept by reference until `finish`. */
export class Writer {
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
  u32(v: number): void {
    if (!(v >= 0 && v <= 0xffffffff && Number.isInteger(v))) fail(`value ${v} does not fit 32 bits`);
    this.byte(Math.floor(v / 0x1000000));
    this.byte(v >> 16);
    this.byte(v >> 8);
    this.byte(v);
  }
  varint(v: number): void {
    if (!(v >= 0 && v <= MAX_REMAINING_LENGTH && Number.isInteger(v))) fail(`value ${v} does not fit a variable byte integer (0..${MAX_REMAINING_LENGTH})`);
    do {
      let d = v % 128;
      v = Math.floor(v / 128);
      if (v > 0) d |= 128;
      this.byte(d);
    } while (v > 0);
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
  /** The bytes written so far, with `head` (fixed header bytes, or none) in front. */
  finish(first?: number): Uint8Array {
    this.flush();
    const n = this.length;
    if (n > MAX_REMAINING_LENGTH) fail(`packet too long: ${n} bytes`);
    const len: number[] = [];
    if (first !== undefined) {
      len.push(first);
      let x = n;
      do {
        let d = x % 128;
        x = Math.floor(x / 128);
        if (x > 0) d |= 128;
        len.push(d);
      } while (x > 0);
    }
    const out = new Uint8Array(len.length + n);
    out.set(len, 0);
    let at = len.length;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
  /** Property length, then the properties (§2.2.2); an absent set is written as length 0. */
  properties(props: Properties | undefined, where: number, what: string): void {
    const w = new Writer();
    if (props) {
      for (const name of Object.keys(props) as PropertyName[]) {
        const value = props[name];
        if (value === undefined) continue;
        const def: PropertyDef | undefined = PROPERTY_BY_NAME[name];
        if (!def) fail(`${what}: unknown property ${name}`);
        if (!(def.where & where)) fail(`${what}: property ${name} is not allowed here`);
        if (Array.isArray(value) && def.type !== "pair") {
          if (!repeatable(def, where) && value.length !== 1) fail(`${what}: property ${name} must not repeat`);
          for (const v of value) w.property(def, v, what);
        } else w.property(def, value, what);
      }
    }
    const body = w.finish();
    this.varint(body.length);
    this.bytes(body);
  }
  private property(def: PropertyDef, v: unknown, what: string): void {
    const bad = () => fail(`${what}: invalid ${def.name}: ${String(v)}`);
    if (def.type === "pair") {
      for (const pair of v as [string, string][]) {
        if (!Array.isArray(pair) || typeof pair[0] !== "string" || typeof pair[1] !== "string") bad();
        this.byte(def.id);
        this.string(pair[0]);
        this.string(pair[1]);
      }
      return;
    }
    if (def.nonZero && v === 0) bad();
    this.byte(def.id);
    switch (def.type) {
      case "bool":
        if (typeof v !== "boolean") bad();
        this.byte(v ? 1 : 0);
        return;
      case "u8":
        if (typeof v !== "number" || !(v >= 0 && v <= 255 && Number.isInteger(v))) bad();
        this.byte(v as number);
        return;
      case "u16":
        if (typeof v !== "number") bad();
        this.u16(v as number);
        return;
      case "u32":
        if (typeof v !== "number") bad();
        this.u32(v as number);
        return;
      case "varint":
        if (typeof v !== "number") bad();
        this.varint(v as number);
        return;
      case "string":
        if (typeof v !== "string") bad();
        this.string(v as string);
        return;
      case "binary":
        if (!(v instanceof Uint8Array)) bad();
        this.prefixed(v as Uint8Array);
        return;
    }
  }
  private flush(): void {
    if (this.small.length) {
      this.chunks.push(Uint8Array.from(this.small));
      this.small = [];
    }
  }
}

/** Reads one packet's body; reused from packet to packet (no allocation per packet). */
export class Reader {
  b: Uint8Array = new Uint8Array(0);
  at = 0;
  end = 0;
  /** Index of the packet's first byte: offsets in errors count from it. */
  base = 0;
  what = "";

  reset(b: Uint8Array, base: number, start: number, end: number, what: string): void {
    this.b = b;
    this.base = base;
    this.at = start;
    this.end = end;
    this.what = what;
  }
  fail(message: string, at = this.at): never {
    fail(`${this.what}: ${message} at byte ${at - this.base}`);
  }
  left(): number {
    return this.end - this.at;
  }
  byte(): number {
    if (this.at >= this.end) this.fail("packet too short");
    return this.b[this.at++];
  }
  u16(): number {
    if (this.at + 2 > this.end) this.fail("packet too short");
    const v = (this.b[this.at] << 8) | this.b[this.at + 1];
    this.at += 2;
    return v;
  }
  u32(): number {
    if (this.at + 4 > this.end) this.fail("packet too short");
    const b = this.b;
    const i = this.at;
    this.at += 4;
    return b[i] * 0x1000000 + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
  }
  varint(field: string): number {
    const start = this.at;
    let v = 0;
    let mult = 1;
    for (let k = 0; k < 4; k++) {
      if (this.at >= this.end) this.fail(`${field} runs past the end`, start);
      const d = this.b[this.at++];
      v += (d & 127) * mult;
      if ((d & 128) === 0) return v;
      mult *= 128;
    }
    this.fail(`malformed ${field} (variable byte integer of more than 4 bytes)`, start);
  }
  /** Start of a length-prefixed field; checks it lies inside the packet. */
  private field(name: string): number {
    const start = this.at;
    const n = this.u16();
    if (this.at + n > this.end) this.fail(`${name} of ${n} bytes runs past the end`, start);
    return n;
  }
  prefixed(name = "field"): Uint8Array {
    const n = this.field(name);
    const out = this.b.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }
  /**
   * A UTF-8 string without U+0000; a topic name (`topicName`) also without + or #.
   * Those are checked on the bytes (in UTF-8 they can only be those bytes): a string
   * method here would box the string, an allocation per packet in XS.
   */
  string(name: string, topicName = false): string {
    const start = this.at;
    const n = this.field(name);
    const b = this.b;
    let nul = false;
    let wildcard = false;
    for (let i = this.at, end = this.at + n; i < end; i++) {
      const c = b[i];
      if (c === 0) nul = true;
      else if (c === 0x23 || c === 0x2b) wildcard = true;
    }
    const s = utf8DecodeStrict(b, this.at, this.at + n);
    if (s === undefined) this.fail(`${name} is not valid UTF-8`, start);
    if (nul) this.fail(`${name} contains U+0000`, start);
    if (topicName && wildcard) this.fail(`wildcard in topic name ${JSON.stringify(s)}`, start);
    this.at += n;
    return s;
  }
  rest(): Uint8Array {
    const out = this.b.slice(this.at, this.end);
    this.at = this.end;
    return out;
  }
  done(): void {
    if (this.at !== this.end) this.fail(`${this.end - this.at} unexpected trailing bytes`);
  }
  /**
   * Property length and properties (§2.2.2.2). Unknown identifiers, ones not
   * allowed in this packet, repeats of a property that must appear once, bad
   * values and lengths past the end are errors naming the byte.
   */
  properties(where: number): Properties | undefined {
    const start = this.at;
    const len = this.varint("property length");
    if (this.at + len > this.end) this.fail(`property length ${len} runs past the end of the packet`, start);
    if (len === 0) return undefined;
    const outerEnd = this.end;
    this.end = this.at + len; // a value may not run past the properties
    const props: Properties = {};
    const bag = props as Record<string, unknown>;
    while (this.at < this.end) {
      const at = this.at;
      const id = this.byte();
      const def = id < PROPERTY_BY_ID.length ? PROPERTY_BY_ID[id] : undefined;
      if (!def) this.fail(`unknown property identifier ${hex2(id)}`, at);
      if (!(def.where & where)) this.fail(`property ${def.name} (${hex2(id)}) is not allowed in ${where === WILL ? "will properties" : "this packet"}`, at);
      const value = this.value(def, at);
      const prev = bag[def.name];
      if (def.type === "pair") {
        if (prev) (prev as [string, string][]).push(value as [string, string]);
        else bag[def.name] = [value];
      } else if (prev === undefined) bag[def.name] = value;
      else if (!repeatable(def, where)) this.fail(`property ${def.name} (${hex2(id)}) must not repeat`, at);
      else if (Array.isArray(prev)) prev.push(value);
      else bag[def.name] = [prev, value];
    }
    this.end = outerEnd;
    return props;
  }
  private value(def: PropertyDef, at: number): unknown {
    switch (def.type) {
      case "bool": {
        const v = this.byte();
        if (v > 1) this.fail(`property ${def.name} must be 0 or 1, got ${v}`, at);
        return v === 1;
      }
      case "u8": {
        const v = this.byte();
        if (def.name === "maximumQoS" && v > 2) this.fail(`property maximumQoS must be 0 or 1, got ${v}`, at);
        return v;
      }
      case "string":
        return this.string(def.name);
      case "binary":
        return this.prefixed(def.name);
      case "pair":
        return [this.string("user property name"), this.string("user property value")];
    }
    const v = def.type === "u16" ? this.u16() : def.type === "u32" ? this.u32() : this.varint(def.name);
    if (def.nonZero && v === 0) this.fail(`property ${def.name} must not be 0`, at);
    return v;
  }
}
