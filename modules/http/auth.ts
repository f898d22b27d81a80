import type { Clock } from "../core/clock";
import type { Random } from "../core/ports";
import { constantTimeEqual, fromHex, toHex, utf8Encode } from "../core/bytes";
import { hmacSha256 } from "../secure/hmac";
import { pbkdf2Sha256 } from "../secure/pbkdf2";
import { AttemptLimiter, type Gate } from "./attempt-limiter";

export { pbkdf2Sha256 };

/** Longest password, in UTF-8 bytes: refused before any hashing (a 3,900-byte guess cost ~7× a short one). */
export const MAX_PASSWORD_BYTES = 128;

export interface Session {
  id: string;
  csrf: string;
  authenticated: boolean;
  created: number;
  lastSeen: number;
}

/** Who is guessing: the peer address, and the device cookie the browser sent, if any. */
export interface Client {
  address: string;
  device?: string;
}

export type Verdict = "ok" | "wrong" | "locked" | "busy";

export interface AuthOptions {
  clock: Clock;
  random: Random;
  iterations?: number;
  /** Stored password record "pbkdf2-sha256$iter$salt$hash" (from flash/preferences), if any. */
  stored?: string;
  /** Persists a new password record. */
  save?(record: string): void;
  sessionIdleMs?: number;
  maxSessions?: number;
  /** Global budget of sign-in attempts from browsers without a device cookie (default 20, then one per 3 s). */
  budget?: { burst: number; refillMs: number };
}

/**
 * Who may act. No default password (the household sets one at first use);
 * sessions exist only once signed in (nothing is stored for a visitor, so
 * no number of anonymous requests can evict the owner's session), held by
 * an HttpOnly SameSite=Strict cookie with a per-session CSRF token.
 *
 * Guessing is limited three ways (AttemptLimiter): per address (3 free
 * tries, then 2 s … 5 min), a global budget over all addresses, and — so
 * the owner is not locked out by others — per device: a browser that has
 * signed in before holds a device cookie (OWASP "device cookies"), an HMAC
 * under a key derived from the password record, and its attempts are
 * limited only per device, never by the address lock or the global budget
 * that an attacker can exhaust.
 */
export class Auth {
  private record: string | undefined;
  private deviceKey: Uint8Array | undefined;
  private sessions = new Map<string, Session>();
  readonly addresses: AttemptLimiter;
  readonly devices: AttemptLimiter;
  readonly iterations: number;

  constructor(private readonly o: AuthOptions) {
    this.iterations = o.iterations ?? 2000;
    this.addresses = new AttemptLimiter({ clock: o.clock, budget: o.budget ?? { burst: 20, refillMs: 3000 } });
    this.devices = new AttemptLimiter({ clock: o.clock, maxTracked: 16 });
    this.useRecord(o.stored);
  }

