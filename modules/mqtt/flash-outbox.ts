/**
 * The QoS 1 outbox in NOR flash, on the core record log with variable-length records: every
 * message to publish is written before it is sent and leaves only when its PUBACK arrives, so a
 * reboot or a power cut loses nothing. A reboot sends again at most the one message whose
 * acknowledgement a power cut interrupted (the per-meter (boot, seq) lets the cloud drop it).
 *
 * A message is one record, its id the record's sequence number. Its PUBACK clears the record's flag
 * byte in place (`RecordLog.mark`: one byte, no erase, outside the CRC), as the ring before the
 * record log cleared its state byte: a flag with any bit cleared means acknowledged, since it is
 * cleared only after a PUBACK, so a cut in that write reads as acknowledged or waiting, never as a
 * corrupt record. A PUBACK for an id not waiting (a duplicate, or never added) writes nothing.
 * Records (payload bytes, LE; format, proofs: docs/flash-records.md):
 *   1 message, 2 retained message                    topic length (1 or 2 B) | topic | payload
 *   3 moved, 4 retained moved (written by migration)  the id it had in the old format u32 | as 1
 * The log erases the sector it enters, so a sector holding a waiting message is never entered
 * (the outbox is full instead); acknowledged messages go with their sector.
 *
 * A flash in the format before the record log is migrated once at boot (outbox-legacy.ts).
 */
import type { Flash } from "../core/ports";
import { readU32LE, utf8DecodeStrict, utf8Encode, writeU32LE } from "../core/bytes";
import { isMarked, RecordLog, VAR_PAYLOAD as AT, VARIABLE } from "../core/record-log";
import { isLegacySector, readLegacy, readLegacyMessage } from "./outbox-legacy";

const MSG = 1;
const MOVED = 3;
/** Bytes a record adds to its payload (the log's magic, type, length, sequence, flag and CRC). */
const RECORD = AT + 4;
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
  /** Largest topic + payload one message can hold. */
  readonly maxMessage: number;
  /** What this boot's one-time migration of the old format did (all 0 on a migrated flash). */
  readonly migration: OutboxMigration = { moved: 0, dropped: 0, erased: 0 };

  constructor(private readonly flash: Flash) {
    if (flash.size < 2 * flash.sectorSize) throw new RangeError("outbox needs at least 2 sectors");
    this.log = new RecordLog(flash, VARIABLE);
    this.S = flash.sectorSize;
    this.sectors = Math.floor(flash.size / this.S);
    this.pinned = new Uint16Array(this.sectors);
    // a message with a 2-byte topic length fits a sector; no more than the old format took
    this.maxMessage = Math.min(this.S - LEGACY_HEADER, this.S - RECORD - 2);
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
    if (at === undefined) return; // not waiting: nothing to write (a duplicate PUBACK never rewrites the flag)
    this.log.mark(at); // first: if the program fails, the message still waits, in RAM as in flash
    this.live.delete(id);
    this.pinned[Math.floor(at / this.S)]--;
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
    const at = this.log.placeFor(head.length + topic.length + payload.length);
    if (!this.fitsAt(at)) throw new OutboxFull(`outbox full: ${this.live.size} messages wait for PUBACK`);
    const id = this.log.append(type, head, topic, payload);
    this.live.set(id, at);
    this.pinned[Math.floor(at / this.S)]++;
    return id;
  }

  /** True when a record can go at `at`, where the log would put it (placeFor): not into a sector it would erase while that holds waiting messages. */
  private fitsAt(at: number): boolean {
    return at % this.S !== 0 || !this.blocked(at / this.S);
  }

  private blocked(sector: number): boolean {
    return this.pinned[sector] > 0 || (this.legacy !== undefined && this.legacy[sector] > 0);
  }

  /** Rebuilds the waiting messages at boot from every record of the ring. Returns the old ids of the migrated messages found. */
  private load(): Set<number> {
    const seqs: number[] = [];
    const where: number[] = [];
    const moved = new Set<number>();
    this.log.forEach((type, seq, r, _sector, at) => {
      if (type < MSG || type > MOVED + 1) return;
      if (type >= MOVED) moved.add(readU32LE(r, AT)); // acknowledged or not: it was copied
      if (isMarked(r)) return;
      seqs.push(seq);
      where.push(at);
    });
    const order = seqs.map((_, k) => k).sort((x, y) => seqs[x] - seqs[y]);
    for (const k of order) {
      this.live.set(seqs[k], where[k]);
      this.pinned[Math.floor(where[k] / this.S)]++;
    }
    return moved;
  }

  /**
   * The one-time migration of the format before the record log: the old waiting messages are
   * copied, oldest first, as moved records, then every old sector is erased, all before the
   * constructor returns. A cut repeats it at the next boot; the old ids of the moved records say
   * what was copied already (no message is acknowledged, so none is gone, until every old sector is).
   */
  private migrate(moved: Set<number>, hadRecords: boolean): void {
    const sec = new Uint8Array(this.S);
    const legacy: number[] = [];
    for (let k = 0; k < this.sectors; k++) if (isLegacySector(this.flash, k, sec)) legacy.push(k);
    if (!legacy.length) return;
    this.copyLegacy(moved, hadRecords, sec);
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
      // a moved record takes 4 bytes more than the old one: on 4 KiB sectors old messages of 4,079..4,081 B do not fit (4,078 with a topic of 128 B or more)
      if (RECORD + head.length + topic.length + payload.length > this.S) { this.migration.dropped++; this.legacy[m.sector]--; continue; }
      if (!this.fitsAt(this.log.placeFor(head.length + topic.length + payload.length))) break; // the log has met old messages it has no room to copy
      this.keep(MOVED + (m.retain ? 1 : 0), head, topic, payload);
      this.migration.moved++;
      this.legacy[m.sector]--;
    }
    this.migration.dropped += todo.length - k;
    this.legacy = undefined;
  }
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
