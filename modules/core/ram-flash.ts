import type { Flash } from "./ports";

/**
 * NOR flash in RAM: for the desktop simulator (CAN freshness counters, journals;
 * forgotten when it quits) and the XS conformance scenarios. NOR semantics, so
 * the stores run the same code as on the board: erase sets a sector to 0xFF,
 * program ANDs bytes into one page. (Power cuts and torn bits: NorFlashSim in hosts/node.)
 */
export class RamFlash implements Flash {
  readonly pageSize = 256;
  private readonly bytes: Uint8Array;

  constructor(readonly size: number, readonly sectorSize = 4096) {
    if (size % sectorSize !== 0) throw new RangeError(`RAM flash of ${size} bytes is not whole ${sectorSize}-byte sectors`);
    this.bytes = new Uint8Array(size).fill(0xff);
  }

  read(offset: number, into: Uint8Array): void {
    this.check(offset, into.length);
    into.set(this.bytes.subarray(offset, offset + into.length));
  }

  program(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    if ((offset % this.pageSize) + data.length > this.pageSize) throw new RangeError("flash program crosses a page");
    for (let i = 0; i < data.length; i++) this.bytes[offset + i] &= data[i];
  }

  eraseSector(sector: number): void {
    this.check(sector * this.sectorSize, this.sectorSize);
    this.bytes.fill(0xff, sector * this.sectorSize, (sector + 1) * this.sectorSize);
  }

  private check(offset: number, length: number): void {
    if (!(offset >= 0 && offset + length <= this.size)) throw new RangeError(`flash access ${offset}+${length} outside ${this.size}`);
  }
}
