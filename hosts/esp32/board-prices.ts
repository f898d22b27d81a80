// The aggregator's base prices on the board: the contract's flat tariff
// (mc/config xsmeter.tariff) in hourly slots, until and beside the utility's
// price table from the cloud (AggregatorApp lays that table over these). The
// booking needs a price slot at every instant, so a board without a cloud link
// still books its energy at the contract price. The same slot objects are
// handed out all day: the aggregator's overlay cache keys on them.
import type { PriceSlot } from "../../modules/core/household";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface Tariff {
  importMinorPerKWh: number;
  exportMinorPerKWh: number;
}

export function flatTariffPrices(tariff: Tariff): (t: number) => PriceSlot[] {
  let day = NaN;
  let slots: PriceSlot[] = [];
  return (t) => {
    const d = Math.floor(t / DAY);
    if (d !== day) {
      day = d;
      slots = [];
      for (let h = 0; h < 24; h++) slots.push({ start: d * DAY + h * HOUR, durationMs: HOUR, importMinorPerKWh: tariff.importMinorPerKWh, exportMinorPerKWh: tariff.exportMinorPerKWh, renewableShare: 0 });
    }
    return slots;
  };
}
