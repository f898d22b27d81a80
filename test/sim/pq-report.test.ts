// The sim report's 10-min PQ summary: every interval the aggregator received,
// the flagged ones counted, and the EN 50160-style voltage figures taken over
// unflagged intervals only (an 8 s interruption drags its interval's 10-min
// voltage below every other one; it must not be the reported minimum).
import { describe, expect, it } from "vitest";
import { runFast } from "../../hosts/node/sim/run";

const T0 = Date.UTC(2026, 2, 20, 10, 0);
const TEN = 600_000;

describe("sim report: 10-min PQ summary", () => {
  it("counts intervals and flags, and leaves flagged intervals out of the voltage statistics", async () => {
    const { sim, report } = await runFast({
      seed: 5, slaves: 2, start: T0, durationMs: 3 * TEN + 5000,
      grid: { dipsPerDay: 0, swellsPerDay: 0, interruptionsPerDay: 0 },
      onStart: (s) => s.world.grid.addEvent({ type: "interruption", start: T0 + TEN + 100_000, durationMs: 8000, level: 0 }),
    });
    const summary = (report as { pq10min: { id: number; intervals: number; flagged: number; voltageWithin10PctShare: number; voltageMinV: number; voltageMaxV: number }[] }).pq10min;
    expect(summary.map((m) => [m.id, m.intervals, m.flagged])).toEqual([[1, 3, 1], [2, 3, 1]]);
    for (const m of summary) {
      const mine = sim.pqHistory.filter((a) => a.meterId === m.id);
      const flagged = mine.find((a) => a.flagged)!;
      expect(flagged.start).toBe(T0 + TEN);
      const clean = mine.filter((a) => !a.flagged).map((a) => a.voltageV[0]);
      expect(flagged.voltageV[0]).toBeLessThan(Math.min(...clean) - 1); // 8 s of 0 V in 600 s: ≈ −1.5 V
      expect(m.voltageMinV).toBeCloseTo(Math.min(...clean), 3);
      expect(m.voltageMaxV).toBeCloseTo(Math.max(...clean), 3);
      expect(m.voltageWithin10PctShare).toBe(1);
    }
  });
});
