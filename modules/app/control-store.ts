/**
 * The load controller's state on flash, so a restart keeps the household's
 * plans (planned, waiting and running runs), the manual holds in force and
 * the last decisions. A partition of ≥ 2 sectors used as a ring, one record
 * per sector: a save erases the sector after the newest record's and writes
 * there, so a power cut mid-save leaves the previous record (the torn one
 * fails its CRC). Saves are the caller's pace-limited business (AggregatorApp
 * writes at most once per CONTROL_SAVE_MS, whatever the requests).
 *
 * Record (little-endian): 0 "XCTL" | 4 version u8 (1) | 5..7 reserved | 8 sequence u32 |
 * 12 length u32 | 16 JSON (UTF-8) | CRC-32 of all before it.
 */
import type { ControllerState } from "../control/controller";
import type { Flash } from "../core/ports";
import { crc32, readU32LE, utf8DecodeStrict, utf8Encode, writeU32LE } from "../core/bytes";

const MAGIC = Object.freeze([0x58, 0x43, 0x54, 0x4c]); // "XCTL"
const VERSION = 1;
const HEADER = 16;

/** At most one write per 5 minutes: a 4-sector partition then wears < 72 erases a day per sector at worst. */
export const CONTROL_SAVE_MS = 300_000;

export class ControlStore {
  private readonly sectors: number;
  private newest = { seq: 0, sector: -1 };

  constructor(private readonly flash: Flash) {
    this.sectors = Math.floor(flash.size / flash.sectorSize);
    if (this.sectors < 2) throw new RangeError("control store needs at least 2 sectors");
  }

  /** The newest valid state, or undefined (none saved, or every record torn). */
  load(): ControllerState | undefined {
    let best: { seq: number; state: ControllerState; sector: number } | undefined;
    for (let k = 0; k < this.sectors; k++) {
      const r = this.read(k);
      if (r && (!best || r.seq > best.seq)) best = { ...r, sector: k };
    }
    this.newest = best ? { seq: best.seq, sector: best.sector } : { seq: 0, sector: -1 };
    return best?.state;
  }

  /** Writes `state` (its oldest decisions dropped until the record fits a sector). Throws what the flash throws. */
  save(state: ControllerState): void {
    if (this.newest.sector < 0 && this.newest.seq === 0) this.load();
    let decisions = state.decisions;
    let body = utf8Encode(JSON.stringify({ ...state, decisions }));
    while (HEADER + body.length + 4 > this.flash.sectorSize) {
      if (!decisions.length) throw new RangeError(`control state of ${body.length} bytes does not fit a ${this.flash.sectorSize}-byte sector`);
      decisions = decisions.slice(Math.ceil(decisions.length / 4));
      body = utf8Encode(JSON.stringify({ ...state, decisions }));
    }
    const seq = this.newest.seq + 1;
    const rec = new Uint8Array(HEADER + body.length + 4);
    rec.set(MAGIC, 0);
    rec[4] = VERSION;
    writeU32LE(rec, 8, seq);
    writeU32LE(rec, 12, body.length);
    rec.set(body, HEADER);
    writeU32LE(rec, rec.length - 4, crc32(rec, 0, rec.length - 4));
    const sector = (this.newest.sector + 1) % this.sectors;
    this.flash.eraseSector(sector);
    const base = sector * this.flash.sectorSize, page = this.flash.pageSize;
    for (let i = 0; i < rec.length; i += page) this.flash.program(base + i, rec.subarray(i, Math.min(rec.length, i + page)));
    this.newest = { seq, sector };
  }

  private read(sector: number): { seq: number; state: ControllerState } | undefined {
    const base = sector * this.flash.sectorSize;
    const head = new Uint8Array(HEADER);
    this.flash.read(base, head);
    for (let i = 0; i < 4; i++) if (head[i] !== MAGIC[i]) return undefined;
    if (head[4] !== VERSION) return undefined;
    const length = readU32LE(head, 12);
    if (HEADER + length + 4 > this.flash.sectorSize) return undefined;
    const rec = new Uint8Array(HEADER + length + 4);
    this.flash.read(base, rec);
    if (readU32LE(rec, rec.length - 4) !== crc32(rec, 0, rec.length - 4)) return undefined;
    const text = utf8DecodeStrict(rec, HEADER, HEADER + length);
    if (text === undefined) return undefined;
    try {
      const state = JSON.parse(text) as ControllerState;
      if (!Array.isArray(state.runs) || !Array.isArray(state.holds) || !Array.isArray(state.decisions)) return undefined;
      return { seq: readU32LE(rec, 8), state };
    } catch {
      return undefined;
    }
  }
}
