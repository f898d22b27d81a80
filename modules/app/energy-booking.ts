/**
 * The aggregator's energy booking: each meter's cumulative counters turned into
 * deltas, booked as the household's net energy into the price slot they fell in,
 * the slots and their totals, the bill, and the checkpoints in the booking
 * journal (booking-journal.ts) with their write policy. AggregatorApp feeds it one
 * poll cycle at a time and delegates its booking API here. Money is kept as exact
 * sums and rounded once per bill line.
 */
import type { Clock } from "../core/clock";
import { DAY } from "../core/clock";
import type { Alarm, BillView, EnergyBucket, PriceSlot } from "../core/household";
import type { Flash } from "../core/ports";
import { DEFAULT_POLICY, type WritePolicy } from "../energy/energy-store";
import { bucketize, type BookedAmount } from "./energy-buckets";
import { BookingJournal, emptyRollup, MAX_BOOKED_METERS, type BookedSlotState, type Checkpoint, type Rollup } from "./booking-journal";
import type { MeterReadings } from "./readings";

/**
 * A checkpoint every 5 min while energy flows, or after 250 Wh (net, all meters), and
 * always before the booking moves on to a new price slot. A cut loses no energy (the
 * slaves' counters carry it); it only books up to one period's energy into a later slot.
 * ~3 records per 15-min slot: 288 × 256 B a day = 18 sectors of 4 KiB a day.
 */
export const BOOKING_POLICY: WritePolicy = Object.freeze({ ...DEFAULT_POLICY, periodMs: 300_000, thresholdWh: 250 });

/** What the aggregator found in its booking journal at boot. */
export interface BookingRestore {
  /** A checkpoint was found (false on a blank flash: every meter's first answer is its baseline). */
  restored: boolean;
  records: number;
  /** Meters whose booked counters came back. */
  meters: number[];
  slots: number;
  /** Torn or corrupt records the journal scan rejected. */
  corrupt: number;
}

export interface MeterEnergy {
  importWh: number;
  exportWh: number;
}

export interface SlotEnergy {
  start: number;
  importWh: number;
  exportWh: number;
  importMinorPerKWh: number;
  exportMinorPerKWh: number;
}

/** A slot's booked energy, kept in exact integer mWh beside the Wh the page reads. */
export interface BookedSlot extends SlotEnergy {
  importMwh: number;
  exportMwh: number;
}

/** One meter's booking state, made once per meter (nothing is allocated per answer). */
export interface MeterCounters {
  readonly id: number;
  /** Counters (floor mWh) whose energy is booked, to take deltas; NaN until the meter's baseline. */
  baseImportMwh: number;
  baseExportMwh: number;
  /**
   * This cycle's counters, booked at the end of the cycle: a checkpoint written in between
   * holds the previous ones with the energy they go with.
   */
  pendingImportMwh: number | undefined;
  pendingExportMwh: number | undefined;
  /** Energy booked per meter since this boot (mWh). */
  importMwh: number;
  exportMwh: number;
}

export interface EnergyBookingOptions {
  /** Price slots kept one by one in RAM (see AggregatorOptions.keepSlots). */
  keepSlots?: number;
  currency: string;
  /** The prices booked at (the aggregator's PriceBook): the slot holding t. */
  prices: { slotAt(t: number): PriceSlot | undefined };
  /** Where a meter's bad or backwards counters are reported. */
  alarm(a: Alarm): void;
}

/** Counters are booked as u40 mWh (booking-journal.ts). */
const MAX_MWH = 2 ** 40;

