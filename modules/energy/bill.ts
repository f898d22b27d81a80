/**
 * The bill for any period from the 15-min load profile, and a month forecast.
 * Every amount is computed in millionths of a minor unit (Wh × milli-minor per
 * kWh is exact in integers) and rounded once per line; VAT is added once on
 * the net total.
 */
import type { BillLine, BillView } from "../core/household";
import { LoadProfile, QUARTER_MS } from "./profile";
import { microToMinor, priceAt, type Tariff } from "./tariff";

const DAY = 86_400_000;

type EnergyAt = (start: number) => { importWh: number; exportWh: number };

/** The bill for [from, to) (aligned down to quarter hours). */
export function bill(tariff: Tariff, profile: LoadProfile, from: number, to: number, forecastMonthMinor = 0): BillView {
  return billWith(tariff, (s) => profile.interval(s), from, to, forecastMonthMinor);
}

function billWith(tariff: Tariff, energyAt: EnergyAt, from: number, to: number, forecastMonthMinor: number): BillView {
  const start = from - (from % QUARTER_MS);
  const imports = new Map<string, { wh: number; micro: number }>();
  let exportWh = 0;
  let exportMicro = 0;
  for (let q = start; q < to; q += QUARTER_MS) {
    const e = energyAt(q);
    if (e.importWh === 0 && e.exportWh === 0) continue;
    const p = priceAt(tariff, q);
    const line = imports.get(p.source) ?? { wh: 0, micro: 0 };
    line.wh += e.importWh;
    line.micro += e.importWh * p.importMilli;
    imports.set(p.source, line);
    exportWh += e.exportWh;
    exportMicro += e.exportWh * p.exportMilli;
  }
  const lines: BillLine[] = [];
  for (const [source, l] of imports) lines.push({ label: `Energy import (${source})`, quantity: l.wh / 1000, unit: "kWh", amountMinor: microToMinor(l.micro) });
  if (exportWh > 0) lines.push({ label: "Energy export (feed-in)", quantity: exportWh / 1000, unit: "kWh", amountMinor: -microToMinor(exportMicro) });
  if (tariff.fixedMinorPerDay) lines.push({ label: "Fixed fee per day", quantity: (to - from) / DAY, unit: "days", amountMinor: microToMinor(tariff.fixedMinorPerDay * 1e6 * (to - from) / DAY) });
  let monthMicro = 0;
  let capacityMicro = 0;
  let peakKW = 0;
  for (const m of months(from, to, tariff.utcOffsetMinutes ?? 0)) {
    const fraction = (m.to - m.from) / (m.monthEnd - m.monthStart);
    if (tariff.fixedMinorPerMonth) monthMicro += tariff.fixedMinorPerMonth * 1e6 * fraction;
    if (tariff.capacityMilliMinorPerKWMonth) {
      let peak = 0;
      for (let q = m.from - (m.from % QUARTER_MS); q < m.to; q += QUARTER_MS) peak = Math.max(peak, (energyAt(q).importWh * 4) / 1000);
      peakKW = Math.max(peakKW, peak);
      capacityMicro += Math.max(peak, tariff.capacityMinimumKW ?? 0) * tariff.capacityMilliMinorPerKWMonth * 1000 * fraction;
    }
  }
  if (tariff.fixedMinorPerMonth) lines.push({ label: "Fixed fee per month", amountMinor: microToMinor(monthMicro) });
  if (tariff.capacityMilliMinorPerKWMonth) lines.push({ label: "Capacity (monthly 15-min peak)", quantity: peakKW, unit: "kW", amountMinor: microToMinor(capacityMicro) });
  let net = 0;
  for (const l of lines) net += l.amountMinor;
  const vat = net > 0 ? Math.round((net * tariff.vatBasisPoints) / 10000) : 0;
  lines.push({ label: `VAT ${tariff.vatBasisPoints / 100} %`, amountMinor: vat });
  return { currency: tariff.currency, from, to, lines, totalMinor: net + vat, forecastMonthMinor };
}

/** Calendar months (local time) overlapping [from, to), with their overlap. */
export function months(from: number, to: number, offsetMinutes: number): { from: number; to: number; monthStart: number; monthEnd: number }[] {
  const off = offsetMinutes * 60_000;
  const out = [];
  const d = new Date(from + off);
  let monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - off;
  while (monthStart < to) {
    const s = new Date(monthStart + off);
    const monthEnd = Date.UTC(s.getUTCFullYear(), s.getUTCMonth() + 1, 1) - off;
    out.push({ from: Math.max(from, monthStart), to: Math.min(to, monthEnd), monthStart, monthEnd });
    monthStart = monthEnd;
  }
  return out;
}

/**
 * The bill for the month containing `now` so far, and its forecast: each
 * future quarter hour gets the mean energy of the same quarter of the day
 * over the last `days` days of the profile, priced as the tariff says.
 */
export function monthBill(tariff: Tariff, profile: LoadProfile, now: number, days = 7): BillView {
  const [m] = months(now, now + 1, tariff.utcOffsetMinutes ?? 0);
  const known = profile.newestStart ?? now;
  const cut = Math.min(now, known + QUARTER_MS);
  const expected: EnergyAt = (q) => {
    if (q < cut) return profile.interval(q);
    let imp = 0, exp = 0, n = 0;
    for (let k = 1; k <= days + 1 && n < days; k++) {
      const past = q - Math.ceil((q - cut + 1) / DAY) * DAY - (k - 1) * DAY;
      const e = profile.interval(past);
      if (!e.known) continue;
      imp += e.importWh;
      exp += e.exportWh;
      n++;
    }
    return n ? { importWh: Math.round(imp / n), exportWh: Math.round(exp / n) } : { importWh: 0, exportWh: 0 };
  };
  const forecast = billWith(tariff, expected, m.monthStart, m.monthEnd, 0).totalMinor;
  return bill(tariff, profile, m.monthStart, now, forecast);
}
