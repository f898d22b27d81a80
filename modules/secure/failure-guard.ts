/**
 * Per-identifier authentication failure counters with lockout (REFERENCES §5:
 * at ~926 injected frames/s a 24-bit MAC falls in hours unless failures are
 * counted). After `limit` failures within `windowMs` the identifier is locked
 * for `lockoutMs` and the alarm fires once. While locked, its frames are not
 * verified except the few the owner lets through (CanMaster: the answer to
 * its own request), so a brute force gets a handful of guesses per poll cycle
 * instead of a full bus, and a lock-out is a visible state (`lockState`: since
 * when, until when), never a silent one.
 */
export interface FailureGuardOptions {
  limit?: number;
  windowMs?: number;
  lockoutMs?: number;
  onAlarm?: (id: number, failures: number) => void;
}

interface Entry {
  windowStart: number;
  inWindow: number;
  total: number;
  lockedSince: number;
  lockedUntil: number;
}

export interface LockState {
  since: number;
  until: number;
  failures: number;
}

export class FailureGuard {
  readonly limit: number;
  readonly windowMs: number;
  readonly lockoutMs: number;
  private readonly entries = new Map<number, Entry>();
  private readonly onAlarm?: (id: number, failures: number) => void;
  alarms = 0;

  constructor(options: FailureGuardOptions = {}) {
    this.limit = options.limit ?? 8;
    this.windowMs = options.windowMs ?? 60_000;
    this.lockoutMs = options.lockoutMs ?? 600_000;
    this.onAlarm = options.onAlarm;
  }

  locked(id: number, now: number): boolean {
    const e = this.entries.get(id);
    return !!e && now < e.lockedUntil;
  }

  /** The lock on `id` now, or undefined when it is not locked. */
  lockState(id: number, now: number): LockState | undefined {
    const e = this.entries.get(id);
    return e && now < e.lockedUntil ? { since: e.lockedSince, until: e.lockedUntil, failures: e.total } : undefined;
  }

  /** Counts one failure; returns true when this failure locked the identifier. */
  fail(id: number, now: number): boolean {
    let e = this.entries.get(id);
    if (!e) this.entries.set(id, (e = { windowStart: now, inWindow: 0, total: 0, lockedSince: -Infinity, lockedUntil: -Infinity }));
    e.total++;
    if (now - e.windowStart > this.windowMs) {
      e.windowStart = now;
      e.inWindow = 0;
    }
    e.inWindow++;
    if (e.inWindow >= this.limit && now >= e.lockedUntil) {
      e.lockedSince = now;
      e.lockedUntil = now + this.lockoutMs;
      e.inWindow = 0;
      this.alarms++;
      if (this.onAlarm) this.onAlarm(id, e.total);
      return true;
    }
    return false;
  }

  failures(id: number): number {
    return this.entries.get(id)?.total ?? 0;
  }
}
