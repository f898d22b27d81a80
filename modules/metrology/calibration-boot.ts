/**
 * Calibration at start-up and after a calibration procedure.
 *
 * Boot: `loadCalibration(store, phases, log)` reads the CalibrationStore and
 * returns what to pass as MeterConfig.calibration — the stored record, or
 * identity (gain 1, offset 0, no phase correction) with the reason logged:
 * a warning when the meter was never calibrated (both sectors erased), an
 * error when a record exists but does not decode (CRC, version, …) or the
 * flash cannot be read. A meter that cannot read its calibration still
 * meters (in raw units); it never refuses to start.
 *
 * Procedure: `saveCalibration(store, phases, pipeline)` writes a new record
 * and only then hands it to the running pipeline (setCalibration, effective at
 * its next window boundary). A power cut during the save leaves the previous
 * record on flash and the pipeline untouched.
 */
import type { Log } from "../core/ports";
import { SILENT_LOG } from "../core/ports";
import { IDENTITY, checkCalibration, type PhaseCalibration } from "./calibration";
import type { CalibrationSlot, CalibrationStore } from "./calibration-store";

export interface BootCalibration {
  /** One entry per meter phase: MeterConfig.calibration. */
  phases: PhaseCalibration[];
  source: "stored" | "identity";
  /** The record's sequence; 0 for identity. */
  sequence: number;
  /** Why identity is used, or what was odd about the stored record; undefined when all is well. */
  reason?: string;
}

/** The part of MeterPipeline a calibration needs (so hosts can pass anything that applies one). */
export interface CalibrationTarget {
  setCalibration(cal: ReadonlyArray<PhaseCalibration>): void;
}

const identity = (): PhaseCalibration => ({ u: { ...IDENTITY }, i: { ...IDENTITY }, phaseDeg: 0 });

function describe(slot: CalibrationSlot, index: number): string {
  return slot.state === "invalid" ? `sector ${index}: ${slot.error.message}` : `sector ${index}: ${slot.state}`;
}

/** Loads the stored calibration for a meter of `phases` phases, or identity with the reason logged. */
export function loadCalibration(store: CalibrationStore, phases: number, log: Log = SILENT_LOG): BootCalibration {
  let inspected: ReturnType<CalibrationStore["inspect"]>;
  try {
    inspected = store.inspect();
  } catch (e) {
    const reason = `calibration flash unreadable (${e instanceof Error ? e.message : String(e)}): measuring with identity calibration`;
    log.error(reason);
    return { phases: Array.from({ length: phases }, identity), source: "identity", sequence: 0, reason };
  }
  const { newest, slots } = inspected;
  if (!newest) {
    const invalid = slots.some((s) => s.state === "invalid");
    const reason = invalid
      ? `calibration record unreadable (${slots.map(describe).join("; ")}): measuring with identity calibration — recalibrate`
      : "no calibration stored (both sectors erased): measuring with identity calibration — run the calibration";
    if (invalid) log.error(reason);
    else log.warn(reason);
    return { phases: Array.from({ length: phases }, identity), source: "identity", sequence: 0, reason };
  }
  const notes: string[] = [];
  const other = slots.find((s) => s.state === "invalid");
  // The sector a save was writing when power failed: expected after a cut, the other sector is the calibration.
  if (other) notes.push(`the other sector holds an unreadable record (${slots.map(describe).join("; ")}), an interrupted save`);
  if (newest.phases.length < phases) notes.push(`record has ${newest.phases.length} phase(s), meter ${phases}: phases ${newest.phases.length + 1}..${phases} use identity`);
  if (newest.phases.length > phases) notes.push(`record has ${newest.phases.length} phases, meter ${phases}: the first ${phases} used`);
  const out: PhaseCalibration[] = [];
  for (let p = 0; p < phases; p++) out.push(newest.phases[p] ?? identity());
  try {
    checkCalibration(out);
  } catch (e) {
    const reason = `stored calibration sequence ${newest.sequence} unusable (${(e as Error).message}): measuring with identity calibration — recalibrate`;
    log.error(reason);
    return { phases: Array.from({ length: phases }, identity), source: "identity", sequence: 0, reason };
  }
  const reason = notes.length > 0 ? notes.join("; ") : undefined;
  if (reason) log.warn(`calibration sequence ${newest.sequence} loaded; ${reason}`);
  else log.info(`calibration sequence ${newest.sequence} loaded (${phases} phase(s))`);
  return { phases: out, source: "stored", sequence: newest.sequence, reason };
}

/**
 * Saves a new calibration and, once it is on flash, applies it to the running pipeline (from its
 * next window boundary). Returns the record's sequence. Throws (RangeError for unusable values,
 * the flash's error on a power cut) leaving the pipeline on its previous calibration.
 */
export function saveCalibration(store: CalibrationStore, phases: ReadonlyArray<PhaseCalibration>, target?: CalibrationTarget): number {
  checkCalibration(phases);
  const sequence = store.save(phases);
  target?.setCalibration(phases);
  return sequence;
}
