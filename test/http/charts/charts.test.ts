import { describe, expect, it } from "vitest";
import type { PriceSlot } from "../../../modules/core/household";
import { barsSvg } from "../../../modules/http/charts/bar-chart";
import { cheapSlots, priceSvg } from "../../../modules/http/charts/price-chart";
import { PqTrend, TREND_CAPACITY } from "../../../modules/http/charts/pq-trend";
import { powerSvg } from "../../../modules/http/charts/power-chart";
import { NARROW, WIDE } from "../../../modules/http/charts/svg";

const H = 3_600_000;
const T0 = Date.UTC(2026, 11, 2);

function slots(prices: number[], start = T0, ms = H): PriceSlot[] {
  return prices.map((p, i) => ({ start: start + i * ms, durationMs: ms, importMinorPerKWh: p, exportMinorPerKWh: 7, renewableShare: 0.3 }));
}

describe("the SVG charts", () => {
  it("a power curve in W or kW, with export below zero and 'not measured yet' when empty", () => {
    const pts = Array.from({ length: 24 }, (_, i) => ({ t: T0 + i * H, w: i < 12 ? 2500 : -1200, wh: 0 }));
    const svg = powerSvg({ points: pts, t0: T0, t1: T0 + 24 * H, now: T0 + 23 * H, offsetMin: 0, title: "t" }, WIDE);
    expect(svg).toContain(">2 kW<");
    expect(svg).toContain(">−2 kW<");
    expect(svg).toContain(">now<");
    expect(powerSvg({ points: [], t0: T0, t1: T0 + 24 * H, now: T0, offsetMin: 0, title: "t" }, NARROW)).toContain("not measured yet");
  });

  it("bars carry their cost where it fits, and the narrow drawing stays small", () => {
    const bars = Array.from({ length: 7 }, (_, i) => ({ t: T0 + i * 86_400_000, ms: 86_400_000, importWh: 10_000 + i * 1000, exportWh: 3000, cost: `€${i}.50`, label: `d${i}` }));
    const svg = barsSvg({ bars, t0: T0, t1: T0 + 7 * 86_400_000, offsetMin: 0, title: "days", dayLabels: (t) => `D${new Date(t).getUTCDate()}` }, WIDE);
    for (let i = 0; i < 7; i++) expect(svg).toContain(`>€${i}.50<`);
    expect(svg.match(/<rect /g)?.length).toBe(14);
    expect(svg).toContain(">D2<");
    expect(barsSvg({ bars, t0: T0, t1: T0 + 7 * 86_400_000, offsetMin: 0, title: "days" }, NARROW).length).toBeLessThan(6000);
  });

  it("the cheap slots are the cheapest quarter of those not yet over, and planned runs are drawn with their names", () => {
    const s = slots([30, 10, 12, 40, 8, 9, 50, 35]);
    expect([...cheapSlots(s, T0)].sort()).toEqual([T0 + 4 * H, T0 + 5 * H]);
    expect([...cheapSlots(s, T0 + 6 * H)]).toEqual([T0 + 7 * H]); // only the coming slots count
    const svg = priceSvg({ slots: s, runs: [{ name: "EV charger", start: T0 + 4 * H, end: T0 + 6 * H }], now: T0 + H, t0: T0, t1: T0 + 8 * H, offsetMin: 0, title: "p" }, WIDE);
    expect(svg.match(/fill="#1a7f3722"/g)?.length).toBe(2);
    expect(svg).toContain(">EV charger<");
    expect(priceSvg({ slots: [], runs: [], now: T0, t0: T0, t1: T0 + 24 * H, offsetMin: 0, title: "p" }, NARROW)).toContain("no prices known yet");
  });

  it("the trend keeps each new 10-min aggregate once, at most a day of them per meter", () => {
    const trend = new PqTrend();
    const a = (end: number) => ({ meterId: 2, start: end - 600_000, end, voltageV: [230], currentA: [1], powerW: [1], thdVoltagePct: [2], thdCurrentPct: [3], frequencyHz: 50, flagged: false });
    for (let k = 1; k <= TREND_CAPACITY + 10; k++) {
      trend.take([a(T0 + k * 600_000)]);
      trend.take([a(T0 + k * 600_000)]); // the same one handed over again
    }
    expect(trend.of(2).length).toBe(TREND_CAPACITY);
    expect(trend.of(2)[0].end).toBe(T0 + 11 * 600_000);
  });
});
