/**
 * Signed-in operators: a random session id in an HttpOnly, SameSite=Strict
 * cookie (Secure behind TLS), a CSRF token per session for every form, an idle
 * timeout. Sessions are made only by a right password. Limits on guessing are
 * in sign-in.ts.
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

export class Sessions {
  private readonly byId = new Map<string, WebSession>();

  constructor(private readonly now: () => number = Date.now) {}

  open(user: string, role: Role): WebSession {
    const s = { id: randomBytes(24).toString("hex"), user, role, csrf: randomBytes(16).toString("hex"), lastUsed: this.now() };
    this.byId.set(s.id, s);
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
}
