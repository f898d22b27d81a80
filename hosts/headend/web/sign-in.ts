/**
 * Sign-in limits for the dashboard (OWASP's brute-force advice, as the meter's
 * own page has them in modules/http/attempt-limiter.ts): per address and per
 * account a few free tries, then a doubling delay (answered 429 with
 * Retry-After), never a permanent lock; and a global budget of password checks
 * over all addresses, so many addresses together cannot guess faster.
 *
 * A delay per account could be used against its owner (an attacker keeps the
 * name delayed), so a browser that once signed in as that user holds a device
 * cookie, an HMAC under a key derived from the user's password record: its
 * tries are limited per device only, never by the account's or the address's
 * delay or the global budget. Changing the password invalidates every device
 * cookie of that user (the record, hence the key, changes).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { AttemptLimiter, type Gate } from "../../../modules/http/attempt-limiter";
import type { Clock } from "../../../modules/core/clock";

export interface SignInLimits {
  /** Wrong passwords before the first delay, per address and per account. */
  freeTries: number;
  /** Longest delay of an address, and of an account (short: the owner may be behind the same name). */
  maxAddressLockMs: number;
  maxAccountLockMs: number;
  /** Password checks at once over all addresses, then one per `refillMs`. */
  burst: number;
  refillMs: number;
}

export const DEFAULT_SIGN_IN: Readonly<SignInLimits> = Object.freeze({ freeTries: 5, maxAddressLockMs: 5 * 60_000, maxAccountLockMs: 60_000, burst: 20, refillMs: 2_000 });

export class SignInGuard {
  private readonly addresses: AttemptLimiter;
  private readonly accounts: AttemptLimiter;
  private readonly devices: AttemptLimiter;

  constructor(clock: Clock, limits: SignInLimits = DEFAULT_SIGN_IN) {
    const base = { clock, freeTries: limits.freeTries, maxTracked: 10_000 };
    this.addresses = new AttemptLimiter({ ...base, maxLockMs: limits.maxAddressLockMs, budget: { burst: limits.burst, refillMs: limits.refillMs } });
    this.accounts = new AttemptLimiter({ ...base, maxLockMs: limits.maxAccountLockMs });
    this.devices = new AttemptLimiter({ ...base, maxLockMs: limits.maxAddressLockMs });
  }

  /** May this try go ahead? `device`: the nonce of a valid device cookie for this user, if any. */
  gate(address: string, user: string, device: string | undefined): Gate {
    if (device !== undefined) return this.devices.admit(device, false);
    const account = this.accounts.lockedFor(user);
    if (account > 0) return { ok: false, waitMs: account, why: "locked" };
    return this.addresses.admit(address, true);
  }

  /** A wrong password; `known`: the name is a user (unknown names are not tracked per account: the table stays small). */
  failed(address: string, user: string, known: boolean, device: string | undefined): void {
    if (device !== undefined) return this.devices.failed(device);
    this.addresses.failed(address);
    if (known) this.accounts.failed(user);
  }

  succeeded(address: string, user: string, device: string | undefined): void {
    if (device !== undefined) return this.devices.succeeded(device, false);
    this.addresses.succeeded(address, true);
    this.accounts.succeeded(user, false);
  }
}

const mac = (record: string, user: string, nonce: string) => createHmac("sha256", createHmac("sha256", "xsmeter-headend-device").update(record).digest()).update(`${user}\n${nonce}`).digest("hex");

/** A new device cookie value for a user who just signed in: `<nonce>.<mac>`. */
export function newDeviceCookie(user: string, record: string): string {
  const nonce = randomBytes(12).toString("hex");
  return `${nonce}.${mac(record, user, nonce)}`;
}

/** The device's nonce when `value` is a device cookie of this user under this record, else undefined. */
export function deviceOf(value: string | undefined, user: string, record: string | undefined): string | undefined {
  const m = /^([0-9a-f]{24})\.([0-9a-f]{64})$/.exec(value ?? "");
  if (!m || record === undefined) return undefined;
  const want = Buffer.from(mac(record, user, m[1]), "hex");
  return timingSafeEqual(want, Buffer.from(m[2], "hex")) ? `${user}\n${m[1]}` : undefined;
}
