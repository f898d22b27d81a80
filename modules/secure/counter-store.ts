import type { Flash } from "../core/ports";
import { crc32, readU32LE, writeU32LE } from "../core/bytes";
import { RecordLog } from "../core/record-log";

/**
 * Persistent counters (key → u32) in the core record log: 32-byte records, each holding one or
 * two (key, value) pairs; the newest record of a key wins, a torn record fails its CRC and the
 * previous value survives. Before the log erases a sector, the keys whose newest record lives
 * there are written again: each time the log starts a sector, the keys of the sector after it
 * (the next to be erased) are copied into it, two a record. A cut in that copy is finished at
 * boot. Capacity: MAX_COUNTER_KEYS keys, so one copy always fits half a sector.
 *
 * A store in the format before the record log (16-byte "RNTC" records with a generation header,
 * two sectors) is migrated once: its values are written into its inactive sector, then a
 * MIGRATED record; until that record exists the old sector is read again (docs/flash-records.md).
 */
const RECORD = 32;
const VALUES = 1;
const MIGRATED = 2;
/** Keys a store on 4 KiB sectors holds: half a sector's records, two pairs each, so a full copy takes at most half the sector. */
export const MAX_COUNTER_KEYS = 128;

export class FlashCounterStore {
  private readonly values = new Map<number, number>();
  /** Key → sector of its newest record. */
  private readonly where = new Map<number, number>();
  private readonly log: RecordLog;
  private readonly sectors: number;
  private readonly payload: Uint8Array;
  /** MAX_COUNTER_KEYS on 4 KiB sectors: as many keys as a sector has records. */
  readonly maxKeys: number;

  /** `flash` should be a partition of (at least) two sectors owned by this store. */
  constructor(private readonly flash: Flash) {
    if (flash.size < 2 * flash.sectorSize) throw new RangeError("counter store needs two flash sectors");
    this.log = new RecordLog(flash, RECORD);
    this.sectors = Math.floor(flash.size / flash.sectorSize);
    this.payload = new Uint8Array(this.log.payloadSize);
    this.maxKeys = this.log.recordsPerSector;
    const scan = this.log.open();
    const migrated = this.load();
    const legacy = migrated ? undefined : readLegacy(flash);
    if (legacy) this.migrate(legacy);
    else if (scan.newest && !this.log.startsSector) this.copyOut(this.log.nextSector); // finish a cut copy
  }

  get(key: number): number | undefined {
    return this.values.get(key);
  }

  keys(): number[] {
    return [...this.values.keys()];
  }

  /** Persists key → value (written before it returns). */
  set(key: number, value: number): void {
    if (!(Number.isInteger(key) && key >= 0 && key < 0xffffffff) || !(Number.isInteger(value) && value >= 0 && value <= 0xffffffff)) throw new RangeError(`counter ${key}=${value}`);
    if (!this.values.has(key) && this.values.size >= this.maxKeys) throw new RangeError(`counter store full: ${this.maxKeys} keys`);
    this.write(key, value);
  }

  /** Appends one record of one or two pairs; on starting a sector, copies the next one's keys out. */
  private write(key: number, value: number, key2 = -1, value2 = 0): void {
    const starts = this.log.startsSector;
    const sector = this.log.nextSector;
    const p = this.payload;
    p.fill(0);
    p[0] = key2 < 0 ? 1 : 2;
    writeU32LE(p, 1, key);
    writeU32LE(p, 5, value);
    if (key2 >= 0) { writeU32LE(p, 9, key2); writeU32LE(p, 13, value2); }
    this.log.append(VALUES, p);
    this.keep(key, value, sector);
    if (key2 >= 0) this.keep(key2, value2, sector);
    if (starts) this.copyOut(sector);
  }

  private keep(key: number, value: number, sector: number): void {
    this.values.set(key, value);
    this.where.set(key, sector);
  }

  /** Writes again, into `sector`, every key whose newest record is in the sector after it. */
  private copyOut(sector: number): void {
    const next = (sector + 1) % this.sectors;
    const moving: number[] = [];
    for (const [k, s] of this.where) if (s === next) moving.push(k);
    for (let i = 0; i < moving.length; i += 2) {
      const k2 = i + 1 < moving.length ? moving[i + 1] : -1;
      this.write(moving[i], this.values.get(moving[i])!, k2, k2 >= 0 ? this.values.get(k2)! : 0);
    }
  }

  /** Rebuilds the values from every record (newest per key wins); true when a MIGRATED record is there. */
  private load(): boolean {
    const seqs = new Map<number, number>();
    let migrated = false;
    this.log.forEach((type, seq, r, sector) => {
      if (type === MIGRATED) { migrated = true; return; }
      if (type !== VALUES || (r[6] !== 1 && r[6] !== 2)) return;
      for (let k = 0; k < r[6]; k++) {
        const key = readU32LE(r, 7 + 8 * k);
        if ((seqs.get(key) ?? -1) > seq) continue;
        seqs.set(key, seq);
        this.keep(key, readU32LE(r, 11 + 8 * k), sector);
      }
    });
    return migrated;
  }

  /** Writes the old store's values into its inactive sector, then the MIGRATED record. */
  private migrate(legacy: { values: Map<number, number>; active: number }): void {
    this.values.clear();
    this.where.clear();
    this.log.restartAt(1 - legacy.active);
    const entries = [...legacy.values];
    for (let i = 0; i < entries.length; i += 2) {
      const [k, v] = entries[i];
      const [k2, v2] = i + 1 < entries.length ? entries[i + 1] : [-1, 0];
      this.write(k, v, k2, v2);
    }
    this.payload.fill(0);
    this.log.append(MIGRATED, this.payload);
  }
}

// The format before the record log, read only to migrate it: two sectors of 16-byte records
// [magic "RNTC", key, value, crc32]; a sector's first record is its generation (key 0xFFFFFFFF).
const LEGACY_RECORD = 16;
const LEGACY_MAGIC = 0x43544e52;
const LEGACY_GEN = 0xffffffff;

/** The old store's values and active sector, or undefined when neither sector has a valid header. */
function readLegacy(flash: Flash): { values: Map<number, number>; active: number } | undefined {
  const r = new Uint8Array(LEGACY_RECORD);
  const valid = () => readU32LE(r, 0) === LEGACY_MAGIC && readU32LE(r, 12) === crc32(r, 0, 12);
  const gen = (sector: number) => {
    flash.read(sector * flash.sectorSize, r);
    return valid() && readU32LE(r, 4) === LEGACY_GEN ? readU32LE(r, 8) : -1;
  };
  const a = gen(0), b = gen(1);
  if (a < 0 && b < 0) return undefined;
  const active = b > a ? 1 : 0;
  const values = new Map<number, number>();
  for (let at = LEGACY_RECORD; at + LEGACY_RECORD <= flash.sectorSize; at += LEGACY_RECORD) {
    flash.read(active * flash.sectorSize + at, r);
    if (valid() && readU32LE(r, 4) !== LEGACY_GEN) values.set(readU32LE(r, 4), readU32LE(r, 8));
  }
  return { values, active };
}
