import type { Clock } from "../core/clock";
import { DAY } from "../core/clock";
import type { ActionResult, Alarm, BillView, Decision, GridState, HouseholdSnapshot, LoadView, MeterView, PqEventView, PriceSlot, QualityView } from "../core/household";
import { CODES } from "../core/obis";
import { MainTask, Scheduler, TASK_CAN, TASK_HTTP, TASK_MEASURE, TASK_UI } from "../core/scheduler";
import { HouseholdStore } from "./household-store";
import { SimplePolicySeam, type PolicyLoad } from "./policy-seam";
import type { MeterReadings, SlaveLink } from "./readings";
import type { LoadController } from "../control/controller";
import { checkPriceTable, overlayPrices } from "./price-table";
import type { Flash } from "../core/ports";
import { DEFAULT_POLICY, type WritePolicy } from "../energy/energy-store";
import { BookingJournal, emptyRollup, MAX_BOOKED_METERS, type Checkpoint, type Rollup } from "./booking-journal";

/**
 * The data aggregator wired from tasks: CAN manage polls every slave each
 * cycle and books the energy deltas into the price slot they fell in (the
 * energy registers and bill); Measure applies the load policy; HTTP server and
 * User interface publish the household snapshot the web page, display and
 * MQTT read. Money is kept as exact sums and rounded once per bill line.
 */
export interface LoadInfo {
  id: string;
  name: string;
  meterId: number;
  kind: LoadView["kind"];
  priority: number;
  contiguous?: boolean;
}

/** The aggregator's outside world: relays and smart plugs, prices, grid status. */
export interface AggregatorPorts {
  setRelay(loadId: string, on: boolean): void;
  relay(loadId: string): boolean;
  /** Present power of a load from its smart plug (W). */
  loadPowerW(loadId: string): number;
  /** The published day-ahead prices at t (today, and tomorrow after publication). */
  prices(t: number): PriceSlot[];
  grid(t: number): GridState;
}

export interface AggregatorOptions {
  slaveIds: number[];
  loads: LoadInfo[];
  pollPeriodMs?: number;
  /**
   * The control room's LoadController (its loads added by the caller, relays
   * through the ports). Without it, the small SimplePolicySeam decides.
   */
  controller?: LoadController;
  /** The User interface task's work: render the display (the ui room's DisplayApp). */
  display?: { render(): void };
  /** Polls without an answer before a slave is reported missing. */
  missingAfter?: number;
  currency?: string;
  /**
   * Flash partition for the booking journal (booking-journal.ts): the meters' booked counters,
   * the slots and the bill survive a restart. Without it the booking is RAM only.
   */
  bookingFlash?: Flash;
  /** When to write a booking checkpoint (default BOOKING_POLICY). */
  bookingPolicy?: Partial<WritePolicy>;
  /**
   * Price slots kept one by one in RAM (`slots`); older closed ones are summed into the
   * roll-up `bill()` still counts (a board: 2 days = 192 quarter hours bounds the heap over a
   * month). Default: all (the simulator's report lists every slot). At least 2.
   */
  keepSlots?: number;
}

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

export interface BusEvent {
  t: number;
  kind: "missing" | "back";
  meterId: number;
}

interface SlaveState {
  id: number;
  last: MeterReadings | undefined;
  lastSeen: number;
  misses: number;
  missing: boolean;
  polled: number;
  answered: number;
  /** Counters (floor mWh) whose energy is booked, to take deltas; NaN until the meter's baseline. */
  baseImportMwh: number;
  baseExportMwh: number;
  /** Energy booked per meter since this boot (mWh). */
  importMwh: number;
  exportMwh: number;
}

/** A slot's booked energy, kept in exact integer mWh beside the Wh the page reads. */
export interface BookedSlot extends SlotEnergy {
  importMwh: number;
  exportMwh: number;
}

