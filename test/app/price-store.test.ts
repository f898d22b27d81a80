// The utility's price table on flash: round trip (bit-exact prices), halves
// alternating, a power cut at any point of a save keeps the previous table, and
// a torn or foreign record reads as nothing rather than as prices.
import { describe, expect, it } from "vitest";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";
import { PriceTableStore, priceRecordLength } from "../../modules/app/price-store";
import type { PriceSlot } from "../../modules/core/household";

const T0 = Date.UTC(2026, 2, 20);
const table = (n: number, base: number): PriceSlot[] =>
  Array.from({ length: n }, (_, k) => ({ start: T0 + k * 900_000, durationMs: 900_000, importMinorPerKWh: base + k / 7, exportMinorPerKWh: 8.2, renewableShare: (k % 10) / 10 }));

describe("PriceTableStore", () => {
  it("keeps the newest table across reboots, bit for bit", () => {
    const flash = new NorFlashSim({ size: 6 * 4096 });
    expect(new PriceTableStore(flash).load()).toBeUndefined();
    const a = table(384, 20);
    new PriceTableStore(flash).save(a);
    flash.reboot();
    expect(new PriceTableStore(flash).load()).toEqual(a);
    const b = table(96, 31);
    const store = new PriceTableStore(flash);
    store.save(b);
    store.save(table(8, 5));
    flash.reboot();
    expect(new PriceTableStore(flash).load()).toEqual(table(8, 5));
    expect(priceRecordLength(384)).toBe(24 + 384 * 24 + 4);
    expect(() => new PriceTableStore(new NorFlashSim({ size: 4 * 4096 }))).toThrow(/even number of sectors/);
  });

  it("a power cut anywhere in a save leaves the previous table", () => {
    const old = table(96, 20);
    const next = table(200, 40);
    const length = 3 * 4096 + priceRecordLength(200); // erase of the other half, then the record
    for (const cut of [0, 1, 4095, 4096 * 3 - 1, 4096 * 3 + 3, 4096 * 3 + 2000, length - 1]) {
      const flash = new NorFlashSim({ size: 6 * 4096 });
      new PriceTableStore(flash).save(old);
      flash.cutAfterBytes(cut);
      expect(() => new PriceTableStore(flash).save(next)).toThrow(PowerCut);
      flash.reboot();
      expect(new PriceTableStore(flash).load(), `cut ${cut}`).toEqual(old);
    }
    const flash = new NorFlashSim({ size: 6 * 4096 });
    new PriceTableStore(flash).save(old);
    flash.cutAfterBytes(length + 10); // enough for the whole save
    new PriceTableStore(flash).save(next);
    flash.disarm();
    flash.reboot();
    expect(new PriceTableStore(flash).load()).toEqual(next);
  });

  it("reads a flipped bit or another record as nothing", () => {
    const flash = new NorFlashSim({ size: 6 * 4096 });
    new PriceTableStore(flash).save(table(10, 1));
    flash.program(24 + 6, Uint8Array.of(0x00)); // clear the exponent bits of the first price (0xF0)
    expect(new PriceTableStore(flash).load()).toBeUndefined();
    flash.eraseSector(0);
    flash.program(0, new TextEncoder().encode("XCAL\u0001"));
    expect(new PriceTableStore(flash).load()).toBeUndefined();
  });
});
