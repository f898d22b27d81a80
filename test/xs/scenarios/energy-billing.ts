// XS conformance: a month's bill (TOU, dynamic slots, export, capacity, fixed fees, VAT) and its forecast.
import { bill, monthBill } from "../../../modules/energy/bill";
import { LoadProfile } from "../../../modules/energy/profile";
import type { DynamicSlot, Tariff } from "../../../modules/energy/tariff";

export function run(): unknown {
  const t0 = Date.UTC(2026, 4, 1);
  const Q = 15 * 60_000;
  const dynamic: DynamicSlot[] = [];
  for (let i = 0; i < 96; i++) dynamic.push({ start: t0 + 9 * 86_400_000 + i * Q, durationMs: Q, importMilliMinorPerKWh: 10000 + ((i * 7919) % 30000) });
  const tariff: Tariff = {
    currency: "EUR", vatBasisPoints: 1900, fixedMinorPerDay: 25, fixedMinorPerMonth: 1000,
    importMilliMinorPerKWh: 31500, exportMilliMinorPerKWh: 8100, capacityMilliMinorPerKWMonth: 4170, capacityMinimumKW: 2.5,
    tou: [{ name: "night", register: 2, days: 127, fromMinute: 22 * 60, toMinute: 6 * 60, milliMinorPerKWh: 22000 }],
    dynamic, utcOffsetMinutes: 120,
  };
  const profile = new LoadProfile(35);
  for (let i = 0; i < 12 * 96; i++) {
    const hour = (i % 96) / 4;
    const imp = 150 + ((i * 37) % 400) + (hour >= 18 && hour < 20 ? 900 : 0);
    const exp = hour >= 10 && hour < 15 ? 300 + ((i * 13) % 200) : 0;
    profile.add(t0 + i * Q + 1000, imp, exp);
  }
  const day = bill(tariff, profile, t0 + 9 * 86_400_000, t0 + 10 * 86_400_000);
  const month = monthBill(tariff, profile, t0 + 12 * 86_400_000);
  return { day, month };
}

export const probes = {
  billDay(): unknown {
    const profile = new LoadProfile(2);
    for (let i = 0; i < 96; i++) profile.add(i * 15 * 60_000, 250, 0);
    return bill({ currency: "EUR", vatBasisPoints: 1900, importMilliMinorPerKWh: 30000 }, profile, 0, 86_400_000).totalMinor;
  },
};