  get hasPassword(): boolean {
    return this.record !== undefined;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Sets the password (first use, or a change by a signed-in user); ends every session. */
  setPassword(password: string): string | undefined {
    if (password.length < 8) return "the password needs at least 8 characters";
    const bytes = utf8Encode(password);
    if (bytes.length > MAX_PASSWORD_BYTES) return `the password is too long (at most ${MAX_PASSWORD_BYTES} bytes)`;
    const salt = this.bytes(16);
    const hash = pbkdf2Sha256(bytes, salt, this.iterations);
    this.useRecord(`pbkdf2-sha256$${this.iterations}$${toHex(salt)}$${toHex(hash)}`);
    this.o.save?.(this.record!);
    this.sessions.clear();
    return undefined;
  }

  /** May this client guess now? (Also used for setup codes: one budget for every guess.) */
  admit(client: Client): Gate {
    return this.isDevice(client.device) ? this.devices.admit(client.device!, false) : this.addresses.admit(client.address, true);
  }

  /** Records the outcome of a guess that `admit` let through. */
  outcome(client: Client, right: boolean): void {
    const device = this.isDevice(client.device);
    const limiter = device ? this.devices : this.addresses;
    const key = device ? client.device! : client.address;
    if (right) limiter.succeeded(key, !device);
    else limiter.failed(key);
  }

  /** Milliseconds this client must wait before its next guess (0 = may try). */
  retryAfter(client: Client): number {
    return this.isDevice(client.device) ? this.devices.lockedFor(client.device!) : this.addresses.lockedFor(client.address);
  }

  /** Checks a sign-in password, within the limits; `address` alone is a client without a device cookie. */
  verify(password: string, client: Client | string): Verdict {
    const c = typeof client === "string" ? { address: client } : client;
    const gate = this.admit(c);
    if (!gate.ok) return gate.why;
    const right = this.matchesPassword(password);
    this.outcome(c, right);
    return right ? "ok" : "wrong";
  }

  /** The session named by the cookie, if live. */
  session(cookieHeader: string | undefined): Session | undefined {
    const id = readCookie(cookieHeader, "sid");
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const now = this.o.clock.now();
    if (now - s.lastSeen > (this.o.sessionIdleMs ?? 30 * 60_000)) {
      this.sessions.delete(id);
      return undefined;
    }
    s.lastSeen = now;
    return s;
  }

  /**
   * After a right password: a fresh session (no fixation). Only the password
   * makes sessions, so the one evicted over the cap is the owner's own least
   * recently used one.
   */
  login(old?: Session): Session {
    if (old) this.sessions.delete(old.id);
    const max = this.o.maxSessions ?? 16;
    while (this.sessions.size >= max) this.sessions.delete(this.leastRecent()!);
    const now = this.o.clock.now();
    const s: Session = { id: toHex(this.bytes(16)), csrf: toHex(this.bytes(16)), authenticated: true, created: now, lastSeen: now };
    this.sessions.set(s.id, s);
    return s;
  }

  logout(s: Session): void {
    this.sessions.delete(s.id);
  }

  /** Ends every session but `keep` (a password change signs the other browsers out). */
  endOthers(keep: Session): void {
    for (const id of [...this.sessions.keys()]) if (id !== keep.id) this.sessions.delete(id);
  }

  checkCsrf(s: Session | undefined, token: string | undefined): boolean {
    if (!s || !token) return false;
    return constantTimeEqual(utf8Encode(s.csrf), utf8Encode(token));
  }

  /** A new device cookie value for a browser that just signed in ("" without a password). */
  issueDevice(): string {
    if (!this.deviceKey) return "";
    const nonce = toHex(this.bytes(16));
    return `${nonce}.${toHex(hmacSha256(this.deviceKey, utf8Encode(nonce)))}`;
  }

  /** A device cookie this meter issued under the current password. */
  isDevice(value: string | undefined): boolean {
    if (!value || !this.deviceKey || !/^[0-9a-f]{32}\.[0-9a-f]{64}$/.test(value)) return false;
    const [nonce, tag] = value.split(".");
    return constantTimeEqual(hmacSha256(this.deviceKey, utf8Encode(nonce)), fromHex(tag));
  }

  /** Whether `password` is the one set (no limits: callers go through admit/outcome). */
  matchesPassword(password: string): boolean {
    if (!this.record) return false;
    const bytes = utf8Encode(password);
    if (bytes.length > MAX_PASSWORD_BYTES) return false; // no PBKDF2 for what setPassword never accepts
    const [, iter, salt, hash] = this.record.split("$");
    return constantTimeEqual(pbkdf2Sha256(bytes, fromHex(salt), Number(iter)), fromHex(hash));
  }

  /** A new record also gives a new device key: changing the password voids every device cookie. */
  private useRecord(record: string | undefined): void {
    this.record = record;
    this.deviceKey = record === undefined ? undefined : hmacSha256(utf8Encode(record), utf8Encode("xsmeter device cookie"));
  }

  private leastRecent(): string | undefined {
    let id: string | undefined;
    let seen = Infinity;
    for (const s of this.sessions.values()) if (s.lastSeen < seen) (seen = s.lastSeen), (id = s.id);
    return id;
  }

  private bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    this.o.random.fill(b);
    return b;
  }
}

export function sessionCookie(s: Session): string {
  return `sid=${s.id}; Path=/; HttpOnly; SameSite=Strict`;
}

/** The device cookie: a year, sent only to this meter, never readable by script. */
export function deviceCookie(value: string): string {
  return `dev=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000`;
}

export const CLEAR_COOKIE = "sid=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
