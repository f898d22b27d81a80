// Phase correction: a current transducer that lags by 1.5° at 50 Hz (a constant time delay, so
// harmonic h lags by h·1.5°) is corrected by delaying the voltage channel. The correction must
// restore P without attenuating the delayed channel's harmonics.
import { describe, expect, it } from "vitest";
import { MeterPipeline } from "../../modules/metrology/meter";
import { synth, type Tone } from "./signal";

const FS = 6400, LAG = 1.5;

function measure(phaseDeg: number) {
  const u: Tone[] = [{ h: 1, rms: 230, deg: 0 }, { h: 13, rms: 23, deg: 0 }, { h: 39, rms: 5, deg: 0 }];
  const trueI: Tone[] = [{ h: 1, rms: 10, deg: -30 }, { h: 13, rms: 2, deg: 40 }];
  const lagged = trueI.map((t) => ({ ...t, deg: t.deg - t.h * LAG }));
  const data = synth([{ u, i: lagged }], { fs: FS, f: 50, seconds: 1 });
  let p = 0, u13 = 0, u39 = 0, windows = 0;
  const m = new MeterPipeline(
    { phases: 1, sampleRate: FS, nominalVoltage: 230, nominalFrequency: 50, calibration: [{ u: { gain: 1, offset: 0 }, i: { gain: 1, offset: 0 }, phaseDeg }] },
    { onWindow: (w) => { if (++windows === 3) { p = w.p[0]; u13 = m.harmonics.u[0][13]; u39 = m.harmonics.u[0][39]; } } },
  );
  m.push(data, data.length / 2);
  const trueP = trueI.reduce((a, t) => a + u.find((v) => v.h === t.h)!.rms * t.rms * Math.cos(((0 - t.deg) * Math.PI) / 180), 0);
  return { p, trueP, u13, u39 };
}

describe("phase correction", () => {
  it("without correction the transducer's lag shows as a P error (the test can fail)", () => {
    const r = measure(0);
    expect(Math.abs(r.p - r.trueP) / r.trueP).toBeGreaterThan(0.005);
  });

  it("a 1.5° correction restores P and keeps the delayed voltage's harmonics at full amplitude", () => {
    const r = measure(LAG);
    expect(Math.abs(r.p - r.trueP) / r.trueP).toBeLessThan(2e-4);
    // Linear interpolation by 0.53 samples read 21.84 V here and 2.9 V at H39.
    expect(Math.abs(r.u13 - 23) / 23).toBeLessThan(2e-3);
    expect(Math.abs(r.u39 - 5) / 5).toBeLessThan(5e-3);
  });

  it("a negative correction delays the current instead, with the same accuracy", () => {
    const r = measure(-LAG);
    // The current now lags by 3°: P is wrong by that, but the voltage is untouched.
    expect(Math.abs(r.u13 - 23) / 23).toBeLessThan(2e-3);
    expect(Math.abs(r.p - r.trueP) / r.trueP).toBeGreaterThan(0.005);
  });
});
