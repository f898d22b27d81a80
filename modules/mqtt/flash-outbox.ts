/**
 * The QoS 1 outbox in NOR flash, on the core record log (128-byte records): every message to
 * publish is written before it is sent and acknowledged only when its PUBACK arrives, so a
 * reboot or a power cut loses nothing (at worst a message whose PUBACK came just before the cut
 * is sent again; the per-meter sequence number lets the cloud drop the duplicate).
 *
 * A message is a head record and as many fragment records as its topic and payload need; an
 * acknowledgement writes the whole acknowledged state again (lowest waiting id, next id, a bitmap
 * of the ids between): the newest such record is the truth, so a torn one leaves the one before.
 * Records (payload bytes, LE; format and proofs in docs/flash-records.md):
 *   1 head      id u32 | fragments u8 | flags u8 (bit 0 retain) | topic length u16 | length u16 | content
 *   2 moved     as head, then the id it had in the old format u32 | content (written by the migration)
 *   3 fragment  id u32 | index u8 | content
 *   4 acked     lowest waiting id u32 | next id u32 | bitmap: bit k = id lowest+1+k acknowledged
 * Content = topic ‖ payload. The log erases the sector it enters, so: a sector holding a record of
 * a waiting message is never entered (the outbox is full instead); the newest acked record is
 * never left in the next sector to be erased (each time the log starts a sector it is written
 * again into it when it is); and an add leaves room for the acknowledgements that free the oldest
 * sector, so PUBACKs in order are always written at once. Only when PUBACKs come out of order
 * into a full outbox does an acknowledgement wait in RAM for room (written with the next one).
 *
 * A flash in the format before the record log is migrated once at boot (outbox-legacy.ts).
 */
import type { Flash } from "../core/ports";
import { readU16LE, readU32LE, utf8DecodeStrict, utf8Encode, writeU16LE, writeU32LE } from "../core/bytes";
import { RECORD_PAYLOAD as AT, RecordLog } from "../core/record-log";
import { isLegacySector, readLegacy, readLegacyMessage } from "./outbox-legacy";

const RECORD = 128;
/** Payload bytes of a record (the log's header and CRC take 10). */
const PAYLOAD = RECORD - 10;
const HEAD = 1;
const MOVED = 2;
const FRAG = 3;
const ACKED = 4;
/** Where content starts in each record type's payload, and where the acked bitmap starts. */
const HEAD_CONTENT = 10;
const MOVED_CONTENT = 14;
const FRAG_CONTENT = 5;
const BITMAP = 8;
const RETAIN = 1;
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

/** A waiting message's head slot and last fragment slot (slot -1 while it is being written). */
interface Where {
  slot: number;
  last: number;
  count: number;
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
  private readonly live = new Map<number, Where>(); // insertion order = id order
  private readonly log: RecordLog;
  private readonly sectors: number;
  private readonly perSector: number;
  /** Waiting messages with a record in each sector: such a sector is never entered. */
  private readonly pinned: Uint16Array;
  /** During a migration: old messages not yet copied in each sector (also never entered). */
  private legacy: Uint16Array | undefined;
  private readonly out: Uint8Array;
  private readonly rec: Uint8Array;
  private nextId = 1;
  private ackSector = -1;
  private acksDirty = false;
  /** Waiting messages in the first sector ahead that holds any (set by room()). */
  private oldestPins = 0;
  /** Largest topic + payload one message can hold. */
  readonly maxMessage: number;
  /** Acked records written again because the log entered the sector before theirs (since boot). */
  copies = 0;
  /** What this boot's one-time migration of the old format did (all 0 on a migrated flash). */
  readonly migration: OutboxMigration = { moved: 0, dropped: 0, erased: 0 };

