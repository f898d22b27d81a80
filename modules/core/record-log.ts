/**
 * The record log: fixed-size, CRC-checked, sequence-numbered records appended to a ring of
 * NOR flash sectors. The energy journal, the aggregator's booking journal, the CAN counter
 * store and the MQTT outbox keep their records in one; settings (calibration, prices) use its single-record variant,
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
 *
 * Variable-length records (`recordSize` VARIABLE, the MQTT outbox): each record as long as its
 * payload, packed one after the other in a sector and never crossing one:
 *   [0] magic 0xA7 | [1] type | [2..3] payload length u16 | [4..7] sequence u32 | [8] flag | payload | CRC-32
 * The CRC covers every byte but the flag. The flag is left erased (0xFF) by the append and can be
 * cleared once in place by `mark()` — one byte programmed, no erase, as NOR only clears bits — so a
 * layer records a one-way state change (the outbox: acknowledged) without a second record; a cut
 * mark leaves a valid record whose flag reads marked (any bit cleared) or not, never a corrupt one.
 * A record that does not fit the rest of a sector starts the next one (the rest stays erased). The
 * log writes on after a torn record (after its length, or at boot after the sector's last
 * programmed byte); a scan skips torn bytes looking for the next valid record byte by byte. A
 * record crossing pages is programmed a page at a time.
 */
import { crc32, readU32LE, writeU32LE } from "./bytes";
import type { Flash } from "./ports";

