/**
 * The QoS 1 outbox in NOR flash, on the core record log with variable-length records: every
 * message to publish is written before it is sent and leaves only when its PUBACK arrives, so a
 * reboot or a power cut loses nothing. What a reboot may send again: the messages acknowledged
 * since the last acked record (at most ACKS_PER_RECORD - 1), any acknowledged more than
 * 8 × BITMAP_MAX ids past one still waiting, and those acknowledged out of order into a full
 * outbox that found no room; the per-meter (boot, seq) lets the cloud drop them.
 *
 * A message is one record, its id the record's sequence number. Acknowledgements are kept in RAM
 * and written as one acked record (lowest waiting id, then a bitmap of the ids above it) every
 * ACKS_PER_RECORD of them, so a PUBACK flood writes at most one record per ACKS_PER_RECORD
 * messages it acknowledges, and nothing for ids not waiting. The newest acked record is the truth;
 * a torn one leaves the one before. Records (payload bytes, LE; format, proofs: docs/flash-records.md):
 *   1 message, 2 retained message                    topic length (1 or 2 B) | topic | payload
 *   3 moved, 4 retained moved (written by migration)  the id it had in the old format u32 | as 1
 *   5 acked                                           lowest waiting id u32 | bitmap: bit k = id lowest+1+k acknowledged
 * The log erases the sector it enters, so a sector holding a waiting message is never entered
 * (the outbox is full instead; acknowledged messages in it may go, acknowledgement written or
 * not), and the newest acked record is never left in the next sector to be erased: when the log
 * enters the sector before it, the acked state is written first into the sector entered.
 *
 * A flash in the format before the record log is migrated once at boot (outbox-legacy.ts).
 */
import type { Flash } from "../core/ports";
import { readU32LE, utf8DecodeStrict, utf8Encode, writeU32LE } from "../core/bytes";
import { RecordLog, VAR_PAYLOAD as AT, VARIABLE } from "../core/record-log";
import { isLegacySector, readLegacy, readLegacyMessage } from "./outbox-legacy";

const MSG = 1;
const MOVED = 3;
const ACKED = 5;
/** Acknowledgements kept in RAM before an acked record is written. */
export const ACKS_PER_RECORD = 16;
/** Bitmap bytes of an acked record at most (ids further out of order are sent again after a reboot). */
export const BITMAP_MAX = 64;
/** Bytes a record adds to its payload (the log's magic, type, length, sequence and CRC). */
const RECORD = AT + 4;
const ACKED_MAX = RECORD + 4 + BITMAP_MAX;
/** The largest message the format before the record log took (a sector less its 15-byte header). */
const LEGACY_HEADER = 15;

export interface OutboxEntry {
  id: number;
  topic: string;
  payload: Uint8Array;
  /** Publish with the retain flag (kept in flash). */
  retain: boolean;
}

export class OutboxFull extends Error {
  override name = "OutboxFull";
}

export interface Outbox {
  add(topic: string, payload: Uint8Array, retain?: boolean): number;
  ack(id: number): void;
  /** Waiting entries, oldest first. */
  ids(): number[];
  get(id: number): OutboxEntry | undefined;
  readonly size: number;
}

export interface OutboxMigration {
  /** Old-format messages copied into the log at this boot. */
  moved: number;
  /** Old-format messages given up: the old outbox held more than the log can (docs/flash-records.md). */
  dropped: number;
  /** Old-format sectors erased. */
  erased: number;
}

export class FlashOutbox implements Outbox {
  /** Waiting id → its record's byte address (insertion order = id order). */
  private readonly live = new Map<number, number>();
  private readonly log: RecordLog;
  private readonly S: number;
  private readonly sectors: number;
  /** Waiting messages in each sector: such a sector is never entered. */
  private readonly pinned: Uint16Array;
  /** During a migration: old messages not yet copied in each sector (also never entered). */
  private legacy: Uint16Array | undefined;
  private readonly prefix = new Uint8Array(6);
  private readonly acked = new Uint8Array(4 + BITMAP_MAX);
  private ackSector = -1;
  /** Acknowledgements since the newest acked record (in RAM only). */
  private pending = 0;
  /** The highest id acknowledged: the bitmap ends there (seqs of acked records between count as acknowledged). */
  private maxAcked = 0;
  /** Largest topic + payload one message can hold. */
  readonly maxMessage: number;
  /** Acked records written because the log entered the sector before theirs (since boot). */
  copies = 0;
  /** What this boot's one-time migration of the old format did (all 0 on a migrated flash). */
  readonly migration: OutboxMigration = { moved: 0, dropped: 0, erased: 0 };

