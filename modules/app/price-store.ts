/**
 * The utility's last price table, kept on flash so a reboot does not fall back
 * to the day-ahead feed alone (a command is not sent twice: its counter is
 * spent). Two halves of the partition alternate: a save erases and writes the
 * half not holding the newest valid record, so a power cut mid-save leaves the
 * previous table (the torn record fails its CRC).
 *
 * Record (little-endian):
 *   0 "XPRC" | 4 version u8 (1) | 5 reserved u8 | 6 count u16 | 8 sequence u32 | 12 durationMs u32 |
 *   16 start f64 | 24 count × (import f64, export f64, renewable share f64) | CRC-32 of all before it
 * Slots are contiguous from `start` (checkPriceTable guarantees it).
 */
import type { PriceSlot } from "../core/household";
import type { Flash } from "../core/ports";
import { crc32, readU32LE, view, writeU32LE } from "../core/bytes";
import { MAX_PRICE_SLOTS } from "./price-table";

const MAGIC = Object.freeze([0x58, 0x50, 0x52, 0x43]); // "XPRC" (frozen: xsl keeps it in flash)
const VERSION = 1;
const HEADER = 24;
const PER_SLOT = 24;

export function priceRecordLength(count: number): number {
  return HEADER + count * PER_SLOT + 4;
}

export class PriceTableStore {
  private readonly half: number;
  private newest = { seq: 0, half: -1 };

  /** `flash`: a partition of an even number of sectors, each half holding the largest table. */
  constructor(private readonly flash: Flash) {
    const sectors = flash.size / flash.sectorSize;
    this.half = Math.floor(sectors / 2) * flash.sectorSize;
    if (sectors % 2 !== 0 || this.half < priceRecordLength(MAX_PRICE_SLOTS)) throw new RangeError(`price store needs an even number of sectors, each half ≥ ${priceRecordLength(MAX_PRICE_SLOTS)} bytes`);
  }

  /** The newest valid table, or undefined (none saved, or both halves torn). */
  load(): PriceSlot[] | undefined {
    let best: { seq: number; slots: PriceSlot[]; half: number } | undefined;
    for (let h = 0; h < 2; h++) {
      const r = this.read(h);
      if (r && (!best || r.seq > best.seq)) best = { ...r, half: h };
    }
    this.newest = best ? { seq: best.seq, half: best.half } : { seq: 0, half: -1 };
    return best?.slots;
  }

  save(slots: PriceSlot[]): void {
    if (slots.length === 0 || slots.length > MAX_PRICE_SLOTS) throw new RangeError(`price store: ${slots.length} slots`);
    if (this.newest.half < 0) this.load();
    const target = this.newest.half === 0 ? 1 : 0;
    const seq = this.newest.seq + 1;
    const rec = new Uint8Array(priceRecordLength(slots.length));
    const dv = view(rec);
    rec.set(MAGIC, 0);
    rec[4] = VERSION;
    dv.setUint16(6, slots.length, true);
    writeU32LE(rec, 8, seq);
    writeU32LE(rec, 12, slots[0].durationMs);
    dv.setFloat64(16, slots[0].start, true);
    slots.forEach((s, i) => {
      dv.setFloat64(HEADER + i * PER_SLOT, s.importMinorPerKWh, true);
      dv.setFloat64(HEADER + i * PER_SLOT + 8, s.exportMinorPerKWh, true);
      dv.setFloat64(HEADER + i * PER_SLOT + 16, s.renewableShare, true);
    });
    writeU32LE(rec, rec.length - 4, crc32(rec, 0, rec.length - 4));
    const base = target * this.half;
    const s = this.flash.sectorSize;
    for (let k = 0; k < this.half / s; k++) this.flash.eraseSector(base / s + k);
    const page = this.flash.pageSize;
    for (let i = 0; i < rec.length; i += page) this.flash.program(base + i, rec.subarray(i, Math.min(rec.length, i + page)));
    this.newest = { seq, half: target };
  }

  private read(h: number): { seq: number; slots: PriceSlot[] } | undefined {
    const head = new Uint8Array(HEADER);
    this.flash.read(h * this.half, head);
    for (let i = 0; i < 4; i++) if (head[i] !== MAGIC[i]) return undefined;
    if (head[4] !== VERSION) return undefined;
    const count = view(head).getUint16(6, true);
    if (count === 0 || count > MAX_PRICE_SLOTS) return undefined;
    const rec = new Uint8Array(priceRecordLength(count));
    this.flash.read(h * this.half, rec);
    if (readU32LE(rec, rec.length - 4) !== crc32(rec, 0, rec.length - 4)) return undefined;
    const dv = view(rec);
    const durationMs = readU32LE(rec, 12);
    const start = dv.getFloat64(16, true);
    const slots: PriceSlot[] = [];
    for (let i = 0; i < count; i++) {
      slots.push({
        start: start + i * durationMs,
        durationMs,
        importMinorPerKWh: dv.getFloat64(HEADER + i * PER_SLOT, true),
        exportMinorPerKWh: dv.getFloat64(HEADER + i * PER_SLOT + 8, true),
        renewableShare: dv.getFloat64(HEADER + i * PER_SLOT + 16, true),
      });
    }
    return { seq: readU32LE(rec, 8), slots };
  }
}
