import type { Flash } from "../../modules/core/ports";
import { flashPartition } from "../../modules/core/ports";

/** Sectors at the end of the journal partition that other stores own. */
export const COUNTER_SECTORS = 2;
export const CALIBRATION_SECTORS = 2;

/**
 * How the board splits its journal partition (partitions.csv "xsjournal"):
 * the energy journal's ring first, then the calibration record's two
 * alternating sectors, then the CAN freshness counters' two sectors last.
 * Each store gets a window of its own, so none can erase another's sector.
 */
export function boardAreas(flash: Flash): { journal: Flash; calibration: Flash; counters: Flash } {
  const s = flash.sectorSize;
  const tail = (COUNTER_SECTORS + CALIBRATION_SECTORS) * s;
  if (flash.size - tail < 2 * s) throw new RangeError(`journal partition of ${flash.size} bytes too small: needs at least ${tail / s + 2} sectors`);
  return {
    journal: flashPartition(flash, 0, flash.size - tail),
    calibration: flashPartition(flash, flash.size - tail, CALIBRATION_SECTORS * s),
    counters: flashPartition(flash, flash.size - COUNTER_SECTORS * s, COUNTER_SECTORS * s),
  };
}
