// The household the screenshots and the layout tests show: DemoHousehold on a virtual clock,
// run minute by minute through six days and today until 18:30 (UTC+60 min), with what the demo
// does not make itself added as the aggregator would hand it over — tomorrow's prices, a planned
// EV run, 10-min PQ aggregates every 10 minutes (from the demo meters' own voltage and frequency)
// and two supply events. Deterministic: the same pictures on every run.
import { DAY, HOUR, MINUTE } from "../../modules/core/clock";
import type { Household, HouseholdSnapshot, PqAggregate, PqEventView } from "../../modules/core/household";
import { CODES } from "../../modules/core/obis";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { en50160Cell } from "../../modules/metrology/events";
import { DemoHousehold, dayAheadPrices } from "../../modules/app/demo-household";

export const PICTURE_DAY = Date.UTC(2026, 11, 2);
export const PICTURE_OFFSET_MIN = 60;

export interface PictureHousehold {
  clock: VirtualClock;
  demo: DemoHousehold;
  household: Household;
  events: PqEventView[];
  /** Runs the days up to the picture's time (start the web server first, so it sees every 10-min aggregate). */
  replay(): void;
}

export function pictureHousehold(): PictureHousehold {
  const clock = new VirtualClock(PICTURE_DAY - 6 * DAY);
  const demo = new DemoHousehold(clock);
  const end = PICTURE_DAY + 17.5 * HOUR; // 18:30 local
  const replay = () => {
    for (let t = clock.now(); t <= end; t += MINUTE) {
      clock.runUntil(t);
      demo.tick();
      if (t % (10 * MINUTE) === 0) for (const m of demo.store.snapshot().meters) demo.store.setAggregate(aggregate(m.id, t, m.values));
    }
  };
  const t = end;
  const events: PqEventView[] = [
    // the cells as the aggregator computes them (EN 50160, of 230 V); the dip seen by both meters is one event
    { type: "dip", meterId: 2, meters: [2, 1], phase: 1, start: t - 5 * HOUR, durationMs: 120, extremeV: 161, cell: en50160Cell("dip", 161 / 230, 0.12) },
    { type: "swell", meterId: 1, meters: [1], phase: 1, start: t - 2 * HOUR, durationMs: 40, extremeV: 262, cell: en50160Cell("swell", 262 / 230, 0.04) },
  ];
  const tomorrow = dayAheadPrices(PICTURE_DAY + DAY).map((p) => ({ ...p, importMinorPerKWh: p.importMinorPerKWh - 1.7 + (p.start / HOUR % 3) * 0.45 }));
  const extra = (s: HouseholdSnapshot): HouseholdSnapshot => ({
    ...s,
    prices: [...s.prices, ...tomorrow],
    events,
    loads: s.loads.map((l) => (l.id === "ev" ? { ...l, run: { startAt: PICTURE_DAY + DAY + 1 * HOUR, durationMs: 3 * HOUR, deadline: PICTURE_DAY + DAY + 5.5 * HOUR, state: "planned" } } : l)),
    decisions: [
      { t: t - 3 * HOUR, load: "heatpump", action: "shed", reason: "price 40.00 ct/kWh in the day's top 10 % (≥ 38.50)", actor: "policy" },
      { t: t - 40 * MINUTE, load: "ev", action: "schedule", reason: `3 consecutive cheapest quarter-hours before ${new Date(PICTURE_DAY + DAY + 5.5 * HOUR).toISOString()}, mean 20.10 ct/kWh, first at ${new Date(PICTURE_DAY + DAY + HOUR).toISOString()}`, actor: "user" },
      ...s.decisions,
    ],
  });
  const household: Household = {
    snapshot: () => extra(demo.store.snapshot()),
    now: () => clock.now(),
    energy: (from, to, step) => demo.store.energy(from, to, step),
    history: (series, from, to, step) => demo.store.history(series, from, to, step),
    switchLoad: (id, on, actor) => demo.store.switchLoad(id, on, actor),
    scheduleLoad: (id, d, deadline, actor) => demo.store.scheduleLoad(id, d, deadline, actor),
    onChange: (l) => demo.store.onChange(l),
  };
  return { clock, demo, household, events, replay };
}

/** A 10-min aggregate with smooth daily shapes (the demo's instantaneous voltage wobbles by the minute, which a 10-min RMS would not show). */
function aggregate(meterId: number, end: number, v: Record<string, number>): PqAggregate {
  const h = (end % DAY) / HOUR;
  const evening = Math.max(0, Math.sin(((h - 16) / 8) * Math.PI));
  return {
    meterId, start: end - 10 * MINUTE, end,
    voltageV: [231 + 0.4 * meterId - 2.2 * evening + 1.2 * Math.max(0, Math.sin(((h - 9) / 8) * Math.PI))], currentA: [v[CODES.current[0]] ?? 0], powerW: [v[CODES.powerNet] ?? 0],
    thdVoltagePct: [1.8 + 0.9 * evening + meterId * 0.1], thdCurrentPct: [8.5],
    frequencyHz: 50 + 0.012 * Math.sin((end / HOUR) * 1.3) + 0.004 * meterId, flagged: false,
  };
}
