// XS conformance: calibration at boot (stored, never calibrated, corrupt → identity with the reason)
// and a running pipeline switching calibration at a window boundary give the same results on Node and
// XS. Values rounded to 9 significant digits (Math.sin in the signal may differ by an ulp between engines).
import type { Flash, Log } from "../../../modules/core/ports";
import { fitPhaseCalibration } from "../../../modules/metrology/calibration";
import { CalibrationStore } from "../../../modules/metrology/calibration-store";
import { loadCalibration, saveCalibration } from "../../../modules/metrology/calibration-boot";
import { MeterPipeline } from "../../../modules/metrology/meter";

const FS = 6400;
const r9 = (x: number) => Number(x.toPrecision(9));

function ramFlash(size: number): Flash & { mem: Uint8Array } {
  const mem = new Uint8Array(size).fill(0xff);
  return {
    mem, size, sectorSize: 4096, pageSize: 256,
    read(at, into) { into.set(mem.subarray(at, at + into.length)); },
    program(at, data) { for (let k = 0; k < data.length; k++) mem[at + k] &= data[k]; },
    eraseSector(s) { mem.fill(0xff, s * 4096, (s + 1) * 4096); },
  };
}

function recorder(): Log & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
}

/** Raw transducer output: u = 230 V / 0.5 + 3, i = 10 A lagging 31.5° / 0.02 − 4. */
function raw(seconds: number): Float64Array {
  const n = FS * seconds, out = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    const x = (2 * Math.PI * 50 * k) / FS;
    out[2 * k] = (230 * Math.SQRT2 * Math.sin(x)) / 0.5 + 3;
    out[2 * k + 1] = (10 * Math.SQRT2 * Math.sin(x - (31.5 * Math.PI) / 180)) / 0.02 - 4;
  }
  return out;
}

export function run(): unknown {
  const cal = fitPhaseCalibration({ u: [{ raw: 3, reference: 0 }, { raw: 463, reference: 230 }], i: [{ raw: -4, reference: 0 }, { raw: 496, reference: 10 }], phaseDeg: 1.5 });
  const flash = ramFlash(8192);
  const logs = recorder();
  const never = loadCalibration(new CalibrationStore(flash), 1, logs);
  const seq = saveCalibration(new CalibrationStore(flash), [cal]);
  const stored = loadCalibration(new CalibrationStore(flash), 1, logs);
  const corrupt = ramFlash(8192);
  saveCalibration(new CalibrationStore(corrupt), [cal]);
  corrupt.mem[19] &= 0xfe; // the u gain's top byte (0.5 = 0x3fe0…): 0x3f → 0x3e
  const lost = loadCalibration(new CalibrationStore(corrupt), 1, logs);
  // A pipeline booted with identity, switched to the stored calibration after 0.45 s.
  const windows: unknown[] = [];
  const m = new MeterPipeline({ phases: 1, sampleRate: FS, nominalVoltage: 230, nominalFrequency: 50, calibration: never.phases }, {
    onWindow: (w) => windows.push([r9(w.t), r9(w.u[0]), r9(w.i[0]), r9(w.p[0])]),
  });
  const data = raw(1.4); // two windows after the switch: the boundary one and a whole one
  for (let k = 0; k < FS * 1.4; k += 320) {
    if (k === 2880) m.setCalibration(stored.phases);
    m.push(data, 320, 2 * k);
  }
  return { seq, sources: [never.source, stored.source, lost.source], cal: [r9(cal.u.gain), r9(cal.u.offset), r9(cal.i.gain), r9(cal.i.offset)], logs: logs.lines, windows };
}
