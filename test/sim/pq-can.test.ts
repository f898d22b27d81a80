// The simulated household over the authenticated CAN bus carries the 10-min
// aggregates too: after a UTC boundary the aggregator's store holds, for every
// slave, the same aggregate the slave latched (at the CAN resolutions), the
// dip's interval flagged; the extra bus traffic is one request per PQ10 quantity
// per boundary (plus retries for slaves that were late), not per cycle.
import { describe, expect, it } from "vitest";
import { runFast } from "../../hosts/node/sim/run";
import { PQ10_CODES, messageForCode, msgOf } from "../../modules/can/protocol";

const T0 = Date.UTC(2026, 2, 20, 10, 0);
const TEN = 600_000;

describe("the household's 10-min aggregates over the authenticated CAN link", () => {
  it("reach the aggregator's store for every slave, flagged by the dip, for a few requests per boundary", async () => {
    const pqMsgs = new Set(PQ10_CODES.map((c) => messageForCode(c)!.msg));
    const pqRequests: number[] = [];
    const pqFrames: { t: number; bits: number; ms: number }[] = [];
    const { sim } = await runFast({
      seed: 7, slaves: 3, link: "can", start: T0, durationMs: TEN + 10_000,
      grid: { dipsPerDay: 0, swellsPerDay: 0, interruptionsPerDay: 0 },
      onStart: (s) => {
        s.world.grid.addEvent({ type: "dip", start: T0 + 123_456, durationMs: 200, level: 0.7 });
        s.bus!.onTraffic((t) => {
          if (!pqMsgs.has(msgOf(t.frame.id))) return;
          if (t.frame.rtr) pqRequests.push(t.startMs);
          pqFrames.push({ t: t.startMs, bits: t.bits, ms: t.endMs - t.startMs });
        });
      },
    });
    const stored = sim.aggregator.store.aggregates();
    expect(stored.map((a) => a.meterId)).toEqual([1, 2, 3]);
    for (const a of stored) {
      const own = sim.slaves.find((s) => s.id === a.meterId)!.aggregate()!;
      expect(a).toMatchObject({ start: T0, end: T0 + TEN, flagged: true });
      expect(own).toMatchObject({ start: T0, end: T0 + TEN, flagged: true });
      expect(a.voltageV[0]).toBeCloseTo(own.voltageV[0], 2);
      expect(a.currentA[0]).toBeCloseTo(own.currentA[0], 3);
      expect(Math.abs(a.powerW[0] - own.powerW[0])).toBeLessThanOrEqual(0.05 + 1e-9);
      expect(Math.abs(a.thdCurrentPct[0] - own.thdCurrentPct[0])).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(a.frequencyHz).toBeCloseTo(own.frequencyHz, 3);
    }
    expect(sim.link.stats().authFailures).toBe(0);
    const atBoundary = pqRequests.filter((t) => t >= T0 + TEN);
    expect(atBoundary.length).toBe(PQ10_CODES.length);
    expect(atBoundary[0]).toBeGreaterThanOrEqual(T0 + TEN + 2000);
    // Its cost on the bus: one request and one answer per slave for each of the 7 quantities.
    const frames = pqFrames.filter((f) => f.t >= T0 + TEN);
    expect(frames.length).toBe(PQ10_CODES.length * (1 + 3));
    const busMs = frames.reduce((s, f) => s + f.ms, 0);
    console.log(`PQ10 over CAN, 3 slaves: ${frames.length} frames, ${frames.reduce((s, f) => s + f.bits, 0)} bits, ${busMs.toFixed(2)} ms of bus time per 10 min (${((100 * busMs) / TEN).toFixed(4)} % of the bus)`);
  }, 60_000);
});