export class EnergyBooking {
  /** Per meter, in the order of the ids given. */
  readonly meters: MeterCounters[];
  readonly slots = new Map<number, BookedSlot>();
  /** Everything booked into slots (mWh), with the archived slots. */
  private totals = { importMwh: 0, exportMwh: 0 };
  /** Totals at the start of today (Wh), for the page's "today". */
  private dayStartWh = { import: 0, export: 0, day: -1 };
  /** The slot the last booking went into; every other slot in `slots` is closed (in `closed`). */
  private open: BookedSlot | undefined;
  private closed: Rollup = emptyRollup();
  /** Closed slots whose records the journal ring overwrote: summed, before `archivedBefore`. */
  private archived: Rollup = emptyRollup();
  private archivedBefore = -Infinity;
  private journal: BookingJournal | undefined;
  private policy: WritePolicy = BOOKING_POLICY;
  private lastSaveAt = 0;
  private unsavedMwh = 0;
  private dirty = false;

  constructor(
    private readonly clock: Clock,
    meterIds: number[],
    private readonly options: EnergyBookingOptions,
  ) {
    this.meters = meterIds.map((id) => ({ id, baseImportMwh: NaN, baseExportMwh: NaN, pendingImportMwh: undefined, pendingExportMwh: undefined, importMwh: 0, exportMwh: 0 }));
  }

  /** Energy booked per meter since this boot (RAM only: the bill is what persists). */
  meterEnergy(): Map<number, MeterEnergy> {
    return new Map(this.meters.map((s) => [s.id, { importWh: s.importMwh / 1000, exportWh: s.exportMwh / 1000 }]));
  }

  bill(from = -Infinity, to = Infinity): BillView {
    const r = this.sum(from, to);
    const importLine = Math.round(r.importMinor);
    const exportLine = -Math.round(r.exportMinor);
    const now = this.clock.now();
    return {
      currency: this.options.currency,
      from: Number.isFinite(r.first) ? r.first : now,
      to: now,
      lines: [
        { label: "Energy import (day-ahead)", quantity: round(r.importWh / 1000, 3), unit: "kWh", amountMinor: importLine },
        { label: "Export credit", quantity: round(r.exportWh / 1000, 3), unit: "kWh", amountMinor: exportLine },
      ],
      totalMinor: importLine + exportLine,
      forecastMonthMinor: this.forecastMonth(now),
    };
  }

  /**
   * 30 days at the pace of everything booked, once at least a day is booked; 0 (no forecast,
   * the views show none) before: hours of data, or a morning's, would be extrapolated a month.
   */
  private forecastMonth(now: number): number {
    const all = this.sum(-Infinity, Infinity);
    const span = now - all.first;
    if (!(span >= DAY)) return 0;
    return Math.round(((Math.round(all.importMinor) - Math.round(all.exportMinor)) * 30 * DAY) / span);
  }

  /** Energy and exact money of the slots starting in [from, to) (the archived roll-up when the range covers it). */
  private sum(from: number, to: number): { importWh: number; exportWh: number; importMinor: number; exportMinor: number; first: number } {
    const r = { importWh: 0, exportWh: 0, importMinor: 0, exportMinor: 0, first: Infinity };
    const a = this.archived;
    if (!Number.isNaN(a.first) && a.first >= from && this.archivedBefore <= to) {
      // slots the journal no longer holds one by one: only a range covering them all sees them
      r.importWh += a.importMwh / 1000;
      r.exportWh += a.exportMwh / 1000;
      r.importMinor += a.importMinor;
      r.exportMinor += a.exportMinor;
      r.first = a.first;
    }
    for (const s of this.slots.values()) {
      if (s.start < from || s.start >= to) continue;
      r.importWh += s.importWh;
      r.exportWh += s.exportWh;
      r.importMinor += (s.importWh / 1000) * s.importMinorPerKWh;
      r.exportMinor += (s.exportWh / 1000) * s.exportMinorPerKWh;
      r.first = Math.min(r.first, s.start);
    }
    return r;
  }

