import type { SnapshotCapture } from "./stpm-front-end";
import type { Stpm3x } from "./stpm3x";
import { STPM } from "./stpm3x-registers";

/** Volts and amps per LSB of the 24-bit instantaneous samples (StpmScales' vSample/iSample). */
export interface SampleScales { vSample: number; iSample: number }

const signExtend24 = (raw: number): number => (raw << 8) >> 8;

/**
 * The TypeScript fallback of the native snapshot capture (stpm-snapshot.c): one latch and two
 * register reads (V1_DATA, C1_DATA) per sample from JavaScript, ≈11 SPI frames and thousands of
 * XS computrons each, so on an ESP32 it cannot keep the snapshot rate; it is the host's path (the
 * tests run it against the register-level fake STPM3x) and the reference for what the C reads.
 * A CRC error that the driver's retries do not clear fails the capture (false): no half snapshot
 * is analysed.
 */
export function spiSnapshotCapture(chip: Stpm3x, scales: SampleScales): SnapshotCapture {
  return (u, i, n) => {
    try {
      for (let k = 0; k < n; k++) {
        chip.latch();
        u[k] = signExtend24(chip.readRegister(STPM.V1_DATA)) * scales.vSample;
        i[k] = signExtend24(chip.readRegister(STPM.C1_DATA)) * scales.iSample;
      }
      return true;
    } catch {
      return false;
    }
  };
}