  constructor(private readonly flash: Flash) {
    if (flash.size < 2 * flash.sectorSize) throw new RangeError("outbox needs at least 2 sectors");
    this.log = new RecordLog(flash, RECORD);
    this.sectors = Math.floor(flash.size / flash.sectorSize);
    this.perSector = this.log.recordsPerSector;
    this.out = new Uint8Array(this.log.payloadSize);
    this.rec = new Uint8Array(RECORD);
    if (this.log.recordsPerWrap > (this.out.length - BITMAP) * 8) throw new RangeError(`outbox of ${this.sectors} sectors: the acked bitmap covers at most ${(this.out.length - BITMAP) * 8} records`);
    this.pinned = new Uint16Array(this.sectors);
    this.maxMessage = this.largestMessage();
    const hadRecords = this.log.open().newest !== undefined;
    const moved = this.load();
    this.migrate(moved, hadRecords);
    this.keepAckedAhead();
  }

  get size(): number {
    return this.live.size;
  }

  add(topic: string, payload: Uint8Array, retain = false): number {
    const t = utf8Encode(topic);
    const length = t.length + payload.length;
    if (length > this.maxMessage) throw new RangeError(`message of ${length} bytes does not fit the outbox (at most ${this.maxMessage})`);
    this.flushAcks();
    if (!this.fits(fragments(length, PAYLOAD - HEAD_CONTENT))) throw new OutboxFull(`outbox full: ${this.live.size} messages wait for PUBACK`);
    return this.keep(HEAD, t, payload, retain ? RETAIN : 0, 0);
  }

  ack(id: number): void {
    const w = this.live.get(id);
    if (!w) return; // not waiting: nothing to write (a PUBACK flood costs no flash)
    this.live.delete(id);
    this.pin(w, -1);
    this.acksDirty = true;
    this.flushAcks();
  }

  ids(): number[] {
    return [...this.live.keys()];
  }

  get(id: number): OutboxEntry | undefined {
    const w = this.live.get(id);
    const r = this.rec;
    if (!w || w.slot < 0 || !this.log.read(w.slot, r)) return undefined;
    const topicLength = readU16LE(r, AT + 6);
    const content = new Uint8Array(readU16LE(r, AT + 8));
    const retain = (r[AT + 5] & RETAIN) !== 0;
    let done = take(r, AT + (r[1] === MOVED ? MOVED_CONTENT : HEAD_CONTENT), content, 0);
    // fragments follow their head, at most an acked record between two (written on entering a sector)
    for (let slot = w.slot, k = 1; k < w.count && slot !== w.last; ) {
      slot = (slot + 1) % this.log.recordsPerWrap;
      if (this.log.read(slot, r) && r[1] === FRAG && readU32LE(r, AT) === id && r[AT + 4] === k) {
        done = take(r, AT + FRAG_CONTENT, content, done);
        k++;
      }
    }
    if (done < content.length) return undefined;
    return { id, topic: utf8DecodeStrict(content, 0, topicLength) ?? "", payload: content.subarray(topicLength), retain };
  }

  /** Writes a message under the next id, waiting from the first record on (so an acked record written meanwhile keeps it). */
  private keep(type: number, topic: Uint8Array, payload: Uint8Array, flags: number, oldId: number): number {
    const id = this.nextId++;
    const where: Where = { slot: -1, last: -1, count: 0 };
    this.live.set(id, where);
    try {
      this.write(id, type, topic, payload, flags, oldId, where);
    } catch (e) {
      this.live.delete(id);
      throw e;
    }
    this.pin(where, 1);
    return id;
  }

  private write(id: number, type: number, a: Uint8Array, b: Uint8Array, flags: number, oldId: number, where: Where): void {
    const p = this.out;
    const length = a.length + b.length;
    const contentAt = type === MOVED ? MOVED_CONTENT : HEAD_CONTENT;
    const n = fragments(length, p.length - contentAt);
    p.fill(0);
    writeU32LE(p, 0, id);
    p[4] = n;
    p[5] = flags;
    writeU16LE(p, 6, a.length);
    writeU16LE(p, 8, length);
    if (type === MOVED) writeU32LE(p, 10, oldId);
    let done = fill(p, contentAt, a, b, 0);
    where.slot = where.last = this.log.nextSlot;
    where.count = n;
    this.put(type, p);
    for (let k = 1; k < n; k++) {
      p.fill(0);
      writeU32LE(p, 0, id);
      p[4] = k;
      done = fill(p, FRAG_CONTENT, a, b, done);
      where.last = this.log.nextSlot;
      this.put(FRAG, p);
    }
  }