  /**
   * The booked energy and cost of the slots starting in [from, to), in buckets of `stepMs` from
   * `from`. Money is rounded cumulatively (a bucket is round(sum to its end) − round(sum to its
   * start), summed in the order bill() sums), so the buckets add up to bill(from, to) to the cent.
   * The archived roll-up goes into the bucket of its first slot when the range covers it, as in bill().
   */
  buckets(from: number, to: number, stepMs: number): EnergyBucket[] {
    const items: BookedAmount[] = [];
    const a = this.archived;
    if (!Number.isNaN(a.first) && a.first >= from && this.archivedBefore <= to) items.push({ start: a.first, importWh: a.importMwh / 1000, exportWh: a.exportMwh / 1000, importMinor: a.importMinor, exportMinor: a.exportMinor, slots: 0 });
    for (const s of this.slots.values()) {
      items.push({ start: s.start, importWh: s.importWh, exportWh: s.exportWh, importMinor: (s.importWh / 1000) * s.importMinorPerKWh, exportMinor: (s.exportWh / 1000) * s.exportMinorPerKWh, slots: 1 });
    }
    return bucketize(items, from, to, stepMs);
  }

  /** Starts today's sums at the first call of a new UTC day. */
  rollDay(now: number): void {
    const day = Math.floor(now / DAY);
    if (this.dayStartWh.day !== day) this.dayStartWh = { import: this.totals.importMwh / 1000, export: this.totals.exportMwh / 1000, day };
  }

  /** Energy booked today (Wh, unrounded), as of the last rollDay. */
  get importTodayWh(): number {
    return this.totals.importMwh / 1000 - this.dayStartWh.import;
  }

  get exportTodayWh(): number {
    return this.totals.exportMwh / 1000 - this.dayStartWh.export;
  }

  /**
   * The energy (net mWh) a meter's answer adds, from its cumulative counters (floored to
   * mWh, so booked sums are exact integers). The new counters wait in `pending*` until the
   * cycle is booked (endCycle): a checkpoint written in between holds the previous ones with it.
   */
  take(s: MeterCounters, r: MeterReadings, now: number): number {
    const imp = Math.floor(r.importWh * 1000);
    const exp = Math.floor(r.exportWh * 1000);
    if (!(imp >= 0 && imp < MAX_MWH && exp >= 0 && exp < MAX_MWH)) {
      // NaN, negative or past what a checkpoint holds (1.1 GWh): not a counter, nothing taken from it
      this.options.alarm({ t: now, kind: "interruption", message: `meter ${s.id} sent counters out of range (import ${r.importWh} Wh, export ${r.exportWh} Wh): ignored`, meterId: s.id });
      return 0;
    }
    s.pendingImportMwh = imp;
    s.pendingExportMwh = exp;
    // No booked counters (first boot, a new meter): this answer is the baseline, nothing is booked.
    if (Number.isNaN(s.baseImportMwh)) return 0;
    if (imp < s.baseImportMwh || exp < s.baseExportMwh) {
      // Backwards (slave replaced, journal lost): a new baseline, never a negative booking.
      this.options.alarm({ t: now, kind: "interruption", message: `meter ${s.id} restarted: its counters went back (import ${s.baseImportMwh / 1000} → ${imp / 1000} Wh, export ${s.baseExportMwh / 1000} → ${exp / 1000} Wh); new baseline, nothing booked`, meterId: s.id });
      return 0;
    }
    const di = imp - s.baseImportMwh;
    const de = exp - s.baseExportMwh;
    s.importMwh += di;
    s.exportMwh += de;
    return di - de;
  }

  /**
   * Ends a poll cycle: books its net energy, then the counters it came from (`answered`:
   * some meter answered), then a checkpoint when the write policy says so.
   */
  endCycle(now: number, netMwh: number, answered: boolean): void {
    this.book(now, netMwh);
    if (answered) this.commitCounters();
    this.maybeSave(now);
  }

  private commitCounters(): void {
    for (const s of this.meters) {
      if (s.pendingImportMwh === undefined || s.pendingExportMwh === undefined) continue;
      if (s.pendingImportMwh !== s.baseImportMwh || s.pendingExportMwh !== s.baseExportMwh) this.dirty = true;
      s.baseImportMwh = s.pendingImportMwh;
      s.baseExportMwh = s.pendingExportMwh;
      s.pendingImportMwh = undefined;
      s.pendingExportMwh = undefined;
    }
  }

