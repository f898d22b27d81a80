/**
 * The record log's single-record variant, for settings (calibration, the utility's price table):
 * two slots of `sectorsPerSlot` sectors alternate. A save erases and writes the slot NOT holding
 * the newest valid record, so a power cut mid-save leaves the previous setting intact (the torn
 * record fails its layer's CRC and is ignored). The layer owns its record's bytes (magic, version,
 * sequence, CRC); this owns where they go and which slot is newest. Format: docs/flash-records.md.
 */
import type { Flash } from "./ports";

export type SettingSlot = 0 | 1;

export class SettingRecord {
  /** Bytes one slot can hold. */
  readonly slotBytes: number;

  constructor(private readonly flash: Flash, private readonly firstSector = 0, private readonly sectorsPerSlot = 1) {
    this.slotBytes = sectorsPerSlot * flash.sectorSize;
    if (!(sectorsPerSlot >= 1) || (firstSector + 2 * sectorsPerSlot) * flash.sectorSize > flash.size) {
      throw new RangeError(`a setting record needs sectors ${firstSector}..${firstSector + 2 * sectorsPerSlot - 1} inside flash of ${flash.size} bytes`);
    }
  }

  /** Reads the first `into.length` bytes of a slot; returns true when they are all erased. */
  read(slot: SettingSlot, into: Uint8Array): boolean {
    this.flash.read(this.base(slot), into);
    for (let k = 0; k < into.length; k++) if (into[k] !== 0xff) return false;
    return true;
  }

  /**
   * The newer of the slots' valid records by sequence number (serial arithmetic, so a wrapped
   * u32 still counts as newer); `decode(slot)` gives a slot's record or undefined.
   */
  newest<T extends { sequence: number }>(decode: (slot: SettingSlot) => T | undefined): { slot: SettingSlot; record: T } | undefined {
    const a = decode(0), b = decode(1);
    if (a && b) return ((b.sequence - a.sequence) | 0) > 0 ? { slot: 1, record: b } : { slot: 0, record: a };
    if (a) return { slot: 0, record: a };
    if (b) return { slot: 1, record: b };
    return undefined;
  }

  /** The slot a save goes to: the one not holding the newest record. */
  static target(newest: { slot: SettingSlot } | undefined): SettingSlot {
    return newest && newest.slot === 0 ? 1 : 0;
  }

  /** Erases `slot` and programs `record` at its start, page by page. */
  write(slot: SettingSlot, record: Uint8Array): void {
    if (record.length > this.slotBytes) throw new RangeError(`setting record of ${record.length} bytes does not fit a ${this.slotBytes}-byte slot`);
    const first = this.firstSector + slot * this.sectorsPerSlot;
    for (let k = 0; k < this.sectorsPerSlot; k++) this.flash.eraseSector(first + k);
    const base = this.base(slot), page = this.flash.pageSize;
    for (let at = 0; at < record.length; at += page) this.flash.program(base + at, record.subarray(at, Math.min(record.length, at + page)));
  }

  private base(slot: SettingSlot): number {
    return (this.firstSector + slot * this.sectorsPerSlot) * this.flash.sectorSize;
  }
}
