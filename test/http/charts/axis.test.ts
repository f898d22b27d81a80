import { describe, expect, it } from "vitest";
import { niceScale, niceStep, timeLabel, timeTicks } from "../../../modules/http/charts/axis";

const H = 3_600_000;
const T = Date.UTC(2026, 11, 2);

describe("chart axes", () => {
  it("steps are 1, 2 or 5 times a power of ten", () => {
    for (const raw of [0.013, 0.7, 3, 17, 240, 999, 1234, 76_543]) {
      const s = niceStep(raw);
      const m = s / Math.pow(10, Math.floor(Math.log10(s) + 1e-9));
      expect([1, 2, 5, 10].some((k) => Math.abs(m - k) < 1e-9), `${raw} → ${s}`).toBe(true);
      expect(s).toBeGreaterThanOrEqual(raw * 0.999);
      expect(s).toBeLessThan(raw * 5.01);
    }
  });

  it("a scale covers the data and zero, on its step, within the tick budget", () => {
    for (const [lo, hi] of [[-2630, 2100], [0, 17.3], [18.3, 40], [229.1, 233.4]]) {
      const s = niceScale(lo, hi, 5);
      expect(s.min).toBeLessThanOrEqual(Math.min(0, lo));
      expect(s.max).toBeGreaterThanOrEqual(hi);
      expect(s.ticks.length).toBeLessThanOrEqual(7);
      for (const t of s.ticks) expect(Math.abs(t / s.step - Math.round(t / s.step))).toBeLessThan(1e-6);
    }
    const v = niceScale(229.1, 233.4, 5, false);
    expect(v.min).toBeGreaterThan(200); // a voltage trend does not start at 0
    expect(v.ticks).toEqual([229, 230, 231, 232, 233, 234]);
  });

  it("time ticks fall on round local hours and the day ends at 24:00", () => {
    const t0 = T - 60 * 60_000; // local midnight at UTC+60
    const ticks = timeTicks(t0, t0 + 24 * H, 60, 8);
    expect(ticks.map((t) => timeLabel(t, 60, t0, t0 + 24 * H))).toEqual(["00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00", "24:00"]);
    // an odd start still gets round ticks (the old graph put them at 06:25/12:23/18:22)
    const odd = timeTicks(T + 25 * 60_000 + 17_000, T + 24 * H + 25 * 60_000, 0, 4);
    expect(odd.map((t) => timeLabel(t, 0, odd[0], odd[0] + 24 * H))).toEqual(["06:00", "12:00", "18:00", "00:00"]);
    // two days: midnight is named by its weekday
    const two = timeTicks(T, T + 48 * H, 0, 4);
    expect(two.map((t) => timeLabel(t, 0, T, T + 48 * H))).toEqual(["Wed", "12:00", "Thu", "12:00", "Fri"]);
  });
});