  /** Books the household's net energy of the cycle ending at `now` into its price slot. */
  private book(now: number, netMwh: number): void {
    if (netMwh === 0) return;
    const t = now - 1; // the cycle (now − period, now] belongs to the slot holding its end
    const slot = this.options.prices.slotAt(t);
    if (!slot) return;
    let e = this.slots.get(slot.start);
    if (!e || e !== this.open) e = this.moveTo(now, slot, e);
    if (netMwh > 0) {
      e.importMwh += netMwh;
      e.importWh = e.importMwh / 1000;
      this.totals.importMwh += netMwh;
    } else {
      e.exportMwh -= netMwh;
      e.exportWh = e.exportMwh / 1000;
      this.totals.exportMwh -= netMwh;
    }
    this.unsavedMwh += Math.abs(netMwh);
    this.dirty = true;
  }

  /** The booking moves on to `slot` (`e`: its entry, when it has one already); returns its entry. */
  private moveTo(now: number, slot: PriceSlot, e: BookedSlot | undefined): BookedSlot {
    // The finished slot's final energy is written with the counters it goes with.
    if (this.dirty) this.save(now);
    if (this.open) this.close(this.open);
    if (!e) {
      e = { start: slot.start, importWh: 0, exportWh: 0, importMwh: 0, exportMwh: 0, importMinorPerKWh: slot.importMinorPerKWh, exportMinorPerKWh: slot.exportMinorPerKWh };
      this.slots.set(slot.start, e);
    }
    this.open = e;
    this.prune();
    return e;
  }

  /** Adds a finished slot to the closed roll-up (what a checkpoint carries for the bill). */
  private close(e: BookedSlot): void {
    addSlot(this.closed, e);
  }

  /** Beyond `keepSlots`, the oldest slots leave RAM into the archived sum (oldest first: it stays a prefix). */
  private prune(): void {
    const keep = Math.max(2, this.options.keepSlots ?? Infinity);
    for (const [start, e] of this.slots) {
      if (this.slots.size <= keep) break;
      if (e === this.open) break;
      addSlot(this.archived, e);
      this.slots.delete(start);
      const next = this.slots.keys().next();
      this.archivedBefore = next.done ? Infinity : next.value;
    }
  }

  private maybeSave(now: number): void {
    if (!this.journal || !this.dirty) return;
    if (this.unsavedMwh >= this.policy.thresholdWh * 1000 || now - this.lastSaveAt >= this.policy.periodMs) this.save(now);
  }

  /** Writes a checkpoint at `now`; nothing without a journal. Throws what the flash throws. */
  save(now: number): void {
    if (!this.journal) return;
    const counters = new Map<number, { importMwh: number; exportMwh: number }>();
    for (const s of this.meters) if (!Number.isNaN(s.baseImportMwh)) counters.set(s.id, { importMwh: s.baseImportMwh, exportMwh: s.baseExportMwh });
    const o = this.open;
    const c: Checkpoint = { t: now, open: o && { start: o.start, importMwh: o.importMwh, exportMwh: o.exportMwh, importMinorPerKWh: o.importMinorPerKWh, exportMinorPerKWh: o.exportMinorPerKWh }, closed: this.closed, counters };
    // Marked saved before the write: a write that throws is a power cut, and RAM is gone with it.
    this.lastSaveAt = now;
    this.unsavedMwh = 0;
    this.dirty = false;
    this.journal.write(c);
  }

