/**
 * The sign-in password record as a host stores it (NVS on the board, a file in
 * the simulator). A record that is there but not one Auth wrote — torn, or
 * tampered with — must not read as "no password yet": that would reopen the
 * first-use form to anyone on the LAN. It becomes LOCKED_RECORD, which no
 * password matches, until the record is deleted on purpose.
 */

/** The shape Auth writes: pbkdf2-sha256$<iterations>$<salt hex>$<hash hex> (the RegExp made per call: a preloaded one would be read-only in XS). */
const isRecord = (v: string): boolean => /^pbkdf2-sha256\$[1-9]\d{0,6}\$[0-9a-f]{32}\$[0-9a-f]{64}$/.test(v);

/** A record no password matches (its hash is one byte, PBKDF2 gives 32). */
export const LOCKED_RECORD = "pbkdf2-sha256$1$00000000000000000000000000000000$00";

/**
 * The stored record to give Auth (WebApp's storedPassword), and what to log about it.
 * `raw` is what the store held: undefined when nothing is stored.
 */
export function storedPassword(raw: unknown, resetHint = "delete the stored record"): { record?: string; note: string } {
  if (raw === undefined) return { note: "no password yet: the first visitor of the page sets it" };
  if (typeof raw === "string" && isRecord(raw)) return { record: raw, note: `password record loaded (${raw.split("$")[1]} PBKDF2 iterations)` };
  return { record: LOCKED_RECORD, note: `password record damaged: sign-in refused until it is reset (${resetHint})` };
}
