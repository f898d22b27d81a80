// The counter store on the core record log: its sector copy, its capacity, and the one-time
// migration of a store written in the format before the record log (16-byte "RNTC" records).
import { describe, expect, it } from "vitest";
import { crc32 as zlibCrc32 } from "node:zlib";
import { FlashCounterStore, MAX_COUNTER_KEYS } from "../../modules/secure/counter-store";
import { RamFlash } from "../../modules/core/ram-flash";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";
import type { Flash } from "../../modules/core/ports";

/** Writes a store as the old FlashCounterStore left it: generation header, then key/value records. */
function writeLegacy(flash: Flash, sector: number, gen: number, values: [number, number][]): void {
  flash.eraseSector(sector);
  const rec = (key: number, value: number) => {
    const b = Buffer.alloc(16);
    b.writeUInt32LE(0x43544e52, 0);
    b.writeUInt32LE(key, 4);
    b.writeUInt32LE(value, 8);
    b.writeUInt32LE(zlibCrc32(b.subarray(0, 12)), 12);
    return new Uint8Array(b);
  };
  flash.program(sector * flash.sectorSize, rec(0xffffffff, gen));
  values.forEach(([k, v], i) => flash.program(sector * flash.sectorSize + 16 * (i + 1), rec(k, v)));
}

const LEGACY: [number, number][] = [...Array.from({ length: 40 }, (_, i): [number, number] => [i + 1, 1000 * (i + 1)]), [0x424f4f54, 17], [0, 123_456]];

describe("counter store on the record log", () => {
  it("keeps every key across many sector turns of a 2-sector and a 5-sector partition", () => {
    for (const sectors of [2, 5]) {
      const flash = new NorFlashSim({ size: sectors * 4096, strictProgram: true });
      let store = new FlashCounterStore(flash);
      const want = new Map<number, number>();
      for (let i = 0; i < 3000; i++) {
        const key = i % 7 === 0 ? 1000 + (i % 90) : i % 5;
        store.set(key, i);
        want.set(key, i);
        if (i % 500 === 0) store = new FlashCounterStore(flash);
      }
      const back = new FlashCounterStore(flash);
      expect(new Map(back.keys().map((k) => [k, back.get(k)]))).toEqual(want);
      const erases = flash.eraseCounts();
      expect(Math.min(...erases), `${sectors} sectors`).toBeGreaterThan(0);
    }
  });

  it("holds as many keys as a sector has records, and refuses one more", () => {
    const store = new FlashCounterStore(new RamFlash(2 * 4096));
    expect(store.maxKeys).toBe(MAX_COUNTER_KEYS);
    for (let k = 0; k < MAX_COUNTER_KEYS; k++) store.set(k, k);
    expect(() => store.set(MAX_COUNTER_KEYS, 1)).toThrow(/counter store full/);
    for (let round = 0; round < 5; round++) for (let k = 0; k < MAX_COUNTER_KEYS; k++) store.set(k, k + round);
    expect(new FlashCounterStore(store["flash"] as Flash).get(MAX_COUNTER_KEYS - 1)).toBe(MAX_COUNTER_KEYS - 1 + 4);
  });

  it("a power cut at any point of a sector copy loses no key", () => {
    for (let cut = 0; cut < 4096 + 64 * 32; cut += 131) {
      const flash = new NorFlashSim({ size: 2 * 4096, seed: cut });
      const store = new FlashCounterStore(flash);
      for (let k = 0; k < 60; k++) store.set(k, k * 10);
      let i = 0;
      flash.cutAfterBytes(cut);
      try { for (;; i++) store.set(i % 3, 1_000_000 + i); } catch (e) { if (!(e instanceof PowerCut)) throw e; }
      flash.reboot();
      const back = new FlashCounterStore(flash);
      for (let k = 3; k < 60; k++) expect(back.get(k), `key ${k}, cut ${cut}`).toBe(k * 10);
      for (let k = 0; k < 3; k++) expect(back.get(k)! >= 1_000_000 || back.get(k) === k * 10).toBe(true);
    }
  });
});

describe("migration from the format before the record log", () => {
  it("reads an old store's values (its newer generation), and keeps them across reboots and writes", () => {
    const flash = new RamFlash(2 * 4096);
    writeLegacy(flash, 0, 4, LEGACY.map(([k, v]) => [k, v - 1])); // older generation: ignored
    writeLegacy(flash, 1, 5, LEGACY);
    const store = new FlashCounterStore(flash);
    expect(new Map(store.keys().map((k) => [k, store.get(k)]))).toEqual(new Map(LEGACY));
    for (let i = 0; i < 400; i++) store.set(7, 7000 + i); // turns the ring: the old sector is erased
    const back = new FlashCounterStore(flash);
    expect(back.get(7)).toBe(7399);
    expect(back.get(0x424f4f54)).toBe(17);
    expect(back.get(40)).toBe(40_000);
  });

  it("a power cut at any point of the migration keeps the old values, and the next boot finishes it", () => {
    for (let cut = 0; cut < 4096 + 24 * 32; cut += 61) {
      const flash = new NorFlashSim({ size: 2 * 4096, seed: cut });
      writeLegacy(flash, 0, 9, LEGACY);
      flash.cutAfterBytes(cut);
      try { new FlashCounterStore(flash); } catch (e) { if (!(e instanceof PowerCut)) throw e; }
      flash.reboot();
      const back = new FlashCounterStore(flash);
      expect(new Map(back.keys().map((k) => [k, back.get(k)])), `cut after ${cut} bytes`).toEqual(new Map(LEGACY));
    }
  });

  it("a blank old store (its boot wrote only a generation header) migrates to an empty store", () => {
    const flash = new RamFlash(2 * 4096);
    writeLegacy(flash, 0, 0, []);
    const store = new FlashCounterStore(flash);
    expect(store.keys()).toEqual([]);
    store.set(3, 4);
    expect(new FlashCounterStore(flash).get(3)).toBe(4);
  });
});
