import { crc32 as zlibCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";
import type { PhaseCalibration } from "../../modules/metrology/calibration";
import { CalibrationRecordError, CalibrationStore, decodeCalibration, encodeCalibration } from "../../modules/metrology/calibration-store";

const calA: PhaseCalibration[] = [
  { u: { gain: 0.0123, offset: -1.5 }, i: { gain: 0.00045, offset: 2.25 }, phaseDeg: 0.31 },
  { u: { gain: 0.0124, offset: -1.25 }, i: { gain: 0.00046, offset: 2 }, phaseDeg: -0.12 },
  { u: { gain: 0.0122, offset: 0 }, i: { gain: 0.00044, offset: 1.75 }, phaseDeg: 0.05 },
];
const calB: PhaseCalibration[] = calA.map((c) => ({ u: { gain: c.u.gain * 1.01, offset: c.u.offset + 1 }, i: { ...c.i, gain: c.i.gain * 0.99 }, phaseDeg: c.phaseDeg + 0.5 }));

function errorOf(f: () => unknown): CalibrationRecordError {
  try { f(); } catch (e) { if (e instanceof CalibrationRecordError) return e; throw e; }
  throw new Error("expected a CalibrationRecordError");
}

describe("calibration record", () => {
  it("lays out magic, version, phases, sequence, little-endian f64 values and a CRC-32 checked with zlib", () => {
    const rec = encodeCalibration(calA, 7);
    expect(rec.length).toBe(12 + 3 * 40 + 4);
    const buf = Buffer.from(rec);
    expect(buf.subarray(0, 4).toString("latin1")).toBe("XCAL");
    expect(buf[4]).toBe(1);
    expect(buf[5]).toBe(3);
    expect(buf.readUInt32LE(8)).toBe(7);
    expect(buf.readDoubleLE(12)).toBe(calA[0].u.gain);
    expect(buf.readDoubleLE(12 + 40 + 4 * 8)).toBe(calA[1].phaseDeg);
    expect(buf.readUInt32LE(rec.length - 4)).toBe(zlibCrc32(buf.subarray(0, rec.length - 4)));
    expect(decodeCalibration(rec)).toEqual({ sequence: 7, phases: calA });
  });

  it("rejects every flipped bit with a CRC error (none decodes silently)", () => {
    const rec = encodeCalibration(calA.slice(0, 1), 1);
    for (let at = 8; at < rec.length; at++) for (let bit = 0; bit < 8; bit++) {
      const bad = rec.slice();
      bad[at] ^= 1 << bit;
      const e = errorOf(() => decodeCalibration(bad));
      expect(e.reason).toBe("crc");
      expect(e.message).toMatch(/CRC mismatch/);
    }
  });

  it("rejects a wrong version, bad magic and every truncation with a clear error", () => {
    const rec = encodeCalibration(calA, 3);
    const v2 = rec.slice(); v2[4] = 2;
    expect(errorOf(() => decodeCalibration(v2)).message).toMatch(/version 2 unsupported \(expected 1\)/);
    const magic = rec.slice(); magic[0] = 0xff;
    expect(errorOf(() => decodeCalibration(magic)).reason).toBe("magic");
    for (let n = 0; n < rec.length; n++) {
      const e = errorOf(() => decodeCalibration(rec.subarray(0, n)));
      expect(e.reason).toBe("truncated");
      expect(e.message).toMatch(/truncated/);
    }
  });

  it("refuses to encode non-finite values or a bad phase count", () => {
    expect(() => encodeCalibration([{ ...calA[0], phaseDeg: NaN }], 1)).toThrow(RangeError);
    expect(() => encodeCalibration([], 1)).toThrow(RangeError);
  });
});

describe("CalibrationStore on NorFlashSim", () => {
  it("is empty on erased flash, survives a reboot and alternates its two sectors", () => {
    const flash = new NorFlashSim({ size: 4 * 4096 });
    expect(new CalibrationStore(flash, 1).load()).toBeUndefined();
    const s = new CalibrationStore(flash, 1);
    expect(s.save(calA)).toBe(1);
    expect(s.save(calB)).toBe(2);
    expect(s.save(calA)).toBe(3);
    flash.reboot();
    expect(new CalibrationStore(flash, 1).load()).toEqual({ sequence: 3, phases: calA });
    expect([flash.eraseCount(0), flash.eraseCount(1), flash.eraseCount(2), flash.eraseCount(3)]).toEqual([0, 2, 1, 0]);
  });

  it("keeps the previous calibration when power is cut at any point of a save", () => {
    const recordBytes = encodeCalibration(calB, 0).length;
    // The save erases a 4096-byte sector then programs the record: cut in the erase and at every record byte.
    const cuts = [0, 1, 2048, 4095, 4096];
    for (let k = 1; k < recordBytes; k++) cuts.push(4096 + k);
    let cutsFired = 0;
    for (const n of cuts) {
      const flash = new NorFlashSim({ size: 2 * 4096, seed: n + 1 });
      new CalibrationStore(flash).save(calA);
      new CalibrationStore(flash).save(calA); // both sectors hold A: the cut write overwrites an older A
      flash.cutAfterBytes(n);
      expect(() => new CalibrationStore(flash).save(calB)).toThrow(PowerCut);
      cutsFired++;
      flash.reboot();
      const after = new CalibrationStore(flash).load();
      expect(after, `cut after ${n} bytes`).toEqual({ sequence: 2, phases: calA });
      // and the next save works and wins
      const s = new CalibrationStore(flash);
      expect(s.save(calB)).toBe(3);
      expect(new CalibrationStore(flash).load()).toEqual({ sequence: 3, phases: calB });
    }
    expect(cutsFired).toBe(cuts.length);
  });
});