export class AggregatorApp {
  readonly scheduler: Scheduler;
  readonly main: MainTask;
  readonly store: HouseholdStore;
  private readonly ownDecisions: Decision[] = [];
  private pricesSetAt = NaN;
  /** The utility's price table (cloud downlink), laid over the ports' prices; and its cache. */
  private cloudPrices: PriceSlot[] = [];
  private cloudPricesAt = -Infinity;
  private merged = { base: [] as PriceSlot[], version: -1, slots: [] as PriceSlot[] };
  private cloudVersion = 0;
  readonly busEvents: BusEvent[] = [];
  readonly alarms: Alarm[] = [];
  readonly slots = new Map<number, BookedSlot>();
  readonly policy = new SimplePolicySeam();
  private readonly slaves: SlaveState[];
  private readonly pqSeen = new Map<number, { dips: number; swells: number; interruptions: number }>();
  private readonly events: PqEventView[] = [];
  private readonly missingAfter: number;
  private readonly currency: string;
  private dayStartWh = { import: 0, export: 0, day: -1 };
  /** Everything booked into slots (mWh), with the archived slots. */
  private totals = { importMwh: 0, exportMwh: 0 };
  /** The slot the last booking went into; every other slot in `slots` is closed (in `closed`). */
  private open: BookedSlot | undefined;
  private closed: Rollup = emptyRollup();
  /** Closed slots whose records the journal ring overwrote: summed, before `archivedBefore`. */
  private archived: Rollup = emptyRollup();
  private archivedBefore = -Infinity;
  private booking: BookingJournal | undefined;
  private bookingPolicy: WritePolicy = BOOKING_POLICY;
  private lastSaveAt = 0;
  private unsavedMwh = 0;
  private dirty = false;

  constructor(
    private readonly clock: Clock,
    private readonly link: SlaveLink,
    private readonly ports: AggregatorPorts,
    private readonly options: AggregatorOptions,
  ) {
    this.missingAfter = options.missingAfter ?? 3;
    this.currency = options.currency ?? "EUR";
    this.slaves = options.slaveIds.map((id) => ({ id, last: undefined, lastSeen: 0, misses: 0, missing: false, polled: 0, answered: 0, baseImportMwh: NaN, baseExportMwh: NaN, importMwh: 0, exportMwh: 0 }));
    if (options.bookingFlash) this.persistBooking(options.bookingFlash, options.bookingPolicy);
    const period = options.pollPeriodMs ?? 1000;
    this.scheduler = new Scheduler(clock);
    this.scheduler.add({ name: TASK_CAN, periodMs: period, priority: 30, run: (now) => this.pollCycle(now) });
    this.scheduler.add({ name: TASK_MEASURE, periodMs: period, priority: 20, run: (now) => this.applyPolicy(now) });
    this.scheduler.add({ name: TASK_HTTP, periodMs: period, priority: 15, run: () => this.publish() });
    this.scheduler.add({ name: TASK_UI, periodMs: period, priority: 10, run: () => this.options.display?.render() });
    this.main = new MainTask(this.scheduler, clock, 10_000);
    this.main.applyRole("aggregator");
    this.store = new HouseholdStore(clock, this.build(), {
      switchLoad: (id, on, actor) => this.switchLoad(id, on, actor),
      scheduleLoad: (id, durationMs, deadline, actor) => this.scheduleLoad(id, durationMs, deadline, actor),
    });
  }

  start(): void {
    this.scheduler.start();
  }

  /** Every decision with its reason, oldest first (the controller's when wired). */
  get decisions(): Decision[] {
    return this.options.controller ? this.options.controller.decisions() : this.ownDecisions;
  }

  stop(): void {
    this.scheduler.stop();
  }

  /** Energy booked per meter since this boot (RAM only: the bill is what persists). */
  meterEnergy(): Map<number, MeterEnergy> {
    return new Map(this.slaves.map((s) => [s.id, { importWh: s.importMwh / 1000, exportWh: s.exportMwh / 1000 }]));
  }

  /** Per slave: polls and answers. */
  pollCounts(): { id: number; polled: number; answered: number; missing: boolean }[] {
    return this.slaves.map((s) => ({ id: s.id, polled: s.polled, answered: s.answered, missing: s.missing }));
  }

