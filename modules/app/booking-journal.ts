/**
 * The aggregator's booking, persisted power-cut safe in the energy room's
 * Journal (fixed 256-byte records, CRC, sequence numbers, sector ring).
 *
 * One record (type CHECKPOINT) is one self-contained, atomic state:
 *  - per meter, the cumulative counters (mWh) whose energy is booked;
 *  - the open price slot (the one the last booking went into) and its energy;
 *  - the roll-up of every closed slot (energy, exact money sums, first start).
 * The aggregator writes one before it books into a new slot (so the record of a
 * closed slot always holds its final energy), and on a period/threshold
 * (WritePolicy, as the slave's EnergyStore). A torn record fails its CRC and
 * the previous one is taken: the counters and the energy in a record always go
 * together, so a cut can only make the next poll book again the energy of the
 * counters' delta since that record — never twice, never ahead.
 *
 * Energies are integer mWh (u40): the aggregator books floor(counter × 1000)
 * differences, so sums are exact and a restore is bit-identical.
 *
 * Payload layout (246 bytes, little endian):
 *   [0] u32 time (s)  [4] u8 version (1)  [5] u8 meter count n (≤ 16)
 *   [6] open slot: u32 start (s, 0xFFFFFFFF none), u40 import mWh, u40 export mWh,
 *       f64 import price, f64 export price (minor/kWh)            → 30 bytes
 *   [36] closed roll-up: u40 import mWh, u40 export mWh, f64 import minor,
 *       f64 export minor, u32 first slot start (s, 0xFFFFFFFF none) → 30 bytes
 *   [66] n × (u8 meter id, u40 import mWh, u40 export mWh)          → 11 bytes each
 */
import { readU32LE, view, writeU32LE } from "../core/bytes";
import { Journal, type JournalScan } from "../energy/journal";
import type { Flash } from "../core/ports";

export const CHECKPOINT = 1;
export const BOOKING_RECORD_SIZE = 256;
export const MAX_BOOKED_METERS = 16;
const VERSION = 1;
const NONE = 0xffffffff;
const METERS_AT = 66;

export interface BookedSlotState {
  start: number;
  importMwh: number;
  exportMwh: number;
  importMinorPerKWh: number;
  exportMinorPerKWh: number;
}

/** Every closed slot summed: energy, money (unrounded minor units), first slot start (NaN none). */
export interface Rollup {
  importMwh: number;
  exportMwh: number;
  importMinor: number;
  exportMinor: number;
  first: number;
}

export interface Checkpoint {
  t: number;
  open: BookedSlotState | undefined;
  closed: Rollup;
  /** Meter id → counters (mWh) whose energy is booked. */
  counters: Map<number, { importMwh: number; exportMwh: number }>;
}

export interface RestoredBooking {
  newest: Checkpoint;
  /** The latest state of every slot still in the journal, oldest first. */
  slots: BookedSlotState[];
  /** Closed slots older than those (the ring overwrote their records): summed only. */
  archived: Rollup;
  records: number;
}

export function emptyRollup(): Rollup {
  return { importMwh: 0, exportMwh: 0, importMinor: 0, exportMinor: 0, first: NaN };
}

export class BookingJournal {
  readonly journal: Journal;
  private readonly payload: Uint8Array;
  scan: JournalScan | undefined;

  constructor(private readonly flash: Flash) {
    this.journal = new Journal(flash, BOOKING_RECORD_SIZE);
    this.payload = new Uint8Array(this.journal.payloadSize);
  }

  /** Boot: the newest checkpoint and every slot the journal still holds (undefined on a blank flash). */
  restore(): RestoredBooking | undefined {
    this.scan = this.journal.open();
    if (!this.scan.newest) return undefined;
    // One pass over the ring, a record at a time (records() would hold them all in RAM at once:
    // 512 × 256 B on a 32-sector ring); kept: each slot's newest state, the oldest and the newest checkpoint.
    const slots = new Map<number, { seq: number; state: BookedSlotState }>();
    let first: { seq: number; c: Checkpoint } | undefined;
    let newest: { seq: number; c: Checkpoint } | undefined;
    let records = 0;
    this.journal.forEach((type, seq, rec) => {
      if (type !== CHECKPOINT) return;
      const c = decodeCheckpoint(rec.subarray(6, BOOKING_RECORD_SIZE - 4));
      if (!c) return; // another version: not ours to read
      records++;
      if (!first || seq < first.seq) first = { seq, c };
      if (!newest || seq > newest.seq) newest = { seq, c };
      if (c.open) {
        const had = slots.get(c.open.start);
        if (!had || seq > had.seq) slots.set(c.open.start, { seq, state: c.open }); // a later record of the slot supersedes
      }
    });
    if (!first || !newest) return undefined;
    const kept = [...slots.values()].map((x) => x.state).sort((a, b) => a.start - b.start);
    return { newest: newest.c, slots: kept, archived: { ...first.c.closed }, records };
  }

