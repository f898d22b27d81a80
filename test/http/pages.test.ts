// Each page fed known values: what a household reads is computed from them, in plain words,
// and says "not measured" / "not known yet" where a value is missing.
import { describe, expect, it } from "vitest";
import type { Household, HouseholdSnapshot, HistoryPoint } from "../../modules/core/household";
import { CODES } from "../../modules/core/obis";
import { controlPage, dashboardPage, energyPage, pricesPage, qualityPage } from "../../modules/http/pages";

const H = 3_600_000;
const DAY0 = Date.UTC(2026, 11, 2); // local midnight is 23:00 UTC the day before at UTC+60
const NOW = DAY0 + 9.5 * H; // 10:30 local

function snap(over: Partial<HouseholdSnapshot> = {}): HouseholdSnapshot {
  return {
    t: NOW,
    meters: [{ id: 1, name: "Meter 1", role: "slave", online: true, lastSeen: NOW, values: { [CODES.powerNet]: 500, [CODES.voltage[0]]: NaN } }],
    loads: [
      { id: "fridge", name: "Fridge", meterId: 1, kind: "fixed", on: true, powerW: 80, priority: 9 },
      { id: "ev", name: "EV charger", meterId: 1, kind: "deferrable", on: false, powerW: 0, priority: 2, run: { startAt: DAY0 + 26 * H, durationMs: 2 * H, deadline: DAY0 + 29 * H, state: "planned" } },
    ],
    prices: [
      { start: DAY0 + 9 * H, durationMs: H, importMinorPerKWh: 26.84, exportMinorPerKWh: 7, renewableShare: 0.5 },
      { start: DAY0 + 10 * H, durationMs: H, importMinorPerKWh: 30, exportMinorPerKWh: 7, renewableShare: 0.5 },
      { start: DAY0 + 26 * H, durationMs: H, importMinorPerKWh: 12.05, exportMinorPerKWh: 7, renewableShare: 0.5 },
    ],
    grid: { renewableAvailable: true, renewableShare: 0.5, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: DAY0, pricesStale: false },
    bill: { currency: "EUR", from: DAY0 - H, to: NOW, lines: [{ label: "Energy", amountMinor: 41 }, { label: "Export credit", amountMinor: -54 }], totalMinor: -13, forecastMonthMinor: 4400 },
    energyTodayWh: 1500, exportTodayWh: 2000,
    tariffNow: { name: "utility table", importMinorPerKWh: 26.84 },
    decisions: [{ t: NOW - 60_000, load: "ev", action: "schedule", reason: `cheapest window before the deadline ${new Date(DAY0 + 29 * H).toISOString()}: mean 12.051 minor/kWh-equivalent (renewables weighted)`, actor: "policy" }],
    events: [], alarms: [], tasks: [],
    quality: [{ meterId: 1, frequencyHz: NaN, thdVoltagePct: [2.25], thdCurrentPct: [], unbalanceNegativePct: 0.5, dipTable: [[2, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]], swellCount: 1, interruptionCount: 0 }],
    bus: { cycles: 0, framesOk: 0, authFailures: 0, missing: [], busLoadPct: 0, lastCycleMs: 0 },
    ...over,
  };
}

/** A history with 09:00–10:00 UTC measured at 1.2 kW and nothing before (a gap). */
function household(s: HouseholdSnapshot): Household {
  return {
    snapshot: () => s,
    history: (_series, from, to, step): HistoryPoint[] => {
      const out: HistoryPoint[] = [];
      for (let t = from; t < to; t += step) {
        const measured = t >= DAY0 + 9 * H && t < NOW;
        out.push({ t, w: measured ? 1200 : NaN, wh: measured ? (1200 * step) / H : NaN });
      }
      return out;
    },
    switchLoad: () => ({ ok: true }), scheduleLoad: () => ({ ok: true }), onChange: () => () => {},
  };
}

describe("pages from known values", () => {
  it("dashboard: today's bill with a real minus, one-decimal prices, where they come from, the cheapest hour", () => {
    const html = dashboardPage({ snap: snap(), offsetMin: 60 });
    expect(html).toContain("Today's bill");
    expect(html).not.toContain("Bill to date");
    expect(html).toContain("−€0.13");
    expect(html).not.toContain("€-");
    expect(html).toContain("26.8 c/kWh");
    expect(html).toContain("from the utility&#39;s price table");
    expect(dashboardPage({ snap: snap({ tariffNow: { name: "day-ahead", importMinorPerKWh: 20 } }), offsetMin: 60 })).toContain("from the day-ahead market feed");
    expect(html).toMatch(/Cheapest coming.*12\.1 c\/kWh.*tomorrow 03:00/s);
    expect(html).toContain("not measured"); // the meter's voltage is NaN
  });

  it("energy: bars only for the measured hours, each hour's cost at its slot's price, the gap not extrapolated", () => {
    const s = snap();
    const html = energyPage({ snap: s, offsetMin: 60, household: household(s) });
    // measured 09:00–09:30 UTC (10:00–10:30 local) only: 0.6 kWh at 26.84 c = €0.16, nothing made up for the gap before
    expect(html).toContain("10:00–11:00: 0.60 kWh in, €0.16");
    expect(html.match(/<title>\d\d:00–\d\d:00/g)?.length).toBe(2); // one bar, in the wide and in the narrow drawing
    expect(html).toMatch(/26\.8 c\/kWh<\/td><td class="n">0\.60 kWh<\/td><td class="n">€0\.16/);
    expect(html).toContain("Month forecast</td><td class=\"n\">not enough data");
  });

  it("prices: tomorrow's rows under a dated heading, planned runs by name, the cheap slots tagged", () => {
    const html = pricesPage({ snap: snap(), offsetMin: 60 });
    expect(html).toMatch(/Tomorrow, Thu 3 Dec<\/th><\/tr><tr><td>03:00–04:00 <span class="tag">cheap<\/span>/);
    expect(html).toContain(">EV charger<");
    expect(html).toContain("26.8");
    expect(html).toContain("the utility&#39;s price table");
  });

  it("control: decisions in plain words with local times, no toggle for a fixed load", () => {
    const html = controlPage({ snap: snap(), offsetMin: 60, csrf: "t" });
    expect(html).toContain("EV charger planned by the price policy");
    expect(html).toContain("before the deadline tomorrow 06:00: mean 12.1 c/kWh");
    expect(html).not.toMatch(/minor|\d{4}-\d\d-\d\dT/);
    const fridge = html.slice(html.indexOf(">Fridge<"), html.indexOf(">EV charger<"));
    expect(fridge).not.toContain("<form");
    expect(html).toContain("planned for tomorrow 03:00–05:00");
  });

  it("quality: not measured where a value is missing; dips counted from the table", () => {
    const html = qualityPage({ snap: snap(), offsetMin: 60 });
    expect(html).toMatch(/Frequency<\/dt><dd>not measured/);
    expect(html).toMatch(/THD I<\/dt><dd>not measured/);
    expect(html).toMatch(/Dips<\/dt><dd>3</);
    expect(html).toMatch(/Swells<\/dt><dd>1</);
  });
});
