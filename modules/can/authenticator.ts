import { Cmac } from "../secure/cmac";
import { constantTimeEqual } from "../core/bytes";
import { MAC_BYTES } from "./protocol";

/**
 * SecOC-style authenticator for one node key: computes truncated MACs of
 * quantity frames and sync frames into preallocated buffers.
 */
const SYNC_TAG = Object.freeze([0x53, 0x59, 0x4e, 0x43]); // "SYNC" (frozen: xsl keeps it in flash)

export class FrameAuthenticator {
  private readonly cmac: Cmac;
  private readonly input = new Uint8Array(10);
  private readonly tag = new Uint8Array(16);

  constructor(key: Uint8Array) {
    this.cmac = new Cmac(key);
  }

  /** MAC over id16BE ‖ value bytes (4) ‖ freshness32BE; returns the 16-byte tag buffer (reused). */
  quantityTag(id: number, payload: Uint8Array, freshness: number): Uint8Array {
    const m = this.input;
    m[0] = id >>> 8; m[1] = id;
    m[2] = payload[0]; m[3] = payload[1]; m[4] = payload[2]; m[5] = payload[3];
    m[6] = freshness >>> 24; m[7] = freshness >>> 16; m[8] = freshness >>> 8; m[9] = freshness;
    return this.cmac.mac(m, this.tag);
  }

  syncTag(id: number, freshness: number): Uint8Array {
    const m = this.input;
    m[0] = id >>> 8; m[1] = id;
    m[2] = freshness >>> 24; m[3] = freshness >>> 16; m[4] = freshness >>> 8; m[5] = freshness;
    m[6] = SYNC_TAG[0]; m[7] = SYNC_TAG[1]; m[8] = SYNC_TAG[2]; m[9] = SYNC_TAG[3];
    return this.cmac.mac(m, this.tag);
  }

  /** Writes value, freshness low byte and the 24-bit MAC into `data` (8 bytes). */
  sealQuantity(id: number, data: Uint8Array, freshness: number): void {
    data[4] = freshness & 0xff;
    const t = this.quantityTag(id, data, freshness);
    for (let i = 0; i < MAC_BYTES; i++) data[5 + i] = t[i];
  }

  checkQuantity(id: number, data: Uint8Array, freshness: number): boolean {
    const t = this.quantityTag(id, data, freshness);
    return constantTimeEqual(t.subarray(0, MAC_BYTES), data.subarray(5, 5 + MAC_BYTES));
  }

  sealSync(id: number, data: Uint8Array, freshness: number): void {
    data[0] = freshness; data[1] = freshness >>> 8; data[2] = freshness >>> 16; data[3] = freshness >>> 24;
    const t = this.syncTag(id, freshness);
    for (let i = 0; i < 4; i++) data[4 + i] = t[i];
  }

  checkSync(id: number, data: Uint8Array, freshness: number): boolean {
    const t = this.syncTag(id, freshness);
    return constantTimeEqual(t.subarray(0, 4), data.subarray(4, 8));
  }
}