  constructor(private readonly flash: Flash) {
    if (flash.size < 2 * flash.sectorSize) throw new RangeError("outbox needs at least 2 sectors");
    this.log = new RecordLog(flash, VARIABLE);
    this.S = flash.sectorSize;
    this.sectors = Math.floor(flash.size / this.S);
    this.pinned = new Uint16Array(this.sectors);
    // a message fits a sector after the largest acked record (written first into a sector entered)
    this.maxMessage = Math.min(this.S - LEGACY_HEADER, this.S - ACKED_MAX - RECORD - 2);
    const hadRecords = this.log.open().newest !== undefined;
    this.migrate(this.load(), hadRecords);
  }

  get size(): number {
    return this.live.size;
  }

  add(topic: string, payload: Uint8Array, retain = false): number {
    const t = utf8Encode(topic);
    const length = t.length + payload.length;
    if (length > this.maxMessage) throw new RangeError(`message of ${length} bytes does not fit the outbox (at most ${this.maxMessage})`);
    return this.keep(MSG + (retain ? 1 : 0), this.head(t.length, -1), t, payload);
  }

  ack(id: number): void {
    const at = this.live.get(id);
    if (at === undefined) return; // not waiting: nothing to write (a PUBACK flood costs no flash)
    this.live.delete(id);
    this.pinned[Math.floor(at / this.S)]--;
    if (id > this.maxAcked) this.maxAcked = id;
    if (++this.pending >= ACKS_PER_RECORD) this.flushAcks();
  }

  ids(): number[] {
    return [...this.live.keys()];
  }

  get(id: number): OutboxEntry | undefined {
    const at = this.live.get(id);
    const r = at === undefined ? undefined : this.log.readAt(at);
    if (!r) return undefined;
    let p = AT + (r[1] >= MOVED ? 4 : 0);
    const topicLength = r[p] < 0x80 ? r[p++] : ((r[p++] & 0x7f) << 8) | r[p++];
    const end = r.length - 4;
    if (p + topicLength > end) return undefined;
    return { id, topic: utf8DecodeStrict(r, p, p + topicLength) ?? "", payload: r.slice(p + topicLength, end), retain: (r[1] - MSG) % 2 === 1 };
  }

  /** A message record's bytes before its topic: [the old id], the topic length in 1 byte below 128, else 2. */
  private head(topicLength: number, oldId: number): Uint8Array {
    const p = this.prefix;
    let n = 0;
    if (oldId >= 0) { writeU32LE(p, 0, oldId); n = 4; }
    if (topicLength < 0x80) p[n++] = topicLength;
    else { p[n++] = 0x80 | (topicLength >> 8); p[n++] = topicLength & 0xff; }
    return p.subarray(0, n);
  }

  /** Writes a message; its id is its record's sequence number. */
  private keep(type: number, head: Uint8Array, topic: Uint8Array, payload: Uint8Array): number {
    const n = head.length + topic.length + payload.length;
    if (!this.fits(n)) throw new OutboxFull(`outbox full: ${this.live.size} messages wait for PUBACK`);
    this.keepAckedAhead(this.log.placeFor(n));
    const at = this.log.placeFor(n);
    const id = this.log.append(type, head, topic, payload);
    this.live.set(id, at);
    this.pinned[Math.floor(at / this.S)]++;
    return id;
  }

  /** True when a record of n payload bytes can go where the log would put it. */
  private fits(n: number): boolean {
    const at = this.log.placeFor(n);
    return at % this.S !== 0 || !this.blocked(at / this.S);
  }

  private blocked(sector: number): boolean {
    return this.pinned[sector] > 0 || (this.legacy !== undefined && this.legacy[sector] > 0);
  }

  /** About to write at `at`: if that enters the sector just before the newest acked record's, the acked state goes there first. */
  private keepAckedAhead(at: number): void {
    if (at % this.S === 0 && this.ackSector === (at / this.S + 1) % this.sectors) {
      this.copies++;
      this.putAcked();
    }
  }

  /** Writes the acknowledgements kept in RAM, unless that would enter a sector holding a waiting message. */
  private flushAcks(): void {
    if (this.fits(this.ackedLength())) this.putAcked();
  }

  /** The acked state in `acked`: lowest waiting id, then a bitmap of the acknowledged ids above it; returns its length. */
  private ackedLength(): number {
    const a = this.acked;
    const lowest = this.live.size ? this.live.keys().next().value! : this.log.nextSeq;
    a.fill(0);
    writeU32LE(a, 0, lowest);
    let end = 4;
    const span = Math.min(BITMAP_MAX * 8, this.maxAcked - lowest);
    for (let k = 0; k < span; k++) {
      if (this.live.has(lowest + 1 + k)) continue;
      a[4 + (k >> 3)] |= 1 << (k & 7);
      end = 5 + (k >> 3);
    }
    return end;
  }

  private putAcked(): void {
    const n = this.ackedLength();
    const at = this.log.placeFor(n);
    this.log.append(ACKED, this.acked.subarray(0, n));
    this.ackSector = Math.floor(at / this.S);
    this.pending = 0;
  }

