import { HmacSha256 } from "./hmac";

/**
 * PBKDF2-HMAC-SHA256 (RFC 8018 §5.2), one 32-byte block. The HMAC key (the
 * password) is prepared once per call, so an iteration costs two SHA-256
 * compressions whatever the password's length, and allocates nothing.
 * Iterations are a setting: the board's XS SHA-256 costs far more than
 * Node's, so the default is modest and documented.
 */
export function pbkdf2Sha256(password: Uint8Array, salt: Uint8Array, iterations: number): Uint8Array {
  const mac = new HmacSha256(password);
  const first = new Uint8Array(salt.length + 4);
  first.set(salt);
  first[salt.length + 3] = 1; // INT(1), big-endian block index
  const u = new Uint8Array(32);
  mac.macInto(first, u);
  const out = u.slice();
  for (let i = 1; i < iterations; i++) {
    mac.macInto(u, u);
    for (let k = 0; k < 32; k++) out[k] ^= u[k];
  }
  return out;
}
