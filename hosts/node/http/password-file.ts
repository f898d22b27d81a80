/**
 * The web sign-in's password record in a file (the node simulator's stand-in
 * for the board's NVS, beside its flash file), so a restarted sim keeps the
 * password and its first-use form cannot be claimed again. Owner-only (0600).
 * A record that is there but not one Auth wrote locks sign-in (as on the board,
 * modules/http/password-record.ts) instead of reopening first use.
 */
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { storedPassword } from "../../../modules/http/password-record";

export interface PasswordFile {
  /** For WebApp's storedPassword. */
  stored: string | undefined;
  /** For WebApp's savePassword (written to a temporary file, then renamed: a crash leaves the old one). */
  save(record: string): void;
  note: string;
}

export function passwordFile(path: string): PasswordFile {
  let raw: string | undefined;
  try {
    raw = readFileSync(path, "utf8").trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const { record, note } = storedPassword(raw, `${path} deleted`);
  return {
    stored: record,
    note,
    save(r) {
      writeFileSync(`${path}.tmp`, `${r}\n`, { mode: 0o600 });
      renameSync(`${path}.tmp`, path);
    },
  };
}