export const RECORD_MAGIC = 0xa5;
const HEADER = 6;
/** Where a record's payload starts in the bytes `read` and `forEach` give. */
export const RECORD_PAYLOAD = HEADER;
const TRAILER = 4;
/** `recordSize` of a log of variable-length records. */
export const VARIABLE = 0;
/** 0xA7: the format with the flag byte (0xA6, without it, was never released and is not read). */
const VAR_MAGIC = 0xa7;
/** Where a variable-length record's flag byte is, outside its CRC. */
export const VAR_FLAG = 8;
/** Where a variable-length record's payload starts (after magic, type, length, sequence, flag). */
export const VAR_PAYLOAD = 9;

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
  /** Variable-length records: the cursor is a byte address, `buf` holds a sector. */
  private readonly variable: boolean;
  /** The byte `mark()` programs (a field: a preloaded module's typed arrays are read-only). */
  private readonly cleared = new Uint8Array(1);

  constructor(private readonly flash: Flash, recordSize = 128) {
    this.variable = recordSize === VARIABLE;
    if (!this.variable && (flash.pageSize % recordSize !== 0 || recordSize < 16)) throw new RangeError(`record size ${recordSize} must be >= 16 and divide the page size ${flash.pageSize}`);
    this.recordSize = recordSize;
    this.payloadSize = this.variable ? flash.sectorSize - VAR_PAYLOAD - TRAILER : recordSize - HEADER - TRAILER;
    this.slotsPerSector = this.variable ? 1 : flash.sectorSize / recordSize;
    this.sectors = Math.floor(flash.size / flash.sectorSize);
    if (this.sectors < 2) throw new RangeError("a record log needs at least 2 sectors");
    this.buf = new Uint8Array(this.variable ? flash.sectorSize : recordSize);
  }

  /** Recovery scan at boot: finds the newest valid record and where to write next. */
  open(): LogScan {
    if (this.variable) return this.openVariable();
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
  append(type: number, payload: Uint8Array, more?: Uint8Array, last?: Uint8Array): number {
    if (this.cursor < 0) throw new Error("record log: open() first");
    if (this.variable) return this.appendVariable(type, payload, more, last);
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
  forEach(each: (type: number, seq: number, record: Uint8Array, sector: number, slot: number) => void): void {
    if (this.variable) {
      const S = this.flash.sectorSize;
      for (let sector = 0; sector < this.sectors; sector++) {
        this.walk(sector, (at, n) => each(this.buf[at + 1], readU32LE(this.buf, at + 4), this.buf.subarray(at, at + n), sector, sector * S + at));
      }
      return;
    }
    const total = this.sectors * this.slotsPerSector;
    const b = this.buf;
    for (let slot = 0; slot < total; slot++) {
      if (this.read(slot, b)) each(b[1], readU32LE(b, 2), b, Math.floor(slot / this.slotsPerSector), slot);
    }
  }

  /** Reads one slot into `into` (recordSize bytes; payload at RECORD_PAYLOAD); true when it holds a valid record. */
  read(slot: number, into: Uint8Array): boolean {
    this.flash.read(slot * this.recordSize, into);
    return !isErased(into, 0, this.recordSize) && this.check(into, 0);
  }

  /**
   * Variable-length records: the record at byte address `at` (a view of the log's buffer, valid
   * until its next call; payload at VAR_PAYLOAD), or undefined when none valid is there.
   */
  readAt(at: number): Uint8Array | undefined {
    const S = this.flash.sectorSize;
    const b = this.buf;
    this.flash.read(at, b.subarray(0, VAR_PAYLOAD));
    const n = this.varLength(b, 0, S - (at % S));
    if (n < 0) return undefined;
    this.flash.read(at, b.subarray(0, n));
    return this.varCheck(b, 0, n) ? b.subarray(0, n) : undefined;
  }

  /**
   * Variable-length records: clears the flag byte of the record at byte address `at` in place (a
   * one-byte program, no erase). The caller names a record it wrote or read; marking again
   * programs the same zeros and changes nothing.
   */
  mark(at: number): void {
    if (!this.variable) throw new Error("record log: only variable-length records have a flag byte");
    if (!(at >= 0 && at + VAR_PAYLOAD <= this.sectors * this.flash.sectorSize)) throw new RangeError(`record log: no record at ${at}`);
    this.flash.program(at + VAR_FLAG, this.cleared);
  }

  /** Variable-length records: the byte address where a record of `payload` bytes would go (a sector's start: the append enters it). */
  placeFor(payload: number): number {
    const S = this.flash.sectorSize;
    return (this.cursor % S) + VAR_PAYLOAD + payload + TRAILER > S ? this.nextSectorStart(this.cursor) : this.cursor;
  }

  /** The sequence number the next append gets. */
  get nextSeq(): number {
    return this.seq;
  }

  /** The slot the next append writes (sector = slot / recordsPerSector); a byte address with variable-length records. */
  get nextSlot(): number {
    return this.cursor;
  }

  /** The sector the next append goes to. */
  get nextSector(): number {
    return Math.floor(this.cursor / (this.variable ? this.flash.sectorSize : this.slotsPerSector));
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
    this.cursor = sector * (this.variable ? this.flash.sectorSize : this.slotsPerSector);
    this.needErase = true;
  }

  /** All valid records, oldest first (for logs and tests; reads the whole partition). */
  records(): LogRecord[] {
    const out: LogRecord[] = [];
    const at = this.variable ? VAR_PAYLOAD : HEADER;
    this.forEach((type, seq, b) => out.push({ type, seq, payload: b.slice(at, this.variable ? b.length - TRAILER : at + this.payloadSize) }));
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

  /** The variable-length boot scan: first records of every sector, then the head sector and any torn one, walked in full. */
  private openVariable(): LogScan {
    const scan: LogScan = { valid: 0, corrupt: 0, reads: 0, bytesRead: 0 };
    const S = this.flash.sectorSize;
    const full: number[] = [];
    let headSector = -1;
    let headSeq = -1;
    for (let sector = 0; sector < this.sectors; sector++) {
      const r = this.readAt(sector * S);
      scan.reads += r ? 2 : 1;
      scan.bytesRead += VAR_PAYLOAD + (r ? r.length : 0);
      if (r) { if (readU32LE(r, 4) > headSeq) { headSeq = readU32LE(r, 4); headSector = sector; } }
      else if (!isErased(this.buf, 0, VAR_PAYLOAD)) full.push(sector);
    }
    if (headSector >= 0) full.push(headSector);
    let best = -1;
    let resume = -1;
    for (const sector of full) {
      let newest = false;
      const used = this.walk(sector, (at, n) => {
        scan.valid++;
        const seq = readU32LE(this.buf, at + 4);
        if (seq <= best) return;
        best = seq;
        newest = true;
        scan.newest = { type: this.buf[at + 1], seq, payload: this.buf.slice(at + VAR_PAYLOAD, at + n - TRAILER) };
      }, scan);
      scan.reads++;
      scan.bytesRead += S;
      // resume after the newest record and any torn bytes after it (the next boot's walk skips them)
      if (newest) resume = sector * S + used;
    }
    this.seq = best >= 0 ? best + 1 : 1;
    this.cursor = resume >= 0 ? resume % (this.sectors * S) : 0;
    this.needErase = this.cursor % S === 0;
    return scan;
  }

  /**
   * Reads `sector` into buf and calls `each(at, length)` for its valid records in order; past torn
   * bytes (a cut program) it looks for the next record byte by byte, as the log writes on after
   * them. Returns where the sector's used bytes end (the rest is erased); counts torn stretches.
   */
  private walk(sector: number, each: (at: number, n: number) => void, scan?: LogScan): number {
    const S = this.flash.sectorSize;
    const b = this.buf;
    this.flash.read(sector * S, b);
    let used = S;
    while (used > 0 && b[used - 1] === 0xff) used--;
    let torn = false;
    let end = 0; // a valid record's CRC may end in 0xFF bytes: they are its own, not erased room
    for (let at = 0; at + VAR_PAYLOAD + TRAILER <= used; ) {
      const n = this.varLength(b, at, S - at);
      if (n > 0 && this.varCheck(b, at, n)) { each(at, n); at += n; end = at; torn = false; continue; }
      if (!torn && scan) scan.corrupt++;
      torn = true;
      at++;
    }
    return Math.max(used, end);
  }

  private appendVariable(type: number, a: Uint8Array, b: Uint8Array | undefined, c: Uint8Array | undefined): number {
    const S = this.flash.sectorSize;
    const nb = b ? b.length : 0;
    const n = VAR_PAYLOAD + a.length + nb + (c ? c.length : 0) + TRAILER;
    if (type < 1 || type > 254 || n > S) throw new RangeError(`record type ${type} / payload ${n - VAR_PAYLOAD - TRAILER} out of range`);
    if ((this.cursor % S) + n > S) { this.cursor = this.nextSectorStart(this.cursor); this.needErase = true; }
    const at = this.cursor;
    if (this.needErase) {
      this.flash.eraseSector(at / S);
      this.needErase = false;
    }
    const r = this.buf;
    r[0] = VAR_MAGIC;
    r[1] = type;
    r[2] = (n - VAR_PAYLOAD - TRAILER) & 0xff;
    r[3] = (n - VAR_PAYLOAD - TRAILER) >> 8;
    writeU32LE(r, 4, this.seq);
    r[VAR_FLAG] = 0xff; // left erased: mark() clears it in place
    r.set(a, VAR_PAYLOAD);
    if (b) r.set(b, VAR_PAYLOAD + a.length);
    if (c) r.set(c, VAR_PAYLOAD + a.length + nb);
    writeU32LE(r, n - TRAILER, varCrc(r, 0, n));
    // Move on before programming: a torn record is never written again (the walk skips it).
    this.cursor = (at + n) % (this.sectors * S);
    this.needErase = this.cursor % S === 0;
    try {
      const page = this.flash.pageSize;
      for (let i = 0; i < n; ) {
        const k = Math.min(page - ((at + i) % page), n - i);
        this.flash.program(at + i, r.subarray(i, i + k));
        i += k;
      }
    } catch (e) {
      if (at % S === 0) { this.cursor = at; this.needErase = true; } // a sector's first record is its header for the boot scan
      throw e;
    }
    this.writes++;
    return this.seq++;
  }

  /** A variable-length record's length from its header at `at` (room bytes left in its sector), -1 when it is not one. */
  private varLength(b: Uint8Array, at: number, room: number): number {
    const n = VAR_PAYLOAD + (b[at + 2] | (b[at + 3] << 8)) + TRAILER;
    return b[at] === VAR_MAGIC && b[at + 1] >= 1 && b[at + 1] <= 254 && n <= room ? n : -1;
  }

  private varCheck(b: Uint8Array, at: number, n: number): boolean {
    return readU32LE(b, at + n - TRAILER) === varCrc(b, at, n);
  }

  private nextSectorStart(address: number): number {
    const S = this.flash.sectorSize;
    return ((Math.floor(address / S) + 1) % this.sectors) * S;
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

/** A variable-length record's CRC-32: every byte before the CRC but the flag. */
function varCrc(b: Uint8Array, at: number, n: number): number {
  return crc32(b, at + VAR_FLAG + 1, at + n - TRAILER, crc32(b, at, at + VAR_FLAG));
}

/** True when a variable-length record's flag was marked: any bit cleared (a cut mark may clear only some). */
export function isMarked(record: Uint8Array): boolean {
  return record[VAR_FLAG] !== 0xff;
}

function isErased(b: Uint8Array, at: number, n: number): boolean {
  for (let i = at; i < at + n; i++) if (b[i] !== 0xff) return false;
  return true;
}