  bill(from = -Infinity, to = Infinity): BillView {
    let importWh = 0;
    let exportWh = 0;
    let importMinor = 0;
    let exportMinor = 0;
    let first = Infinity;
    const a = this.archived;
    if (!Number.isNaN(a.first) && a.first >= from && this.archivedBefore <= to) {
      // slots the journal no longer holds one by one: only a range covering them all sees them
      importWh += a.importMwh / 1000;
      exportWh += a.exportMwh / 1000;
      importMinor += a.importMinor;
      exportMinor += a.exportMinor;
      first = a.first;
    }
    for (const s of this.slots.values()) {
      if (s.start < from || s.start >= to) continue;
      importWh += s.importWh;
      exportWh += s.exportWh;
      importMinor += (s.importWh / 1000) * s.importMinorPerKWh;
      exportMinor += (s.exportWh / 1000) * s.exportMinorPerKWh;
      first = Math.min(first, s.start);
    }
    const importLine = Math.round(importMinor);
    const exportLine = -Math.round(exportMinor);
    const total = importLine + exportLine;
    const now = this.clock.now();
    const span = Number.isFinite(first) ? Math.max(1, now - first) : 1;
    return {
      currency: this.currency,
      from: Number.isFinite(first) ? first : now,
      to: now,
      lines: [
        { label: "Energy import (day-ahead)", quantity: round(importWh / 1000, 3), unit: "kWh", amountMinor: importLine },
        { label: "Export credit", quantity: round(exportWh / 1000, 3), unit: "kWh", amountMinor: exportLine },
      ],
      totalMinor: total,
      forecastMonthMinor: Math.round((total * 30 * DAY) / span),
    };
  }

  private pollCycle(now: number): number {
    let netMwh = 0;
    let moved = false;
    for (const s of this.slaves) {
      s.polled++;
      const r = this.link.poll(s.id, now);
      if (!r) {
        s.misses++;
        if (!s.missing && s.misses >= this.missingAfter) {
          s.missing = true;
          this.busEvents.push({ t: now, kind: "missing", meterId: s.id });
          this.alarm({ t: now, kind: "missing-slave", message: `meter ${s.id} did not answer ${s.misses} polls`, meterId: s.id });
        }
        continue;
      }
      s.answered++;
      if (s.missing) this.busEvents.push({ t: now, kind: "back", meterId: s.id });
      s.missing = false;
      s.misses = 0;
      s.last = r;
      s.lastSeen = now;
      netMwh += this.take(s, r, now);
      moved = true;
      this.trackEvents(s.id, r, now);
      // The slave's last 10-min aggregate, when the link carries them (the store keeps only a newer one).
      const pq = this.link.aggregate?.(s.id);
      if (pq) this.store.setAggregate(pq);
    }
    this.book(now, netMwh);
    if (moved) this.commitCounters();
    this.maybeSave(now);
    this.link.endCycle(now);
    return 2;
  }

  /**
   * The energy (net mWh) a meter's answer adds, from its cumulative counters (floored to
   * mWh, so booked sums are exact integers). The new counters wait in `pending*` until the
   * cycle is booked: a checkpoint written in between holds the previous ones with it.
   */
  private take(s: SlaveState & Partial<Pending>, r: MeterReadings, now: number): number {
    const imp = Math.floor(r.importWh * 1000);
    const exp = Math.floor(r.exportWh * 1000);
    if (!(imp >= 0 && imp < MAX_MWH && exp >= 0 && exp < MAX_MWH)) {
      // NaN, negative or past what a checkpoint holds (1.1 GWh): not a counter, nothing taken from it
      this.alarm({ t: now, kind: "interruption", message: `meter ${s.id} sent counters out of range (import ${r.importWh} Wh, export ${r.exportWh} Wh): ignored`, meterId: s.id });
      return 0;
    }
    s.pendingImportMwh = imp;
    s.pendingExportMwh = exp;
    // No booked counters (first boot, a new meter): this answer is the baseline, nothing is booked.
    if (Number.isNaN(s.baseImportMwh)) return 0;
    if (imp < s.baseImportMwh || exp < s.baseExportMwh) {
      // Backwards (slave replaced, journal lost): a new baseline, never a negative booking.
      this.alarm({ t: now, kind: "interruption", message: `meter ${s.id} restarted: its counters went back (import ${s.baseImportMwh / 1000} → ${imp / 1000} Wh, export ${s.baseExportMwh / 1000} → ${exp / 1000} Wh); new baseline, nothing booked`, meterId: s.id });
      return 0;
    }
    const di = imp - s.baseImportMwh;
    const de = exp - s.baseExportMwh;
    s.importMwh += di;
    s.exportMwh += de;
    return di - de;
  }

