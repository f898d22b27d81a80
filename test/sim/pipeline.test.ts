import { describe, expect, it } from "vitest";
import { runFast } from "../../hosts/node/sim/run";

// The metrology room's MeterPipeline as the slaves' front end, on 12-bit samples at 6.4 kS/s:
// 30 simulated seconds (4 meters × 192 000 samples) — the real-time mode's path.
describe("slaves measuring through the metrology pipeline", () => {
  it("report the loads' power and energy as the world has them", async () => {
    const start = Date.UTC(2026, 2, 20, 12);
    const { sim } = await runFast({ seed: 7, slaves: 4, frontEnd: "pipeline", start, durationMs: 30_000 });
    const snap = sim.aggregator.store.snapshot();
    for (const m of snap.meters) {
      const truth = sim.world.meterPower(m.id);
      const p = m.values["1-0:16.7.0"];
      expect(Math.abs(p - truth.p), `meter ${m.id}`).toBeLessThan(0.02 * Math.abs(truth.p) + 6);
      expect(m.values["1-0:32.7.0"]).toBeGreaterThan(215);
      expect(m.values["1-0:14.7.0"]).toBeCloseTo(sim.world.grid.frequencyHz, 1);
    }
    const refNet = [...sim.reference.values()].reduce((s, r) => s + r.importWh - r.exportWh, 0);
    const e = [...sim.aggregator.meterEnergy().values()].reduce((s, x) => s + x.importWh - x.exportWh, 0);
    expect(Math.abs(e - refNet)).toBeLessThan(0.05 * Math.abs(refNet) + 0.5);
  }, 60_000);
});
