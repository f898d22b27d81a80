import type { Clock } from "../core/clock";
import { DAY } from "../core/clock";
import type { ActionResult, Alarm, BillView, Decision, GridState, HouseholdSnapshot, LoadView, MeterView, PriceSlot, QualityView, StaleMark } from "../core/household";
import { CODES } from "../core/obis";
import { MainTask, Scheduler, TASK_CAN, TASK_HTTP, TASK_MEASURE, TASK_UI } from "../core/scheduler";
import { HouseholdStore } from "./household-store";
import { HISTORY_FULL, type HistoryOptions } from "./power-history";
import { SimplePolicySeam, type PolicyLoad } from "./policy-seam";
import type { MeterReadings, SlaveLink } from "./readings";
import type { LoadController } from "../control/controller";
import type { Flash } from "../core/ports";
import type { WritePolicy } from "../energy/energy-store";
import { EnergyBooking, type BookedSlot, type BookingRestore, type MeterCounters, type MeterEnergy } from "./energy-booking";
import { PriceBook } from "./price-book";
import { PqEventLog } from "./pq-events";
import { qualityView } from "./quality-view";
import { CONTROL_SAVE_MS, ControlStore } from "./control-store";
import { HISTORY_SAVE_MS, HistoryStore } from "./history-store";

// The booking's types and write policy stay importable from here (hosts and tests name them so).
export { BOOKING_POLICY, type BookedSlot, type BookingRestore, type MeterEnergy, type SlotEnergy } from "./energy-booking";

/**
 * The data aggregator wired from tasks: CAN manage polls every slave each
 * cycle and books the energy deltas into the price slot they fell in (the
 * energy registers and bill: energy-booking.ts, at the prices of price-book.ts);
 * Measure applies the load policy; HTTP server and User interface publish the
 * household snapshot the web page, display and MQTT read.
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
  /**
   * The power histories' tiers (power-history.ts): HISTORY_FULL (default; host, PSRAM board)
   * or HISTORY_BOARD (a board without PSRAM). gapMs defaults to 2.5 poll periods (at least 5 s).
   */
  history?: HistoryOptions;
  /**
   * Flash partition (≥ 2 sectors) for the load controller's plans, manual holds and last
   * decisions (control-store.ts): restored at boot, written at most every CONTROL_SAVE_MS
   * when something changed. Needs the controller.
   */
  controlFlash?: Flash;
  /**
   * Flash partition (an even number of sectors; 2 × 32 hold 12 series of HISTORY_FULL's week)
   * for the power histories' coarsest tier (history-store.ts): restored at boot, written once
   * per HISTORY_SAVE_MS and by saveHistory().
   */
  historyFlash?: Flash;
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
  /** Its booking state (the booking's object for this meter). */
  counters: MeterCounters;
  /** Until when the link's current lock-out of this meter's identifiers lasts (alarm raised once per lock-out). */
  lockedUntil: number;
  stale: StaleMark | undefined;
}

