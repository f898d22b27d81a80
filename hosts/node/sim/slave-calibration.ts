import type { Flash, Log } from "../../../modules/core/ports";
import { SILENT_LOG } from "../../../modules/core/ports";
import type { PhaseCalibration } from "../../../modules/metrology/calibration";
import { CalibrationStore } from "../../../modules/metrology/calibration-store";
import { loadCalibration, saveCalibration, type BootCalibration, type CalibrationTarget } from "../../../modules/metrology/calibration-boot";
import { NorFlashSim } from "../flash/nor-flash-sim";

export interface SlaveCalibrationOptions {
  /** The slave's calibration flash (two sectors from `firstSector`); default a fresh, erased NorFlashSim. */
  flash?: Flash;
  firstSector?: number;
  /** Where the boot reason goes; default console when a flash is given, silent otherwise. */
  log?: Log;
}

/** Warnings and errors to stderr, prefixed with the meter; info too (one line per boot). */
export function consoleLog(prefix: string): Log {
  return {
    info: (m) => console.error(`${prefix}: ${m}`),
    warn: (m) => console.error(`${prefix}: warning: ${m}`),
    error: (m) => console.error(`${prefix}: error: ${m}`),
  };
}

/**
 * A slave's calibration on its flash, as the board does it: loaded at start-up
 * (before the MeterPipeline is built, which takes `boot.phases`), replaced by
 * `calibrate()` (saved, then applied to the running pipeline at its next window).
 * Without a flash the simulated transducer already delivers volts and amperes,
 * so an erased flash (identity) is the right calibration and nothing is logged.
 */
export class SlaveCalibration {
  readonly store: CalibrationStore;
  readonly boot: BootCalibration;

  constructor(phases: number, meterId: number, options: SlaveCalibrationOptions = {}) {
    const flash = options.flash ?? new NorFlashSim({ size: 2 * 4096 });
    const log = options.log ?? (options.flash ? consoleLog(`meter ${meterId} calibration`) : SILENT_LOG);
    this.store = new CalibrationStore(flash, options.firstSector ?? 0);
    this.boot = loadCalibration(this.store, phases, log);
  }

  /** Saves `phases` and applies them to `pipeline` from its next window; throws leaving both unchanged on a failed save. */
  calibrate(phases: ReadonlyArray<PhaseCalibration>, pipeline: CalibrationTarget): number {
    return saveCalibration(this.store, phases, pipeline);
  }
}
