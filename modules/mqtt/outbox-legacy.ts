/**
 * The outbox's format before the record log, read only to migrate it once (flash-outbox.ts;
 * docs/flash-records.md). Records were appended to a ring of sectors, never crossing one:
 *   v2 0x5B | state | length u16 | crc32 u32 | id u32 | flags u8 | topic length u16 | topic | payload
 *   v1 0x5A | state | length u16 | crc32 u32 | id u32 |            topic length u16 | topic | payload
 * all LE; state 0xFE = waiting, 0x00 = acknowledged; the CRC covers length and id..end; flags bit 0 =
 * retain. A sector was read from its start up to the first erased, unknown or torn record.
 */
import type { Flash } from "../core/ports";
import { crc32, readU16LE, readU32LE } from "../core/bytes";

const V1 = 0x5a;
const V2 = 0x5b;
const WAITING = 0xfe;
const HEAD_V1 = 14;
const HEAD_V2 = 15;

export interface LegacyMessage {
  id: number;
  sector: number;
  /** Offset of the record in its sector, its length, and where its topic starts (14 or 15). */
  at: number;
  length: number;
  head: number;
  retain: boolean;
}

export interface LegacyOutbox {
  /** Waiting messages, oldest (lowest id) first. */
  waiting: LegacyMessage[];
  /** The sector holding the newest record (the old ring's write position), -1 when none. */
  newestSector: number;
}

/** True when `sector` starts with a record of the old format (it still has to be migrated or erased). */
export function isLegacySector(flash: Flash, sector: number, buf: Uint8Array): boolean {
  flash.read(sector * flash.sectorSize, buf.subarray(0, 1));
  return buf[0] === V1 || buf[0] === V2;
}

/** Reads every old-format sector's waiting messages; `sec` is a sector-sized buffer. */
export function readLegacy(flash: Flash, sec: Uint8Array): LegacyOutbox {
  const out: LegacyOutbox = { waiting: [], newestSector: -1 };
  let newest = -1;
  for (let k = 0; k * flash.sectorSize < flash.size; k++) {
    if (!isLegacySector(flash, k, sec)) continue;
    flash.read(k * flash.sectorSize, sec);
    for (let at = 0; at + HEAD_V1 <= sec.length; ) {
      const head = sec[at] === V2 ? HEAD_V2 : sec[at] === V1 ? HEAD_V1 : 0;
      const length = head ? readU16LE(sec, at + 2) : 0;
      if (!head || length < head || at + length > sec.length) break;
      if (crc32(sec, at + 8, at + length, crc32(sec, at + 2, at + 4)) !== readU32LE(sec, at + 4)) break; // torn
      const id = readU32LE(sec, at + 8);
      if (id > newest) { newest = id; out.newestSector = k; }
      if (sec[at + 1] === WAITING) out.waiting.push({ id, sector: k, at, length, head, retain: head === HEAD_V2 && (sec[at + 12] & 1) !== 0 });
      at += length;
    }
  }
  out.waiting.sort((a, b) => a.id - b.id);
  return out;
}

/** One old message's record read into `into` (a sector-sized buffer): its topic and payload as views. */
export function readLegacyMessage(flash: Flash, m: LegacyMessage, into: Uint8Array): { topic: Uint8Array; payload: Uint8Array } {
  const rec = into.subarray(0, m.length);
  flash.read(m.sector * flash.sectorSize + m.at, rec);
  const topicEnd = Math.min(m.length, m.head + readU16LE(rec, m.head - 2));
  return { topic: rec.subarray(m.head, topicEnd), payload: rec.subarray(topicEnd) };
}
