import { loadCalibration } from "../../modules/metrology/calibration-boot";
import type { CalibrationStore } from "../../modules/metrology/calibration-store";
import type { Stpm3x } from "./stpm3x";

/**
 * Applies the stored calibration to the STPM3x at boot. The record is read
 * with the metrology room's loadCalibration (identity, with the reason, when
 * the meter was never calibrated or the record does not decode); phase 1's
 * voltage and current gains then go into the chip's calibrators (CHV1, CHC1),
 * so RMS, power AND the energy counters come out corrected in hardware (a
 * correction in software could not reach the chip's energy integration).
 * Offsets are not applied: the chip's DC high-pass filters remove them and it
 * has no RMS offset register. A phase correction is reported, not applied
 * (the driver does not program the chip's phase compensation). Returns one
 * line for the start-up trace; never throws for a bad or missing record or a
 * gain the chip cannot take (the chip then keeps its unity calibrators).
 */
export function applyStoredCalibration(store: CalibrationStore, chip: Stpm3x): string {
  const boot = loadCalibration(store, 1);
  if (boot.source === "identity") return `${boot.reason ?? "identity calibration"}; STPM3x calibrators at 1.000`;
  const c = boot.phases[0];
  let codes: { chv: number; chc: number };
  try {
    codes = chip.calibrateChannel1(c.u.gain, c.i.gain);
  } catch (e) {
    return `calibration #${boot.sequence} not applied: ${(e as Error).message}`;
  }
  const notes: string[] = [];
  if (boot.reason) notes.push(boot.reason);
  if (c.u.offset !== 0 || c.i.offset !== 0) notes.push("offsets left to the chip's high-pass filters");
  if (c.phaseDeg !== 0) notes.push(`phase ${c.phaseDeg}° not applied`);
  return `calibration #${boot.sequence} applied: CHV1 0x${codes.chv.toString(16)} (×${c.u.gain}), CHC1 0x${codes.chc.toString(16)} (×${c.i.gain})${notes.length ? `; ${notes.join(", ")}` : ""}`;
}
