import { describe, expect, it } from "vitest";
import { bill, monthBill } from "../../modules/energy/bill";
import { LoadProfile } from "../../modules/energy/profile";
import { priceAt, type Tariff } from "../../modules/energy/tariff";

const MAR = Date.UTC(2026, 2, 1); // a Sunday
const Q = 15 * 60_000;

const tariff: Tariff = {
  currency: "EUR",
  vatBasisPoints: 1900,
  fixedMinorPerDay: 30,
  fixedMinorPerMonth: 900,
  importMilliMinorPerKWh: 30000,
  tou: [{ name: "night", register: 2, days: 0b1111111, fromMinute: 22 * 60, toMinute: 6 * 60, milliMinorPerKWh: 20000 }],
  exportMilliMinorPerKWh: 8000,
  capacityMilliMinorPerKWMonth: 4000,
  capacityMinimumKW: 2.5,
};

describe("tariffs and bills", () => {
  it("prices by TOU (wrapping midnight), dynamic slots, or flat", () => {
    expect(priceAt(tariff, MAR + 23 * 3600_000).source).toBe("night");
    expect(priceAt(tariff, MAR + 5 * 3600_000).register).toBe(2);
    expect(priceAt(tariff, MAR + 12 * 3600_000).source).toBe("flat");
    const dyn = { ...tariff, dynamic: [{ start: MAR + 12 * 3600_000, durationMs: Q, importMilliMinorPerKWh: 1234 }] };
    expect(priceAt(dyn, MAR + 12 * 3600_000 + 60_000).importMilli).toBe(1234);
    expect(priceAt(dyn, MAR + 12 * 3600_000 + Q).source).toBe("flat");
  });

  it("bills a day: energy by price, export, fixed fees, capacity (T17), VAT, all in integer cents", () => {
    const p = new LoadProfile(35);
    // 1 kWh per quarter everywhere except one 3-kWh quarter at 12:00 (peak 12 kW); 0.5 kWh export at noon hours.
    for (let q = 0; q < 96; q++) {
      const t = MAR + q * Q + 60_000;
      p.add(t, q === 48 ? 3000 : 1000, q >= 44 && q < 52 ? 500 : 0);
    }
    const b = bill(tariff, p, MAR, MAR + 86_400_000);
    const byLabel = Object.fromEntries(b.lines.map((l) => [l.label, l]));
    // 32 night quarters (22–06) at 20 ct, 64 day quarters at 30 ct, one of them 3 kWh.
    expect(byLabel["Energy import (night)"].quantity).toBe(32);
    expect(byLabel["Energy import (night)"].amountMinor).toBe(32 * 20);
    expect(byLabel["Energy import (flat)"].amountMinor).toBe(66 * 30);
    expect(byLabel["Energy export (feed-in)"].amountMinor).toBe(-Math.round(4 * 8));
    expect(byLabel["Fixed fee per day"].amountMinor).toBe(30);
    expect(byLabel["Fixed fee per month"].amountMinor).toBe(Math.round(900 / 31));
    // T17: quarter-hour kW = kWh × 4 → 12 kW peak; 4 ct/kW-month for 1/31 month.
    expect(byLabel["Capacity (monthly 15-min peak)"].quantity).toBe(12);
    expect(byLabel["Capacity (monthly 15-min peak)"].amountMinor).toBe(Math.round((12 * 4) / 31));
    const net = 640 + 1980 - 32 + 30 + 29 + 2;
    expect(byLabel["VAT 19 %"].amountMinor).toBe(Math.round(net * 0.19));
    expect(b.totalMinor).toBe(net + Math.round(net * 0.19));
    for (const l of b.lines) expect(Number.isInteger(l.amountMinor)).toBe(true);
  });

  it("forecasts the month from the profile of the last days", () => {
    const p = new LoadProfile(35);
    const flat: Tariff = { currency: "EUR", vatBasisPoints: 0, importMilliMinorPerKWh: 40000 };
    // 10 days of 0.25 kWh every quarter = 24 kWh/day = 9.60 EUR/day.
    for (let q = 0; q < 10 * 96; q++) p.add(MAR + q * Q + 1000, 250, 0);
    const now = MAR + 10 * 86_400_000;
    const m = monthBill(flat, p, now);
    expect(m.totalMinor).toBe(10 * 960);
    expect(m.forecastMonthMinor).toBe(31 * 960);
  });
});
