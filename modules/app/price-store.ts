/**
 * The utility's last price table, kept on flash so a reboot does not fall back
 * to the day-ahead feed alone (a command is not sent twice: its counter is
 * spent). Two halves of the partition alternate (core SettingRecord): a save
 * erases and writes the half not holding the newest valid record, so a power cut
 * mid-save leaves the previous table (the torn record fails its CRC).
 *
 * Record (little-endian):
 *   0 "XPRC" | 4 version u8 (1) | 5 reserved u8 | 6 count u16 | 8 sequence u32 | 12 durationMs u32 |
 *   16 start f64 | 24 count × (import f64, export f64, renewable share f64) | CRC-32 of all before it
 * Slots are contiguous from `start` (checkPriceTable guarantees it).
 */
import type { PriceSlot } from "../core/household";
import type { Flash } from "../core/ports";
import { SettingRecord, type SettingSlot } from "../core/setting-record";
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
  private readonly record: SettingRecord;
  private newest: { slot: SettingSlot; record: { sequence: number } } | undefined;
  private loaded = false;

  /** `flash`: a partition of an even number of sectors, each half holding the largest table. */
  constructor(flash: Flash) {
    const sectors = flash.size / flash.sectorSize;
    const half = Math.floor(sectors / 2) * flash.sectorSize;
    if (sectors % 2 !== 0 || half < priceRecordLength(MAX_PRICE_SLOTS)) throw new RangeError(`price store needs an even number of sectors, each half ≥ ${priceRecordLength(MAX_PRICE_SLOTS)} bytes`);
    this.record = new SettingRecord(flash, 0, sectors / 2);
  }

  /** The newest valid table, or undefined (none saved, or both halves torn). */
  load(): PriceSlot[] | undefined {
    const best = this.record.newest((h) => this.read(h));
    this.newest = best;
    this.loaded = true;
    return best?.record.slots;
  }

  save(slots: PriceSlot[]): void {
    if (slots.length === 0 || slots.length > MAX_PRICE_SLOTS) throw new RangeError(`price store: ${slots.length} slots`);
    if (!this.loaded) this.load();
    const target = SettingRecord.target(this.newest);
    const sequence = (this.newest ? this.newest.record.sequence + 1 : 1) >>> 0;
    this.record.write(target, encodePrices(slots, sequence));
    this.newest = { slot: target, record: { sequence } };
  }

  private read(h: SettingSlot): { sequence: number; slots: PriceSlot[] } | undefined {
    const head = new Uint8Array(HEADER);
    this.record.read(h, head);
    for (let i = 0; i < 4; i++) if (head[i] !== MAGIC[i]) return undefined;
    if (head[4] !== VERSION) return undefined;
    const count = view(head).getUint16(6, true);
    if (count === 0 || count > MAX_PRICE_SLOTS) return undefined;
    const rec = new Uint8Array(priceRecordLength(count));
    this.record.read(h, rec);
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
    return { sequence: readU32LE(rec, 8), slots };
  }
}

function encodePrices(slots: PriceSlot[], sequence: number): Uint8Array {
  const rec = new Uint8Array(priceRecordLength(slots.length));
  const dv = view(rec);
  rec.set(MAGIC, 0);
  rec[4] = VERSION;
  dv.setUint16(6, slots.length, true);
  writeU32LE(rec, 8, sequence);
  writeU32LE(rec, 12, slots[0].durationMs);
  dv.setFloat64(16, slots[0].start, true);
  slots.forEach((s, i) => {
    dv.setFloat64(HEADER + i * PER_SLOT, s.importMinorPerKWh, true);
    dv.setFloat64(HEADER + i * PER_SLOT + 8, s.exportMinorPerKWh, true);
    dv.setFloat64(HEADER + i * PER_SLOT + 16, s.renewableShare, true);
  });
  writeU32LE(rec, rec.length - 4, crc32(rec, 0, rec.length - 4));
  return rec;
}
