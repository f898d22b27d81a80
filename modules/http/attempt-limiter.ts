import type { Clock } from "../core/clock";

/** May this client try now? If not, how long to wait and why. */
export type Gate = { ok: true } | { ok: false; waitMs: number; why: "locked" | "busy" };

export interface AttemptLimiterOptions {
  clock: Clock;
  /** Clients tracked one by one; a full table evicts nobody (see `failed`). */
  maxTracked?: number;
  /** Failures before the first lock. */
  freeTries?: number;
  /** Longest lock of one client. */
  maxLockMs?: number;
  /** A client that has not failed for this long (and is not locked) is forgotten. */
  forgetMs?: number;
  /** Global budget: attempts in a burst, then one more per `refillMs`. Omit for none. */
  budget?: { burst: number; refillMs: number };
}

interface Failures {
  count: number;
  until: number;
  last: number;
}

const DEFAULTS = Object.freeze({ maxTracked: 64, freeTries: 3, maxLockMs: 300_000, forgetMs: 15 * 60_000 });

/**
 * Rate limits for guesses (passwords, setup codes): per client, 3 free tries
 * then a lock of 2 s, 4 s, 8 s … up to 5 min; and, when a budget is given, a
 * global token bucket over all budgeted clients, so many addresses together
 * cannot guess (or burn CPU on PBKDF2) faster than the budget. The table
 * never evicts a live entry: a flood of new addresses cannot free an
 * attacker's lock (the old FIFO of 64 did), it only finds the table full and
 * then has the global budget alone.
 */
export class AttemptLimiter {
  private table = new Map<string, Failures>();
  private tokens: number;
  private refilledAt: number;
  private readonly o: Required<Omit<AttemptLimiterOptions, "budget">> & Pick<AttemptLimiterOptions, "budget">;
  /** Attempts refused, for the log and the benchmark. */
  refusedLocked = 0;
  refusedBusy = 0;

  constructor(options: AttemptLimiterOptions) {
    this.o = { ...DEFAULTS, ...options };
    this.tokens = options.budget?.burst ?? 0;
    this.refilledAt = options.clock.now();
  }

  get tracked(): number {
    return this.table.size;
  }

  /** Asks to try once; a yes spends one token of the global budget (when `budgeted`). */
  admit(client: string, budgeted: boolean): Gate {
    const now = this.o.clock.now();
    const f = this.table.get(client);
    if (f && f.until > now) {
      this.refusedLocked++;
      return { ok: false, waitMs: f.until - now, why: "locked" };
    }
    if (budgeted && this.o.budget) {
      this.refill(now);
      if (this.tokens < 1) {
        this.refusedBusy++;
        return { ok: false, waitMs: Math.max(1, this.o.budget.refillMs - (now - this.refilledAt)), why: "busy" };
      }
      this.tokens--;
    }
    return { ok: true };
  }

  /** A wrong guess: counts against the client (if it can be tracked) and may lock it. */
  failed(client: string): void {
    const now = this.o.clock.now();
    let f = this.table.get(client);
    if (!f) {
      if (this.table.size >= this.o.maxTracked) this.prune(now);
      if (this.table.size >= this.o.maxTracked) return; // untracked: the global budget alone limits it
      f = { count: 0, until: 0, last: now };
      this.table.set(client, f);
    }
    f.count++;
    f.last = now;
    if (f.count >= this.o.freeTries) f.until = now + Math.min(this.o.maxLockMs, 1000 * 2 ** Math.min(30, f.count - this.o.freeTries + 1));
  }

  /** A right guess: the client's record goes, and its token comes back. */
  succeeded(client: string, budgeted: boolean): void {
    this.table.delete(client);
    if (budgeted && this.o.budget) this.tokens = Math.min(this.o.budget.burst, this.tokens + 1);
  }

  /** Milliseconds the client must still wait (0 = may try, budget permitting). */
  lockedFor(client: string): number {
    const f = this.table.get(client);
    return f ? Math.max(0, f.until - this.o.clock.now()) : 0;
  }

  private refill(now: number): void {
    const b = this.o.budget!;
    const gained = Math.floor((now - this.refilledAt) / b.refillMs);
    if (gained <= 0) return;
    this.tokens = Math.min(b.burst, this.tokens + gained);
    this.refilledAt = this.tokens >= b.burst ? now : this.refilledAt + gained * b.refillMs;
  }

  /** Forgets clients neither locked nor seen failing for `forgetMs`. */
  private prune(now: number): void {
    for (const [k, f] of this.table) if (f.until <= now && now - f.last >= this.o.forgetMs) this.table.delete(k);
  }
}
