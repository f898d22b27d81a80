import { describe, expect, it } from "vitest";
import { MINUTE } from "../../modules/core/clock";
import { canId, messageForCode } from "../../modules/can/protocol";
import { runFast } from "../../hosts/node/sim/run";

const START = Date.UTC(2026, 2, 20, 12);

interface Report {
  meters: { id: number; importWh: number; exportWh: number }[];
  reference: { importWh: number; exportWh: number }[];
  bus: { cycles: number; framesOk: number; busLoadPct: number; polls: { id: number; polled: number; answered: number }[]; events: { t: string; kind: string; meterId: number }[] };
  authFailures: number;
  alarms: { kind: string; message: string }[];
}

// The app over the CAN room's authenticated master/slaves on the bit-timed virtual bus
// (13 quantities × 4 slaves per 1 s cycle): a few simulated minutes keep it fast.
describe("the household over the authenticated CAN link", () => {
  it("polls every slave every cycle with no authentication failure, and books their energy", async () => {
    const { report } = await runFast({ seed: 7, slaves: 4, link: "can", start: START, durationMs: 5 * MINUTE });
    const r = report as Report;
    expect(r.authFailures).toBe(0);
    // The first aggregator cycle has no completed CAN cycle yet; every later one has all four.
    for (const p of r.bus.polls) {
      expect(p.polled).toBe(5 * 60);
      expect(p.answered).toBe(5 * 60 - 1);
    }
    expect(r.bus.framesOk).toBeGreaterThanOrEqual(4 * 13 * (5 * 60 - 1));
    expect(r.bus.busLoadPct).toBeGreaterThan(1);
    // Energy crosses the bus in whole Wh (the OBIS scaler of 1.8.0): within a few Wh of the truth.
    const metersNet = r.meters.reduce((s, m) => s + m.importWh - m.exportWh, 0);
    const refNet = r.reference.reduce((s, x) => s + x.importWh - x.exportWh, 0);
    expect(Math.abs(metersNet - refNet)).toBeLessThan(4 * 1 + 4 * 2); // rounding + one cycle of lag
  });

  it("reports a slave taken off the bus missing, and back", async () => {
    const { report } = await runFast({
      seed: 7, slaves: 4, link: "can", start: START, durationMs: 5 * MINUTE,
      during: (s, t) => {
        if (t - START === MINUTE) s.setOnBus(3, false);
        if (t - START === 3 * MINUTE) s.setOnBus(3, true);
      },
    });
    const r = report as Report;
    expect(r.bus.events.filter((e) => e.meterId === 3).map((e) => e.kind)).toEqual(["missing", "back"]);
    expect(r.authFailures).toBe(0);
    const p3 = r.bus.polls.find((p) => p.id === 3)!;
    expect(p3.answered).toBeLessThan(p3.polled - 110);
  });

  it("detects an attacker node forging a slave's answers", async () => {
    const { report, sim } = await runFast({
      seed: 7, slaves: 4, link: "can", start: START, durationMs: 2 * MINUTE,
      onStart: (s, clock) => {
        const attacker = s.bus!.attach("attacker");
        const power = messageForCode("1-0:16.7.0")!;
        // Every 10 s a forged "meter 2 exports 9 kW" with a guessed MAC.
        clock.every(10_000, () => {
          const data = new Uint8Array([0x28, 0x23, 0xfe, 0xff, 0x11, 0xde, 0xad, 0x00]);
          attacker.send({ id: canId(power.msg, 2), extended: false, rtr: false, dlc: 8, data });
        });
      },
    });
    const r = report as Report;
    expect(r.authFailures).toBeGreaterThanOrEqual(10);
    expect(r.alarms.some((a) => a.kind === "auth")).toBe(true);
    // The forged value never reached the household.
    expect(sim.aggregator.store.snapshot().meters.find((m) => m.id === 2)!.values["1-0:16.7.0"]).toBeGreaterThan(-9000);
  });
});
