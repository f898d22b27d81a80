// Calibration at boot and after a calibration procedure: loaded from the slave's flash into its
// MeterPipeline, identity with a logged reason when missing or corrupt, kept across a power cut
// during a save, and applied by a running pipeline from its next window boundary.
import { describe, expect, it } from "vitest";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";
import { RecordingFrontEnd } from "../../hosts/node/sim/recording-front-end";
import type { Recording } from "../../hosts/node/recordings/recording";
import type { Log } from "../../modules/core/ports";
import { calibrateReadings, fitPhaseCalibration, type PhaseCalibration } from "../../modules/metrology/calibration";
import { CalibrationStore, calibrationRecordLength } from "../../modules/metrology/calibration-store";
import { loadCalibration, saveCalibration } from "../../modules/metrology/calibration-boot";
import { MeterPipeline } from "../../modules/metrology/meter";
import type { WindowRecord } from "../../modules/metrology/records";
import { synth } from "./signal";

const FS = 6400;
const SECTOR = 4096;

/** A transducer with gain and offset errors and a current phase lag: raw = true / gain + offset. */
const transducer = { uGain: 0.5, uOffset: 3, iGain: 0.02, iOffset: -4, lagDeg: 1.5 };
const truth = { U: 230, I: 10, phiDeg: 30 };

function rawRecording(seconds: number): Recording {
  const n = FS * seconds, u = new Float64Array(n), i = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const x = (2 * Math.PI * 50 * k) / FS;
    u[k] = (truth.U * Math.SQRT2 * Math.sin(x)) / transducer.uGain + transducer.uOffset;
    i[k] = (truth.I * Math.SQRT2 * Math.sin(x - ((truth.phiDeg + transducer.lagDeg) * Math.PI) / 180)) / transducer.iGain + transducer.iOffset;
  }
  return { sampleRate: FS, nominalFrequency: 50, channels: [{ name: "UA", unit: "V", values: u }, { name: "IA", unit: "A", values: i }] };
}

/** The calibration procedure on reference points taken from the transducer (two per channel) and the measured lag. */
function procedure(): PhaseCalibration {
  const pts = (g: number, o: number, refs: number[]) => refs.map((reference) => ({ raw: reference / g + o, reference }));
  return fitPhaseCalibration({ u: pts(transducer.uGain, transducer.uOffset, [0, 230, 400]), i: pts(transducer.iGain, transducer.iOffset, [0, 5, 20]), phaseDeg: transducer.lagDeg });
}

function capture(): Log & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
}

