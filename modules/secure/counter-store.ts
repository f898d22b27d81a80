import type { Flash } from "../core/ports";
import { crc32, readU32LE, writeU32LE } from "../core/bytes";

/**
 * Persistent counters (key → u32) in two flash sectors, as an append-only log
 * of 16-byte records [magic, key, value, crc32]. The newest valid record of a
 * key wins; a torn record (power cut mid-write) fails its CRC and is ignored,
 * so the previous value survives. When a sector fills, the live values are
 * compacted into the other sector (its first record carries a generation).
 */
const RECORD = 16;
const MAGIC = 0x43544e52; // "RNTC"
const GEN_KEY = 0xffffffff;

export class FlashCounterStore {
  private readonly values = new Map<number, number>();
  private sector = 0;
  private at = 0;
  private generation = 0;
  private readonly rec = new Uint8Array(RECORD);

  /** `flash` should be a partition of (at least) two sectors owned by this store. */
  constructor(private readonly flash: Flash) {
    if (flash.size < 2 * flash.sectorSize) throw new RangeError("counter store needs two flash sectors");
    this.load();
  }

  get(key: number): number | undefined {
    return this.values.get(key);
  }

  keys(): number[] {
    return [...this.values.keys()];
  }

  /** Persists key → value (written before it returns). */
  set(key: number, value: number): void {
    if (!(key >= 0 && key < GEN_KEY) || !(value >= 0 && value <= 0xffffffff)) throw new RangeError(`counter ${key}=${value}`);
    if (this.at + RECORD > this.flash.sectorSize) this.compact();
    this.write(key, value);
    this.values.set(key, value);
  }

  private write(key: number, value: number, at = this.at): void {
    const r = this.rec;
    writeU32LE(r, 0, MAGIC);
    writeU32LE(r, 4, key);
    writeU32LE(r, 8, value);
    writeU32LE(r, 12, crc32(r, 0, 12));
    this.flash.program(this.sector * this.flash.sectorSize + at, r);
    if (at === this.at) this.at += RECORD;
  }

  /**
   * Copies the live values into the other sector, then writes that sector's
   * generation header (offset 0) last: a cut before the header leaves the old
   * sector in charge, so nothing is lost.
   */
  private compact(): void {
    const next = 1 - this.sector;
    this.flash.eraseSector(next);
    this.sector = next;
    this.at = RECORD;
    for (const [k, v] of this.values) this.write(k, v);
    this.write(GEN_KEY, this.generation + 1, 0);
    this.generation++;
  }

  /** Reads a sector: its generation (-1 without a valid header), and where its log ends. */
  private scan(sector: number, into?: Map<number, number>): { gen: number; end: number } {
    const r = this.rec;
    const base = sector * this.flash.sectorSize;
    this.flash.read(base, r);
    const gen = readU32LE(r, 0) === MAGIC && readU32LE(r, 12) === crc32(r, 0, 12) && readU32LE(r, 4) === GEN_KEY ? readU32LE(r, 8) : -1;
    let end = RECORD;
    for (let at = RECORD; at + RECORD <= this.flash.sectorSize; at += RECORD) {
      this.flash.read(base + at, r);
      let blank = true;
      for (let i = 0; i < RECORD; i++) if (r[i] !== 0xff) blank = false;
      if (blank) break;
      end = at + RECORD; // never program over a torn record
      if (readU32LE(r, 0) !== MAGIC || readU32LE(r, 12) !== crc32(r, 0, 12)) continue;
      const key = readU32LE(r, 4);
      if (into && key !== GEN_KEY) into.set(key, readU32LE(r, 8));
    }
    return { gen, end };
  }

  private load(): void {
    const a = this.scan(0);
    const b = this.scan(1);
    if (a.gen < 0 && b.gen < 0) {
      // blank (or never completed) store: start a fresh log in sector 0
      this.flash.eraseSector(0);
      this.sector = 0;
      this.at = RECORD;
      this.generation = 0;
      this.write(GEN_KEY, 0, 0);
      return;
    }
    this.sector = b.gen > a.gen ? 1 : 0;
    const chosen = this.sector === 0 ? a : b;
    this.generation = chosen.gen;
    this.scan(this.sector, this.values);
    this.at = chosen.end;
  }
}
