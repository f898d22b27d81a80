/**
 * A host simulator of SPI NOR flash implementing the Flash port
 * (modules/core/ports.ts), with power-cut injection.
 *
 * NOR semantics: erase sets a whole sector to 0xFF; program can only clear
 * bits (new = old & data) and must stay inside one page. The simulator counts
 * every byte touched by a program or an erase; a cut armed with
 * `cutAfterBytes(n)` stops the operation after n more bytes, leaving the byte
 * in flight torn (some bits done, some not), and throws `PowerCut`. Until
 * `reboot()` the flash is "off": every access throws `PowerCut` again, which
 * models the rest of the firmware dying with the power.
 *
 * Memory-backed by default; with `file` it is backed by a file (created
 * erased when missing) so the simulator's totals survive restarts of Node.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import type { Flash } from "../../../modules/core/ports";

/** Thrown by the operation during which power is cut, and by any access until reboot(). */
export class PowerCut extends Error {
  override readonly name = "PowerCut"; // a field, never assigned (test/core/error-names.test.ts)
  constructor(message = "power cut") {
    super(message);
  }
}

export interface NorFlashSimOptions {
  size: number;
  sectorSize?: number;
  pageSize?: number;
  /** Back the flash with this file (for the simulator); memory only when absent. */
  file?: string;
  /** Seed of the generator that decides which bits of a torn byte flipped. */
  seed?: number;
  /**
   * How an interrupted erase leaves the rest of the sector: "prefix" (bytes
   * before the cut erased, the rest untouched) or "scatter" (the default,
   * harsher: the rest of the sector also has random bits already set to 1,
   * as partially erased cells read back).
   */
  tornErase?: "prefix" | "scatter";
  /** Throw when a program asks to set a bit that is 0 (a bug in the writer); default false (silent AND). */
  strictProgram?: boolean;
}

export interface NorFlashStats {
  programs: number;
  programmedBytes: number;
  erases: number;
  reads: number;
  cuts: number;
}

