// XS conformance: the downlink checks the meter runs — a price table checked and
// laid over the feed's prices, malformed tables refused by slot and field, and the
// configuration whitelist (unknown keys named, ranges, persisted in a u32 store).
import type { PriceSlot } from "../../../modules/core/household";
import { checkPriceTable, overlayPrices } from "../../../modules/app/price-table";
import { CloudConfig } from "../../../modules/app/cloud-config";
import { PriceTableStore } from "../../../modules/app/price-store";
import type { Flash } from "../../../modules/core/ports";
import { RamFlash } from "../../../modules/core/ram-flash";


const SLOT = 900_000;
const T0 = Date.UTC(2026, 2, 20);

function slot(k: number, price: number): PriceSlot {
  return { start: T0 + k * SLOT, durationMs: SLOT, importMinorPerKWh: price, exportMinorPerKWh: 8.2, renewableShare: 0.25 };
}

export function run(): unknown {
  const feed = Array.from({ length: 96 }, (_, k) => slot(k, 30 + (k % 7)));
  const table = Array.from({ length: 8 }, (_, k) => slot(40 + k, 2.5));
  const ok = checkPriceTable(table, T0 + 10 * SLOT);
  const merged = "slots" in ok ? overlayPrices(feed, ok.slots) : [];
  const bad = [
    checkPriceTable([slot(0, -1)], T0),
    checkPriceTable([slot(0, 1), slot(2, 1)], T0),
    checkPriceTable([{ ...slot(0, 1), start: T0 + 1 }], T0),
    checkPriceTable([{ ...slot(0, 1), renewableShare: 2 }], T0),
    checkPriceTable([slot(0, 1)], T0 + 86_400_000),
    checkPriceTable("x", T0),
  ];
  const stored = new Map<number, number>();
  const applied: string[] = [];
  const settings = {
    publishIntervalMs: { min: 1000, max: 3_600_000, unit: "ms", storeKey: 1, apply: (v: number) => void applied.push(`period ${v}`) },
    demandLimitW: { min: 1000, max: 100_000, unit: "W", storeKey: 2, apply: (v: number) => void applied.push(`limit ${v}`) },
  };
  const store = { get: (k: number) => stored.get(k), set: (k: number, v: number) => void stored.set(k, v) };
  const config = new CloudConfig(settings, store);
  const results = [
    config.apply({ demandLimitW: 9000, publishIntervalMs: 5000 }),
    config.apply({ demandLimitW: 9000, colour: "red" }),
    config.apply({ demandLimitW: 12.5 }),
    config.apply([]),
  ];
  const rebooted = new CloudConfig(settings, store).restore();
  const priceFlash = new RamFlash(6 * 4096);
  const thirds = table.map((s, k) => ({ ...s, importMinorPerKWh: (k + 1) / 3 }));
  new PriceTableStore(priceFlash).save(table);
  new PriceTableStore(priceFlash).save(thirds);
  const loaded = new PriceTableStore(priceFlash).load();
  return {
    ok: "slots" in ok ? ok.slots.length : ok.error,
    mergedLength: merged.length,
    mergedAt40: merged.find((s) => s.start === T0 + 40 * SLOT),
    mergedAt39: merged.find((s) => s.start === T0 + 39 * SLOT),
    bad: bad.map((b) => ("error" in b ? b.error : "accepted")),
    results,
    applied,
    rebooted,
    storedBitExact: JSON.stringify(loaded) === JSON.stringify(thirds),
    storedFirst: loaded?.[0],
  };
}
