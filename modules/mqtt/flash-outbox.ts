/**
 * The QoS 1 outbox in NOR flash: every message to publish is written before it
 * is sent and marked acknowledged only when its PUBACK arrives, so a reboot or
 * a power cut loses nothing (at worst a message is sent twice; the per-meter
 * sequence number lets the cloud drop the duplicate).
 *
 * Records are appended to a ring of sectors and never cross a sector. Byte 0 is
 * the record format (its version):
 *   v2 0x5B | state | length u16 LE | crc32 u32 LE | id u32 LE | flags u8 | topic length u16 LE | topic | payload
 *   v1 0x5A | state | length u16 LE | crc32 u32 LE | id u32 LE |            topic length u16 LE | topic | payload
 * flags bit 0 = retain (v1 had no flags, so a retained message replayed after a
 * reboot went out with retain=0; v1 records are still read, as not retained).
 * Any other format byte is refused: the rest of that sector is left alone
 * (counted in `refused`), never misread as a message.
 * state 0xFE = waiting, 0x00 = acknowledged (NOR can clear bits in place, so
 * an ack is one byte programmed, no erase). The CRC covers length..end: a
 * record torn by a power cut fails it and is skipped, and nothing more is
 * written after it in that sector. A sector is erased only when the ring comes
 * back to it and it holds no waiting message; otherwise the outbox is full.
 */
import type { Flash } from "../core/ports";
import { crc32, readU16LE, readU32LE, utf8DecodeStrict, utf8Encode, writeU16LE, writeU32LE } from "../core/bytes";

const V1 = 0x5a;
const V2 = 0x5b;
const LIVE = 0xfe;
const HEAD_V1 = 14;
const HEAD = 15;
const RETAIN = 1;

export interface OutboxEntry {
  id: number;
  topic: string;
  payload: Uint8Array;
  /** Publish with the retain flag (kept in flash since format v2). */
  retain: boolean;
}

export class OutboxFull extends Error {
  override name = "OutboxFull";
}

export interface Outbox {
  add(topic: string, payload: Uint8Array, retain?: boolean): number;
  ack(id: number): void;
  /** Waiting entries, oldest first. */
  ids(): number[];
  get(id: number): OutboxEntry | undefined;
  readonly size: number;
}

interface Where {
  offset: number;
  length: number;
  /** Bytes before the topic: 14 (v1) or 15 (v2). */
  head: number;
}

export class FlashOutbox implements Outbox {
  private readonly live = new Map<number, Where>(); // insertion order = id order
  private sector = 0;
  private writeAt = 0;
  private nextId = 1;
  private readonly sectors: number;
  /**
   * Records of an unknown format met by the last scan (their sectors' rest was skipped). A
   * record whose first byte a power cut tore counts here too: the two look alike.
   */
  refused = 0;

  constructor(private readonly flash: Flash) {
    this.sectors = flash.size / flash.sectorSize;
    if (this.sectors < 2) throw new RangeError("outbox needs at least 2 sectors");
    this.scan();
  }

  get size(): number {
    return this.live.size;
  }

  /** Largest topic + payload one record can hold. */
  get maxMessage(): number {
    return this.flash.sectorSize - HEAD;
  }

  add(topic: string, payload: Uint8Array, retain = false): number {
    const t = utf8Encode(topic);
    const length = HEAD + t.length + payload.length;
    if (length > this.flash.sectorSize) throw new RangeError(`message of ${length} bytes does not fit an outbox sector`);
    if (this.writeAt + length > this.flash.sectorSize) this.advance();
    const id = this.nextId++;
    const rec = new Uint8Array(length);
    rec[0] = V2;
    rec[1] = LIVE;
    writeU16LE(rec, 2, length);
    writeU32LE(rec, 8, id);
    rec[12] = retain ? RETAIN : 0;
    writeU16LE(rec, 13, t.length);
    rec.set(t, HEAD);
    rec.set(payload, HEAD + t.length);
    writeU32LE(rec, 4, crc32(rec, 8, length, crc32(rec, 2, 4)));
    const offset = this.sector * this.flash.sectorSize + this.writeAt;
    this.program(offset, rec);
    this.writeAt += length;
    this.live.set(id, { offset, length, head: HEAD });
    return id;
  }