  private commitCounters(): void {
    for (const s of this.slaves as (SlaveState & Partial<Pending>)[]) {
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
    const slot = this.slotAt(t);
    if (!slot) return;
    let e = this.slots.get(slot.start);
    if (!e || e !== this.open) {
      // The booking moves on: the finished slot's final energy is written with the counters it goes with.
      if (this.dirty) this.save(now);
      if (this.open) this.close(this.open);
      if (!e) {
        e = { start: slot.start, importWh: 0, exportWh: 0, importMwh: 0, exportMwh: 0, importMinorPerKWh: slot.importMinorPerKWh, exportMinorPerKWh: slot.exportMinorPerKWh };
        this.slots.set(slot.start, e);
      }
      this.open = e;
      this.prune();
    }
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
    if (!this.booking || !this.dirty) return;
    if (this.unsavedMwh >= this.bookingPolicy.thresholdWh * 1000 || now - this.lastSaveAt >= this.bookingPolicy.periodMs) this.save(now);
  }

  /**
   * Writes a booking checkpoint now (e.g. on a power-fail warning or before a planned
   * reboot); nothing without a booking flash. Throws what the flash throws.
   */
  saveBooking(): void {
    this.save(this.clock.now());
  }

  private save(now: number): void {
    if (!this.booking) return;
    const counters = new Map<number, { importMwh: number; exportMwh: number }>();
    for (const s of this.slaves) if (!Number.isNaN(s.baseImportMwh)) counters.set(s.id, { importMwh: s.baseImportMwh, exportMwh: s.baseExportMwh });
    const o = this.open;
    const c: Checkpoint = { t: now, open: o && { start: o.start, importMwh: o.importMwh, exportMwh: o.exportMwh, importMinorPerKWh: o.importMinorPerKWh, exportMinorPerKWh: o.exportMinorPerKWh }, closed: this.closed, counters };
    // Marked saved before the write: a write that throws is a power cut, and RAM is gone with it.
    this.lastSaveAt = now;
    this.unsavedMwh = 0;
    this.dirty = false;
    this.booking.write(c);
  }

  /**
   * Boot: takes the booking journal on `flash` and restores what it holds — every meter's
   * booked counters, the slots still in the journal, the roll-up of older ones — replacing
   * what this app booked in RAM (a restart: RAM is gone). A blank flash keeps the RAM
   * state and starts the journal. A meter's first answer after this books only its delta
   * since the restored counters (the energy of the time the aggregator was down goes into
   * the slot of that answer); a meter without restored counters takes it as its baseline.
   */
  persistBooking(flash: Flash, policy: Partial<WritePolicy> = {}): BookingRestore {
    if (this.slaves.length > MAX_BOOKED_METERS) throw new RangeError(`the booking journal holds ${MAX_BOOKED_METERS} meters, not ${this.slaves.length}`);
    for (const s of this.slaves) if (!(Number.isInteger(s.id) && s.id >= 0 && s.id <= 255)) throw new RangeError(`meter id ${s.id}: the booking journal keeps ids 0..255`);
    const now = this.clock.now();
    this.booking = new BookingJournal(flash);
    this.bookingPolicy = { ...BOOKING_POLICY, ...policy };
    const r = this.booking.restore();
    const corrupt = this.booking.scan?.corrupt ?? 0;
    this.lastSaveAt = now;
    if (!r) {
      // the RAM state (if any) and the first baselines go into a checkpoint at the next cycle
      this.dirty = true;
      this.lastSaveAt = -Infinity;
      this.unsavedMwh = 0;
      return { restored: false, records: 0, meters: [], slots: 0, corrupt };
    }
    this.slots.clear();
    for (const x of r.slots) this.slots.set(x.start, { ...x, importWh: x.importMwh / 1000, exportWh: x.exportMwh / 1000 });
    const n = r.newest;
    this.open = n.open ? this.slots.get(n.open.start) : undefined;
    this.closed = { ...n.closed };
    this.archived = r.archived;
    this.archivedBefore = r.slots.length ? r.slots[0].start : Infinity;
    const meters: number[] = [];
    for (const s of this.slaves) {
      const c = n.counters.get(s.id);
      s.baseImportMwh = c ? c.importMwh : NaN;
      s.baseExportMwh = c ? c.exportMwh : NaN;
      if (c) meters.push(s.id);
    }
    // the totals and today's start, as if this app had booked it all
    const dayStart = now - (now % DAY);
    let imp = r.archived.importMwh;
    let exp = r.archived.exportMwh;
    let todayImp = 0;
    let todayExp = 0;
    for (const x of r.slots) {
      imp += x.importMwh;
      exp += x.exportMwh;
      if (x.start >= dayStart) {
        todayImp += x.importMwh;
        todayExp += x.exportMwh;
      }
    }
    this.totals = { importMwh: imp, exportMwh: exp };
    this.dayStartWh = { import: (imp - todayImp) / 1000, export: (exp - todayExp) / 1000, day: Math.floor(now / DAY) };
    this.dirty = false;
    this.unsavedMwh = 0;
    this.prune();
    return { restored: true, records: r.records, meters, slots: r.slots.length, corrupt };
  }

  /**
   * A planned shutdown: a last checkpoint (when `save`), then the booking is RAM only again
   * (the flash may be closed after this). A power cut is simply no call at all.
   */
  closeBooking(save = true): void {
    if (save && this.booking && this.dirty) this.save(this.clock.now());
    this.booking = undefined;
  }

  /** Booking checkpoints written by this app (flash wear). */
  get bookingWrites(): number {
    return this.booking?.writeCount ?? 0;
  }

  /**
   * A price table from the utility (already authenticated): checked, then it replaces the
   * prices it covers — for the page, the bill (every slot not begun yet; a slot already
   * being booked keeps the price it began with) and the controller (or the policy seam), which
   * re-plans the deferrable runs still waiting into the new cheapest window.
   */
  applyPriceTable(raw: unknown): ActionResult {
    const now = this.clock.now();
    const checked = checkPriceTable(raw, now);
    if ("error" in checked) return { ok: false, error: checked.error };
    this.cloudPrices = checked.slots;
    this.cloudPricesAt = now;
    this.cloudVersion++;
    const controller = this.options.controller;
    if (controller) {
      controller.setPrices(this.pricesAt(now), now);
      for (const v of controller.loadViews()) {
        if (v.kind === "deferrable" && v.run?.state === "planned") controller.schedule(v.id, v.run.durationMs, v.run.deadline, "cloud");
      }
    } else {
      // the small policy seam: plans whose first slot has not come yet
      for (const [id, plan] of [...this.policy.plans]) if (now < plan.slots[0]) this.scheduleLoad(id, plan.durationMs, plan.deadline, "cloud");
    }
    return { ok: true };
  }

  /** The demand limit at the grid connection (the utility's `demandLimitW` setting); needs the controller. */
  setDemandLimitW(limitW: number): ActionResult {
    if (!this.options.controller) return { ok: false, error: "no load controller here: the demand limit is not used" };
    this.options.controller.setLimitW(limitW);
    return { ok: true };
  }

  /** The utility's table in force (empty when none was received), to persist it. */
  cloudPriceTable(): PriceSlot[] {
    return this.cloudPrices.slice();
  }

  /** The prices in force at t: the ports' (day-ahead feed) with the utility's table over them. */
  pricesAt(t: number): PriceSlot[] {
    const base = this.ports.prices(t);
    if (this.cloudPrices.length === 0) return base;
    const m = this.merged;
    // the sim's feed hands out a new array of the same slot objects per call: reuse the overlay
    // while every slot is the very same object (a feed that builds new ones gets a fresh overlay)
    if (m.version !== this.cloudVersion || !sameSlots(base, m.base)) {
      this.merged = { base, version: this.cloudVersion, slots: overlayPrices(base, this.cloudPrices) };
    }
    return this.merged.slots;
  }

  private slotAt(t: number): PriceSlot | undefined {
    return this.pricesAt(t).find((s) => t >= s.start && t < s.start + s.durationMs);
  }

  private trackEvents(id: number, r: MeterReadings, now: number): void {
    const seen = this.pqSeen.get(id) ?? { dips: r.dips, swells: r.swells, interruptions: r.interruptions };
    const report = (type: PqEventView["type"], n: number): void => {
      for (let k = 0; k < n; k++) {
        const e = r.lastEvent && r.lastEvent.type === type ? r.lastEvent : undefined;
        this.events.push({ type, meterId: id, phase: 1, start: e ? e.start : now, durationMs: e ? e.durationMs : 0, extremeV: e ? e.extremeV : 0, cell: "" });
        this.alarm({ t: now, kind: type, message: e ? `${type} to ${e.extremeV} V for ${e.durationMs} ms at meter ${id}` : `${type} seen by meter ${id}`, meterId: id });
      }
    };
    report("dip", r.dips - seen.dips);
    report("swell", r.swells - seen.swells);
    report("interruption", r.interruptions - seen.interruptions);
    this.pqSeen.set(id, { dips: r.dips, swells: r.swells, interruptions: r.interruptions });
  }

  /** Raises an alarm from outside the poll loop (e.g. the CAN link's authentication failures). */
  raise(a: Alarm): void {
    this.alarm(a);
  }

  private alarm(a: Alarm): void {
    this.alarms.push(a);
    if (this.alarms.length > 500) this.alarms.splice(0, this.alarms.length - 500);
  }

  private applyPolicy(now: number): number {
    const controller = this.options.controller;
    if (controller) {
      const grid = this.ports.grid(now);
      if (grid.pricesUpdatedAt !== this.pricesSetAt) {
        controller.setPrices(this.pricesAt(now), Math.max(grid.pricesUpdatedAt, this.cloudPricesAt));
        this.pricesSetAt = grid.pricesUpdatedAt;
      }
      controller.setCogenerator(grid.cogenerator, grid.thermalDemandW);
      let importW = 0;
      for (const s of this.slaves) if (s.last && !s.missing) importW += s.last.powerW;
      controller.step(importW);
      return 1;
    }
    const slot = this.slotAt(now);
    if (!slot) return 0;
    const day = this.pricesAt(now).filter((s) => s.start >= now - (now % DAY) && s.start < now - (now % DAY) + DAY);
    const relays = new Map(this.options.loads.map((l) => [l.id, this.ports.relay(l.id)]));
    this.policy.evaluate(this.policyLoads(), now, relays, slot, day, (d) => this.decide(d));
    return 1;
  }

  private policyLoads(): PolicyLoad[] {
    return this.options.loads.map((l) => ({ id: l.id, kind: l.kind, contiguous: l.contiguous }));
  }

  private decide(d: Omit<Decision, "t">): void {
    const full: Decision = { t: this.clock.now(), ...d };
    this.ownDecisions.push(full);
    if (d.action === "on" || d.action === "restore") this.ports.setRelay(d.load, true);
    if (d.action === "off" || d.action === "shed") this.ports.setRelay(d.load, false);
  }

  switchLoad(id: string, on: boolean, actor: Decision["actor"]): ActionResult {
    const load = this.options.loads.find((l) => l.id === id);
    if (!load) return { ok: false, error: `no load ${id}` };
    if (this.options.controller) return this.options.controller.switchLoad(id, on, actor);
    if (load.kind === "fixed" && !on) return { ok: false, error: `${load.name} is not switchable` };
    this.policy.plans.delete(id);
    this.decide({ load: id, action: on ? "on" : "off", reason: `switched by ${actor}`, actor });
    return { ok: true };
  }

  scheduleLoad(id: string, durationMs: number, deadline: number, actor: Decision["actor"]): ActionResult & { startAt?: number } {
    const load = this.options.loads.find((l) => l.id === id);
    if (!load) return { ok: false, error: `no load ${id}` };
    if (load.kind !== "deferrable") return { ok: false, error: `${load.name} is not deferrable` };
    if (this.options.controller) return this.options.controller.schedule(id, durationMs, deadline, actor);
    const now = this.clock.now();
    const r = this.policy.plan({ id, kind: load.kind, contiguous: load.contiguous }, now, durationMs, deadline, this.pricesAt(now), (d) => this.decide(d), actor);
    if (r.error) return { ok: false, error: r.error };
    // Hold the load until its first planned slot.
    const plan = this.policy.plans.get(id)!;
    const inSlot = plan.slots.some((s) => now >= s && now < s + 900_000);
    if (!inSlot && this.ports.relay(id)) this.decide({ load: id, action: "off", reason: "held until its first planned slot", actor: "policy" });
    return { ok: true, startAt: r.startAt };
  }

  private publish(): number {
    const now = this.clock.now();
    const snap = this.build();
    let total = 0;
    for (const m of snap.meters) {
      const p = m.values[CODES.powerNet] ?? 0;
      total += p;
      this.store.record(`meter:${m.id}`, p, now);
    }
    this.store.record("total", total, now);
    for (const l of snap.loads) this.store.record(`load:${l.id}`, l.powerW, now);
    this.store.update(snap);
    return 3;
  }

  private build(): HouseholdSnapshot {
    const now = this.clock.now();
    const prices = this.pricesAt(now);
    const slot = this.slotAt(now) ?? prices[0];
    const day = Math.floor(now / DAY);
    if (this.dayStartWh.day !== day) this.dayStartWh = { import: this.totals.importMwh / 1000, export: this.totals.exportMwh / 1000, day };
    const meters: MeterView[] = this.slaves.map((s) => meterView(s));
    const controlled = new Map((this.options.controller?.loadViews() ?? []).map((v) => [v.id, v]));
    const loads: LoadView[] = this.options.loads.map((l) => {
      const plan = this.policy.plans.get(l.id);
      const run = controlled.get(l.id)?.run;
      const view: LoadView = { id: l.id, name: l.name, meterId: l.meterId, kind: l.kind, priority: l.priority, on: this.ports.relay(l.id), powerW: round(this.ports.loadPowerW(l.id), 1) };
      if (run) view.run = run;
      else if (plan) view.run = { startAt: plan.slots[0], durationMs: plan.durationMs, deadline: plan.deadline, state: now >= plan.slots[0] ? "running" : "planned" };
      return view;
    });
    const quality: QualityView[] = this.slaves.map((s) => ({
      meterId: s.id,
      frequencyHz: s.last ? round(s.last.frequencyHz, 3) : 0,
      thdVoltagePct: [s.last ? round(s.last.thdVoltagePct, 2) : 0],
      thdCurrentPct: [s.last ? round(s.last.thdCurrentPct, 2) : 0],
      unbalanceNegativePct: 0,
      dipTable: [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]],
      swellCount: s.last?.swells ?? 0,
      interruptionCount: s.last?.interruptions ?? 0,
    }));
    const link = this.link.stats();
    return {
      t: now,
      meters,
      loads,
      prices,
      grid: this.options.controller ? this.options.controller.grid() : this.ports.grid(now),
      bill: this.bill(now - (now % DAY), Infinity),
      energyTodayWh: round(this.totals.importMwh / 1000 - this.dayStartWh.import, 1),
      exportTodayWh: round(this.totals.exportMwh / 1000 - this.dayStartWh.export, 1),
      tariffNow: { name: "day-ahead", importMinorPerKWh: slot ? slot.importMinorPerKWh : 0 },
      decisions: this.decisions.slice(-50),
      events: this.events.slice(-50),
      alarms: this.alarms.slice(-50),
      tasks: this.scheduler.stats(),
      quality,
      bus: { ...link, missing: this.slaves.filter((s) => s.missing).map((s) => s.id) },
    };
  }
}

