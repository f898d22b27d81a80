/**
 * The settings the utility may change over the cloud downlink (cmd/config):
 * a whitelist, each an integer with a range and a unit. A command is checked
 * whole — an unknown key or a value out of range refuses all of it, with an
 * error naming the keys — then persisted (when there is a store) and applied.
 * At boot `restore()` applies what was persisted, so a setting outlives reboots.
 */
import type { ActionResult } from "../core/household";

export interface ConfigSetting {
  min: number;
  max: number;
  unit: string;
  /** Key of the value in the u32 store (FlashCounterStore on the board). */
  storeKey: number;
  apply(value: number): void;
}

export interface U32Store {
  get(key: number): number | undefined;
  set(key: number, value: number): void;
}

export class CloudConfig {
  private readonly current = new Map<string, number>();

  constructor(private readonly settings: Record<string, ConfigSetting>, private readonly store?: U32Store) {}

  /** Applies the persisted values (at boot); returns them. */
  restore(): Record<string, number> {
    const out: Record<string, number> = {};
    if (!this.store) return out;
    for (const name of Object.keys(this.settings)) {
      const s = this.settings[name];
      const v = this.store.get(s.storeKey);
      if (v === undefined || v < s.min || v > s.max) continue; // never persisted, or from a wider old range
      s.apply(v);
      this.current.set(name, v);
      out[name] = v;
    }
    return out;
  }

  /** Values set by the utility so far (this boot or persisted). */
  values(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of this.current) out[k] = v;
    return out;
  }

  apply(raw: unknown): ActionResult {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { ok: false, error: "config: an object of settings is required" };
    const body = raw as Record<string, unknown>;
    const names = Object.keys(body);
    if (names.length === 0) return { ok: false, error: "config: no settings given" };
    const allowed = Object.keys(this.settings);
    const unknown = names.filter((n) => !Object.prototype.hasOwnProperty.call(this.settings, n));
    if (unknown.length) return { ok: false, error: `config: unknown key${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (allowed: ${allowed.join(", ")})` };
    const bad: string[] = [];
    for (const n of names) {
      const s = this.settings[n];
      const v = body[n];
      if (typeof v !== "number" || !Number.isInteger(v) || v < s.min || v > s.max) bad.push(`${n} must be an integer ${s.min}..${s.max} ${s.unit} (got ${JSON.stringify(v)})`);
    }
    if (bad.length) return { ok: false, error: `config: ${bad.join("; ")}` };
    for (const n of names) {
      const s = this.settings[n];
      const v = body[n] as number;
      this.store?.set(s.storeKey, v); // persisted first: a reboot right after still applies it
      s.apply(v);
      this.current.set(n, v);
    }
    return { ok: true };
  }
}
