/**
 * The power histories' coarsest tier on flash, so a restart keeps the week's
 * curve and bars (the fine tier, hours of 1-min steps, starts empty again).
 * Two halves of the partition alternate as in price-store.ts: a save erases
 * and writes the half not holding the newest valid record, so a cut mid-save
 * leaves the previous one. Written once per HISTORY_SAVE_MS by the aggregator
 * (and at a clean stop), never at any outside input's pace.
 *
 * Record (little-endian): 0 "XHST" | 4 version u8 (1) | 5 reserved | 6 series u16 |
 * 8 sequence u32 | 12 body length u32 | 16 body | CRC-32 of all before it.
 * Body per series: name length u8, name (UTF-8), stepMs u32, capacity u32, first f64,
 * newest f64, then capacity × (w f32, n u32, mWh i32, observed ms i32) as four arrays.
 */
import type { Flash } from "../core/ports";
import { crc32, readU32LE, utf8DecodeStrict, utf8Encode, view, writeU32LE } from "../core/bytes";
import type { PowerHistory } from "./power-history";

const MAGIC = Object.freeze([0x58, 0x48, 0x53, 0x54]); // "XHST"
const VERSION = 1;
const HEADER = 16;

/** Once an hour: a 2 × 32-sector partition then erases each sector 12 times a day (> 20 years at 100,000 cycles). */
export const HISTORY_SAVE_MS = 3_600_000;

type Tier = ReturnType<PowerHistory["coarsest"]>;

export class HistoryStore {
  private readonly half: number;
  private newest = { seq: 0, half: -1 };
  /** Series left out of the last save because the half was full. */
  dropped = 0;

  constructor(private readonly flash: Flash) {
    const sectors = Math.floor(flash.size / flash.sectorSize);
    if (sectors < 2 || sectors % 2 !== 0) throw new RangeError("history store needs an even number of sectors (2 or more)");
    this.half = (sectors / 2) * flash.sectorSize;
  }

  /** Writes each series' coarsest tier, in the order given, as many as fit a half. Throws what the flash throws. */
  save(series: [string, PowerHistory][]): void {
    if (this.newest.half < 0) this.scan();
    const parts: Uint8Array[] = [];
    let size = HEADER + 4;
    this.dropped = 0;
    for (const [name, h] of series) {
      const part = encode(name, h.coarsest());
      if (size + part.length > this.half) {
        this.dropped++;
        continue;
      }
      parts.push(part);
      size += part.length;
    }
    const rec = new Uint8Array(size);
    rec.set(MAGIC, 0);
    rec[4] = VERSION;
    view(rec).setUint16(6, parts.length, true);
    const seq = this.newest.seq + 1;
    writeU32LE(rec, 8, seq);
    writeU32LE(rec, 12, size - HEADER - 4);
    let at = HEADER;
    for (const p of parts) {
      rec.set(p, at);
      at += p.length;
    }
    writeU32LE(rec, size - 4, crc32(rec, 0, size - 4));
    const target = this.newest.half === 0 ? 1 : 0;
    const base = target * this.half, s = this.flash.sectorSize, page = this.flash.pageSize;
    for (let k = 0; k < this.half / s; k++) this.flash.eraseSector(base / s + k);
    for (let i = 0; i < rec.length; i += page) this.flash.program(base + i, rec.subarray(i, Math.min(rec.length, i + page)));
    this.newest = { seq, half: target };
  }

  /** The newest valid record's tiers by series name (empty: none, or both halves torn). */
  load(): Map<string, Tier> {
    const best = this.scan();
    return best ? decode(best) : new Map();
  }

  private scan(): Uint8Array | undefined {
    let best: { seq: number; rec: Uint8Array; half: number } | undefined;
    for (let h = 0; h < 2; h++) {
      const rec = this.read(h);
      if (rec && (!best || readU32LE(rec, 8) > best.seq)) best = { seq: readU32LE(rec, 8), rec, half: h };
    }
    this.newest = best ? { seq: best.seq, half: best.half } : { seq: 0, half: -1 };
    return best?.rec;
  }

  private read(h: number): Uint8Array | undefined {
    const head = new Uint8Array(HEADER);
    this.flash.read(h * this.half, head);
    for (let i = 0; i < 4; i++) if (head[i] !== MAGIC[i]) return undefined;
    if (head[4] !== VERSION) return undefined;
    const length = readU32LE(head, 12);
    if (HEADER + length + 4 > this.half) return undefined;
    const rec = new Uint8Array(HEADER + length + 4);
    this.flash.read(h * this.half, rec);
    return readU32LE(rec, rec.length - 4) === crc32(rec, 0, rec.length - 4) ? rec : undefined;
  }
}

function encode(name: string, t: Tier): Uint8Array {
  const nameBytes = utf8Encode(name).subarray(0, 255);
  const out = new Uint8Array(1 + nameBytes.length + 24 + t.capacity * 16);
  const dv = view(out);
  out[0] = nameBytes.length;
  out.set(nameBytes, 1);
  let at = 1 + nameBytes.length;
  dv.setUint32(at, t.stepMs, true);
  dv.setUint32(at + 4, t.capacity, true);
  dv.setFloat64(at + 8, t.first, true);
  dv.setFloat64(at + 16, t.newest, true);
  at += 24;
  for (const a of [t.w, t.n, t.mwh, t.covered]) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  }
  return out;
}

function decode(rec: Uint8Array): Map<string, Tier> {
  const out = new Map<string, Tier>();
  const dv = view(rec);
  const count = dv.getUint16(6, true);
  let at = HEADER;
  for (let k = 0; k < count; k++) {
    const len = rec[at];
    const name = utf8DecodeStrict(rec, at + 1, at + 1 + len);
    at += 1 + len;
    const stepMs = dv.getUint32(at, true), capacity = dv.getUint32(at + 4, true);
    const first = dv.getFloat64(at + 8, true), newest = dv.getFloat64(at + 16, true);
    at += 24;
    // copies, aligned (the record's offsets need not be multiples of 4)
    const arr = <T>(make: (b: ArrayBuffer) => T): T => {
      const b = rec.slice(at, at + capacity * 4).buffer;
      at += capacity * 4;
      return make(b);
    };
    const t: Tier = { stepMs, capacity, first, newest, w: arr((b) => new Float32Array(b)), n: arr((b) => new Uint32Array(b)), mwh: arr((b) => new Int32Array(b)), covered: arr((b) => new Int32Array(b)) };
    if (name !== undefined) out.set(name, t);
  }
  return out;
}
