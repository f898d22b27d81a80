/**
 * A power-cut-safe journal of fixed-size records on a NOR Flash port.
 *
 * Record layout (recordSize bytes, a divisor of the page size so a record is
 * one program and never crosses a page):
 *   [0] magic 0xA5 (neither erased 0xFF nor programmed 0x00)
 *   [1] type (caller-defined, 1..254)
 *   [2..5] sequence number u32 LE (strictly increasing across reboots)
 *   [6..] payload (recordSize - 10 bytes)
 *   [last 4] CRC-32 of everything before it
 * A torn program fails the CRC; a torn erase leaves garbage that fails it too.
 * Sectors are used as a ring (wear levelling: every sector is erased equally
 * often); a new sector is erased before its first record, and only ever a
 * sector that does not hold the newest valid record.
 */
import { crc32, readU32LE, writeU32LE } from "../core/bytes";
import type { Flash } from "../core/ports";

export const RECORD_MAGIC = 0xa5;
const HEADER = 6;
const TRAILER = 4;

export interface JournalRecord {
  type: number;
  seq: number;
  payload: Uint8Array;
}

export interface JournalScan {
  /** Valid records found. */
  valid: number;
  /** Slots that were neither erased nor valid (torn writes/erases, rejected). */
  corrupt: number;
  newest?: JournalRecord;
}

export class Journal {
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
    this.sectors = flash.size / flash.sectorSize;
    if (this.sectors < 2) throw new RangeError("a journal needs at least 2 sectors");
    this.buf = new Uint8Array(recordSize);
  }

  /** Recovery scan at boot: finds the newest valid record and where to write next. */
  open(): JournalScan {
    let valid = 0;
    let corrupt = 0;
    let best = -1;
    let bestSeq = -1;
    let bestType = 0;
    let bestPayload: Uint8Array | undefined;
    let lastUsed = -1;
    // Read a sector at a time (one 4 KiB buffer for the scan only, freed after boot).
    const sectorBuf = new Uint8Array(this.flash.sectorSize);
    for (let sector = 0; sector < this.sectors; sector++) {
      this.flash.read(sector * this.flash.sectorSize, sectorBuf);
      for (let k = 0; k < this.slotsPerSector; k++) {
        const rec = sectorBuf.subarray(k * this.recordSize, (k + 1) * this.recordSize);
        if (isErased(rec)) continue;
        if (this.check(rec)) {
          valid++;
          const seq = readU32LE(rec, 2);
          if (seq > bestSeq) {
            bestSeq = seq;
            best = sector * this.slotsPerSector + k;
            bestType = rec[1];
            bestPayload = rec.slice(HEADER, HEADER + this.payloadSize);
          }
        } else corrupt++;
      }
    }
    if (best >= 0) {
      // Resume after the newest record; skip any used (torn) slots in its sector.
      const sector = Math.floor(best / this.slotsPerSector);
      lastUsed = best;
      for (let slot = best + 1; slot < (sector + 1) * this.slotsPerSector; slot++) {
        this.flash.read(slot * this.recordSize, this.buf);
        if (!isErased(this.buf)) lastUsed = slot;
      }
      this.seq = bestSeq + 1;
      this.placeAfter(lastUsed);
    } else {
      this.seq = 1;
      this.cursor = 0;
      this.needErase = true;
    }
    return { valid, corrupt, newest: best >= 0 ? { type: bestType, seq: bestSeq, payload: bestPayload! } : undefined };
  }

  /** Appends one record; throws whatever the flash throws (e.g. a power cut). */
  append(type: number, payload: Uint8Array): number {
    if (this.cursor < 0) throw new Error("journal: open() first");
    if (type < 1 || type > 254 || payload.length > this.payloadSize) throw new RangeError(`journal record type ${type} / payload ${payload.length} out of range`);
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
    // Move on before programming: a torn slot is never written again.
    this.placeAfter(slot);
    this.flash.program(slot * this.recordSize, b);
    this.writes++;
    return this.seq++;
  }

  /** All valid records, oldest first (for logs and tests; reads the whole partition). */
  records(): JournalRecord[] {
    const out: JournalRecord[] = [];
    const total = this.sectors * this.slotsPerSector;
    for (let slot = 0; slot < total; slot++) {
      this.flash.read(slot * this.recordSize, this.buf);
      if (!isErased(this.buf) && this.check(this.buf)) out.push({ type: this.buf[1], seq: readU32LE(this.buf, 2), payload: this.buf.slice(HEADER, HEADER + this.payloadSize) });
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  get recordsPerWrap(): number {
    return this.sectors * this.slotsPerSector;
  }

  get writeCount(): number {
    return this.writes;
  }

  private placeAfter(slot: number): void {
    const next = (slot + 1) % (this.sectors * this.slotsPerSector);
    this.cursor = next;
    this.needErase = next % this.slotsPerSector === 0;
  }

  private check(b: Uint8Array): boolean {
    return b[0] === RECORD_MAGIC && b[1] >= 1 && b[1] <= 254 && readU32LE(b, this.recordSize - TRAILER) === crc32(b, 0, this.recordSize - TRAILER);
  }
}

function isErased(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0xff) return false;
  return true;
}
