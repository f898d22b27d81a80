import type { CalibrationStore } from "../../modules/metrology/calibration-store";
import type { Stpm3x } from "./stpm3x";

/**
 * Applies the stored calibration (modules/metrology CalibrationStore) to the
 * STPM3x at boot: phase 1's voltage and current gains go into the chip's
 * calibrators (CHV1, CHC1), so RMS, power and energy all come out corrected
 * in hardware. Offsets are not applied: the chip's DC high-pass filters
 * remove them and it has no RMS offset register. A phase correction is
 * reported, not applied (the driver does not program the chip's phase
 * compensation). Returns one line for the start-up trace; never throws for a
 * bad or missing record (the chip then keeps its unity calibrators).
 */
export function applyStoredCalibration(store: CalibrationStore, chip: Stpm3x): string {
  const stored = store.load();
  if (!stored) return "no stored calibration: STPM3x calibrators at 1.000";
  const c = stored.phases[0];
  let codes: { chv: number; chc: number };
  try {
    codes = chip.calibrateChannel1(c.u.gain, c.i.gain);
  } catch (e) {
    return `calibration #${stored.sequence} not applied: ${(e as Error).message}`;
  }
  const notes: string[] = [];
  if (c.u.offset !== 0 || c.i.offset !== 0) notes.push("offsets left to the chip's high-pass filters");
  if (c.phaseDeg !== 0) notes.push(`phase ${c.phaseDeg}° not applied`);
  return `calibration #${stored.sequence} applied: CHV1 0x${codes.chv.toString(16)} (×${c.u.gain}), CHC1 0x${codes.chc.toString(16)} (×${c.i.gain})${notes.length ? `; ${notes.join(", ")}` : ""}`;
}
