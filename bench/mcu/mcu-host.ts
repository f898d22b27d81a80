// What the Cortex-M harness (hosts/mcu/harness.c) gives a role run besides XS, with a Node fallback
// for each so the same bundle gives the same JSON on Node: the board's native AES behind the secure
// room's BlockCipher port (C AES-128 there, as Moddable's crypt on the board), a NOR flash kept out of
// the XS arena (a board's flash partitions are not XS memory), and memory stages printed as "@@stage"
// lines (never in run()'s JSON, which must equal Node's).
import type { Flash } from "../../modules/core/ports";
import { RamFlash } from "../../modules/core/ram-flash";
import { typescriptAes, type BlockCipherFactory } from "../../modules/secure/block-cipher";

interface McuHost {
  aesKey(key: ArrayBuffer, offset: number): ArrayBuffer;
  aesEncrypt(round: ArrayBuffer, src: ArrayBuffer, srcOffset: number, dst: ArrayBuffer, dstOffset: number): void;
  flashSize(): number;
  flashRead(offset: number, into: ArrayBuffer, intoOffset: number, length: number): void;
  flashProgram(offset: number, data: ArrayBuffer, dataOffset: number, length: number): void;
  flashErase(offset: number, length: number): void;
  memory(): Record<string, number>;
  census(): Record<string, number>;
  resetPeaks(): void;
  paintStack(): void;
  stackUsed(): number;
  print(line: string): void;
}

/** The harness's host object inside XS on the Cortex-M3; undefined on Node and in xsnap. */
export function mcuHost(): McuHost | undefined {
  const m = (globalThis as { mcu?: McuHost }).mcu;
  return m && typeof m.aesKey === "function" ? m : undefined;
}

/** The CMAC's AES: the harness's C AES-128 on the emulator (the board's native cipher), else the TypeScript AES. */
export const boardAes: BlockCipherFactory = (key) => {
  const m = mcuHost();
  if (!m) return typescriptAes(key);
  const round = m.aesKey(key.buffer as ArrayBuffer, key.byteOffset);
  return { encryptBlock: (src, dst) => m.aesEncrypt(round, src.buffer as ArrayBuffer, src.byteOffset, dst.buffer as ArrayBuffer, dst.byteOffset) };
};

/** NOR flash in the harness's C memory (NOR semantics as RamFlash: erase 0xFF, program ANDs within a page). */
class HarnessFlash implements Flash {
  readonly pageSize = 256;
  constructor(private readonly m: McuHost, private readonly base: number, readonly size: number, readonly sectorSize: number) {}
  read(offset: number, into: Uint8Array): void {
    this.check(offset, into.length);
    this.m.flashRead(this.base + offset, into.buffer as ArrayBuffer, into.byteOffset, into.length);
  }
  program(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    if ((offset % this.pageSize) + data.length > this.pageSize) throw new RangeError("flash program crosses a page");
    this.m.flashProgram(this.base + offset, data.buffer as ArrayBuffer, data.byteOffset, data.length);
  }
  eraseSector(sector: number): void {
    this.check(sector * this.sectorSize, this.sectorSize);
    this.m.flashErase(this.base + sector * this.sectorSize, this.sectorSize);
  }
  private check(offset: number, length: number): void {
    if (!(offset >= 0 && length >= 0 && offset + length <= this.size)) throw new RangeError(`flash access ${offset}+${length} outside ${this.size}`);
  }
}

/** Hands out flash partitions: in the harness's C flash on the emulator, RamFlash on Node. */
export class BoardFlash {
  private next = 0;
  /** A fresh (erased) flash of `size` bytes in `sectorSize` sectors. */
  take(size: number, sectorSize = 4096): Flash {
    const m = mcuHost();
    if (!m) return new RamFlash(size, sectorSize);
    if (this.next + size > m.flashSize()) throw new RangeError(`harness flash: ${size} more bytes do not fit ${m.flashSize()}`);
    const f = new HarnessFlash(m, this.next, size, sectorSize);
    this.next += size;
    return f;
  }
}

/** The most live data seen by sampleLive's collections: chunks other than bytecode, slots, and their sum in bytes. */
const liveMax = { dataChunks: 0, slots: 0, bytes: 0, samples: 0 };

/**
 * Every `everyMs` of virtual time, a collection and a census: the peak of live data between the
 * role's callbacks. XS's own peaks count garbage up to its chunk heap's size (it collects only
 * when that is full), so they say how big the heap grew, not how much the role keeps.
 */
export function sampleLive(clock: { every(ms: number, fn: () => void): unknown }, everyMs: number): void {
  const m = mcuHost();
  if (!m) return;
  clock.every(everyMs, () => {
    const c = m.census();
    const data = c.chunksNow - c.codeBytes;
    liveMax.samples++;
    liveMax.dataChunks = Math.max(liveMax.dataChunks, data);
    liveMax.slots = Math.max(liveMax.slots, c.slotsNow);
    liveMax.bytes = Math.max(liveMax.bytes, data + c.slotsNow * 16);
  });
}

/** Prints what XS holds at this point of a role run (after a collection): "@@stage {name, census, memory, stackUsed, liveMax}". */
export function stage(name: string): void {
  const m = mcuHost();
  if (m) m.print("@@stage " + JSON.stringify({ name, census: m.census(), memory: m.memory(), stackUsed: m.stackUsed(), liveMax }));
}

/** Starts a new window for the peaks (chunks, slots, XS stack depth): they exclude what was set up before. */
export function resetPeaks(): void {
  const m = mcuHost();
  m?.resetPeaks();
  m?.paintStack();
}