  /**
   * Rebuilds the waiting messages at boot from every record of the ring, the newest acked record
   * saying which are acknowledged. Returns the old ids of the migrated messages found.
   */
  private load(): Set<number> {
    const seqs: number[] = [];
    const where: number[] = [];
    const moved = new Set<number>();
    let ackedSeq = -1;
    let ackedEnd = 0;
    this.log.forEach((type, seq, r, sector, at) => {
      if (type === ACKED) {
        if (seq < ackedSeq) return;
        ackedSeq = seq;
        ackedEnd = Math.min(r.length - 4 - AT, this.acked.length);
        this.acked.fill(0);
        this.acked.set(r.subarray(AT, AT + ackedEnd));
        this.ackSector = sector;
      } else if (type >= MSG && type < ACKED) {
        seqs.push(seq);
        where.push(at);
        if (type >= MOVED) moved.add(readU32LE(r, AT));
      }
    });
    const order = seqs.map((_, k) => k).sort((x, y) => seqs[x] - seqs[y]);
    for (const k of order) {
      if (ackedSeq >= 0 && isAcked(seqs[k], this.acked, ackedEnd)) { this.maxAcked = Math.max(this.maxAcked, seqs[k]); continue; }
      this.live.set(seqs[k], where[k]);
      this.pinned[Math.floor(where[k] / this.S)]++;
    }
    return moved;
  }

  /**
   * The one-time migration of the format before the record log: the old waiting messages are
   * copied, oldest first, as moved records, then every old sector is erased. Acknowledgements are
   * written only after it finished, so with an acked record in the log only the erase is left.
   */
  private migrate(moved: Set<number>, hadRecords: boolean): void {
    const sec = new Uint8Array(this.S);
    const legacy: number[] = [];
    for (let k = 0; k < this.sectors; k++) if (isLegacySector(this.flash, k, sec)) legacy.push(k);
    if (!legacy.length) return;
    if (this.ackSector < 0) this.copyLegacy(moved, hadRecords, sec);
    for (const k of legacy) {
      if (!isLegacySector(this.flash, k, sec)) continue; // the log has written it since
      this.flash.eraseSector(k);
      this.migration.erased++;
    }
  }

  private copyLegacy(moved: Set<number>, hadRecords: boolean, sec: Uint8Array): void {
    const old = readLegacy(this.flash, sec);
    // The log starts where the old ring would have written next, so it meets the old messages in
    // the order it copies them; when the old outbox was full there, that sector's are given up.
    const first = (old.newestSector + 1) % this.sectors;
    const left = old.waiting.filter((m) => !moved.has(m.id));
    const todo = left.filter((m) => hadRecords || m.sector !== first);
    this.migration.dropped = left.length - todo.length;
    if (!todo.length) return;
    if (!hadRecords) this.log.restartAt(first);
    this.legacy = new Uint16Array(this.sectors);
    for (const m of todo) this.legacy[m.sector]++; // its sector is not erased before it is copied
    let k = 0;
    for (; k < todo.length; k++) {
      const m = todo[k];
      const { topic, payload } = readLegacyMessage(this.flash, m, sec);
      const head = this.head(topic.length, m.id);
      // a moved record takes 4 bytes more than the old one: the old format's 3 largest lengths do not fit
      if (RECORD + head.length + topic.length + payload.length > this.S) { this.migration.dropped++; this.legacy[m.sector]--; continue; }
      if (!this.fits(head.length + topic.length + payload.length)) break; // the log has met old messages it has no room to copy
      this.keep(MOVED + (m.retain ? 1 : 0), head, topic, payload);
      this.migration.moved++;
      this.legacy[m.sector]--;
    }
    this.migration.dropped += todo.length - k;
    this.legacy = undefined;
  }
}

function isAcked(id: number, acked: Uint8Array, end: number): boolean {
  const lowest = readU32LE(acked, 0);
  if (id < lowest) return true;
  const k = id - lowest - 1;
  return k >= 0 && k < (end - 4) * 8 && (acked[4 + (k >> 3)] & (1 << (k & 7))) !== 0;
}

/** An outbox in RAM (for a subscriber-only client, or tests that do not need reboots). */
export class MemoryOutbox implements Outbox {
  private readonly entries = new Map<number, OutboxEntry>();
  private nextId = 1;
  add(topic: string, payload: Uint8Array, retain = false): number {
    const id = this.nextId++;
    this.entries.set(id, { id, topic, payload, retain });
    return id;
  }
  ack(id: number): void {
    this.entries.delete(id);
  }
  ids(): number[] {
    return [...this.entries.keys()];
  }
  get(id: number): OutboxEntry | undefined {
    return this.entries.get(id);
  }
  get size(): number {
    return this.entries.size;
  }
}