  /**
   * Boot: takes the booking journal on `flash` and restores what it holds (see
   * AggregatorApp.persistBooking), replacing what was booked in RAM. A blank flash keeps
   * the RAM state and starts the journal.
   */
  persist(flash: Flash, policy: Partial<WritePolicy> = {}): BookingRestore {
    if (this.meters.length > MAX_BOOKED_METERS) throw new RangeError(`the booking journal holds ${MAX_BOOKED_METERS} meters, not ${this.meters.length}`);
    for (const s of this.meters) if (!(Number.isInteger(s.id) && s.id >= 0 && s.id <= 255)) throw new RangeError(`meter id ${s.id}: the booking journal keeps ids 0..255`);
    const now = this.clock.now();
    this.journal = new BookingJournal(flash);
    this.policy = { ...BOOKING_POLICY, ...policy };
    const r = this.journal.restore();
    const corrupt = this.journal.scan?.corrupt ?? 0;
    this.lastSaveAt = now;
    if (!r) {
      // the RAM state (if any) and the first baselines go into a checkpoint at the next cycle
      this.dirty = true;
      this.lastSaveAt = -Infinity;
      this.unsavedMwh = 0;
      return { restored: false, records: 0, meters: [], slots: 0, corrupt };
    }
    this.restoreSlots(r.slots, r.newest, r.archived);
    const meters = this.restoreCounters(r.newest);
    this.restoreTotals(now, r.slots, r.archived);
    this.dirty = false;
    this.unsavedMwh = 0;
    this.prune();
    return { restored: true, records: r.records, meters, slots: r.slots.length, corrupt };
  }

  /** The slots the journal still holds, the open one, and the roll-ups of the closed and the overwritten ones. */
  private restoreSlots(slots: BookedSlotState[], n: Checkpoint, archived: Rollup): void {
    this.slots.clear();
    for (const x of slots) this.slots.set(x.start, { ...x, importWh: x.importMwh / 1000, exportWh: x.exportMwh / 1000 });
    this.open = n.open ? this.slots.get(n.open.start) : undefined;
    this.closed = { ...n.closed };
    this.archived = archived;
    this.archivedBefore = slots.length ? slots[0].start : Infinity;
  }

  /** Each meter's booked counters from the checkpoint (NaN: none, its next answer is a baseline); returns the meters restored. */
  private restoreCounters(n: Checkpoint): number[] {
    const meters: number[] = [];
    for (const s of this.meters) {
      const c = n.counters.get(s.id);
      s.baseImportMwh = c ? c.importMwh : NaN;
      s.baseExportMwh = c ? c.exportMwh : NaN;
      if (c) meters.push(s.id);
    }
    return meters;
  }

  /** The totals and today's start, as if this boot had booked it all. */
  private restoreTotals(now: number, slots: BookedSlotState[], archived: Rollup): void {
    const dayStart = now - (now % DAY);
    let imp = archived.importMwh;
    let exp = archived.exportMwh;
    let todayImp = 0;
    let todayExp = 0;
    for (const x of slots) {
      imp += x.importMwh;
      exp += x.exportMwh;
      if (x.start >= dayStart) {
        todayImp += x.importMwh;
        todayExp += x.exportMwh;
      }
    }
    this.totals = { importMwh: imp, exportMwh: exp };
    this.dayStartWh = { import: (imp - todayImp) / 1000, export: (exp - todayExp) / 1000, day: Math.floor(now / DAY) };
  }

  /**
   * A planned shutdown: a last checkpoint (when `save`), then the booking is RAM only again
   * (the flash may be closed after this). A power cut is simply no call at all.
   */
  closeJournal(save = true): void {
    if (save && this.journal && this.dirty) this.save(this.clock.now());
    this.journal = undefined;
  }

  /** Checkpoints written since the journal was taken (flash wear). */
  get writes(): number {
    return this.journal?.writeCount ?? 0;
  }
}

function addSlot(r: Rollup, e: BookedSlot): void {
  r.importMwh += e.importMwh;
  r.exportMwh += e.exportMwh;
  r.importMinor += (e.importWh / 1000) * e.importMinorPerKWh;
  r.exportMinor += (e.exportWh / 1000) * e.exportMinorPerKWh;
  if (Number.isNaN(r.first) || e.start < r.first) r.first = e.start;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
