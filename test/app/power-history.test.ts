// PowerHistory (modules/app/power-history.ts): what a board keeps per series, answers from
// the coarser tier once the fine one has moved on, energy summed from what was measured
// (a gap is marked partial, never extrapolated), and configurations that cannot work refused.
import { describe, expect, it } from "vitest";
import { HISTORY_BOARD, HISTORY_FULL, PowerHistory, historyBytes, historyProblem } from "../../modules/app/power-history";

const T0 = Date.UTC(2026, 2, 20);
const MIN = 60_000, HOUR = 3_600_000, DAY = 24 * HOUR;

describe("sizes per board", () => {
  it("a board without PSRAM keeps ≤ 16 KB per series; the host/PSRAM configuration keeps a day of minutes and a week of quarter hours", () => {
    const board = new PowerHistory(HISTORY_BOARD);
    expect(board.bytes).toBe(historyBytes(HISTORY_BOARD));
    expect(board.bytes).toBeLessThanOrEqual(16 * 1024);
    expect(board.bytes).toBe((240 + 672) * 16);
    expect(new PowerHistory(HISTORY_FULL).bytes).toBe((1440 + 672) * 16);
    // the old single tier: 7 d × 1440 min × 16 B = 161 KB per series
    expect(7 * 1440 * 16).toBeGreaterThan(10 * board.bytes);
    console.log(`history per series: board ${board.bytes} B (1-min × 4 h + 15-min × 7 d), full ${historyBytes(HISTORY_FULL)} B; was ${7 * 1440 * 16} B`);
  });

  it("refuses tiers that cannot work, with the reason", () => {
    expect(historyProblem({ tiers: [] })).toMatch(/at least one/);
    expect(historyProblem({ tiers: [{ stepMs: MIN, capacity: 10 }, { stepMs: 90_000, capacity: 10 }] })).toMatch(/multiple/);
    expect(historyProblem({ tiers: [{ stepMs: 10, capacity: 10 }] })).toMatch(/at least 1 s/);
    expect(() => new PowerHistory({ tiers: [{ stepMs: MIN, capacity: 1e9 }] })).toThrow(/capacity/);
  });
});

describe("queries", () => {
  it("a week at 10 s on the board's tiers: yesterday from the 15-min tier, the last hours at 1 min, energy exact", () => {
    const h = new PowerHistory({ ...HISTORY_BOARD, gapMs: 15_000 });
    const power = (t: number) => 500 + 400 * Math.sin((2 * Math.PI * (t - T0)) / DAY); // W
    let t = T0;
    const end = T0 + 7 * DAY;
    for (; t <= end; t += 10_000) h.add(t, power(t), Math.round((power(t - 10_000) * 10_000) / 3600)); // counters' 10 s delta, mWh
    // 30 h ago: the fine tier (4 h) no longer holds it; an hour bucket answers from the quarter hours.
    const [old] = h.query(end - 30 * HOUR, end - 29 * HOUR, HOUR);
    expect(old.resMs).toBe(15 * MIN);
    expect(old.partial).toBe(false);
    let want = 0;
    for (let x = end - 30 * HOUR + 10_000; x <= end - 29 * HOUR; x += 10_000) want += Math.round((power(x - 10_000) * 10_000) / 3600);
    expect(old.wh).toBeCloseTo(want / 1000, 6);
    // A 1-min bucket there: only the mean of its quarter hour, its energy not made up.
    const [fine] = h.query(end - 30 * HOUR, end - 30 * HOUR + MIN, MIN);
    expect(fine.resMs).toBe(15 * MIN);
    expect(Number.isNaN(fine.wh)).toBe(true);
    expect(fine.w).toBeGreaterThan(0);
    // The last hour per minute, from the fine tier.
    const last = h.query(end - HOUR, end, MIN);
    expect(last.every((p) => p.resMs === MIN && !p.partial)).toBe(true);
    expect(last[30].w).toBeCloseTo(power(end - HOUR + 30 * MIN + 30_000), -1);
    // The whole week per day still answers (coarse tier: 7 days).
    const days = h.query(end - 7 * DAY, end, DAY);
    expect(days.slice(1).every((d) => Number.isFinite(d.wh))).toBe(true);
  });

  it("a gappy hour sums what was measured and says partial; a plug's power is integrated over observed time only", () => {
    const h = new PowerHistory({ ...HISTORY_FULL, gapMs: 5000 });
    const plug = new PowerHistory({ ...HISTORY_FULL, gapMs: 5000 });
    for (let t = T0; t <= T0 + HOUR; t += 1000) {
      const gap = t > T0 + 20 * MIN && t < T0 + 40 * MIN; // nothing heard for 20 min
      if (gap) continue;
      // The meter's counter delta since its previous answer: after the gap it carries the gap's energy.
      const since = t === T0 + 40 * MIN ? 20 * MIN : 1000;
      h.add(t, 1800, t === T0 ? 0 : Math.round((1800 * since) / 3600));
      plug.add(t, 1800);
    }
    const [b] = h.query(T0, T0 + HOUR, HOUR);
    expect(b.partial).toBe(true);
    expect(b.coveredMs).toBe(HOUR - 20 * MIN);
    expect(b.wh).toBeCloseTo(1800, 6); // the counters say 1.8 kWh flowed: all of it, no more
    const [p] = plug.query(T0, T0 + HOUR, HOUR);
    expect(p.partial).toBe(true);
    expect(p.wh).toBeCloseTo(1800 * (40 / 60), 3); // measured 40 min at 1800 W: the gap not filled in
    expect(p.wh).toBeLessThan(b.wh);
  });
});