/** Counters are booked as u40 mWh (booking-journal.ts). */
const MAX_MWH = 2 ** 40;

/** A meter's counters from this cycle's answer, booked at the end of the cycle. */
interface Pending {
  pendingImportMwh: number | undefined;
  pendingExportMwh: number | undefined;
}

function addSlot(r: Rollup, e: BookedSlot): void {
  r.importMwh += e.importMwh;
  r.exportMwh += e.exportMwh;
  r.importMinor += (e.importWh / 1000) * e.importMinorPerKWh;
  r.exportMinor += (e.exportWh / 1000) * e.exportMinorPerKWh;
  if (Number.isNaN(r.first) || e.start < r.first) r.first = e.start;
}

function sameSlots(a: PriceSlot[], b: PriceSlot[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function meterView(s: SlaveState): MeterView {
  const r = s.last;
  const values: Record<string, number> = {};
  if (r) {
    values[CODES.powerNet] = round(r.powerW, 1);
    values[CODES.powerImport] = round(Math.max(0, r.powerW), 1);
    values[CODES.powerExport] = round(Math.max(0, -r.powerW), 1);
    values[CODES.voltage[0]] = round(r.voltageV, 2);
    values[CODES.current[0]] = round(r.currentA, 3);
    values[CODES.frequency] = round(r.frequencyHz, 3);
    values[CODES.powerFactor] = round(r.powerFactor, 3);
    values[CODES.thdVoltage[0]] = round(r.thdVoltagePct, 2);
    values[CODES.thdCurrent[0]] = round(r.thdCurrentPct, 2);
    values[CODES.energyImport] = round(r.importWh, 1);
    values[CODES.energyExport] = round(r.exportWh, 1);
  }
  return { id: s.id, name: `Meter ${s.id}`, role: "slave", online: !s.missing && r !== undefined, lastSeen: s.lastSeen, values };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
