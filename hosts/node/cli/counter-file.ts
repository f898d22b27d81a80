/**
 * The sender's downlink counters, one per meter and command kind, in a JSON file
 * ({"<node>/<kind>": last ctr sent and accepted}) so the next `xsmeter cmd` picks a
 * higher one without the user keeping count. Default file:
 * $XSMETER_STATE_DIR, else $XDG_STATE_HOME/xsmeter, else ~/.local/state/xsmeter,
 * then counters.json.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { UsageError } from "./command";

export const MAX_CTR = 0xffffffff;

export function defaultCounterFile(): string {
  const dir = process.env.XSMETER_STATE_DIR ?? join(process.env.XDG_STATE_HOME ?? join(homedir(), ".local", "state"), "xsmeter");
  return join(dir, "counters.json");
}

export function readCounters(file: string): Record<string, number> {
  if (!existsSync(file)) return {};
  let data: unknown;
  try { data = JSON.parse(readFileSync(file, "utf8")); } catch (e) { throw new UsageError(`${file}: not a counter file (${(e as Error).message}); fix or remove it, or pass --ctr`); }
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new UsageError(`${file}: not a counter file (expected {"<node>/<kind>": ctr}); fix or remove it, or pass --ctr`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > MAX_CTR) throw new UsageError(`${file}: ${k} is ${JSON.stringify(v)}, not a counter 0..${MAX_CTR}`);
    out[k] = v;
  }
  return out;
}

/** Records an accepted counter (never lowers one); written whole then renamed, so a crash leaves the old file. */
export function saveCounter(file: string, key: string, ctr: number): void {
  const all = readCounters(file);
  if ((all[key] ?? -1) >= ctr) return;
  all[key] = ctr;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(all, null, 1)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** The next counter: above the last one recorded for this meter and kind, and at least the Unix second. */
export function nextCounter(file: string, key: string, nowMs = Date.now()): number {
  const last = readCounters(file)[key] ?? 0;
  const next = Math.max(last + 1, Math.floor(nowMs / 1000));
  if (next > MAX_CTR) throw new UsageError(`${key}: the counter is exhausted (${last}); the meter must be re-keyed`);
  return next;
}