/** mulberry32: a small seeded generator, enough to decide torn bits reproducibly. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class NorFlashSim implements Flash {
  readonly size: number;
  readonly sectorSize: number;
  readonly pageSize: number;
  private readonly mem: Uint8Array;
  private readonly erases: Uint32Array;
  private readonly fd: number | undefined;
  private readonly random: () => number;
  private readonly tornErase: "prefix" | "scatter";
  private readonly strict: boolean;
  /** Bytes left before the armed cut; Infinity when none is armed. */
  private budget = Infinity;
  private off = false;
  /** Message of the last cut (says whether it hit a program or an erase). */
  lastCut: string | undefined;
  private readonly counters: NorFlashStats = { programs: 0, programmedBytes: 0, erases: 0, reads: 0, cuts: 0 };

  constructor(options: NorFlashSimOptions) {
    this.sectorSize = options.sectorSize ?? 4096;
    this.pageSize = options.pageSize ?? 256;
    this.size = options.size;
    if (!(this.size > 0) || this.size % this.sectorSize !== 0) throw new RangeError(`flash size ${this.size} is not a multiple of the sector size ${this.sectorSize}`);
    if (this.sectorSize % this.pageSize !== 0) throw new RangeError(`sector size ${this.sectorSize} is not a multiple of the page size ${this.pageSize}`);
    this.mem = new Uint8Array(this.size).fill(0xff);
    this.erases = new Uint32Array(this.size / this.sectorSize);
    this.random = generator(options.seed ?? 1);
    this.tornErase = options.tornErase ?? "scatter";
    this.strict = options.strictProgram ?? false;
    if (options.file !== undefined) {
      const exists = existsSync(options.file);
      this.fd = openSync(options.file, exists ? "r+" : "w+");
      if (exists && fstatSync(this.fd).size === this.size) readSync(this.fd, this.mem, 0, this.size, 0);
      else writeSync(this.fd, this.mem, 0, this.size, 0);
    }
  }

  /** Arms a power cut after `bytes` more bytes of programming or erasing (0 = at the first byte of the next write). */
  cutAfterBytes(bytes: number): void {
    if (!(bytes >= 0)) throw new RangeError(`cutAfterBytes(${bytes})`);
    this.budget = Math.floor(bytes);
  }

  /** Cancels an armed cut. */
  disarm(): void {
    this.budget = Infinity;
  }

  /** Whether a cut is armed and not yet fired. */
  get armed(): boolean {
    return this.budget !== Infinity;
  }

  /** Whether power is off (a cut fired and reboot() has not been called). */
  get isOff(): boolean {
    return this.off;
  }

  /** Power comes back: the contents stay as the cut left them; any armed cut is cancelled. */
  reboot(): void {
    this.off = false;
    this.budget = Infinity;
  }

  eraseCount(sector: number): number {
    return this.erases[sector];
  }

  /** Erase counts of all sectors (a copy). */
  eraseCounts(): number[] {
    return Array.from(this.erases);
  }

  stats(): NorFlashStats {
    return { ...this.counters };
  }

  /** A copy of the whole contents (for tests comparing states). */
  snapshot(): Uint8Array {
    return this.mem.slice();
  }

  read(offset: number, into: Uint8Array): void {
    this.alive();
    this.bounds(offset, into.length);
    into.set(this.mem.subarray(offset, offset + into.length));
    this.counters.reads++;
  }

  program(offset: number, data: Uint8Array): void {
    this.alive();
    this.bounds(offset, data.length);
    if (data.length === 0) return;
    if (Math.floor(offset / this.pageSize) !== Math.floor((offset + data.length - 1) / this.pageSize)) {
      throw new RangeError(`program ${offset}+${data.length} crosses a ${this.pageSize}-byte page`);
    }
    if (this.strict) {
      for (let i = 0; i < data.length; i++) {
        if ((~this.mem[offset + i] & data[i] & 0xff) !== 0) throw new RangeError(`program at ${offset + i} would set a 0 bit to 1 (erase first)`);
      }
    }
    this.counters.programs++;
    const done = Math.min(data.length, this.budget);
    for (let i = 0; i < done; i++) this.mem[offset + i] &= data[i];
    this.counters.programmedBytes += done;
    if (done < data.length) {
      // The byte in flight: only some of the bits it was clearing got cleared.
      const at = offset + done;
      const clearing = this.mem[at] & ~data[done] & 0xff;
      this.mem[at] &= ~(clearing & this.randomByte()) & 0xff;
      this.persist(offset, done + 1);
      this.fire(`power cut during program at ${at} (${done}/${data.length} bytes done)`);
    }
    this.budget -= done;
    this.persist(offset, data.length);
  }

  eraseSector(sector: number): void {
    this.alive();
    if (!Number.isInteger(sector) || sector < 0 || sector >= this.erases.length) throw new RangeError(`erase of sector ${sector} outside flash of ${this.erases.length} sectors`);
    const start = sector * this.sectorSize;
    // A begun erase wears the sector even if it does not finish.
    this.erases[sector]++;
    this.counters.erases++;
    const done = Math.min(this.sectorSize, this.budget);
    this.mem.fill(0xff, start, start + done);
    if (done < this.sectorSize) {
      this.mem[start + done] |= this.randomByte();
      if (this.tornErase === "scatter") {
        for (let i = start + done + 1; i < start + this.sectorSize; i++) this.mem[i] |= this.randomByte() & this.randomByte();
      }
      this.persist(start, this.sectorSize);
      this.fire(`power cut during erase of sector ${sector} (${done}/${this.sectorSize} bytes done)`);
    }
    this.budget -= done;
    this.persist(start, this.sectorSize);
  }

  /** Releases the backing file (memory-backed: nothing to do). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }

  private alive(): void {
    if (this.off) throw new PowerCut("flash accessed while power is off");
  }

  private bounds(offset: number, length: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + length > this.size) throw new RangeError(`flash access ${offset}+${length} outside flash of ${this.size}`);
  }

  private randomByte(): number {
    return Math.floor(this.random() * 256);
  }

  private fire(message: string): never {
    this.lastCut = message;
    this.off = true;
    this.budget = Infinity;
    this.counters.cuts++;
    throw new PowerCut(message);
  }

  private persist(offset: number, length: number): void {
    if (this.fd !== undefined) writeSync(this.fd, this.mem, offset, length, offset);
  }
}
