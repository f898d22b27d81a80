import type { Clock } from "../core/clock";
import type { Random } from "../core/ports";
import { constantTimeEqual, fromHex, toHex, utf8Encode } from "../core/bytes";
import { hmacSha256 } from "../secure/hmac";

/**
 * PBKDF2-HMAC-SHA256 (RFC 8018 §5.2), one 32-byte block. Iterations are a
 * setting: the board's XS SHA-256 costs far more than Node's, so the default
 * is modest and documented.
 */
export function pbkdf2Sha256(password: Uint8Array, salt: Uint8Array, iterations: number): Uint8Array {
  const first = new Uint8Array(salt.length + 4);
  first.set(salt);
  first[salt.length + 3] = 1; // INT(1), big-endian block index
  let u = hmacSha256(password, first);
  const out = u.slice();
  for (let i = 1; i < iterations; i++) {
    u = hmacSha256(password, u);
    for (let k = 0; k < 32; k++) out[k] ^= u[k];
  }
  return out;
}

export interface Session {
  id: string;
  csrf: string;
  authenticated: boolean;
  created: number;
  lastSeen: number;
}

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
}

const MAX_FAILURES_TRACKED = 64;

/**
 * Who may act: no default password (the household sets one at first use),
 * sessions held by an HttpOnly SameSite=Strict cookie, a per-session CSRF
 * token in every form, and login attempts rate-limited per address with an
 * exponential lock-out.
 */
export class Auth {
  private record: string | undefined;
  private sessions = new Map<string, Session>();
  private failures = new Map<string, { count: number; until: number }>();
  readonly iterations: number;

  constructor(private readonly o: AuthOptions) {
    this.record = o.stored;
    this.iterations = o.iterations ?? 2000;
  }

  get hasPassword(): boolean {
    return this.record !== undefined;
  }

  /** Sets the password (first use, or a change by a logged-in user). */
  setPassword(password: string): string | undefined {
    if (password.length < 8) return "the password needs at least 8 characters";
    if (password.length > 128) return "the password is too long";
    const salt = this.bytes(16);
    const hash = pbkdf2Sha256(utf8Encode(password), salt, this.iterations);
    this.record = `pbkdf2-sha256$${this.iterations}$${toHex(salt)}$${toHex(hash)}`;
    this.o.save?.(this.record);
    return undefined;
  }

  /** Milliseconds the address must still wait before trying again (0 = may try). */
  lockedFor(address: string): number {
    const f = this.failures.get(address);
    return f ? Math.max(0, f.until - this.o.clock.now()) : 0;
  }

  verify(password: string, address: string): "ok" | "wrong" | "locked" {
    if (this.lockedFor(address) > 0 || !this.record) return this.record ? "locked" : "wrong";
    const [, iter, salt, hash] = this.record.split("$");
    const got = pbkdf2Sha256(utf8Encode(password), fromHex(salt), Number(iter));
    if (constantTimeEqual(got, fromHex(hash))) {
      this.failures.delete(address);
      return "ok";
    }
    const f = this.failures.get(address) ?? { count: 0, until: 0 };
    f.count++;
    // 3 free tries, then 2 s, 4 s, 8 s … capped at 5 min.
    if (f.count >= 3) f.until = this.o.clock.now() + Math.min(300_000, 1000 * 2 ** (f.count - 2));
    if (this.failures.size >= MAX_FAILURES_TRACKED && !this.failures.has(address)) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.set(address, f);
    return "wrong";
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

  /** A new session (anonymous until `login`), evicting the oldest over the cap. */
  create(): Session {
    const max = this.o.maxSessions ?? 16;
    while (this.sessions.size >= max) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const now = this.o.clock.now();
    const s: Session = { id: toHex(this.bytes(16)), csrf: toHex(this.bytes(16)), authenticated: false, created: now, lastSeen: now };
    this.sessions.set(s.id, s);
    return s;
  }

  /** After a successful login: a fresh session id (no fixation). */
  login(old: Session | undefined): Session {
    if (old) this.sessions.delete(old.id);
    const s = this.create();
    s.authenticated = true;
    return s;
  }

  logout(s: Session): void {
    this.sessions.delete(s.id);
  }

  checkCsrf(s: Session | undefined, token: string | undefined): boolean {
    if (!s || !token) return false;
    return constantTimeEqual(utf8Encode(s.csrf), utf8Encode(token));
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

export const CLEAR_COOKIE = "sid=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
