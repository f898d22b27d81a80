import { DAY, HOUR, MINUTE } from "../../../modules/core/clock";
import type { GridState, PriceSlot } from "../../../modules/core/household";
import { Prng } from "./prng";
import type { Weather } from "./weather";

/**
 * The utility's day-ahead prices: 96 quarter-hour slots per day, published
 * at 12:00 UTC for the next day (a household holds today's and, after noon,
 * tomorrow's). The wholesale curve has the usual shape — cheap nights, a
 * morning and an evening peak, a midday dip that deepens on sunny days and
 * may go below zero — plus grid fees, levies and VAT for the retail price.
 * Prices are in cents per kWh (minor units), rounded to 0.01 ct.
 */
export const SLOT_MS = 15 * MINUTE;
export const PUBLISH_HOUR = 12;

export interface PriceFeedOptions {
  /** Fees and levies added to wholesale (ct/kWh, before VAT). */
  feesMinorPerKWh?: number;
  vat?: number;
  /** Feed-in tariff for export (ct/kWh). */
  exportMinorPerKWh?: number;
}

export class PriceFeed {
  private readonly cache = new Map<number, PriceSlot[]>();
  private readonly fees: number;
  private readonly vat: number;
  private readonly exportPrice: number;

  constructor(
    private readonly seed: number,
    private readonly weather: Weather,
    options: PriceFeedOptions = {},
  ) {
    this.fees = options.feesMinorPerKWh ?? 16;
    this.vat = options.vat ?? 0.19;
    this.exportPrice = options.exportMinorPerKWh ?? 8.2;
  }

  /** The 96 slots of the day that contains t. */
  day(t: number): PriceSlot[] {
    const index = Math.floor(t / DAY);
    let slots = this.cache.get(index);
    if (!slots) {
      slots = this.build(index);
      this.cache.set(index, slots);
    }
    return slots;
  }

  /** The slot in force at t. */
  slotAt(t: number): PriceSlot {
    return this.day(t)[Math.floor((t % DAY) / SLOT_MS)];
  }

  /** What the household has been told by time t: today, and tomorrow after publication. */
  published(t: number): PriceSlot[] {
    const today = this.day(t);
    return (t % DAY) / HOUR >= PUBLISH_HOUR ? today.concat(this.day(t + DAY)) : today;
  }

  /** When the last publication happened (ms). */
  publishedAt(t: number): number {
    const d = t - (t % DAY);
    return (t % DAY) / HOUR >= PUBLISH_HOUR ? d + PUBLISH_HOUR * HOUR : d - DAY + PUBLISH_HOUR * HOUR;
  }

  private build(dayIndex: number): PriceSlot[] {
    const rng = new Prng(this.seed, `prices/${dayIndex}`);
    const start = dayIndex * DAY;
    const w = this.weather.day(start);
    const base = rng.uniform(7, 11); // ct/kWh wholesale
    const slots: PriceSlot[] = [];
    let wiggle = 0;
    for (let k = 0; k < 96; k++) {
      const t = start + k * SLOT_MS;
      const h = k / 4;
      const morning = 4.5 * bump(h, 8, 1.5);
      const evening = 7.5 * bump(h, 19, 2);
      const solar = this.weather.sunFactor(t + SLOT_MS / 2);
      const solarDip = -11 * w.sunniness * solar;
      const night = -2.5 * bump(h, 3, 2.5);
      const windDip = -4 * w.wind;
      wiggle = 0.7 * wiggle + 0.5 * rng.gauss();
      const wholesale = base + morning + evening + solarDip + night + windDip + wiggle;
      const renewable = Math.min(0.95, Math.max(0.05, 0.2 + 0.45 * w.wind + 0.55 * w.sunniness * solar));
      slots.push({
        start: t,
        durationMs: SLOT_MS,
        importMinorPerKWh: round2((Math.max(wholesale, -5) + this.fees) * (1 + this.vat)),
        exportMinorPerKWh: this.exportPrice,
        renewableShare: round2(renewable),
      });
    }
    return slots;
  }
}

/**
 * Renewable availability and the co-generator (a household CHP unit): it runs
 * when heat is needed and electricity is dear, and has a rare seeded fault.
 */
export class GridStatusFeed {
  constructor(
    private readonly seed: number,
    private readonly prices: PriceFeed,
  ) {}

  state(t: number, thermalDemandW: number): GridState {
    const slot = this.prices.slotAt(t);
    const faultRng = new Prng(this.seed, `chp/${Math.floor(t / DAY)}`);
    const faultStart = faultRng.chance(0.3) ? (t - (t % DAY)) + faultRng.int(0, 95) * SLOT_MS : -1;
    const inFault = faultStart >= 0 && t >= faultStart && t < faultStart + 2 * HOUR;
    const running = !inFault && thermalDemandW > 2500 && slot.importMinorPerKWh > 30;
    return {
      renewableAvailable: slot.renewableShare >= 0.5,
      renewableShare: slot.renewableShare,
      cogenerator: inFault ? "fault" : running ? "running" : "off",
      thermalDemandW: Math.round(thermalDemandW),
      pricesUpdatedAt: this.prices.publishedAt(t),
      pricesStale: false,
    };
  }
}

function bump(h: number, centre: number, width: number): number {
  const d = (h - centre) / width;
  return Math.exp(-0.5 * d * d);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
