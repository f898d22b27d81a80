import { Sha256, sha256 } from "./sha256";

/**
 * HMAC-SHA-256 (RFC 2104 / FIPS 198-1). Unlike a naive H(key ‖ msg), HMAC is
 * not open to length extension (REFERENCES §5).
 */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const k = new Uint8Array(64);
  k.set(key.length > 64 ? sha256(key) : key);
  const pad = new Uint8Array(64);
  for (let i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
  const inner = new Sha256().update(pad).update(data).digest();
  for (let i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5c;
  return new Sha256().update(pad).update(inner).digest();
}
