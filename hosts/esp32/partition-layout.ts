import type { Flash } from "../../modules/core/ports";
import { flashPartition } from "../../modules/core/ports";

/** Sectors at the end of the journal partition that other stores own. */
export const COUNTER_SECTORS = 2;
export const CALIBRATION_SECTORS = 2;

/**
 * How the board splits its journal partition (partitions.csv "xsjournal"):
 * the energy journal's ring first (`journalSectors` of it, default all that is
 * left), then the calibration record's two alternating sectors, then the CAN
 * freshness counters' two sectors last. Each store gets a window of its own,
 * so none can erase another's sector. The ring's length is a trade: every
 * boot scans it (XS: ≈4.5 M computrons for 32 full sectors, ≈31 M for 220),
 * and wear spreads over it.
 */
export function boardAreas(flash: Flash, journalSectors?: number): { journal: Flash; calibration: Flash; counters: Flash } {
  const s = flash.sectorSize;
  const tail = (COUNTER_SECTORS + CALIBRATION_SECTORS) * s;
  const free = (flash.size - tail) / s;
  if (free < 2) throw new RangeError(`journal partition of ${flash.size} bytes too small: needs at least ${tail / s + 2} sectors`);
  const n = journalSectors ?? free;
  if (!(Number.isInteger(n) && n >= 2 && n <= free)) throw new RangeError(`journalSectors ${n}: the partition has room for 2..${free}`);
  return {
    journal: flashPartition(flash, 0, n * s),
    calibration: flashPartition(flash, flash.size - tail, CALIBRATION_SECTORS * s),
    counters: flashPartition(flash, flash.size - COUNTER_SECTORS * s, COUNTER_SECTORS * s),
  };
}