function readingsAfter(fe: RecordingFrontEnd, seconds: number) {
  for (let s = 1; s <= seconds; s++) fe.measure(s * 1000);
  const r = fe.readings();
  return { u: r.voltageV, i: r.currentA, p: r.powerW };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe("calibration loaded at boot", () => {
  it("a stored calibration turns the raw readings of a recording into the true values", () => {
    const rec = rawRecording(1);
    const flash = new NorFlashSim({ size: 2 * SECTOR });
    const cal = procedure();
    expect(new CalibrationStore(flash).save([cal])).toBe(1);
    const log = capture();
    const calibrated = new RecordingFrontEnd(rec, 1, 0, 230, { flash, log });
    expect(calibrated.calibration.boot).toMatchObject({ source: "stored", sequence: 1 });
    expect(log.lines).toEqual(["info calibration sequence 1 loaded (1 phase(s))"]);
    const raw = new RecordingFrontEnd(rec, 2, 0, 230); // no flash: identity
    expect(raw.calibration.boot.source).toBe("identity");
    const c = readingsAfter(calibrated, 2), r = readingsAfter(raw, 2);
    // Raw readings, from the definitions: RMS of (A sin + o) over whole cycles = √(A²/2 + o²); mean of the product.
    const uA = (truth.U * Math.SQRT2) / transducer.uGain, iA = (truth.I * Math.SQRT2) / transducer.iGain;
    const lag = ((truth.phiDeg + transducer.lagDeg) * Math.PI) / 180;
    expect(rel(r.u, Math.sqrt((uA * uA) / 2 + transducer.uOffset ** 2))).toBeLessThan(1e-5);
    expect(rel(r.p, (uA * iA * Math.cos(lag)) / 2 + transducer.uOffset * transducer.iOffset)).toBeLessThan(1e-4);
    // Calibrated: the true values (phase correction by linear interpolation: ≈3e-4 amplitude loss at 0.53 sample).
    expect(rel(c.u, truth.U)).toBeLessThan(5e-4);
    expect(rel(c.i, truth.I)).toBeLessThan(5e-4);
    expect(rel(c.p, truth.U * truth.I * Math.cos((truth.phiDeg * Math.PI) / 180))).toBeLessThan(1e-3);
    // Without the phase correction P would be off by cos(31.5°)/cos(30°) − 1 ≈ −1.6 %: the correction is what brings it back.
    expect(rel(c.p, truth.U * truth.I * Math.cos(lag))).toBeGreaterThan(0.01);
  });

  it("never calibrated (erased flash): identity, a warning saying so", () => {
    const log = capture();
    const boot = loadCalibration(new CalibrationStore(new NorFlashSim({ size: 2 * SECTOR })), 3, log);
    expect(boot.source).toBe("identity");
    expect(boot.phases).toEqual([0, 1, 2].map(() => ({ u: { gain: 1, offset: 0 }, i: { gain: 1, offset: 0 }, phaseDeg: 0 })));
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatch(/^warn no calibration stored \(both sectors erased\)/);
  });

  it("a corrupt record falls back to identity with the error logged, and the meter reads raw values", () => {
    const rec = rawRecording(1);
    const flash = new NorFlashSim({ size: 2 * SECTOR });
    new CalibrationStore(flash).save([procedure()]);
    // Flip one bit of the u gain (NOR programming can clear a bit in place).
    const at = 12 + 7, b = new Uint8Array(1); // the top byte of the u gain (2.0 = 0x40 00 … 00)
    flash.read(at, b);
    const bit = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => 1 << k).find((m) => (b[0] & m) !== 0)!;
    flash.program(at, Uint8Array.of(b[0] & ~bit));
    const log = capture();
    const fe = new RecordingFrontEnd(rec, 1, 0, 230, { flash, log });
    expect(fe.calibration.boot.source).toBe("identity");
    expect(fe.calibration.boot.reason).toMatch(/calibration record unreadable \(sector 0: calibration record CRC mismatch .*; sector 1: erased\)/);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatch(/^error calibration record unreadable/);
    const raw = readingsAfter(fe, 2), identity = readingsAfter(new RecordingFrontEnd(rec, 2, 0, 230), 2);
    expect(raw).toEqual(identity);
  });

  it("a record with fewer phases than the meter: stored phases used, identity for the rest, warned", () => {
    const flash = new NorFlashSim({ size: 2 * SECTOR });
    const cal = procedure();
    new CalibrationStore(flash).save([cal]);
    const log = capture();
    const boot = loadCalibration(new CalibrationStore(flash), 3, log);
    expect(boot.source).toBe("stored");
    expect(boot.phases[0]).toEqual(cal);
    expect(boot.phases[2]).toEqual({ u: { gain: 1, offset: 0 }, i: { gain: 1, offset: 0 }, phaseDeg: 0 });
    expect(log.lines[0]).toMatch(/^warn calibration sequence 1 loaded; record has 1 phase\(s\), meter 3/);
  });
});

