import type { Clock } from "../core/clock";
import { HOUR, MINUTE } from "../core/clock";
import type { ActionResult, Decision, HouseholdSnapshot, LoadView, MeterView, PriceSlot } from "../core/household";
import { CODES } from "../core/obis";
import { HouseholdStore } from "./household-store";

/**
 * A small, deterministic household with plausible values: the fixture the
 * presentation rooms (web page, display, MQTT) are developed and tested
 * against, and what `xsmeter sim` shows until the full simulator drives the
 * store from real meters. Power follows fixed daily shapes, no randomness.
 */
const LOADS: readonly Omit<LoadView, "on" | "powerW">[] = [
  { id: "fridge", name: "Fridge", meterId: 1, kind: "fixed", priority: 9 },
  { id: "washer", name: "Washing machine", meterId: 1, kind: "deferrable", priority: 3 },
  { id: "oven", name: "Oven", meterId: 2, kind: "switchable", priority: 5 },
  { id: "heatpump", name: "Heat pump", meterId: 2, kind: "switchable", priority: 4 },
  { id: "ev", name: "EV charger", meterId: 3, kind: "deferrable", priority: 2 },
  { id: "pv", name: "PV inverter", meterId: 4, kind: "generator", priority: 10 },
];

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

export class DemoHousehold {
  readonly store: HouseholdStore;
  private relays = new Map<string, boolean>(LOADS.map((l) => [l.id, true]));
  private decisions: Decision[] = [];
  private energyTodayWh = 0;
  private exportTodayWh = 0;
  private last: number;

  constructor(private readonly clock: Clock) {
    this.last = clock.now();
    this.store = new HouseholdStore(clock, this.build(), {
      switchLoad: (id, on, actor) => this.switchLoad(id, on, actor),
      scheduleLoad: (id, durationMs, deadline, actor) => this.schedule(id, durationMs, deadline, actor),
    });
  }

  /** Advances the household to the clock's time and publishes a new snapshot. */
  tick(): void {
    const now = this.clock.now();
    const snap = this.build();
    const total = snap.loads.reduce((s, l) => s + l.powerW, 0);
    const dtH = Math.max(0, now - this.last) / HOUR;
    // "today" restarts at midnight (UTC, the demo's day): the counters were never reset, so a replayed week read as one day
    if (Math.floor(now / (24 * HOUR)) !== Math.floor(this.last / (24 * HOUR))) this.energyTodayWh = this.exportTodayWh = 0;
    if (total >= 0) this.energyTodayWh += total * dtH;
    else this.exportTodayWh += -total * dtH;
    this.last = now;
    snap.energyTodayWh = this.energyTodayWh;
    snap.exportTodayWh = this.exportTodayWh;
    this.store.record("total", total, now);
    for (const l of snap.loads) this.store.record(`load:${l.id}`, l.powerW, now);
    for (const m of snap.meters) this.store.record(`meter:${m.id}`, m.values[CODES.powerNet] ?? 0, now);
    this.store.update(snap);
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
      bill: { currency: "EUR", from: dayStart, to: now, lines: [{ label: "Energy", amountMinor: Math.round((this.energyTodayWh / 1000) * slot.importMinorPerKWh) }], totalMinor: Math.round((this.energyTodayWh / 1000) * slot.importMinorPerKWh), forecastMonthMinor: 0 },
      energyTodayWh: this.energyTodayWh,
      exportTodayWh: this.exportTodayWh,
      tariffNow: { name: "day-ahead", importMinorPerKWh: slot.importMinorPerKWh },
      decisions: this.decisions.slice(-50),
      events: [],
      alarms: [],
      tasks: [],
      quality: meters.map((m) => ({ meterId: m.id, frequencyHz: m.values[CODES.frequency], thdVoltagePct: [2.1], thdCurrentPct: [8.5], unbalanceNegativePct: 0, dipTable: [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]], swellCount: 0, interruptionCount: 0 })),
      bus: { cycles: 0, framesOk: 0, authFailures: 0, missing: [], busLoadPct: 0, lastCycleMs: 0 },
    };
  }
}