  /** Appends one record; on starting a sector, moves the acked record out of the next one to be erased. */
  private put(type: number, p: Uint8Array): void {
    const starts = this.log.startsSector;
    const sector = this.log.nextSector;
    this.log.append(type, p);
    if (type === ACKED) this.ackSector = sector;
    else if (starts && this.ackSector === (sector + 1) % this.sectors) {
      this.copies++;
      this.putAcked();
    }
  }

  private flushAcks(): void {
    if (this.acksDirty && this.room() >= 1) this.putAcked();
  }

  /** Writes the acknowledged state: ids below the lowest waiting one, and a bitmap of those above it. */
  private putAcked(): void {
    const p = this.out;
    const lowest = this.live.size ? this.live.keys().next().value! : this.nextId;
    // Every id from the lowest waiting one on has a record after its head in the ring, so the span is at most the ring.
    if (this.nextId - lowest - 1 > (p.length - BITMAP) * 8) throw new Error(`outbox: ${this.nextId - lowest} ids beyond the acked bitmap`);
    p.fill(0);
    writeU32LE(p, 0, lowest);
    writeU32LE(p, 4, this.nextId);
    for (let id = lowest + 1; id < this.nextId; id++) {
      const k = id - lowest - 1;
      if (!this.live.has(id)) p[BITMAP + (k >> 3)] |= 1 << (k & 7);
    }
    this.put(ACKED, p);
    this.acksDirty = false;
  }

  private pin(w: Where, by: number): void {
    const last = Math.floor(w.last / this.perSector);
    for (let s = Math.floor(w.slot / this.perSector); ; s = (s + 1) % this.sectors) {
      this.pinned[s] += by;
      if (s === last) break;
    }
  }

  /**
   * Slots the log can write before it would enter a sector holding a waiting message (or lap the
   * sector holding its newest record); sets oldestPins to the waiting messages of that sector.
   */
  private room(): number {
    const at = this.log.nextSlot;
    const into = at % this.perSector;
    let free = into === 0 ? 0 : this.perSector - into;
    let s = (Math.floor(at / this.perSector) + (into === 0 ? 0 : 1)) % this.sectors;
    for (let k = 0; k < this.sectors - 1 && this.pinned[s] === 0 && !this.legacy?.[s]; k++, s = (s + 1) % this.sectors) free += this.perSector;
    this.oldestPins = this.pinned[s];
    return free;
  }

  /**
   * Room for n records, then for the acknowledgements that free the oldest pinned sector (PUBACKs
   * come in order), and for an acked record written again on each sector entered.
   */
  private fits(n: number): boolean {
    const free = this.room();
    const acks = Math.max(1, this.oldestPins);
    return free >= n + acks + Math.ceil((n + acks) / this.perSector) + 1;
  }

  /** What fits() takes in an empty ring whose cursor is at a sector's start (every sector but the newest one's free). */
  private largestMessage(): number {
    const need = (n: number) => n + 1 + Math.ceil((n + 1) / this.perSector) + 1;
    let n = 1;
    while (need(n + 1) <= (this.sectors - 1) * this.perSector) n++;
    return Math.min(this.flash.sectorSize - LEGACY_HEADER, PAYLOAD - HEAD_CONTENT + (n - 1) * (PAYLOAD - FRAG_CONTENT));
  }