describe("calibration saved while metering", () => {
  it("a power cut anywhere in a save keeps the old calibration at the next boot and in the running pipeline", () => {
    const rec = rawRecording(1);
    const calA = procedure();
    const calB: PhaseCalibration = { u: { gain: calA.u.gain * 1.05, offset: calA.u.offset }, i: calA.i, phaseDeg: calA.phaseDeg };
    const recordBytes = calibrationRecordLength(1);
    // Budgets through the erase (every 64th byte) and every byte of the record.
    const budgets: number[] = [];
    for (let n = 0; n < SECTOR; n += 64) budgets.push(n);
    for (let n = SECTOR; n < SECTOR + recordBytes; n++) budgets.push(n);
    const reference = readingsAfter(new RecordingFrontEnd(rec, 9, 0, 230, { flash: seeded(calA), log: capture() }), 2);
    let checkedRunning = 0;
    for (const n of budgets) {
      const flash = seeded(calA);
      flash.cutAfterBytes(n);
      if (n === 0 || n === SECTOR + 20 || n === SECTOR + recordBytes - 1) {
        // The running pipeline: the failed save must not switch it.
        const fe = new RecordingFrontEnd(rec, 1, 0, 230, { flash, log: capture() });
        flash.cutAfterBytes(n);
        fe.measure(1000);
        expect(() => fe.calibrate([calB])).toThrow(PowerCut);
        fe.measure(2000);
        const r = fe.readings();
        expect({ u: r.voltageV, i: r.currentA, p: r.powerW }).toEqual(reference);
        checkedRunning++;
      } else {
        expect(() => saveCalibration(new CalibrationStore(flash), [calB])).toThrow(PowerCut);
      }
      flash.reboot();
      const log = capture();
      const boot = loadCalibration(new CalibrationStore(flash), 1, log);
      expect(boot.source).toBe("stored");
      expect(boot.sequence).toBe(1);
      expect(boot.phases[0]).toEqual(calA);
      expect(log.lines.some((l) => l.startsWith("error"))).toBe(false);
    }
    expect(checkedRunning).toBe(3);
    // And an uninterrupted save is the one loaded next time.
    const flash = seeded(calA);
    expect(saveCalibration(new CalibrationStore(flash), [calB])).toBe(2);
    expect(loadCalibration(new CalibrationStore(flash), 1).phases[0]).toEqual(calB);
  });

  it("setCalibration takes effect at the next window boundary: earlier windows as before, later ones as a meter built with it", () => {
    const sig = synth([{ u: [{ h: 1, rms: 230, deg: 0 }, { h: 5, rms: 12, deg: 20 }], i: [{ h: 1, rms: 8, deg: -40 }, { h: 3, rms: 1.5, deg: 70 }] }], { fs: FS, f: 50.03, seconds: 1.4, noise: 0.2, seed: 5 });
    // u offset 0 so the sync sees the same crossings (a gain does not move a zero); i offset, gains and phase change.
    const cal: PhaseCalibration = { u: { gain: 1.013, offset: 0 }, i: { gain: 0.987, offset: 0.05 }, phaseDeg: 0.4 };
    const run = (m: (w: WindowRecord[]) => MeterPipeline, switchAt?: number) => {
      const out: WindowRecord[] = [];
      const meter = m(out);
      for (let k = 0; k < sig.length / 2; k += 100) {
        if (switchAt !== undefined && k === switchAt) meter.setCalibration([cal]);
        meter.push(sig, Math.min(100, sig.length / 2 - k), 2 * k);
      }
      return out;
    };
    const make = (calibration?: PhaseCalibration[]) => (out: WindowRecord[]) =>
      new MeterPipeline({ phases: 1, sampleRate: FS, nominalVoltage: 230, nominalFrequency: 50, calibration }, { onWindow: (w) => out.push(JSON.parse(JSON.stringify(w))) });
    const before = run(make()), after = run(make([cal])), switched = run(make(), 3000);
    expect(switched.length).toBe(before.length);
    const switchT = 3000 / FS;
    // The window in progress at the switch closes at the first boundary after it: its end > switchT.
    const firstNew = switched.findIndex((w) => w.t >= switchT);
    expect(firstNew).toBeGreaterThan(2);
    for (let k = 0; k < switched.length; k++) {
      const want = k < firstNew ? before[k] : after[k];
      // The first new window starts at the crossing found with the old calibration: the new phase correction
      // delays u by 0.4°/360 × 128 = 0.14 sample, so the built-with meter's crossing is 0.14 sample later and
      // that one window is 0.14 sample (1e-4) longer — gap-free wins. Later windows: the first-order remap of
      // the changed delay for the ≈ 25–100 samples stored before the switch.
      const tol = k < firstNew ? 1e-12 : k === firstNew ? 3e-4 : 2e-6;
      for (const q of ["u", "i", "p", "q1", "s"] as const) expect(rel(switched[k][q][0], want[q][0])).toBeLessThan(tol);
      if (k !== firstNew) expect(Math.abs(switched[k].t - want.t)).toBeLessThan(1e-12);
      else expect(Math.abs(switched[k].t - want.t) * FS).toBeCloseTo((0.4 / 360) * 128, 3);
    }
    // And the change is real: calibrated P differs from the uncalibrated by ≈ gu·gi plus the phase.
    expect(rel(after[4].p[0], before[4].p[0])).toBeGreaterThan(0.005);
  });

  it("three phases: each phase switches to its own calibration at the same boundary", () => {
    const ph = (deg: number) => ({ u: [{ h: 1, rms: 230, deg }, { h: 7, rms: 9, deg: deg + 10 }], i: [{ h: 1, rms: 6, deg: deg - 25 }] });
    const sig = synth([ph(0), ph(-120), ph(120)], { fs: FS, f: 49.97, seconds: 1.2, noise: 0.1, seed: 9 });
    // Phase 1 keeps u offset 0 and no phase correction (the sync is on u1); phases 2 and 3 change everything.
    const cal: PhaseCalibration[] = [
      { u: { gain: 1.02, offset: 0 }, i: { gain: 0.98, offset: 0.01 }, phaseDeg: 0 },
      { u: { gain: 0.97, offset: 0.5 }, i: { gain: 1.03, offset: -0.02 }, phaseDeg: 0.3 },
      { u: { gain: 1.01, offset: -0.4 }, i: { gain: 1.05, offset: 0 }, phaseDeg: -0.6 },
    ];
    const run = (calibration: PhaseCalibration[] | undefined, switchAt?: number) => {
      const out: WindowRecord[] = [];
      const m = new MeterPipeline({ phases: 3, sampleRate: FS, nominalVoltage: 230, nominalFrequency: 50, calibration }, { onWindow: (w) => out.push(JSON.parse(JSON.stringify(w))) });
      for (let k = 0; k < sig.length / 6; k += 128) {
        if (k === switchAt) m.setCalibration(cal);
        m.push(sig, Math.min(128, sig.length / 6 - k), 6 * k);
      }
      return out;
    };
    const before = run(undefined), after = run(cal), switched = run(undefined, 2560);
    const firstNew = switched.findIndex((w) => w.t >= 2560 / FS);
    expect(firstNew).toBeGreaterThan(1);
    for (let k = 0; k < switched.length; k++) {
      const want = k < firstNew ? before[k] : after[k];
      expect(Math.abs(switched[k].t - want.t)).toBeLessThan(1e-12);
      for (let p = 0; p < 3; p++) for (const q of ["u", "i", "p", "q1"] as const) {
        // The first new window holds samples stored before the switch, mapped to the new phase delay to
        // first order (the allpass's memory then settles within a few samples): 2e-5; later ones 2e-6.
        expect(rel(switched[k][q][p], want[q][p])).toBeLessThan(k < firstNew ? 1e-12 : k === firstNew ? 2e-5 : 2e-6);
      }
    }
    // Each phase got its own gains: phase 3's voltage (its correction delays the current, not u) by 1.01·√(1 + (0.4/U)²).
    expect(after[3].u[2] / before[3].u[2]).toBeCloseTo(1.01 * Math.sqrt(1 + (0.4 / before[3].u[2]) ** 2), 6);
    expect(after[3].i[0] / before[3].i[0]).toBeCloseTo(0.98 * Math.sqrt(1 + (0.01 / before[3].i[0]) ** 2), 6);
  });

  it("refuses an unusable calibration and keeps the current one", () => {
    const m = new MeterPipeline({ phases: 1, sampleRate: FS, nominalVoltage: 230, nominalFrequency: 50 });
    expect(() => m.setCalibration([{ u: { gain: 0, offset: 0 }, i: { gain: 1, offset: 0 }, phaseDeg: 0 }])).toThrow(/non-zero gains/);
    expect(() => saveCalibration(new CalibrationStore(new NorFlashSim({ size: 2 * SECTOR })), [{ u: { gain: 1, offset: NaN }, i: { gain: 1, offset: 0 }, phaseDeg: 0 }], m)).toThrow(RangeError);
  });
});

