/**
 * The record log: fixed-size, CRC-checked, sequence-numbered records appended to a ring of
 * NOR flash sectors. The energy journal, the aggregator's booking journal and the CAN counter
 * store keep their records in one; settings (calibration, prices) use its single-record variant,
 * `SettingRecord` (setting-record.ts). Format and boot scan: docs/flash-records.md.
 *
 * Record layout (recordSize bytes, a divisor of the page size so a record is one program and
 * never crosses a page):
 *   [0] magic 0xA5 (neither erased 0xFF nor programmed 0x00)
 *   [1] type (caller-defined, 1..254)
 *   [2..5] sequence number u32 LE (strictly increasing across reboots)
 *   [6..] payload (recordSize - 10 bytes)
 *   [last 4] CRC-32 of everything before it
 * A torn program fails the CRC; a torn erase leaves garbage that fails it too. Sectors are used
 * as a ring (wear levelling: every sector is erased equally often); a sector is erased before
 * its first record, and only ever a sector that does not hold the newest valid record.
 *
 * Bounded boot: records go into a sector from its first slot on, so a sector's first slot is
 * its header — erased (the sector holds nothing of this ring), valid (its sequence is the
 * sector's), or torn. `open()` reads the first slot of every sector, then only the sector with
 * the highest first sequence and any sector whose first slot is torn: 32 × 128 B + 4 KiB for a
 * 32-sector journal instead of all 128 KiB.
 */
import { crc32, readU32LE, writeU32LE } from "./bytes";
import type { Flash } from "./ports";

export const RECORD_MAGIC = 0xa5;
const HEADER = 6;
const TRAILER = 4;

export interface LogRecord {
  type: number;
  seq: number;
  payload: Uint8Array;
}

export interface LogScan {
  /** Valid records among the slots the scan read. */
  valid: number;
  /** Slots read that were neither erased nor valid (torn writes/erases, rejected). */
  corrupt: number;
  newest?: LogRecord;
  /** What the boot scan cost: flash reads and bytes read. */
  reads: number;
  bytesRead: number;
}

export class RecordLog {
  readonly recordSize: number;
  readonly payloadSize: number;
  private readonly slotsPerSector: number;
  private readonly sectors: number;
  private readonly buf: Uint8Array;
  private seq = 0;
  /** Next slot to write (sector * slotsPerSector + slot); -1 until open() ran. */
  private cursor = -1;
  private needErase = false;
  private writes = 0;

  constructor(private readonly flash: Flash, recordSize = 128) {
    if (flash.pageSize % recordSize !== 0 || recordSize < 16) throw new RangeError(`record size ${recordSize} must be >= 16 and divide the page size ${flash.pageSize}`);
    this.recordSize = recordSize;
    this.payloadSize = recordSize - HEADER - TRAILER;
    this.slotsPerSector = flash.sectorSize / recordSize;
    this.sectors = Math.floor(flash.size / flash.sectorSize);
    if (this.sectors < 2) throw new RangeError("a record log needs at least 2 sectors");
    this.buf = new Uint8Array(recordSize);
  }

  /** Recovery scan at boot: finds the newest valid record and where to write next. */
  open(): LogScan {
    const scan: LogScan = { valid: 0, corrupt: 0, reads: 0, bytesRead: 0 };
    const full: number[] = [];
    let headSector = -1;
    let headSeq = -1;
    for (let sector = 0; sector < this.sectors; sector++) {
      const state = this.readSlot(sector * this.slotsPerSector, scan);
      if (state === ERASED) continue;
      if (state === TORN) full.push(sector);
      else if (state > headSeq) { headSeq = state; headSector = sector; }
    }
    if (headSector >= 0) full.push(headSector);
    const best = { slot: -1, seq: -1, lastUsed: -1, record: undefined as LogRecord | undefined };
    const sectorBuf = new Uint8Array(this.flash.sectorSize); // for the scan only, freed after boot
    for (const sector of full) this.scanSector(sector, sectorBuf, scan, best);
    if (best.slot >= 0) {
      scan.newest = best.record;
      this.seq = best.seq + 1;
      this.placeAfter(best.lastUsed);
    } else {
      this.seq = 1;
      this.cursor = 0;
      this.needErase = true;
    }
    return scan;
  }

