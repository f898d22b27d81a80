// The snapshot capture's TypeScript fallback (hosts/esp32/snapshot-spi-capture.ts) against the
// register-level fake STPM3x: a known harmonic signal in the chip's V1_DATA/C1_DATA goes through the
// SPI frames, the board's StpmFrontEnd and its SnapshotAnalyzer, and the THD comes out within
// tolerance on the board path; a line that keeps failing its CRC fails the capture, not the meter.
import { describe, expect, it } from "vitest";
import { Stpm3x } from "../../hosts/esp32/stpm3x";
import { STPM } from "../../hosts/esp32/stpm3x-registers";
import { StpmFrontEnd } from "../../hosts/esp32/stpm-front-end";
import { spiSnapshotCapture } from "../../hosts/esp32/snapshot-spi-capture";
import { FakeStpm3x } from "./fakes/fake-stpm3x";

const FS = 6400;
const scales = { vRms: 0.01, iRms: 0.001, power: 0.5, energy: 0.25, vSample: 5e-5, iSample: 2e-6 };
// 230 V with 5 % 3rd and 3 % 5th harmonic (THDu 5.83 %); 7 A lagging 0.3 rad with 10 % 3rd (THDi 10 %)
const U1 = 230 * Math.SQRT2, I1 = 7 * Math.SQRT2;
const THDU = 100 * Math.hypot(0.05, 0.03), THDI = 10;

function harmonicChip(): FakeStpm3x {
  const chip = new FakeStpm3x();
  chip.live[STPM.RMS1] = ((Math.round(7 / scales.iRms) << 15) | Math.round(230 / scales.vRms)) >>> 0;
  chip.waveform = (k) => {
    const x = (2 * Math.PI * 50 * k) / FS;
    const u = U1 * (Math.sin(x) + 0.05 * Math.sin(3 * x) + 0.03 * Math.sin(5 * x));
    const i = I1 * (Math.sin(x - 0.3) + 0.1 * Math.sin(3 * (x - 0.3)));
    return [u / scales.vSample, i / scales.iSample];
  };
  return chip;
}

describe("spiSnapshotCapture (the fallback: SPI reads from JavaScript)", () => {
  it("reads the chip's instantaneous samples, sign and scale included, 7 frames per sample", () => {
    const chip = harmonicChip();
    const capture = spiSnapshotCapture(new Stpm3x(chip, scales), scales);
    const u = new Float32Array(128), i = new Float32Array(128);
    const before = chip.transfers;
    expect(capture(u, i, 128)).toBe(true); // one 50 Hz cycle
    expect(chip.transfers - before).toBe(128 * 7); // latch = read CR3 (2) + write (1); V1 and C1 (2 each)
    for (const k of [0, 5, 31, 63, 127]) {
      const [v, c] = chip.waveform!(k);
      expect(u[k]).toBeCloseTo(Math.round(v) * scales.vSample, 3);
      expect(i[k]).toBeCloseTo(Math.round(c) * scales.iSample, 5);
    }
    expect(Math.min(...u)).toBeLessThan(-300); // negative samples sign-extended from 24 bits
  });

  it("a known harmonic signal through the fake chip: THD measured on the board path within tolerance", () => {
    const chip = harmonicChip();
    const stpm = new Stpm3x(chip, scales);
    const fe = new StpmFrontEnd(stpm, scales.energy, 0, {
      nominalVoltage: 230, nominalFrequency: 50, snapshotRate: FS, measurePeriodMs: 1000, budget: 600_000,
      capture: spiSnapshotCapture(stpm, scales),
    });
    for (let s = 1; s <= 6; s++) fe.measure(s * 1000);
    const r = fe.readings();
    expect(fe.snapshotFailures).toBe(0);
    expect(Math.abs(r.thdVoltagePct - THDU)).toBeLessThan(0.05);
    expect(Math.abs(r.thdCurrentPct - THDI)).toBeLessThan(0.1);
    const a = fe.metrology!.analyzer;
    expect(a.u1Ratio[0]).toBeGreaterThan(0);
  });

  it("a line whose CRC keeps failing fails the capture (counted), and the meter keeps measuring", () => {
    const chip = harmonicChip();
    const stpm = new Stpm3x(chip, scales);
    const capture = spiSnapshotCapture(stpm, scales);
    chip.corruptAnswers = 3; // more than the driver's 2 retries of one register
    expect(capture(new Float32Array(32), new Float32Array(32), 32)).toBe(false);
    const fe = new StpmFrontEnd(stpm, scales.energy, 0, {
      nominalVoltage: 230, nominalFrequency: 50, snapshotRate: FS, measurePeriodMs: 1000, budget: 600_000,
      capture: (u, i, n) => { chip.corruptAnswers = 3; return capture(u, i, n); },
    });
    for (let s = 1; s <= 6; s++) fe.measure(s * 1000);
    expect(fe.snapshotFailures).toBeGreaterThan(0);
    expect(fe.readings().thdVoltagePct).toBe(0); // nothing half-captured was analysed
    expect(fe.readings().voltageV).toBeCloseTo(230, 6);
  });
});
