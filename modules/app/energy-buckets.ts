/**
 * Booked energy and money into buckets (hours, days) so that the buckets of a range add
 * up to the bill of that range to the cent: money is summed in booking order and rounded
 * cumulatively — a bucket gets round(sum to its end) − round(sum to its start) — the way
 * a bill rounds its import and export lines once.
 */
import type { EnergyBucket } from "../core/household";

/** One booked amount: a price slot's energy and its exact (unrounded) money. */
export interface BookedAmount {
  start: number;
  importWh: number;
  exportWh: number;
  importMinor: number;
  exportMinor: number;
  /** Price slots it stands for (0 for a roll-up of slots no longer kept one by one). */
  slots: number;
}

/** `items` in booking order (oldest first); those starting outside [from, to) are left out. */
export function bucketize(items: Iterable<BookedAmount>, from: number, to: number, stepMs: number): EnergyBucket[] {
  const out: EnergyBucket[] = [];
  for (let t = from; t < to; t += stepMs) out.push({ t, stepMs, importWh: 0, exportWh: 0, importMinor: 0, exportMinor: 0, netMinor: 0, slots: 0 });
  let cumImp = 0, cumExp = 0;
  for (const x of items) {
    if (x.start < from || x.start >= to) continue;
    const b = out[Math.floor((x.start - from) / stepMs)];
    const i0 = Math.round(cumImp), e0 = Math.round(cumExp);
    cumImp += x.importMinor;
    cumExp += x.exportMinor;
    b.importWh += x.importWh;
    b.exportWh += x.exportWh;
    b.importMinor += Math.round(cumImp) - i0;
    b.exportMinor += Math.round(cumExp) - e0;
    b.netMinor = b.importMinor - b.exportMinor;
    b.slots += x.slots;
  }
  for (const b of out) {
    b.importWh = Math.round(b.importWh * 1000) / 1000;
    b.exportWh = Math.round(b.exportWh * 1000) / 1000;
  }
  return out;
}
