import type { Clock } from "../core/clock";
import { HOUR, MINUTE } from "../core/clock";
import type { ActionResult, BillView, Decision, HouseholdSnapshot, LoadView, MeterView, PriceSlot, QualityView } from "../core/household";
import { EN50160_DIP_COLS, EN50160_DIP_ROWS } from "../metrology/events";
import { qualityView } from "./quality-view";
import { HISTORY_FULL } from "./power-history";
import { bucketize, type BookedAmount } from "./energy-buckets";
import { CODES } from "../core/obis";
import { HouseholdStore } from "./household-store";

/**
 * A small, deterministic household with plausible values: the fixture the
 * presentation rooms (web page, display, MQTT) are developed and tested
 * against, and what `xsmeter sim` shows until the full simulator drives the
 * store from real meters. Power follows fixed daily shapes, no randomness.
 */
// Frozen, element by element: hosts/lin/main imports this module, so xsl preloads it (it warned
// "LOADS: not frozen" for the array and each row).
const LOADS: readonly Readonly<Omit<LoadView, "on" | "powerW">>[] = Object.freeze([
  Object.freeze({ id: "fridge", name: "Fridge", meterId: 1, kind: "fixed", priority: 9 }),
  Object.freeze({ id: "washer", name: "Washing machine", meterId: 1, kind: "deferrable", priority: 3 }),
  Object.freeze({ id: "oven", name: "Oven", meterId: 2, kind: "switchable", priority: 5 }),
  Object.freeze({ id: "heatpump", name: "Heat pump", meterId: 2, kind: "switchable", priority: 4 }),
  Object.freeze({ id: "ev", name: "EV charger", meterId: 3, kind: "deferrable", priority: 2 }),
  Object.freeze({ id: "pv", name: "PV inverter", meterId: 4, kind: "generator", priority: 10 }),
]);

function nominalPower(id: string, hourOfDay: number, minute: number): number {
  switch (id) {
    case "fridge": return minute % 20 < 8 ? 120 : 4;
    case "washer": return 0;
    case "oven": return hourOfDay >= 17 && hourOfDay < 19 ? 2100 : 0;
    case "heatpump": return 900 + 400 * Math.cos(((hourOfDay - 4) / 24) * 2 * Math.PI);
    case "ev": return 0;
    case "pv": return -Math.max(0, 3200 * Math.sin(((hourOfDay - 6) / 14) * Math.PI));
    default: return 0;
  }
}

export function dayAheadPrices(dayStart: number): PriceSlot[] {
  const slots: PriceSlot[] = [];
  for (let h = 0; h < 24; h++) {
    const evening = h >= 17 && h < 21 ? 12 : 0;
    const solarDip = h >= 10 && h < 15 ? -8 : 0;
    const night = h < 6 ? -6 : 0;
    slots.push({
      start: dayStart + h * HOUR,
      durationMs: HOUR,
      importMinorPerKWh: 28 + evening + solarDip + night,
      exportMinorPerKWh: 7,
      renewableShare: h >= 9 && h < 16 ? 0.7 : 0.3,
    });
  }
  return slots;
}

/**
 * The demo models frequency and power, nothing else of power quality: THD and unbalance are
 * "not measured" (with the reason), and its supply has no events, so its dip table is empty.
 */
function demoQuality(m: MeterView): QualityView {
  const view = qualityView(m.id, undefined, undefined, { table: EN50160_DIP_ROWS.map(() => EN50160_DIP_COLS.map(() => 0)), unclassified: 0 });
  const why = "the demo household does not model it";
  view.frequencyHz = Math.round(m.values[CODES.frequency] * 1000) / 1000;
  view.dipCount = view.swellCount = view.interruptionCount = 0;
  view.notMeasured = { thdVoltagePct: why, thdCurrentPct: why, unbalanceNegativePct: why };
  return view;
}

export class DemoHousehold {
  readonly store: HouseholdStore;
  private relays = new Map<string, boolean>(LOADS.map((l) => [l.id, true]));
  private decisions: Decision[] = [];
  private energyTodayWh = 0;
  private exportTodayWh = 0;
  /** Today's cost, each tick's energy at the price of the hour it fell in (minor units, unrounded). */
  private importMinor = 0;
  private exportMinor = 0;
  private day = -1;
  /** What the demo booked per hour (its price slots), for the Energy page and /api/energy. */
  private readonly booked = new Map<number, BookedAmount>();
  private last: number;

  constructor(private readonly clock: Clock) {
    this.last = clock.now();
    this.store = new HouseholdStore(clock, this.build(), {
      switchLoad: (id, on, actor) => this.switchLoad(id, on, actor),
      scheduleLoad: (id, durationMs, deadline, actor) => this.schedule(id, durationMs, deadline, actor),
    }, { ...HISTORY_FULL, gapMs: 10 * MINUTE }, (from, to, step) => bucketize(this.booked.values(), from, to, step)); // the demo's model is continuous: ticks up to 10 min apart are observed
  }

