// The Flash port over Moddable's flash object reads from the memory-mapped partition into the
// caller's buffer: no ArrayBuffer per read (flash.read would make one), and what was programmed or
// erased is what a later read sees.
import { describe, expect, it } from "vitest";
import { flashPort, type ModdableFlash } from "../../hosts/esp32/flash-port";

/** A NOR partition as Moddable's flash object shows it; map() is the same memory a cache would show. */
class FakeFlash implements ModdableFlash {
  readonly blockSize = 4096;
  readonly mem = new Uint8Array(4 * 4096).fill(0xff);
  maps = 0;
  reads = 0;
  get byteLength(): number { return this.mem.length; }
  erase(sector: number): void { this.mem.fill(0xff, sector * 4096, (sector + 1) * 4096); }
  write(offset: number, n: number, data: Uint8Array): void { for (let i = 0; i < n; i++) this.mem[offset + i] &= data[i]; }
  map(): ArrayBufferLike { this.maps++; return this.mem.buffer; }
  read(): ArrayBuffer { this.reads++; throw new Error("the port must not use read(): it allocates"); }
}

describe("esp32 flash port", () => {
  it("reads into the caller's buffer from one mapping, seeing programs and erases", () => {
    const fake = new FakeFlash();
    const port = flashPort(fake);
    expect([port.size, port.sectorSize, port.pageSize]).toEqual([16384, 4096, 256]);
    const into = new Uint8Array(4);
    port.program(4096 + 10, new Uint8Array([1, 2, 3, 4]));
    port.read(4096 + 10, into);
    expect([...into]).toEqual([1, 2, 3, 4]);
    port.eraseSector(1);
    port.read(4096 + 10, into);
    expect([...into]).toEqual([0xff, 0xff, 0xff, 0xff]);
    // a view into a larger buffer is filled in place, its neighbours untouched
    const big = new Uint8Array(8);
    port.program(0, new Uint8Array([9, 8]));
    port.read(0, big.subarray(3, 5));
    expect([...big]).toEqual([0, 0, 0, 9, 8, 0, 0, 0]);
    expect(fake.maps).toBe(1);
    expect(fake.reads).toBe(0);
  });

  it("refuses a read outside the partition and a program across a page, changing nothing", () => {
    const fake = new FakeFlash();
    const port = flashPort(fake);
    const into = new Uint8Array(8).fill(7);
    expect(() => port.read(16384 - 4, into)).toThrow(RangeError);
    expect(() => port.read(-1, into)).toThrow(RangeError);
    expect([...into]).toEqual(new Array(8).fill(7));
    expect(() => port.program(250, new Uint8Array(8))).toThrow(/crosses a page/);
    expect(fake.mem.every((b) => b === 0xff)).toBe(true);
  });
});
