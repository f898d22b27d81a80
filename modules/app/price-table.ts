/**
 * Checks a price table sent by the utility (the cloud's `cmd/price`) before it
 * replaces the meter's prices: what the load controller plans on and the bill
 * charges must never be garbage. Slots are 15 min or 1 h (all the same),
 * aligned to that grid in UTC, contiguous and ascending; prices finite and
 * ≥ 0 (minor units per kWh, VAT included); renewable share in 0..1 (default 0);
 * and the table must reach past `now`. The first fault is reported, naming
 * the slot and field.
 */
import type { PriceSlot } from "../core/household";

export const MAX_PRICE_SLOTS = 4 * 96;
const DURATIONS = Object.freeze([15 * 60_000, 60 * 60_000]); // frozen: xsl keeps it in flash
/** Above this a price is a unit mistake (EUR instead of ct), not a price. */
const MAX_MINOR_PER_KWH = 100_000;

export type PriceTableCheck = { slots: PriceSlot[] } | { error: string };

export function checkPriceTable(raw: unknown, now: number): PriceTableCheck {
  if (!Array.isArray(raw)) return { error: "price: slots must be an array" };
  if (raw.length === 0) return { error: "price: no slots" };
  if (raw.length > MAX_PRICE_SLOTS) return { error: `price: ${raw.length} slots, at most ${MAX_PRICE_SLOTS}` };
  const slots: PriceSlot[] = [];
  for (let i = 0; i < raw.length; i++) {
    const s = raw[i] as Record<string, unknown>;
    const at = `price: slot ${i}`;
    if (typeof s !== "object" || s === null) return { error: `${at}: not an object` };
    const { start, durationMs, importMinorPerKWh, exportMinorPerKWh } = s;
    const renewableShare = s.renewableShare ?? 0;
    if (typeof start !== "number" || !Number.isSafeInteger(start) || start < 0) return { error: `${at}: start must be a time in ms (got ${JSON.stringify(start)})` };
    if (typeof durationMs !== "number" || !DURATIONS.includes(durationMs)) return { error: `${at}: durationMs must be 900000 (15 min) or 3600000 (1 h) (got ${JSON.stringify(durationMs)})` };
    if (durationMs !== (slots[0]?.durationMs ?? durationMs)) return { error: `${at}: durationMs ${durationMs} differs from slot 0's ${slots[0].durationMs}` };
    if (start % durationMs !== 0) return { error: `${at}: start ${new Date(start).toISOString()} is not aligned to ${durationMs / 60_000} min` };
    const prev = slots[i - 1];
    if (prev && start !== prev.start + prev.durationMs) return { error: `${at}: starts at ${new Date(start).toISOString()}, expected ${new Date(prev.start + prev.durationMs).toISOString()} (slots must be contiguous and ascending)` };
    for (const [name, v] of [["importMinorPerKWh", importMinorPerKWh], ["exportMinorPerKWh", exportMinorPerKWh]] as const) {
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > MAX_MINOR_PER_KWH) return { error: `${at}: ${name} must be a finite number in 0..${MAX_MINOR_PER_KWH} (got ${JSON.stringify(v)})` };
    }
    if (typeof renewableShare !== "number" || !(renewableShare >= 0 && renewableShare <= 1)) return { error: `${at}: renewableShare must be in 0..1 (got ${JSON.stringify(renewableShare)})` };
    slots.push({ start, durationMs, importMinorPerKWh: importMinorPerKWh as number, exportMinorPerKWh: exportMinorPerKWh as number, renewableShare });
  }
  const last = slots[slots.length - 1];
  if (last.start + last.durationMs <= now) return { error: `price: the table ends at ${new Date(last.start + last.durationMs).toISOString()}, in the past` };
  return { slots };
}

/**
 * `base` with `table` laid over it: every base slot overlapping the table's span
 * is replaced, the rest kept; ascending by start.
 */
export function overlayPrices(base: PriceSlot[], table: PriceSlot[]): PriceSlot[] {
  if (table.length === 0) return base;
  const from = table[0].start;
  const to = table[table.length - 1].start + table[table.length - 1].durationMs;
  const kept = base.filter((s) => s.start + s.durationMs <= from || s.start >= to);
  return kept.concat(table).sort((a, b) => a.start - b.start);
}