function seeded(cal: PhaseCalibration): NorFlashSim {
  const flash = new NorFlashSim({ size: 2 * SECTOR });
  new CalibrationStore(flash).save([cal]);
  return flash;
}

describe("calibration of chip readings (board path)", () => {
  it("recovers the true V, I, P, Q, S from raw RMS/power readings of a transducer with gain, offset and phase errors", () => {
    const cal = procedure();
    // Raw readings from the definitions of the raw waveforms: raw = true/g + o, current lagging by φ + δ.
    const uA = truth.U / transducer.uGain, iA = truth.I / transducer.iGain, lag = ((truth.phiDeg + transducer.lagDeg) * Math.PI) / 180;
    const r = {
      v: Math.sqrt(uA * uA + transducer.uOffset ** 2), i: Math.sqrt(iA * iA + transducer.iOffset ** 2),
      p: uA * iA * Math.cos(lag) + transducer.uOffset * transducer.iOffset, q: uA * iA * Math.sin(lag), s: 0,
    };
    calibrateReadings(cal, r);
    const phi = (truth.phiDeg * Math.PI) / 180;
    expect(rel(r.v, truth.U)).toBeLessThan(1e-12);
    expect(rel(r.i, truth.I)).toBeLessThan(1e-12);
    expect(rel(r.p, truth.U * truth.I * Math.cos(phi))).toBeLessThan(1e-12);
    expect(rel(r.q, truth.U * truth.I * Math.sin(phi))).toBeLessThan(1e-12);
    expect(rel(r.s, truth.U * truth.I)).toBeLessThan(1e-12);
  });
});