  /**
   * Rebuilds the waiting messages at boot: every record of the ring in sequence order, each head
   * followed by its fragments (an acked record may stand between), the newest acked record
   * saying which are acknowledged. Returns the old ids of the migrated messages found complete.
   */
  private load(): Set<number> {
    const total = this.log.recordsPerWrap;
    const seqs = new Float64Array(total).fill(-1);
    const types = new Uint8Array(total);
    const ids = new Uint32Array(total);
    const counts = new Uint8Array(total); // fragments (head) or index (fragment)
    const oldIds = new Uint32Array(total);
    const acked = new Uint8Array(this.out.length);
    let ackedSeq = -1;
    this.log.forEach((type, seq, r, sector, slot) => {
      seqs[slot] = seq;
      types[slot] = type;
      ids[slot] = readU32LE(r, AT);
      counts[slot] = r[AT + 4];
      if (type === MOVED) oldIds[slot] = readU32LE(r, AT + 10);
      if (type !== ACKED) this.nextId = Math.max(this.nextId, ids[slot] + 1);
      else if (seq > ackedSeq) {
        ackedSeq = seq;
        acked.set(r.subarray(AT, AT + acked.length));
        this.ackSector = sector;
      }
    });
    if (ackedSeq >= 0) this.nextId = Math.max(this.nextId, readU32LE(acked, 4));
    const order: number[] = [];
    for (let slot = 0; slot < total; slot++) if (seqs[slot] >= 0) order.push(slot);
    order.sort((x, y) => seqs[x] - seqs[y]);
    const moved = new Set<number>();
    let open = -1;
    let got = 0;
    for (const slot of order) {
      const type = types[slot];
      if (type === HEAD || type === MOVED) { open = slot; got = 1; }
      else if (type !== FRAG) continue; // an acked record between fragments
      else if (open >= 0 && ids[slot] === ids[open] && counts[slot] === got) got++;
      else { open = -1; continue; } // a fragment of a message cut short or partly erased
      if (got < counts[open]) continue;
      if (types[open] === MOVED) moved.add(oldIds[open]);
      if (ackedSeq < 0 || !isAcked(ids[open], acked)) {
        const w = { slot: open, last: slot, count: counts[open] };
        this.live.set(ids[open], w);
        this.pin(w, 1);
      }
      open = -1;
    }
    return moved;
  }

  /**
   * The one-time migration of the format before the record log: the old waiting messages are
   * copied, oldest first, as moved records, then every old sector is erased. Acknowledgements are
   * written only after it finished, so with an acked record in the log only the erase is left.
   */
  private migrate(moved: Set<number>, hadRecords: boolean): void {
    const sec = new Uint8Array(this.flash.sectorSize);
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
    for (const m of todo) {
      const { topic, payload } = readLegacyMessage(this.flash, m, sec);
      if (this.fits(fragments(topic.length + payload.length, PAYLOAD - MOVED_CONTENT))) {
        this.keep(MOVED, topic, payload, m.retain ? RETAIN : 0, m.id);
        this.migration.moved++;
      } else {
        this.migration.dropped += todo.length - this.migration.moved;
        break; // the log has met old messages it has no room to copy (docs/flash-records.md)
      }
      this.legacy[m.sector]--;
    }
    this.legacy = undefined;
  }

  /** At boot: finishes a cut copy of the acked record out of the next sector to be erased. */
  private keepAckedAhead(): void {
    const at = this.log.nextSlot;
    if (this.ackSector >= 0 && at % this.perSector !== 0 && this.ackSector === (Math.floor(at / this.perSector) + 1) % this.sectors) this.putAcked();
  }
}

/** Records a message of `length` content bytes takes, its head holding `head` of them. */
function fragments(length: number, head: number): number {
  return length <= head ? 1 : 1 + Math.ceil((length - head) / (PAYLOAD - FRAG_CONTENT));
}

/** Copies content bytes from `from` on (content = a ‖ b) into p at `at`, as many as fit; returns where it stopped. */
function fill(p: Uint8Array, at: number, a: Uint8Array, b: Uint8Array, from: number): number {
  const end = Math.min(a.length + b.length, from + p.length - at);
  for (let i = from; i < end; i++) p[at + i - from] = i < a.length ? a[i] : b[i - a.length];
  return end;
}

/** Copies a record's content (from `from` to its payload's end) into content at `done`; returns the new end. */
function take(r: Uint8Array, from: number, content: Uint8Array, done: number): number {
  const n = Math.min(content.length - done, AT + PAYLOAD - from);
  content.set(r.subarray(from, from + n), done);
  return done + n;
}

function isAcked(id: number, acked: Uint8Array): boolean {
  const lowest = readU32LE(acked, 0);
  if (id < lowest) return true;
  if (id === lowest || id >= readU32LE(acked, 4)) return false;
  const k = id - lowest - 1;
  return (acked[BITMAP + (k >> 3)] & (1 << (k & 7))) !== 0;
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
