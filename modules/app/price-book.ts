/**
 * The prices the aggregator books and plans on: the day-ahead feed (its ports)
 * with the utility's price table (cloud downlink, checked by price-table.ts) laid
 * over the slots it covers. The overlay is cached, since the page, the policy and
 * the booking ask for it every cycle.
 */
import type { PriceSlot } from "../core/household";
import { checkPriceTable, overlayPrices } from "./price-table";

export class PriceBook {
  /** The utility's price table, and when it came (-Infinity: none yet). */
  private cloudPrices: PriceSlot[] = [];
  private cloudPricesAt = -Infinity;
  /** The last overlay, and the feed's slots and table version it was made from. */
  private merged = { base: [] as PriceSlot[], version: -1, slots: [] as PriceSlot[] };
  private cloudVersion = 0;

  /** `feed.prices`: the published day-ahead prices at t (today, and tomorrow after publication). */
  constructor(private readonly feed: { prices(t: number): PriceSlot[] }) {}

  /** Checks the utility's table and, when sound, lays it over the feed from now on. */
  apply(raw: unknown, now: number): { ok: true } | { ok: false; error: string } {
    const checked = checkPriceTable(raw, now);
    if ("error" in checked) return { ok: false, error: checked.error };
    this.cloudPrices = checked.slots;
    this.cloudPricesAt = now;
    this.cloudVersion++;
    return { ok: true };
  }

  /** When the utility's table in force came (-Infinity: none). */
  get tableAt(): number {
    return this.cloudPricesAt;
  }

  /** The utility's table in force (empty when none was received), to persist it. */
  table(): PriceSlot[] {
    return this.cloudPrices.slice();
  }

  /** The prices in force at t: the feed's with the utility's table over them. */
  pricesAt(t: number): PriceSlot[] {
    const base = this.feed.prices(t);
    if (this.cloudPrices.length === 0) return base;
    const m = this.merged;
    // the sim's feed hands out a new array of the same slot objects per call: reuse the overlay
    // while every slot is the very same object (a feed that builds new ones gets a fresh overlay)
    if (m.version !== this.cloudVersion || !sameSlots(base, m.base)) {
      this.merged = { base, version: this.cloudVersion, slots: overlayPrices(base, this.cloudPrices) };
    }
    return this.merged.slots;
  }

  /** The slot holding t, if the prices in force at t have one. */
  slotAt(t: number): PriceSlot | undefined {
    return this.pricesAt(t).find((s) => t >= s.start && t < s.start + s.durationMs);
  }
}

function sameSlots(a: PriceSlot[], b: PriceSlot[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
