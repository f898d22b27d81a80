/**
 * Operators' password records: PBKDF2-HMAC-SHA256 (the same record format the
 * meter's own page keeps, modules/http/auth), a random salt each, compared in
 * constant time. The iteration count is in the record, so it can rise later.
 * Computed by node:crypto — the same function as the http room's pure
 * TypeScript one (tested), ~100× faster, and the check runs off the event loop,
 * so a sign-in no longer pauses the ingest.
 */
import { pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";

export const ITERATIONS = 20_000;
export const MIN_PASSWORD = 10;
/** Longer passwords are refused before hashing (modules/http caps the meter's at 128 bytes too). */
export const MAX_PASSWORD_BYTES = 128;

const RECORD = /^pbkdf2-sha256\$([1-9]\d{0,6})\$([0-9a-f]{32})\$([0-9a-f]{64})$/;

export function passwordRecord(password: string, iterations = ITERATIONS): string {
  if (password.length < MIN_PASSWORD) throw new Error(`password: at least ${MIN_PASSWORD} characters`);
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) throw new Error(`password: at most ${MAX_PASSWORD_BYTES} bytes`);
  const salt = randomBytes(16);
  return `pbkdf2-sha256$${iterations}$${salt.toString("hex")}$${pbkdf2Sync(password, salt, iterations, 32, "sha256").toString("hex")}`;
}

/** A record no password matches, checked for unknown names so the answer takes as long as for a user. */
export const DUMMY_RECORD = `pbkdf2-sha256$${ITERATIONS}$${"0".repeat(32)}$${"0".repeat(64)}`;

export async function checkPassword(record: string, password: string): Promise<boolean> {
  const m = RECORD.exec(record);
  if (!m || Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return false;
  const got = await new Promise<Buffer>((ok, fail) => pbkdf2(password, Buffer.from(m[2], "hex"), Number(m[1]), 32, "sha256", (e, k) => (e ? fail(e) : ok(k))));
  return timingSafeEqual(got, Buffer.from(m[3], "hex"));
}