  /** Appends one record; throws whatever the flash throws (e.g. a power cut). */
  append(type: number, payload: Uint8Array): number {
    if (this.cursor < 0) throw new Error("record log: open() first");
    if (type < 1 || type > 254 || payload.length > this.payloadSize) throw new RangeError(`record type ${type} / payload ${payload.length} out of range`);
    if (this.needErase) {
      this.flash.eraseSector(Math.floor(this.cursor / this.slotsPerSector));
      this.needErase = false;
    }
    const b = this.buf;
    b.fill(0);
    b[0] = RECORD_MAGIC;
    b[1] = type;
    writeU32LE(b, 2, this.seq);
    b.set(payload, HEADER);
    writeU32LE(b, this.recordSize - TRAILER, crc32(b, 0, this.recordSize - TRAILER));
    const slot = this.cursor;
    // Move on before programming: a torn slot is never written again. A sector's first slot is
    // its header for the boot scan: if that program fails, the sector is erased and used again.
    this.placeAfter(slot);
    try {
      this.flash.program(slot * this.recordSize, b);
    } catch (e) {
      if (slot % this.slotsPerSector === 0) { this.cursor = slot; this.needErase = true; }
      throw e;
    }
    this.writes++;
    return this.seq++;
  }

  /**
   * Calls `each` for every valid record in slot order (not sequence order), one record at a time
   * in one buffer: `record` is only valid during the call (copy what you keep).
   */
  forEach(each: (type: number, seq: number, record: Uint8Array, sector: number) => void): void {
    const total = this.sectors * this.slotsPerSector;
    const b = this.buf;
    for (let slot = 0; slot < total; slot++) {
      this.flash.read(slot * this.recordSize, b);
      if (!isErased(b, 0, b.length) && this.check(b, 0)) each(b[1], readU32LE(b, 2), b, Math.floor(slot / this.slotsPerSector));
    }
  }

  /** The sector the next append goes to. */
  get nextSector(): number {
    return Math.floor(this.cursor / this.slotsPerSector);
  }

  /** True when the next append starts (and first erases) a sector. */
  get startsSector(): boolean {
    return this.needErase;
  }

  /** Records one sector holds. */
  get recordsPerSector(): number {
    return this.slotsPerSector;
  }

  /**
   * Makes the next append erase `sector` and start there, the sequence going on: for a one-time
   * migration that must write its first records away from the sectors it is still reading.
   */
  restartAt(sector: number): void {
    if (!(sector >= 0 && sector < this.sectors) || this.seq === 0) throw new RangeError(`record log: restart at sector ${sector} (after open())`);
    this.cursor = sector * this.slotsPerSector;
    this.needErase = true;
  }

  /** All valid records, oldest first (for logs and tests; reads the whole partition). */
  records(): LogRecord[] {
    const out: LogRecord[] = [];
    this.forEach((type, seq, b) => out.push({ type, seq, payload: b.slice(HEADER, HEADER + this.payloadSize) }));
    return out.sort((a, b) => a.seq - b.seq);
  }

  get recordsPerWrap(): number {
    return this.sectors * this.slotsPerSector;
  }

  get writeCount(): number {
    return this.writes;
  }

  /** A slot's state: ERASED, TORN, or its sequence number (≥ 0) when valid. */
  private readSlot(slot: number, scan: LogScan): number {
    this.flash.read(slot * this.recordSize, this.buf);
    scan.reads++;
    scan.bytesRead += this.recordSize;
    if (isErased(this.buf, 0, this.recordSize)) return ERASED;
    return this.check(this.buf, 0) ? readU32LE(this.buf, 2) : TORN;
  }

  private scanSector(sector: number, sec: Uint8Array, scan: LogScan, best: { slot: number; seq: number; lastUsed: number; record: LogRecord | undefined }): void {
    this.flash.read(sector * this.flash.sectorSize, sec);
    scan.reads++;
    scan.bytesRead += sec.length;
    let lastUsed = -1;
    let newestHere = -1;
    for (let k = 0; k < this.slotsPerSector; k++) {
      const at = k * this.recordSize;
      if (isErased(sec, at, this.recordSize)) continue;
      lastUsed = k;
      if (!this.check(sec, at)) { scan.corrupt++; continue; }
      scan.valid++;
      const seq = readU32LE(sec, at + 2);
      if (seq > best.seq) {
        best.seq = seq;
        best.slot = sector * this.slotsPerSector + k;
        best.record = { type: sec[at + 1], seq, payload: sec.slice(at + HEADER, at + HEADER + this.payloadSize) };
        newestHere = k;
      }
    }
    // Resume after the newest record, past any used (torn) slots after it in its sector.
    if (newestHere >= 0) best.lastUsed = sector * this.slotsPerSector + lastUsed;
  }

  private placeAfter(slot: number): void {
    const next = (slot + 1) % (this.sectors * this.slotsPerSector);
    this.cursor = next;
    this.needErase = next % this.slotsPerSector === 0;
  }

  private check(b: Uint8Array, at: number): boolean {
    const end = at + this.recordSize - TRAILER;
    return b[at] === RECORD_MAGIC && b[at + 1] >= 1 && b[at + 1] <= 254 && readU32LE(b, end) === crc32(b, at, end);
  }
}

const ERASED = -1;
const TORN = -2;

function isErased(b: Uint8Array, at: number, n: number): boolean {
  for (let i = at; i < at + n; i++) if (b[i] !== 0xff) return false;
  return true;
}