  /** Advances the household to the clock's time and publishes a new snapshot. */
  tick(): void {
    const now = this.clock.now();
    const snap = this.build();
    const total = snap.loads.reduce((s, l) => s + l.powerW, 0);
    const dtH = Math.max(0, now - this.last) / HOUR;
    // The tick's energy fell in (last, now]: the tick at midnight ends yesterday's last hour, so it is
    // booked into yesterday's 23:00 slot and counted in yesterday (it was booked into today's 23:00 slot
    // and today's bill, so today's hours did not add up to today's bill).
    const at = Math.max(0, now - 1);
    const day = Math.floor(at / (24 * HOUR));
    if (day !== this.day) {
      this.day = day;
      this.energyTodayWh = this.exportTodayWh = this.importMinor = this.exportMinor = 0;
    }
    const hour = new Date(at).getUTCHours();
    const slot = snap.prices[hour].start <= at ? snap.prices[hour] : dayAheadPrices(day * 24 * HOUR)[hour];
    const b = this.booked.get(slot.start) ?? { start: slot.start, importWh: 0, exportWh: 0, importMinor: 0, exportMinor: 0, slots: 1 };
    this.booked.set(slot.start, b);
    if (this.booked.size > 8 * 24) this.booked.delete(this.booked.keys().next().value!); // a week and a day
    if (total >= 0) {
      this.energyTodayWh += total * dtH;
      this.importMinor += ((total * dtH) / 1000) * slot.importMinorPerKWh;
      b.importWh += total * dtH;
      b.importMinor += ((total * dtH) / 1000) * slot.importMinorPerKWh;
    } else {
      this.exportTodayWh += -total * dtH;
      this.exportMinor += ((-total * dtH) / 1000) * slot.exportMinorPerKWh;
      b.exportWh += -total * dtH;
      b.exportMinor += ((-total * dtH) / 1000) * slot.exportMinorPerKWh;
    }
    this.last = now;
    snap.bill = this.bill(snap.bill.from, now);
    snap.energyTodayWh = this.energyTodayWh;
    snap.exportTodayWh = this.exportTodayWh;
    this.store.record("total", total, now);
    for (const l of snap.loads) this.store.record(`load:${l.id}`, l.powerW, now);
    for (const m of snap.meters) this.store.record(`meter:${m.id}`, m.values[CODES.powerNet] ?? 0, now);
    this.store.update(snap);
  }

  /** Today's bill: each tick's energy at its hour's price (the demo books as the aggregator does). */
  private bill(from: number, to: number): BillView {
    const imp = Math.round(this.importMinor), exp = -Math.round(this.exportMinor);
    return {
      currency: "EUR", from, to,
      lines: [
        { label: "Energy import (day-ahead)", quantity: Math.round(this.energyTodayWh) / 1000, unit: "kWh", amountMinor: imp },
        { label: "Export credit", quantity: Math.round(this.exportTodayWh) / 1000, unit: "kWh", amountMinor: exp },
      ],
      totalMinor: imp + exp,
      // no month forecast from a demo day
      forecastMonthMinor: 0,
    };
  }

  private switchLoad(id: string, on: boolean, actor: Decision["actor"]): ActionResult {
    if (!this.relays.has(id)) return { ok: false, error: `no load ${id}` };
    this.relays.set(id, on);
    this.decisions.push({ t: this.clock.now(), load: id, action: on ? "on" : "off", reason: `switched by ${actor}`, actor });
    this.tick();
    return { ok: true };
  }

  private schedule(id: string, durationMs: number, deadline: number, actor: Decision["actor"]): ActionResult & { startAt?: number } {
    if (!this.relays.has(id)) return { ok: false, error: `no load ${id}` };
    const now = this.clock.now();
    if (deadline - durationMs < now) return { ok: false, error: "deadline too close for the duration" };
    const startAt = deadline - durationMs;
    this.decisions.push({ t: now, load: id, action: "schedule", reason: `latest start before deadline, asked by ${actor}`, actor });
    this.tick();
    return { ok: true, startAt };
  }

  private build(): HouseholdSnapshot {
    const now = this.clock.now();
    const d = new Date(now);
    const hour = d.getUTCHours() + d.getUTCMinutes() / 60;
    const dayStart = now - (now % (24 * HOUR));
    const loads: LoadView[] = LOADS.map((l) => ({
      ...l,
      on: this.relays.get(l.id)!,
      powerW: this.relays.get(l.id) ? Math.round(nominalPower(l.id, hour, Math.floor(now / MINUTE) % 60) * 10) / 10 : 0,
    }));
    const meters: MeterView[] = [1, 2, 3, 4].map((id) => {
      const p = loads.filter((l) => l.meterId === id).reduce((s, l) => s + l.powerW, 0);
      const u = 230 + 2 * Math.sin(now / 60_000 + id);
      return {
        id,
        name: `Meter ${id}`,
        role: "slave",
        online: true,
        lastSeen: now,
        values: {
          [CODES.powerNet]: p,
          [CODES.voltage[0]]: Math.round(u * 100) / 100,
          [CODES.current[0]]: Math.round((Math.abs(p) / u) * 1000) / 1000,
          [CODES.frequency]: 50 + 0.02 * Math.sin(now / 30_000),
          [CODES.powerFactor]: 0.97,
        },
      };
    });
    const prices = dayAheadPrices(dayStart);
    const slot = prices[d.getUTCHours()];
    return {
      t: now,
      meters,
      loads,
      prices,
      grid: { renewableAvailable: slot.renewableShare > 0.5, renewableShare: slot.renewableShare, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: dayStart, pricesStale: false },
      bill: this.bill(dayStart, now),
      energyTodayWh: this.energyTodayWh,
      exportTodayWh: this.exportTodayWh,
      tariffNow: { name: "day-ahead", importMinorPerKWh: slot.importMinorPerKWh },
      decisions: this.decisions.slice(-50),
      events: [],
      alarms: [],
      tasks: [],
      quality: meters.map((m) => demoQuality(m)),
      bus: { cycles: 0, framesOk: 0, authFailures: 0, missing: [], busLoadPct: 0, lastCycleMs: 0 },
    };
  }
}
