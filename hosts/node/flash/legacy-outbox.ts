// The MQTT outbox exactly as it was before it moved onto the record log (modules/mqtt/flash-outbox.ts
// at 16fb346), kept to write flashes in the old format for the migration tests and to compare flash
// writes in bench/outbox.ts. Engine-neutral (the XS scenario uses it too); not part of the firmware.
import type { Flash } from "../../../modules/core/ports";
import { crc32, readU16LE, readU32LE, utf8DecodeStrict, utf8Encode, writeU16LE, writeU32LE } from "../../../modules/core/bytes";
import { OutboxFull, type Outbox, type OutboxEntry } from "../../../modules/mqtt/flash-outbox";

const V1 = 0x5a;
const V2 = 0x5b;
const LIVE = 0xfe;
const HEAD_V1 = 14;
const HEAD = 15;
const RETAIN = 1;

interface Where {
  offset: number;
  length: number;
  head: number;
}

export class LegacyFlashOutbox implements Outbox {
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

/** An old-format v1 record (no flags byte), as firmware before the retain flag wrote it. */
export function legacyV1Record(id: number, topic: string, payload: string, format = V1): Uint8Array {
  const t = utf8Encode(topic);
  const p = utf8Encode(payload);
  const rec = new Uint8Array(HEAD_V1 + t.length + p.length);
  rec[0] = format;
  rec[1] = LIVE;
  writeU16LE(rec, 2, rec.length);
  writeU32LE(rec, 8, id);
  writeU16LE(rec, 12, t.length);
  rec.set(t, HEAD_V1);
  rec.set(p, HEAD_V1 + t.length);
  writeU32LE(rec, 4, crc32(rec, 8, rec.length, crc32(rec, 2, 4)));
  return rec;
}
