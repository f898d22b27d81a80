import { Sha256, sha256 } from "./sha256";

/**
 * HMAC-SHA-256 (RFC 2104 / FIPS 198-1). Unlike a naive H(key ‖ msg), HMAC is
 * not open to length extension (REFERENCES §5).
 */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  new HmacSha256(key).macInto(data, out);
  return out;
}

/**
 * HMAC-SHA-256 with the key prepared once: the key is hashed (when longer
 * than a block) and both pads compressed in the constructor, so each MAC
 * costs only the compressions of its data. PBKDF2 runs thousands of MACs
 * under one key; preparing per MAC made a 3,900-byte password cost ~60
 * compressions an iteration instead of 2.
 */
export class HmacSha256 {
  private readonly innerState = new Int32Array(8);
  private readonly outerState = new Int32Array(8);
  private readonly inner = new Sha256();
  private readonly outer = new Sha256();
  private readonly innerDigest = new Uint8Array(32);

  constructor(key: Uint8Array) {
    const k = new Uint8Array(64);
    k.set(key.length > 64 ? sha256(key) : key);
    const pad = new Uint8Array(64);
    for (let i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
    this.inner.update(pad).saveState(this.innerState);
    for (let i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5c;
    this.outer.update(pad).saveState(this.outerState);
    k.fill(0);
    pad.fill(0);
  }

  /** HMAC(key, data) into `out` (32 bytes); `out` may be `data`. */
  macInto(data: Uint8Array, out: Uint8Array): void {
    this.inner.restoreState(this.innerState, 64).update(data).digestInto(this.innerDigest);
    this.outer.restoreState(this.outerState, 64).update(this.innerDigest).digestInto(out);
  }
}
