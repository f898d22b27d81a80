import { describe, expect, it } from "vitest";
import { isMarked, RecordLog, VAR_FLAG, VARIABLE } from "../../modules/core/record-log";
import { RamFlash } from "../../modules/core/ram-flash";
import { crc32 } from "../../modules/core/bytes";
import type { Flash } from "../../modules/core/ports";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";

/** Counts reads; `failNextProgram` makes one program throw (a flash error that is not a power cut). */
class TestFlash implements Flash {
  reads = 0;
  bytes = 0;
  failNextProgram = false;
  constructor(readonly inner: Flash) {}
  get size() { return this.inner.size; }
  get sectorSize() { return this.inner.sectorSize; }
  get pageSize() { return this.inner.pageSize; }
  read(o: number, into: Uint8Array) { this.reads++; this.bytes += into.length; this.inner.read(o, into); }
  program(o: number, d: Uint8Array) {
    if (this.failNextProgram) { this.failNextProgram = false; throw new Error("flash: program failed"); }
    this.inner.program(o, d);
  }
  eraseSector(s: number) { this.inner.eraseSector(s); }
}

const newestByFullRead = (log: RecordLog) => Math.max(...log.records().map((r) => r.seq));

describe("record log boot scan", () => {
  it("reads each sector's first slot and the newest sector only: 8 KiB of a 128 KiB journal", () => {
    const flash = new TestFlash(new RamFlash(32 * 4096));
    const log = new RecordLog(flash, 128);
    log.open();
    for (let i = 0; i < 2 * 1024 + 100; i++) log.append(1 + (i % 3), Uint8Array.of(i & 255));
    flash.reads = flash.bytes = 0;
    const again = new RecordLog(flash, 128);
    const scan = again.open();
    expect([scan.reads, scan.bytesRead]).toEqual([flash.reads, flash.bytes]);
    expect(flash.bytes).toBeLessThanOrEqual(32 * 128 + 4096);
    expect(scan.newest!.seq).toBe(2 * 1024 + 100);
    expect(scan.newest!.seq).toBe(newestByFullRead(again));
    expect(scan.newest!.payload[0]).toBe((2 * 1024 + 99) & 255);
    expect(again.append(1, new Uint8Array(1))).toBe(2 * 1024 + 101);
  });

  it("scans a sector whose first slot is torn in full, so the records after it are found", () => {
    const flash = new NorFlashSim({ size: 4 * 4096, seed: 3 });
    const log = new RecordLog(flash, 128);
    log.open();
    for (let i = 0; i < 32 + 5; i++) log.append(1, Uint8Array.of(i)); // sector 1 holds seq 33..37
    flash.program(4096 + 6, Uint8Array.of(0)); // tear sector 1's first record: clear the bits of its payload (32)
    const scan = new RecordLog(flash, 128).open();
    expect(scan.corrupt).toBe(1);
    expect(scan.newest!.seq).toBe(37);
  });

  it("after a power cut in a sector's first record, boots on the previous record and reuses the sector", () => {
    const flash = new NorFlashSim({ size: 2 * 4096, seed: 5 });
    const log = new RecordLog(flash, 128);
    log.open();
    for (let i = 0; i < 32; i++) log.append(1, Uint8Array.of(i));
    flash.cutAfterBytes(4096 + 60); // the erase of sector 1, then 60 bytes of its first record
    expect(() => log.append(1, Uint8Array.of(99))).toThrow(PowerCut);
    flash.reboot();
    const again = new RecordLog(flash, 128);
    expect(again.open().newest!.seq).toBe(32);
    expect(again.append(1, Uint8Array.of(7))).toBe(33);
    expect(new RecordLog(flash, 128).open().newest!.payload[0]).toBe(7);
  });

  it("after a failed program of a sector's first slot (no reboot), erases the sector again and writes it first", () => {
    const flash = new TestFlash(new RamFlash(2 * 4096));
    const log = new RecordLog(flash, 128);
    log.open();
    for (let i = 0; i < 32; i++) log.append(1, Uint8Array.of(i));
    flash.failNextProgram = true;
    expect(() => log.append(1, Uint8Array.of(99))).toThrow(/program failed/);
    log.append(1, Uint8Array.of(100));
    log.append(1, Uint8Array.of(101));
    const scan = new RecordLog(flash, 128).open();
    expect(scan.newest!.seq).toBe(34);
    expect(scan.newest!.payload[0]).toBe(101);
  });

  it("refuses a record size that does not divide the page, a ring of one sector, a type out of range", () => {
    expect(() => new RecordLog(new RamFlash(2 * 4096), 100)).toThrow(RangeError);
    expect(() => new RecordLog(new RamFlash(4096), 128)).toThrow(RangeError);
    const log = new RecordLog(new RamFlash(2 * 4096), 128);
    expect(() => log.append(1, new Uint8Array(1))).toThrow(/open\(\) first/);
    log.open();
    expect(() => log.append(255, new Uint8Array(1))).toThrow(RangeError);
    expect(() => log.append(1, new Uint8Array(119))).toThrow(RangeError);
  });

  describe("variable-length records", () => {
    const payload = (i: number) => Uint8Array.from({ length: (i * 53) % 700 }, (_, k) => (i + k * 3) & 255);

    it("reads back every record of any length across reboots and wraps, never one across a sector", () => {
      const flash = new NorFlashSim({ size: 4 * 4096 });
      let log = new RecordLog(flash, VARIABLE);
      log.open();
      for (let i = 0; i < 100; i++) {
        log.append(1 + (i % 3), payload(i));
        if (i % 17 === 0) { flash.reboot(); log = new RecordLog(flash, VARIABLE); expect(log.open().newest!.payload).toEqual(payload(i)); }
      }
      const recs = log.records();
      const first = 100 - recs.length;
      expect(recs.length).toBeGreaterThan(20); // what three or four sectors hold
      recs.forEach((r, k) => expect([r.type, [...r.payload]]).toEqual([1 + ((first + k) % 3), [...payload(first + k)]]));
      log.forEach((_t, _s, r, sector, at) => expect(Math.floor((at + r.length - 1) / 4096)).toBe(sector));
    });

    it("writes on after a torn record, at boot or at once, and finds what it wrote after it", () => {
      for (const cut of [0, 3, 9, 200, 399]) {
        const flash = new NorFlashSim({ size: 3 * 4096 });
        let log = new RecordLog(flash, VARIABLE);
        log.open();
        log.append(1, payload(1));
        flash.cutAfterBytes(cut);
        expect(() => log.append(1, new Uint8Array(400).fill(7))).toThrow(PowerCut);
        flash.reboot();
        log = new RecordLog(flash, VARIABLE);
        const scan = log.open();
        expect(scan.newest!.payload, `cut ${cut}`).toEqual(payload(1));
        log.append(2, payload(2));
        log = new RecordLog(flash, VARIABLE);
        expect(log.open().newest!.payload).toEqual(payload(2));
        expect(log.records().map((r) => r.type)).toEqual([1, 2]);
      }
      const failing = new TestFlash(new RamFlash(3 * 4096));
      const log = new RecordLog(failing, VARIABLE);
      log.open();
      log.append(1, payload(3));
      failing.failNextProgram = true;
      expect(() => log.append(1, payload(4))).toThrow();
      log.append(2, payload(5));
      const again = new RecordLog(failing, VARIABLE);
      expect(again.open().newest!.payload).toEqual(payload(5));
      expect(again.records().map((r) => r.type)).toEqual([1, 2]);
    });

    it("has a flag byte outside the CRC: erased when appended, mark() clears it in place, the record stays valid across reboots", () => {
      const flash = new NorFlashSim({ size: 3 * 4096, strictProgram: true }); // strict: the mark never asks to set a bit
      let log = new RecordLog(flash, VARIABLE);
      log.open();
      const at: number[] = [];
      for (let i = 0; i < 30; i++) { at.push(log.placeFor(payload(i).length)); log.append(1, payload(i)); }
      const s0 = flash.stats();
      for (const k of [0, 7, 29, 7]) log.mark(at[k]); // 7 twice: the same zeros again, nothing changes
      const s1 = flash.stats();
      expect([s1.programs - s0.programs, s1.programmedBytes - s0.programmedBytes, s1.erases - s0.erases]).toEqual([4, 4, 0]);
      log = new RecordLog(flash, VARIABLE);
      expect(log.open().newest!.payload).toEqual(payload(29));
      const seen: [number, boolean, number[]][] = [];
      log.forEach((_t, _s, r, _sector, a) => seen.push([at.indexOf(a), isMarked(r), [...r.subarray(VAR_FLAG + 1, r.length - 4)]]));
      expect(seen).toEqual(at.map((_, k) => [k, [0, 7, 29].includes(k), [...payload(k)]]));
      log.append(2, payload(30)); // writes on after the marked newest record
      expect(new RecordLog(flash, VARIABLE).open().newest!.payload).toEqual(payload(30));
      const fixed = new RecordLog(new RamFlash(2 * 4096), 128);
      fixed.open();
      expect(() => fixed.mark(0)).toThrow(/only variable-length records/);
      expect(() => log.mark(3 * 4096)).toThrow(RangeError);
    });

    it("does not read a record of the unreleased format without the flag byte (magic 0xA6)", () => {
      const flash = new NorFlashSim({ size: 2 * 4096 });
      let log = new RecordLog(flash, VARIABLE);
      log.open();
      log.append(1, payload(5));
      const b = new Uint8Array(1);
      flash.read(0, b);
      expect(b[0]).toBe(0xa7);
      const old = new NorFlashSim({ size: 2 * 4096 });
      const rec = Uint8Array.of(0xa6, 1, 3, 0, 1, 0, 0, 0, 9, 9, 9, 0, 0, 0, 0); // magic, type, length 3, seq 1, payload; CRC below
      const crc = crc32(rec, 0, rec.length - 4);
      for (let k = 0; k < 4; k++) rec[rec.length - 4 + k] = (crc >>> (8 * k)) & 255;
      old.program(0, rec);
      log = new RecordLog(old, VARIABLE);
      const scan = log.open();
      expect([scan.newest, scan.corrupt, log.records()]).toEqual([undefined, 1, []]);
    });

    it("resumes after a record whose CRC ends in 0xFF bytes, never inside it (the next append would clear its bits)", () => {
      const flash = new NorFlashSim({ size: 3 * 4096 });
      let log = new RecordLog(flash, VARIABLE);
      log.open();
      let i = 0;
      const last = new Uint8Array(1);
      for (;; i++) { // until the newest record's last byte, its CRC's high byte, reads as erased
        log.append(1, payload(i));
        flash.read(log.nextSlot - 1, last);
        if (last[0] === 0xff) break;
      }
      expect(i).toBeLessThan(4000);
      log = new RecordLog(flash, VARIABLE);
      expect(log.open().newest!.payload).toEqual(payload(i));
      log.append(2, payload(i + 1));
      log = new RecordLog(flash, VARIABLE);
      log.open();
      const tail = log.records().slice(-2);
      expect(tail.map((r) => [r.type, [...r.payload]])).toEqual([[1, [...payload(i)]], [2, [...payload(i + 1)]]]);
    });
  });
});
