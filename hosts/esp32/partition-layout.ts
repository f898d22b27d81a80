import type { Flash } from "../../modules/core/ports";
import { flashPartition } from "../../modules/core/ports";

/** Sectors at the end of the journal partition that other stores own. */
export const COUNTER_SECTORS = 2;
export const CALIBRATION_SECTORS = 2;
/** The aggregator's cloud sectors, just before those: MQTT outbox, cloud counters, price table. */
export const OUTBOX_SECTORS = 16;
export const CLOUD_COUNTER_SECTORS = 2;
export const PRICE_SECTORS = 6;
export const CLOUD_SECTORS = OUTBOX_SECTORS + CLOUD_COUNTER_SECTORS + PRICE_SECTORS;

/**
 * How the board splits its journal partition (partitions.csv "xsjournal"):
 * the energy journal's ring first (`journalSectors` of it, default all that is
 * left), then the cloud's 24 sectors (board-cloud.ts: MQTT outbox, boot and
 * downlink counters with the cloud settings, the utility's price table; a slave
 * leaves them unused), then the calibration record's two alternating sectors,
 * then the CAN freshness counters' two sectors last — where they were before
 * the cloud sectors existed, so a board's calibration survives the update. Each store gets a window of its own,
 * so none can erase another's sector. The ring's length is a trade: every
 * boot scans it (XS: ≈4.5 M computrons for 32 full sectors, ≈31 M for 220),
 * and wear spreads over it.
 */
export interface BoardAreas {
  journal: Flash;
  calibration: Flash;
  counters: Flash;
  cloud: { outbox: Flash; counters: Flash; prices: Flash };
}

export function boardAreas(flash: Flash, journalSectors?: number): BoardAreas {
  const s = flash.sectorSize;
  const stores = (COUNTER_SECTORS + CALIBRATION_SECTORS) * s;
  const tail = stores + CLOUD_SECTORS * s;
  const free = (flash.size - tail) / s;
  if (free < 2) throw new RangeError(`journal partition of ${flash.size} bytes too small: needs at least ${tail / s + 2} sectors`);
  const n = journalSectors ?? free;
  if (!(Number.isInteger(n) && n >= 2 && n <= free)) throw new RangeError(`journalSectors ${n}: the partition has room for 2..${free}`);
  const cloud = flash.size - tail;
  return {
    journal: flashPartition(flash, 0, n * s),
    calibration: flashPartition(flash, flash.size - stores, CALIBRATION_SECTORS * s),
    counters: flashPartition(flash, flash.size - COUNTER_SECTORS * s, COUNTER_SECTORS * s),
    cloud: {
      outbox: flashPartition(flash, cloud, OUTBOX_SECTORS * s),
      counters: flashPartition(flash, cloud + OUTBOX_SECTORS * s, CLOUD_COUNTER_SECTORS * s),
      prices: flashPartition(flash, cloud + (OUTBOX_SECTORS + CLOUD_COUNTER_SECTORS) * s, PRICE_SECTORS * s),
    },
  };
}
