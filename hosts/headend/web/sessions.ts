/**
 * Signed-in operators: a random session id in an HttpOnly, SameSite=Strict
 * cookie, a CSRF token per session for every form, an idle timeout, and a
 * lockout per user name after repeated wrong passwords (so a guesser cannot
 * run the PBKDF2 at its own pace).
 */
import { randomBytes } from "node:crypto";
import type { Role } from "../store/store";

export interface WebSession {
  id: string;
  user: string;
  role: Role;
  csrf: string;
  lastUsed: number;
}

const IDLE_MS = 8 * 3_600_000;
const MAX_FAILURES = 5;
const LOCK_MS = 5 * 60_000;

export class Sessions {
  private readonly byId = new Map<string, WebSession>();
  private readonly failures = new Map<string, { n: number; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  open(user: string, role: Role): WebSession {
    const s = { id: randomBytes(24).toString("hex"), user, role, csrf: randomBytes(16).toString("hex"), lastUsed: this.now() };
    this.byId.set(s.id, s);
    this.failures.delete(user);
    return s;
  }

  get(id: string | undefined): WebSession | undefined {
    if (!id) return undefined;
    const s = this.byId.get(id);
    if (!s) return undefined;
    if (this.now() - s.lastUsed > IDLE_MS) {
      this.byId.delete(id);
      return undefined;
    }
    s.lastUsed = this.now();
    return s;
  }

  close(id: string | undefined): void {
    if (id) this.byId.delete(id);
  }

  /** Milliseconds this user name is still locked for (0 = may try). */
  lockedFor(user: string): number {
    const f = this.failures.get(user);
    return f && f.until > this.now() ? f.until - this.now() : 0;
  }

  failed(user: string): void {
    const f = this.failures.get(user) ?? { n: 0, until: 0 };
    f.n++;
    if (f.n >= MAX_FAILURES) {
      f.until = this.now() + LOCK_MS;
      f.n = 0;
    }
    // bounded: a flood of made-up names cannot grow the map without end
    if (this.failures.size > 10_000) this.failures.clear();
    this.failures.set(user, f);
  }
}
