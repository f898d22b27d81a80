import { Cmac } from "../secure/cmac";
import type { BlockCipherFactory } from "../secure/block-cipher";
import { MAC_BYTES } from "./protocol";

/**
 * SecOC-style authenticator for one node key: computes truncated MACs of
 * quantity frames, sync answers and resync requests into preallocated
 * buffers. Freshness values are 53-bit (modules/secure/freshness.ts); below
 * 2^32 a quantity MAC is the 32-bit protocol's, byte for byte.
 */
const RSRQ_TAG = Object.freeze([0x52, 0x53, 0x52, 0x51]); // "RSRQ" (frozen: xsl keeps it in flash)
const WORD = 0x100000000;

export class FrameAuthenticator {
  private readonly cmac: Cmac;
  private readonly input = new Uint8Array(16);
  /** The 32-bit protocol's 10-byte input (freshness < 2^32). */
  private readonly input10: Uint8Array;
  private readonly input13: Uint8Array;
  private readonly input14: Uint8Array;
  private readonly tag = new Uint8Array(16);

  /** `cipher`: the AES behind the CMAC (default the TypeScript AES; the board passes its native one). */
  constructor(key: Uint8Array, cipher?: BlockCipherFactory) {
    this.cmac = new Cmac(key, cipher);
    this.input10 = this.input.subarray(0, 10);
    this.input13 = this.input.subarray(0, 13);
    this.input14 = this.input.subarray(0, 14);
  }

  /** MAC over id16BE ‖ value bytes (4) ‖ freshness32BE [‖ freshness high word, 32BE, when not 0]; returns the 16-byte tag buffer (reused). */
  quantityTag(id: number, payload: Uint8Array, freshness: number): Uint8Array {
    const m = this.input;
    const hi = Math.floor(freshness / WORD);
    m[0] = id >>> 8; m[1] = id;
    m[2] = payload[0]; m[3] = payload[1]; m[4] = payload[2]; m[5] = payload[3];
    m[6] = freshness >>> 24; m[7] = freshness >>> 16; m[8] = freshness >>> 8; m[9] = freshness;
    if (hi === 0) return this.cmac.mac(this.input10, this.tag);
    m[10] = hi >>> 24; m[11] = hi >>> 16; m[12] = hi >>> 8; m[13] = hi;
    return this.cmac.mac(this.input14, this.tag);
  }

  /** A sync answer's MAC: id ‖ freshness low 32 ‖ floor low 32 ‖ freshness high 24 ‖ floor high 24 (the request it answers is bound in). */
  syncTag(id: number, freshness: number, floor: number): Uint8Array {
    const m = this.input;
    const fh = Math.floor(freshness / WORD);
    const lh = Math.floor(floor / WORD);
    m[0] = id >>> 8; m[1] = id;
    m[2] = freshness >>> 24; m[3] = freshness >>> 16; m[4] = freshness >>> 8; m[5] = freshness;
    m[6] = floor >>> 24; m[7] = floor >>> 16; m[8] = floor >>> 8; m[9] = floor;
    m[10] = fh >>> 16; m[11] = fh >>> 8; m[12] = fh;
    m[13] = lh >>> 16; m[14] = lh >>> 8; m[15] = lh;
    return this.cmac.mac(this.input, this.tag);
  }

  /** A resync request's MAC: id ‖ floor low 32 ‖ floor high 24 ‖ "RSRQ". */
  requestTag(id: number, floor: number): Uint8Array {
    const m = this.input;
    const lh = Math.floor(floor / WORD);
    m[0] = id >>> 8; m[1] = id;
    m[2] = floor >>> 24; m[3] = floor >>> 16; m[4] = floor >>> 8; m[5] = floor;
    m[6] = lh >>> 16; m[7] = lh >>> 8; m[8] = lh;
    m[9] = RSRQ_TAG[0]; m[10] = RSRQ_TAG[1]; m[11] = RSRQ_TAG[2]; m[12] = RSRQ_TAG[3];
    return this.cmac.mac(this.input13, this.tag);
  }

  /** Writes value, freshness low byte and the 24-bit MAC into `data` (8 bytes). */
  sealQuantity(id: number, data: Uint8Array, freshness: number): void {
    data[4] = freshness & 0xff;
    const t = this.quantityTag(id, data, freshness);
    for (let i = 0; i < MAC_BYTES; i++) data[5 + i] = t[i];
  }

  checkQuantity(id: number, data: Uint8Array, freshness: number): boolean {
    const t = this.quantityTag(id, data, freshness);
    return sameBytes(t, data, 5, MAC_BYTES);
  }

  /** Sync answer: freshness low 32 (LE) ‖ first 32 bits of syncTag. */
  sealSync(id: number, data: Uint8Array, freshness: number, floor: number): void {
    writeLow32(data, freshness);
    const t = this.syncTag(id, freshness, floor);
    for (let i = 0; i < 4; i++) data[4 + i] = t[i];
  }

  checkSync(id: number, data: Uint8Array, freshness: number, floor: number): boolean {
    const t = this.syncTag(id, freshness, floor);
    return sameBytes(t, data, 4, 4);
  }

  /** Resync request: floor low 32 (LE) ‖ first 32 bits of requestTag. */
  sealRequest(id: number, data: Uint8Array, floor: number): void {
    writeLow32(data, floor);
    const t = this.requestTag(id, floor);
    for (let i = 0; i < 4; i++) data[4 + i] = t[i];
  }

  checkRequest(id: number, data: Uint8Array, floor: number): boolean {
    const t = this.requestTag(id, floor);
    return sameBytes(t, data, 4, 4);
  }
}

/**
 * Constant-time compare of the tag's first n bytes with data[at..at+n), without the two subarrays
 * per frame that constantTimeEqual would need (garbage per received frame on the board).
 */
function sameBytes(tag: Uint8Array, data: Uint8Array, at: number, n: number): boolean {
  let diff = 0;
  for (let i = 0; i < n; i++) diff |= tag[i] ^ data[at + i];
  return diff === 0;
}

function writeLow32(data: Uint8Array, v: number): void {
  data[0] = v; data[1] = v >>> 8; data[2] = v >>> 16; data[3] = v >>> 24;
}

/** The low 32 bits a frame carries (LE). */
export function readLow32(data: Uint8Array): number {
  return (data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24)) >>> 0;
}

/** The full value with these low 32 bits nearest to `near` (a 53-bit counter rebuilt from a frame). */
export function nearestWithLow32(low: number, near: number): number {
  const base = Math.floor(near / WORD) * WORD + low;
  let best = base;
  for (const c of [base - WORD, base + WORD]) if (c >= 0 && Math.abs(c - near) < Math.abs(best - near)) best = c;
  return best;
}

/** The smallest value above `floor` with these low 32 bits. */
export function aboveWithLow32(low: number, floor: number): number {
  let v = Math.floor(floor / WORD) * WORD + low;
  if (v <= floor) v += WORD;
  return v;
}