export class AggregatorApp {
  readonly scheduler: Scheduler;
  readonly main: MainTask;
  readonly store: HouseholdStore;
  private readonly ownDecisions: Decision[] = [];
  private pricesSetAt = NaN;
  /** The ports' prices with the utility's table (cloud downlink) over them. */
  private readonly prices: PriceBook;
  /** Energy per meter and price slot, the bill, and their checkpoints on flash. */
  private readonly energy: EnergyBooking;
  readonly busEvents: BusEvent[] = [];
  readonly alarms: Alarm[] = [];
  readonly policy = new SimplePolicySeam();
  private readonly slaves: SlaveState[];
  /** Dips, swells and interruptions the slaves reported, for the page and as alarms. */
  private readonly pq = new PqEventLog((a) => this.alarm(a));
  private readonly missingAfter: number;
  /** The controller's state on flash, and what was last written (decisions made, when). */
  private control: ControlStore | undefined;
  private historyStore: HistoryStore | undefined;
  private historySavedAt = -Infinity;
  private controlSaved = 0;
  private controlSavedAt = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly link: SlaveLink,
    private readonly ports: AggregatorPorts,
    private readonly options: AggregatorOptions,
  ) {
    this.missingAfter = options.missingAfter ?? 3;
    this.prices = new PriceBook(ports);
    this.energy = new EnergyBooking(clock, options.slaveIds, {
      keepSlots: options.keepSlots,
      currency: options.currency ?? "EUR",
      prices: this.prices,
      alarm: (a) => this.alarm(a),
    });
    this.slaves = options.slaveIds.map((id, i) => ({ id, last: undefined, lastSeen: 0, misses: 0, missing: false, polled: 0, answered: 0, counters: this.energy.meters[i], lockedUntil: -Infinity, stale: undefined }));
    if (options.bookingFlash) this.persistBooking(options.bookingFlash, options.bookingPolicy);
    if (options.controlFlash) this.persistControl(options.controlFlash);
    const period = options.pollPeriodMs ?? 1000;
    this.scheduler = new Scheduler(clock);
    this.scheduler.add({ name: TASK_CAN, periodMs: period, priority: 30, run: (now) => this.pollCycle(now) });
    this.scheduler.add({ name: TASK_MEASURE, periodMs: period, priority: 20, run: (now) => this.applyPolicy(now) });
    this.scheduler.add({ name: TASK_HTTP, periodMs: period, priority: 15, run: () => this.publish() });
    this.scheduler.add({ name: TASK_UI, periodMs: period, priority: 10, run: () => this.options.display?.render() });
    this.main = new MainTask(this.scheduler, clock, 10_000);
    this.main.applyRole("aggregator");
    const history = options.history ?? HISTORY_FULL;
    this.store = new HouseholdStore(clock, this.build(), {
      switchLoad: (id, on, actor) => this.switchLoad(id, on, actor),
      scheduleLoad: (id, durationMs, deadline, actor) => this.scheduleLoad(id, durationMs, deadline, actor),
      cancelPlan: (id, actor) => this.cancelPlan(id, actor),
    }, { ...history, gapMs: history.gapMs ?? Math.max(5000, 2.5 * period) }, (from, to, step) => this.energy.buckets(from, to, step));
    if (options.historyFlash) this.persistHistory(options.historyFlash);
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
    return this.energy.meterEnergy();
  }

  /** The price slots booked one by one (start → energy), oldest first. */
  get slots(): Map<number, BookedSlot> {
    return this.energy.slots;
  }

  /** Per slave: polls and answers. */
  pollCounts(): { id: number; polled: number; answered: number; missing: boolean }[] {
    return this.slaves.map((s) => ({ id: s.id, polled: s.polled, answered: s.answered, missing: s.missing }));
  }

  /** The bill of the slots starting in [from, to) (see EnergyBooking.bill). */
  bill(from = -Infinity, to = Infinity): BillView {
    return this.energy.bill(from, to);
  }

  private pollCycle(now: number): number {
    let netMwh = 0;
    let moved = false;
    let all = true;
    for (const s of this.slaves) {
      s.polled++;
      const r = this.link.poll(s.id, now);
      this.checkLockouts(s, r === undefined, now);
      if (!r) {
        if (s.stale) continue; // locked out, not missing: the stale mark and its alarm say so
        s.misses++;
        if (!s.missing && s.misses >= this.missingAfter) {
          s.missing = true;
          this.busEvents.push({ t: now, kind: "missing", meterId: s.id });
          this.alarm({ t: now, kind: "missing-slave", message: `meter ${s.id} did not answer ${s.misses} polls`, meterId: s.id });
        }
        all = false;
        continue;
      }
      s.answered++;
      if (s.missing) this.busEvents.push({ t: now, kind: "back", meterId: s.id });
      s.missing = false;
      s.misses = 0;
      s.last = r;
      s.lastSeen = now;
      const mwh = this.energy.take(s.counters, r, now);
      netMwh += mwh;
      moved = true;
      // The meter's history: its power and the energy its counters moved (what the booking books).
      this.store.record(`meter:${s.id}`, r.powerW, now, mwh);
      this.pq.track(s.id, r, now);
      // The slave's last 10-min aggregate, when the link carries them (the store keeps only a newer one).
      const pq = this.link.aggregate?.(s.id);
      if (pq) this.store.setAggregate(pq);
    }
    this.energy.endCycle(now, netMwh, moved);
    // The household: observed only when every meter answered (a missing meter's energy arrives with its next answer).
    if (moved) this.store.record("total", this.onlinePowerW(), now, netMwh, all ? undefined : false);
    this.link.endCycle(now);
    return 2;
  }

  /**
   * Writes a booking checkpoint now (e.g. on a power-fail warning or before a planned
   * reboot); nothing without a booking flash. Throws what the flash throws.
   */
  saveBooking(): void {
    this.energy.save(this.clock.now());
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
    return this.energy.persist(flash, policy);
  }

  /**
   * A planned shutdown: a last checkpoint (when `save`), then the booking is RAM only again
   * (the flash may be closed after this). A power cut is simply no call at all.
   */
  closeBooking(save = true): void {
    this.energy.closeJournal(save);
  }

  /** Booking checkpoints written by this app (flash wear). */
  get bookingWrites(): number {
    return this.energy.writes;
  }

  /**
   * A price table from the utility (already authenticated): checked, then it replaces the
   * prices it covers — for the page, the bill (every slot not begun yet; a slot already
   * being booked keeps the price it began with) and the controller (or the policy seam), which
   * re-plans the deferrable runs still waiting into the new cheapest window.
   */
  applyPriceTable(raw: unknown): ActionResult {
    const now = this.clock.now();
    const applied = this.prices.apply(raw, now);
    if (!applied.ok) return applied;
    const controller = this.options.controller;
    if (controller) {
      controller.setPrices(this.prices.pricesAt(now), now);
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
    return this.prices.table();
  }

  /** The prices in force at t: the ports' (day-ahead feed) with the utility's table over them. */
  pricesAt(t: number): PriceSlot[] {
    return this.prices.pricesAt(t);
  }

  /** Raises an alarm from outside the poll loop (e.g. the CAN link's authentication failures). */
  raise(a: Alarm): void {
    this.alarm(a);
  }

  /**
   * A lock-out of one of the meter's identifiers (too many failed MACs) is never silent: an
   * alarm when it starts, and while the meter's readings are not refreshed its view is marked
   * stale with since-when (page, display and MQTT show it).
   */
  private checkLockouts(s: SlaveState, unanswered: boolean, now: number): void {
    const locks = this.link.lockouts?.(s.id, now) ?? [];
    if (locks.length === 0) {
      s.stale = undefined;
      return;
    }
    const until = Math.max(...locks.map((l) => l.until));
    const ids = locks.map((l) => `0x${l.id.toString(16)}`).join(", ");
    const reason = `CAN ${ids} locked out after ${Math.max(...locks.map((l) => l.failures))} failed authentications (forged frames?) until ${new Date(until).toISOString()}`;
    if (until > s.lockedUntil) {
      if (now >= s.lockedUntil) this.alarm({ t: now, kind: "auth", message: `meter ${s.id}: ${reason}`, meterId: s.id });
      s.lockedUntil = until;
    }
    if (unanswered) s.stale = { since: s.stale?.since ?? (s.lastSeen || now), until, reason };
    else s.stale = undefined; // the genuine answers got through the lock-out: the values are fresh
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
        controller.setPrices(this.prices.pricesAt(now), Math.max(grid.pricesUpdatedAt, this.prices.tableAt));
        this.pricesSetAt = grid.pricesUpdatedAt;
      }
      controller.setCogenerator(grid.cogenerator, grid.thermalDemandW);
      let importW = 0;
      for (const s of this.slaves) if (s.last && !s.missing) importW += s.last.powerW;
      controller.step(importW);
      this.maybeSaveControl(now);
      return 1;
    }
    const slot = this.prices.slotAt(now);
    if (!slot) return 0;
    const day = this.prices.pricesAt(now).filter((s) => s.start >= now - (now % DAY) && s.start < now - (now % DAY) + DAY);
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

  /** A manual switch; the snapshot is republished at once, so the page answering it shows the new state. */
  switchLoad(id: string, on: boolean, actor: Decision["actor"]): ActionResult {
    return this.republished(this.switchNow(id, on, actor));
  }

  /** Cancels a load's plan (the controller's; the small policy seam's plans too). */
  cancelPlan(id: string, actor: Decision["actor"]): ActionResult {
    const load = this.options.loads.find((l) => l.id === id);
    if (!load) return { ok: false, error: `no load ${id}` };
    if (this.options.controller) return this.republished(this.options.controller.cancel(id, actor));
    if (!this.policy.plans.delete(id)) return { ok: false, error: `${load.name} has no plan to cancel` };
    this.decide({ load: id, action: "cancel", reason: `plan cancelled by ${actor}`, actor });
    if (this.ports.relay(id)) this.decide({ load: id, action: "off", reason: `run cancelled by ${actor}`, actor });
    return this.republished({ ok: true });
  }

  /**
   * Boot: takes the control store on `flash` and gives the controller what it holds (plans,
   * holds in force, decisions); returns whether a state was found. Needs the controller.
   */
  persistControl(flash: Flash): boolean {
    const c = this.options.controller;
    if (!c) return false;
    this.control = new ControlStore(flash);
    const saved = this.control.load();
    if (saved) c.restore(saved);
    this.controlSaved = c.decisionCount;
    return saved !== undefined;
  }

  /** Boot: restores the histories' coarsest tiers from `flash` and saves there from now on; returns the series restored. */
  persistHistory(flash: Flash): number {
    this.historyStore = new HistoryStore(flash);
    this.historySavedAt = this.clock.now();
    return this.store.restoreHistories(this.historyStore.load());
  }

  /** Writes the histories now (a planned shutdown); nothing without a history flash. Throws what the flash throws. */
  saveHistory(): void {
    if (!this.historyStore) return;
    this.historySavedAt = this.clock.now();
    this.historyStore.save(this.store.historyEntries());
  }

  /** Writes the controller's state when it changed, at most once per CONTROL_SAVE_MS (flash wear: never at a request's pace). */
  private maybeSaveControl(now: number): void {
    const c = this.options.controller;
    if (!this.control || !c || c.decisionCount === this.controlSaved || now - this.controlSavedAt < CONTROL_SAVE_MS) return;
    this.saveControl();
  }

  /** Writes the controller's state now (a planned shutdown); nothing without a control flash. Throws what the flash throws. */
  saveControl(): void {
    const c = this.options.controller;
    if (!this.control || !c) return;
    this.controlSaved = c.decisionCount;
    this.controlSavedAt = this.clock.now();
    this.control.save(c.state());
    this.controlWriteCount++;
  }

  /** Control-state records written by this app (flash wear). */
  get controlWrites(): number {
    return this.controlWriteCount;
  }
  private controlWriteCount = 0;

  private republished<T extends ActionResult>(r: T): T {
    // The constructor's first build has no store yet; every later action has one.
    if (r.ok && (this.store as HouseholdStore | undefined)) this.store.update(this.build());
    return r;
  }

  private switchNow(id: string, on: boolean, actor: Decision["actor"]): ActionResult {
    const load = this.options.loads.find((l) => l.id === id);
    if (!load) return { ok: false, error: `no load ${id}` };
    if (this.options.controller) return this.options.controller.switchLoad(id, on, actor);
    if (load.kind === "fixed" && !on) return { ok: false, error: `${load.name} is not switchable` };
    this.policy.plans.delete(id);
    this.decide({ load: id, action: on ? "on" : "off", reason: `switched by ${actor}`, actor });
    return { ok: true };
  }

  scheduleLoad(id: string, durationMs: number, deadline: number, actor: Decision["actor"]): ActionResult & { startAt?: number } {
    return this.republished(this.scheduleNow(id, durationMs, deadline, actor));
  }

  private scheduleNow(id: string, durationMs: number, deadline: number, actor: Decision["actor"]): ActionResult & { startAt?: number } {
    const load = this.options.loads.find((l) => l.id === id);
    if (!load) return { ok: false, error: `no load ${id}` };
    if (load.kind !== "deferrable") return { ok: false, error: `${load.name} is not deferrable` };
    if (this.options.controller) return this.options.controller.schedule(id, durationMs, deadline, actor);
    const now = this.clock.now();
    const r = this.policy.plan({ id, kind: load.kind, contiguous: load.contiguous }, now, durationMs, deadline, this.prices.pricesAt(now), (d) => this.decide(d), actor);
    if (r.error) return { ok: false, error: r.error };
    // Hold the load until its first planned slot.
    const plan = this.policy.plans.get(id)!;
    const inSlot = plan.slots.some((s) => now >= s && now < s + plan.slotMs); // 15-min or 1-h slots
    if (!inSlot && this.ports.relay(id)) this.decide({ load: id, action: "off", reason: "held until its first planned slot", actor: "policy" });
    return { ok: true, startAt: r.startAt };
  }

  private onlinePowerW(): number {
    let w = 0;
    for (const s of this.slaves) if (s.last && !s.missing) w += s.last.powerW;
    return w;
  }

  private publish(): number {
    const now = this.clock.now();
    const snap = this.build();
    // Loads have no counters: their plugs' power, integrated over the time observed.
    for (const l of snap.loads) this.store.record(`load:${l.id}`, l.powerW, now);
    if (this.historyStore && now - this.historySavedAt >= HISTORY_SAVE_MS) this.saveHistory();
    this.store.update(snap);
    return 3;
  }

  private build(): HouseholdSnapshot {
    const now = this.clock.now();
    const prices = this.prices.pricesAt(now);
    const slot = this.prices.slotAt(now) ?? prices[0];
    this.energy.rollDay(now);
    const meters: MeterView[] = this.slaves.map((s) => meterView(s));
    const controlled = new Map((this.options.controller?.loadViews() ?? []).map((v) => [v.id, v]));
    const loads: LoadView[] = this.options.loads.map((l) => {
      const plan = this.policy.plans.get(l.id);
      const run = controlled.get(l.id)?.run;
      const view: LoadView = { id: l.id, name: l.name, meterId: l.meterId, kind: l.kind, priority: l.priority, on: this.ports.relay(l.id), powerW: round(this.ports.loadPowerW(l.id), 1) };
      if (run) view.run = run;
      const hold = controlled.get(l.id)?.hold;
      if (hold) view.hold = hold;
      else if (plan) view.run = { startAt: plan.slots[0], durationMs: plan.durationMs, deadline: plan.deadline, state: now >= plan.slots[0] ? "running" : "planned" };
      return view;
    });
    // The constructor builds the first snapshot before the store exists.
    const aggregates = new Map(((this.store as HouseholdStore | undefined)?.aggregates() ?? []).map((a) => [a.meterId, a]));
    const quality: QualityView[] = this.slaves.map((s) => qualityView(s.id, s.last, aggregates.get(s.id), this.pq.dipCounts(s.id)));
    const link = this.link.stats();
    return {
      t: now,
      meters,
      loads,
      prices,
      grid: this.options.controller ? this.options.controller.grid() : this.ports.grid(now),
      bill: this.bill(now - (now % DAY), Infinity),
      billToDate: this.bill(),
      energyTodayWh: round(this.energy.importTodayWh, 1),
      exportTodayWh: round(this.energy.exportTodayWh, 1),
      tariffNow: { name: "day-ahead", importMinorPerKWh: slot ? slot.importMinorPerKWh : 0 },
      decisions: this.decisions.slice(-50),
      events: this.pq.events.slice(-50),
      alarms: this.alarms.slice(-50),
      tasks: this.scheduler.stats(),
      quality,
      bus: { ...link, missing: this.slaves.filter((s) => s.missing).map((s) => s.id) },
    };
  }
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
  const view: MeterView = { id: s.id, name: `Meter ${s.id}`, role: "slave", online: !s.missing && r !== undefined, lastSeen: s.lastSeen, values };
  if (s.stale) view.stale = { ...s.stale };
  return view;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
