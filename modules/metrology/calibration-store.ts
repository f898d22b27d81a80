/**
 * Per-phase calibration kept on flash.
 *
 * Record (little-endian, fits in one 256-byte page for up to 3 phases):
 *   0  "XCAL" magic            4  version u8 (1)       5  phases u8 (1..3)
 *   6  reserved u16 (0)        8  sequence u32 (newer = larger, serial arithmetic)
 *   12 per phase 5 × f64: u gain, u offset, i gain, i offset, phase degrees
 *   .. CRC-32 (core crc32) of every byte before it
 *
 * Two sectors alternate (core SettingRecord): a save erases and writes the sector
 * NOT holding the newest valid record, so a power cut mid-write leaves the
 * previous calibration intact (the torn record fails its CRC and is ignored).
 */
import { crc32, readU32LE, view, writeU32LE } from "../core/bytes";
import type { Flash } from "../core/ports";
import { SettingRecord, type SettingSlot } from "../core/setting-record";
import type { PhaseCalibration } from "./calibration";

export const CALIBRATION_RECORD_VERSION = 1;
const MAGIC = Object.freeze([0x58, 0x43, 0x41, 0x4c]); // "XCAL" (frozen: xsl keeps it in flash)
const HEADER = 12;
const PER_PHASE = 5 * 8;
const MAX_PHASES = 3;

/**
 * A calibration record that cannot be decoded; `reason` says why. `name` is a class field (defined
 * on the instance), never assigned: Moddable freezes Error.prototype, where `this.name = …` throws.
 */
export class CalibrationRecordError extends Error {
  override readonly name = "CalibrationRecordError";
  constructor(readonly reason: "truncated" | "magic" | "version" | "crc" | "value", message: string) {
    super(message);
  }
}

export interface StoredCalibration { sequence: number; phases: PhaseCalibration[] }

/** What one of the two sectors holds: nothing (erased), a valid record, or bytes that do not decode. */
export type CalibrationSlot =
  | { state: "erased" }
  | { state: "valid"; record: StoredCalibration }
  | { state: "invalid"; error: CalibrationRecordError };

export function calibrationRecordLength(phases: number): number {
  return HEADER + PER_PHASE * phases + 4;
}

export function encodeCalibration(phases: ReadonlyArray<PhaseCalibration>, sequence: number): Uint8Array {
  if (phases.length < 1 || phases.length > MAX_PHASES) throw new RangeError(`calibration needs 1..${MAX_PHASES} phases, got ${phases.length}`);
  const out = new Uint8Array(calibrationRecordLength(phases.length));
  const dv = view(out);
  out.set(MAGIC, 0);
  out[4] = CALIBRATION_RECORD_VERSION;
  out[5] = phases.length;
  writeU32LE(out, 8, sequence >>> 0);
  phases.forEach((c, p) => {
    const values = [c.u.gain, c.u.offset, c.i.gain, c.i.offset, c.phaseDeg];
    values.forEach((v, k) => {
      if (!Number.isFinite(v)) throw new RangeError(`calibration phase ${p + 1} value ${k} is not finite`);
      dv.setFloat64(HEADER + p * PER_PHASE + k * 8, v, true);
    });
  });
  const end = out.length - 4;
  writeU32LE(out, end, crc32(out, 0, end));
  return out;
}

/** Decodes a record (trailing bytes after it are ignored); throws CalibrationRecordError. */
export function decodeCalibration(bytes: Uint8Array): StoredCalibration {
  if (bytes.length < HEADER) throw new CalibrationRecordError("truncated", `calibration record truncated: ${bytes.length} bytes, header needs ${HEADER}`);
  for (let k = 0; k < 4; k++) if (bytes[k] !== MAGIC[k]) throw new CalibrationRecordError("magic", "not a calibration record (bad magic)");
  // Version before CRC: another version may place its CRC elsewhere.
  if (bytes[4] !== CALIBRATION_RECORD_VERSION) throw new CalibrationRecordError("version", `calibration record version ${bytes[4]} unsupported (expected ${CALIBRATION_RECORD_VERSION})`);
  const n = bytes[5];
  if (n < 1 || n > MAX_PHASES) throw new CalibrationRecordError("value", `calibration record has ${n} phases (1..${MAX_PHASES})`);
  const length = calibrationRecordLength(n);
  if (bytes.length < length) throw new CalibrationRecordError("truncated", `calibration record truncated: ${bytes.length} of ${length} bytes`);
  const end = length - 4;
  const stored = readU32LE(bytes, end), actual = crc32(bytes, 0, end);
  if (stored !== actual) throw new CalibrationRecordError("crc", `calibration record CRC mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)})`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, length);
  const phases: PhaseCalibration[] = [];
  for (let p = 0; p < n; p++) {
    const f = (k: number) => dv.getFloat64(HEADER + p * PER_PHASE + k * 8, true);
    const c: PhaseCalibration = { u: { gain: f(0), offset: f(1) }, i: { gain: f(2), offset: f(3) }, phaseDeg: f(4) };
    for (const v of [c.u.gain, c.u.offset, c.i.gain, c.i.offset, c.phaseDeg]) {
      if (!Number.isFinite(v)) throw new CalibrationRecordError("value", `calibration phase ${p + 1} holds a non-finite value`);
    }
    phases.push(c);
  }
  return { sequence: readU32LE(bytes, 8), phases };
}

/** Calibration on two alternating flash sectors (`firstSector` and the next): a core SettingRecord. */
export class CalibrationStore {
  private readonly buf: Uint8Array;
  private readonly record: SettingRecord;

  constructor(flash: Flash, firstSector = 0) {
    if ((firstSector + 2) * flash.sectorSize > flash.size) throw new RangeError(`calibration store needs sectors ${firstSector}..${firstSector + 1} inside flash of ${flash.size}`);
    this.record = new SettingRecord(flash, firstSector, 1);
    this.buf = new Uint8Array(calibrationRecordLength(MAX_PHASES));
  }

  /**
   * Both sectors' states and the newest valid record, so a caller can tell "never calibrated"
   * (both erased) from "calibration lost" (a record that does not decode) and say why.
   */
  inspect(): { newest: StoredCalibration | undefined; slots: [CalibrationSlot, CalibrationSlot] } {
    const slots: [CalibrationSlot, CalibrationSlot] = [this.slot(0), this.slot(1)];
    return { newest: this.newest()?.record, slots };
  }

  /** The newest valid record, or undefined when neither sector holds one (never calibrated). */
  load(): StoredCalibration | undefined {
    return this.newest()?.record;
  }

  /** Writes the calibration to the sector not holding the newest record; returns its sequence. */
  save(phases: ReadonlyArray<PhaseCalibration>): number {
    const current = this.newest();
    const sequence = current ? (current.record.sequence + 1) >>> 0 : 1;
    this.record.write(SettingRecord.target(current), encodeCalibration(phases, sequence));
    return sequence;
  }

  private slot(slot: SettingSlot): CalibrationSlot {
    if (this.record.read(slot, this.buf)) return { state: "erased" };
    try {
      return { state: "valid", record: decodeCalibration(this.buf) };
    } catch (e) {
      if (e instanceof CalibrationRecordError) return { state: "invalid", error: e };
      throw e;
    }
  }

  private newest(): { slot: SettingSlot; record: StoredCalibration } | undefined {
    return this.record.newest((slot) => {
      const s = this.slot(slot);
      return s.state === "valid" ? s.record : undefined; // erased or torn: the other sector holds the calibration
    });
  }
}