  /** Appends one checkpoint (throws what the flash throws, e.g. a power cut). */
  write(c: Checkpoint): void {
    encodeCheckpoint(c, this.payload);
    this.journal.append(CHECKPOINT, this.payload);
  }

  get writeCount(): number {
    return this.journal.writeCount;
  }
}

export function encodeCheckpoint(c: Checkpoint, p: Uint8Array): void {
  if (c.counters.size > MAX_BOOKED_METERS) throw new RangeError(`a booking checkpoint holds at most ${MAX_BOOKED_METERS} meters (${c.counters.size})`);
  p.fill(0);
  const v = view(p);
  writeU32LE(p, 0, Math.floor(c.t / 1000));
  p[4] = VERSION;
  p[5] = c.counters.size;
  const o = c.open;
  writeU32LE(p, 6, o ? seconds(o.start) : NONE);
  writeU40(p, 10, o ? o.importMwh : 0);
  writeU40(p, 15, o ? o.exportMwh : 0);
  v.setFloat64(20, o ? o.importMinorPerKWh : 0, true);
  v.setFloat64(28, o ? o.exportMinorPerKWh : 0, true);
  writeU40(p, 36, c.closed.importMwh);
  writeU40(p, 41, c.closed.exportMwh);
  v.setFloat64(46, c.closed.importMinor, true);
  v.setFloat64(54, c.closed.exportMinor, true);
  writeU32LE(p, 62, Number.isNaN(c.closed.first) ? NONE : seconds(c.closed.first));
  let at = METERS_AT;
  for (const [id, m] of c.counters) {
    if (!(id >= 0 && id <= 255)) throw new RangeError(`meter id ${id} does not fit a booking checkpoint`);
    p[at] = id;
    writeU40(p, at + 1, m.importMwh);
    writeU40(p, at + 6, m.exportMwh);
    at += 11;
  }
}

export function decodeCheckpoint(p: Uint8Array): Checkpoint | undefined {
  if (p[4] !== VERSION || p[5] > MAX_BOOKED_METERS) return undefined;
  const v = view(p);
  const start = readU32LE(p, 6);
  const open = start === NONE ? undefined : { start: start * 1000, importMwh: readU40(p, 10), exportMwh: readU40(p, 15), importMinorPerKWh: v.getFloat64(20, true), exportMinorPerKWh: v.getFloat64(28, true) };
  const first = readU32LE(p, 62);
  const closed: Rollup = { importMwh: readU40(p, 36), exportMwh: readU40(p, 41), importMinor: v.getFloat64(46, true), exportMinor: v.getFloat64(54, true), first: first === NONE ? NaN : first * 1000 };
  const counters = new Map<number, { importMwh: number; exportMwh: number }>();
  for (let k = 0, at = METERS_AT; k < p[5]; k++, at += 11) counters.set(p[at], { importMwh: readU40(p, at + 1), exportMwh: readU40(p, at + 6) });
  return { t: readU32LE(p, 0) * 1000, open, closed, counters };
}

/**
 * Slot starts in whole seconds (price slots are 15 min or 1 h; checkPriceTable aligns them). A start
 * off the second would come back floored as a slot of its own: its energy kept, never counted twice.
 * A checkpoint never throws for it (it is written from the poll task).
 */
function seconds(ms: number): number {
  return Math.min(NONE - 1, Math.max(0, Math.floor(ms / 1000)));
}

function writeU40(b: Uint8Array, at: number, v: number): void {
  if (!(Number.isSafeInteger(v) && v >= 0 && v < 2 ** 40)) throw new RangeError(`${v} mWh does not fit u40`);
  writeU32LE(b, at, v % 4294967296);
  b[at + 4] = Math.floor(v / 4294967296);
}

function readU40(b: Uint8Array, at: number): number {
  return readU32LE(b, at) + b[at + 4] * 4294967296;
}
