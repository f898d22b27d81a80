// THDi below the current threshold: an idle channel's spectrum is ADC noise over a noise
// fundamental, so THDi reads 0 there instead of thousands of percent.
import { describe, expect, it } from "vitest";
import { MeterPipeline, type MeterConfig } from "../../modules/metrology/meter";
import { synth } from "./signal";

function thdi(currentRms: number, extra: Partial<MeterConfig> = {}): number {
  const i = currentRms > 0 ? [{ h: 1, rms: currentRms, deg: 0 }, { h: 5, rms: currentRms / 10, deg: 30 }] : [];
  const data = synth([{ u: [{ h: 1, rms: 230, deg: 0 }], i }], { fs: 6400, f: 50, seconds: 0.8, noise: 0.02, seed: 3 });
  let got = NaN, n = 0;
  const m = new MeterPipeline({ phases: 1, sampleRate: 6400, nominalVoltage: 230, nominalFrequency: 50, ...extra }, { onWindow: (w) => { if (++n === 2) got = w.thdi[0]; } });
  m.push(data, data.length / 2);
  return got;
}

describe("THDi current threshold", () => {
  it("a loaded channel reads its THDi (10 % of H5)", () => {
    expect(thdi(2)).toBeCloseTo(10, 1);
  });
  it("an idle channel (noise only) reads 0 by default, and noise-over-noise when the threshold is removed", () => {
    expect(thdi(0)).toBe(0);
    expect(thdi(0.2)).toBe(0);
    expect(thdi(0, { thdiMinCurrent: 0 })).toBeGreaterThan(100);
  });
});
