// Each page fed known values: what a household reads is computed from them, in plain words,
// and says "not measured" / "not known yet" where a value is missing.
import { describe, expect, it } from "vitest";
import type { Household, HouseholdSnapshot, HistoryPoint } from "../../modules/core/household";
import { CODES } from "../../modules/core/obis";
import { controlPage, dashboardPage, energyPage, pricesPage, qualityPage } from "../../modules/http/pages";
import { EN50160_DIP_COLS, EN50160_DIP_ROWS } from "../../modules/metrology/events";
import { bucketize, type BookedAmount } from "../../modules/app/energy-buckets";

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
    quality: [{ meterId: 1, frequencyHz: null, thdVoltagePct: [2.25], thdCurrentPct: [], unbalanceNegativePct: 0.5, notMeasured: { frequencyHz: "no answer yet", thdCurrentPct: "not reported" }, dipTable: [[2, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]], dipRows: EN50160_DIP_ROWS, dipCols: EN50160_DIP_COLS, dipsUnclassified: 0, dipCount: 3, swellCount: 1, interruptionCount: 0 }],
    bus: { cycles: 0, framesOk: 0, authFailures: 0, missing: [], busLoadPct: 0, lastCycleMs: 0 },
    ...over,
  };
}

/**
 * The booking of the UTC day: 09:00–09:15 and 09:15–09:30 imported at 26.84 c (0.3 kWh each, 8.052 c
 * each: booked together 16 c, each rounded alone 8 + 8 = 16 only by chance), 10:00–10:15 exported
 * 0.5 kWh at 7 c (−3.5 c) and nothing before 09:00 (a gap, not extrapolated). A history that
 * says 1.2 kW over the whole morning: the page must not draw its energy from it.
 */
const BOOKED: BookedAmount[] = [
  { start: DAY0 + 9 * H, importWh: 300, exportWh: 0, importMinor: 8.052, exportMinor: 0, slots: 1 },
  { start: DAY0 + 9.25 * H, importWh: 300, exportWh: 0, importMinor: 8.052, exportMinor: 0, slots: 1 },
  { start: DAY0 + 10 * H, importWh: 0, exportWh: 500, importMinor: 0, exportMinor: 3.5, slots: 1 },
];

function household(s: HouseholdSnapshot): Household {
  return {
    snapshot: () => s,
    history: (_series, from, to, step): HistoryPoint[] => {
      const out: HistoryPoint[] = [];
      for (let t = from; t < to; t += step) out.push({ t, w: 1200, wh: (1200 * step) / H });
      return out;
    },
    energy: (from, to, step) => bucketize(BOOKED, from, to, step),
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

  it("energy: bars and rows from the booking only (not the history), hours adding up to the bill, the gap not extrapolated", () => {
    // the bill of this booking: import round(16.104) = 16, export −round(3.5) = −4 → €0.12
    const s = snap({ bill: { currency: "EUR", from: DAY0 + 9 * H, to: NOW, lines: [{ label: "Energy import", amountMinor: 16 }, { label: "Export credit", amountMinor: -4 }], totalMinor: 12, forecastMonthMinor: 0 } });
    const html = energyPage({ snap: s, offsetMin: 60, household: household(s) });
    // 09:00–10:00 UTC is 10:00–11:00 local: 0.60 kWh in at the booked 16 c; 11:00–12:00 local exported 0.5 kWh, −4 c
    expect(html).toContain("10:00–11:00: 0.60 kWh in, €0.16");
    expect(html).toContain("11:00–12:00: 0.00 kWh in, 0.50 kWh out, −€0.04");
    expect(html.match(/<title>\d\d:00–\d\d:00/g)?.length).toBe(4); // two booked hours, in the wide and in the narrow drawing
    const section = (title: string) => html.slice(html.indexOf(title), html.indexOf("</table>", html.indexOf(title)));
    const cents = (x: string) => [...x.matchAll(/(−?)€(\d+\.\d\d)/g)].map((m) => (m[1] ? -1 : 1) * Math.round(Number(m[2]) * 100));
    expect(cents(section("Today by hour"))).toEqual([16, -4]);
    expect(cents(section("Per day"))).toEqual([12]);
    expect(html).toContain("The hours together: €0.12 = today's bill");
    expect(html).toContain("the bill's day begins at 01:00"); // UTC+1: the booking day starts at 01:00 local
    expect(html).not.toMatch(/1\.20 kWh/); // nothing of the history's 1.2 kW × 1 h
    expect(html).toContain("Month forecast</td><td class=\"n\">not enough data");
  });

  it("energy: a household that books nothing per interval says so instead of drawing bars", () => {
    const s = snap();
    const { energy: _none, ...plain } = household(s);
    const html = energyPage({ snap: s, offsetMin: 60, household: plain });
    expect(html).not.toContain("<svg");
    expect(html).toContain("energy per hour and per day are not known here");
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
    expect(html).toMatch(/Frequency<\/dt><dd><span class="mut" title="no answer yet">not measured/);
    expect(html).toMatch(/THD I<\/dt><dd><span class="mut" title="not reported">not measured/);
    expect(html).toMatch(/Dips<\/dt><dd>3</);
    expect(html).toMatch(/Swells<\/dt><dd>1</);
  });
});
