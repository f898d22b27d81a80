// The board path wired into the STPM3x front end: registers read through the driver from a fake chip,
// window records and THD from snapshots at the governor's duty, dips counted into the readings.
import { describe, expect, it } from "vitest";
import { Stpm3x } from "../../hosts/esp32/stpm3x";
import { STPM } from "../../hosts/esp32/stpm3x-registers";
import { StpmFrontEnd } from "../../hosts/esp32/stpm-front-end";
import type { BoardWindowRecord } from "../../modules/metrology/board-metrology";
import { FakeStpm3x } from "../esp32/fakes/fake-stpm3x";

const scales = { vRms: 0.01, iRms: 0.001, power: 0.5, energy: 0.25, vSample: 1, iSample: 1 };
const FS = 6400;

function setRms(chip: FakeStpm3x, v: number, i: number): void {
  chip.live[STPM.RMS1] = ((Math.round(i / scales.iRms) << 15) | Math.round(v / scales.vRms)) >>> 0;
}

describe("StpmFrontEnd with the board metrology path", () => {
  it("makes window records from the registers, takes snapshots when due, counts a dip", () => {
    const chip = new FakeStpm3x();
    const windows: BoardWindowRecord[] = [];
    let captures = 0;
    // 230 V with 5 % fifth harmonic: THD 5 %.
    const capture = (u: Float32Array, i: Float32Array, n: number): boolean => {
      captures++;
      for (let k = 0; k < n; k++) {
        const x = (2 * Math.PI * 50 * k) / FS;
        u[k] = 230 * Math.SQRT2 * (Math.sin(x) + 0.05 * Math.sin(5 * x));
        i[k] = 5 * Math.SQRT2 * Math.sin(x - 0.3);
      }
      return true;
    };
    const fe = new StpmFrontEnd(new Stpm3x(chip, scales), scales.energy, 0, {
      nominalVoltage: 230, nominalFrequency: 50, snapshotRate: FS, measurePeriodMs: 1000, capture, budget: 600_000,
      onWindow: (w) => windows.push(JSON.parse(JSON.stringify(w))),
    });
    const interval = fe.metrology!.governor.interval;
    expect(interval).toBeGreaterThan(1); // 1 window/s: ⌈0.9 M / (600 k − 3.5 k window − 35 k driver reads)⌉ = 2
    chip.live[STPM.PH1_ACTIVE_POWER] = 2000; // × 0.5 W
    chip.live[STPM.PH1_APPARENT_POWER] = 2300;
    for (let s = 1; s <= 6; s++) {
      setRms(chip, s === 4 ? 150 : 230, 5);
      fe.measure(s * 1000);
    }
    expect(windows).toHaveLength(6);
    expect(windows[0].u[0]).toBeCloseTo(230, 9);
    expect(windows[0].p[0]).toBe(1000);
    expect(captures).toBe(Math.floor(6 / interval));
    const r = fe.readings();
    expect(r.thdVoltagePct).toBeCloseTo(5, 2);
    expect(r.thdCurrentPct).toBeLessThan(0.01);
    expect(windows[5].harmonicsAge[0]).toBeGreaterThanOrEqual(0);
    expect(r.dips).toBe(1);
    expect(r.lastEvent).toMatchObject({ type: "dip", extremeV: 150, start: 4000, durationMs: 1000 });
    expect(windows.map((w) => w.flagged)).toEqual([false, false, false, true, true, false]);
  });

  it("spreads a snapshot's analysis over measure() calls with snapshotSteps", () => {
    const chip = new FakeStpm3x();
    setRms(chip, 230, 5);
    const capture = (u: Float32Array, i: Float32Array, n: number): boolean => {
      for (let k = 0; k < n; k++) { const x = (2 * Math.PI * 50 * k) / FS; u[k] = 325 * (Math.sin(x) + 0.04 * Math.sin(3 * x)); i[k] = 7 * Math.sin(x); }
      return true;
    };
    const fe = new StpmFrontEnd(new Stpm3x(chip, scales), scales.energy, 0, { nominalVoltage: 230, nominalFrequency: 50, snapshotRate: FS, measurePeriodMs: 200, capture, budget: 5_000_000, snapshotSteps: 1 });
    expect(fe.metrology!.governor.interval).toBe(1);
    let s = 0;
    fe.measure(++s * 200); // captures, begins and runs step 1
    expect(fe.metrology!.analyzer.busy).toBe(true);
    while (fe.metrology!.analyzer.busy) fe.measure(++s * 200);
    expect(s).toBeGreaterThanOrEqual(4);
    expect(fe.readings().thdVoltagePct).toBeCloseTo(4, 2);
  });

  it("counts a failed capture and keeps the last THD", () => {
    const chip = new FakeStpm3x();
    setRms(chip, 230, 5);
    const fe = new StpmFrontEnd(new Stpm3x(chip, scales), scales.energy, 0, { nominalVoltage: 230, nominalFrequency: 50, snapshotRate: FS, measurePeriodMs: 200, capture: () => false, budget: 5_000_000 });
    for (let s = 1; s <= 10; s++) fe.measure(s * 200);
    expect(fe.snapshotFailures).toBeGreaterThan(0);
    expect(fe.readings().thdVoltagePct).toBe(0);
    expect(fe.metrology!.analyzer.at[0]).toBe(-1);
  });
});
