// XS conformance: the calibration record's bytes (f64 layout, CRC-32) and the two-sector store
// behave the same on Node and XS. The flash is a plain RAM Flash (NOR AND-programming) so the
// scenario imports modules/ only.
import { toHex } from "../../../modules/core/bytes";
import type { Flash } from "../../../modules/core/ports";
import { CalibrationRecordError, CalibrationStore, decodeCalibration, encodeCalibration } from "../../../modules/metrology/calibration-store";

function ramFlash(size: number): Flash {
  const mem = new Uint8Array(size).fill(0xff);
  return {
    size, sectorSize: 4096, pageSize: 256,
    read(at, into) { into.set(mem.subarray(at, at + into.length)); },
    program(at, data) { for (let k = 0; k < data.length; k++) mem[at + k] &= data[k]; },
    eraseSector(s) { mem.fill(0xff, s * 4096, (s + 1) * 4096); },
  };
}

const cal = [{ u: { gain: 0.0123, offset: -1.5 }, i: { gain: 0.00045, offset: 2.25 }, phaseDeg: 0.31 }];

function reason(bytes: Uint8Array): string {
  try { decodeCalibration(bytes); return "ok"; } catch (e) { return e instanceof CalibrationRecordError ? e.reason : "other"; }
}

export function run(): unknown {
  const rec = encodeCalibration(cal, 5);
  const bad = rec.slice(); bad[20] ^= 4;
  const v9 = rec.slice(); v9[4] = 9;
  const store = new CalibrationStore(ramFlash(8192));
  const empty = store.load() === undefined;
  const seqs = [store.save(cal), store.save(cal), store.save(cal)];
  return { hex: toHex(rec), decoded: decodeCalibration(rec), reasons: [reason(bad), reason(v9), reason(rec.subarray(0, 30))], empty, seqs, loaded: store.load() };
}