  ack(id: number): void {
    const w = this.live.get(id);
    if (!w) return;
    this.flash.program(w.offset + 1, Uint8Array.of(0));
    this.live.delete(id);
  }

  ids(): number[] {
    return [...this.live.keys()];
  }

  get(id: number): OutboxEntry | undefined {
    const w = this.live.get(id);
    if (!w) return undefined;
    const rec = new Uint8Array(w.length);
    this.flash.read(w.offset, rec);
    const n = readU16LE(rec, w.head - 2);
    const topic = utf8DecodeStrict(rec, w.head, w.head + n) ?? "";
    const retain = w.head === HEAD && (rec[12] & RETAIN) !== 0;
    return { id, topic, payload: rec.slice(w.head + n), retain };
  }

  private advance(): void {
    const next = (this.sector + 1) % this.sectors;
    const base = next * this.flash.sectorSize;
    for (const w of this.live.values()) {
      if (w.offset >= base && w.offset < base + this.flash.sectorSize) throw new OutboxFull(`outbox full: ${this.live.size} messages wait for PUBACK`);
    }
    this.flash.eraseSector(next);
    this.sector = next;
    this.writeAt = 0;
  }

  private program(at: number, data: Uint8Array): void {
    const page = this.flash.pageSize;
    for (let i = 0; i < data.length; ) {
      const n = Math.min(page - ((at + i) % page), data.length - i);
      this.flash.program(at + i, data.subarray(i, i + n));
      i += n;
    }
  }

  /** Rebuilds the index after boot; the write position follows the newest record. */
  private scan(): void {
    const s = this.flash.sectorSize;
    const sec = new Uint8Array(s);
    const found: { id: number; offset: number; length: number; head: number; live: boolean }[] = [];
    this.refused = 0;
    let newest = 0;
    let newestSector = -1;
    let newestEnd = 0;
    const ends: number[] = [];
    for (let k = 0; k < this.sectors; k++) {
      this.flash.read(k * s, sec);
      let at = 0;
      while (at + HEAD_V1 <= s && sec[at] !== 0xff) {
        const head = sec[at] === V2 ? HEAD : sec[at] === V1 ? HEAD_V1 : 0;
        if (head === 0) {
          this.refused++; // a format this firmware does not know: leave it, never misread it
          at = s;
          break;
        }
        const length = readU16LE(sec, at + 2);
        if (length < head || at + length > s) break;
        const crc = crc32(sec, at + 8, at + length, crc32(sec, at + 2, at + 4));
        if (crc !== readU32LE(sec, at + 4)) {
          at = s; // torn: nothing valid after it in this sector
          break;
        }
        const id = readU32LE(sec, at + 8);
        found.push({ id, offset: k * s + at, length, head, live: sec[at + 1] === LIVE });
        if (id > newest) {
          newest = id;
          newestSector = k;
        }
        at += length;
      }
      // bytes after the last record must still be erased to be writable
      let clean = true;
      for (let i = at; i < s && clean; i++) if (sec[i] !== 0xff) clean = false;
      ends.push(clean ? at : s);
      if (k === newestSector) newestEnd = ends[k];
    }
    found.sort((a, b) => a.id - b.id);
    for (const f of found) if (f.live) this.live.set(f.id, { offset: f.offset, length: f.length, head: f.head });
    this.nextId = newest + 1;
    if (newestSector < 0) {
      this.sector = this.sectors - 1;
      this.writeAt = s; // forces advance() into sector 0, erasing it first
    } else {
      this.sector = newestSector;
      this.writeAt = newestEnd;
    }
  }
}

/** An outbox in RAM (for a subscriber-only client, or tests that do not need reboots). */
export class MemoryOutbox implements Outbox {
  private readonly entries = new Map<number, OutboxEntry>();
  private nextId = 1;
  add(topic: string, payload: Uint8Array, retain = false): number {
    const id = this.nextId++;
    this.entries.set(id, { id, topic, payload, retain });
    return id;
  }
  ack(id: number): void {
    this.entries.delete(id);
  }
  ids(): number[] {
    return [...this.entries.keys()];
  }
  get(id: number): OutboxEntry | undefined {
    return this.entries.get(id);
  }
  get size(): number {
    return this.entries.size;
  }
}
