/**
 * Operators' password records: PBKDF2-HMAC-SHA256 from the http room (the same
 * record format the meter's own page keeps), a random salt each, compared in
 * constant time. The iteration count is in the record, so it can rise later.
 */
import { randomBytes } from "node:crypto";
import { pbkdf2Sha256 } from "../../../modules/http/auth";
import { constantTimeEqual, fromHex, toHex, utf8Encode } from "../../../modules/core/bytes";

export const ITERATIONS = 20_000;
export const MIN_PASSWORD = 10;

export function passwordRecord(password: string, iterations = ITERATIONS): string {
  if (password.length < MIN_PASSWORD) throw new Error(`password: at least ${MIN_PASSWORD} characters`);
  const salt = new Uint8Array(randomBytes(16));
  return `pbkdf2-sha256$${iterations}$${toHex(salt)}$${toHex(pbkdf2Sha256(utf8Encode(password), salt, iterations))}`;
}

export function checkPassword(record: string, password: string): boolean {
  const m = /^pbkdf2-sha256\$([1-9]\d{0,6})\$([0-9a-f]{32})\$([0-9a-f]{64})$/.exec(record);
  if (!m) return false;
  return constantTimeEqual(pbkdf2Sha256(utf8Encode(password), fromHex(m[2]), Number(m[1])), fromHex(m[3]));
}
