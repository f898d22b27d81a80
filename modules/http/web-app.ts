import type { Clock, TimerId } from "../core/clock";
import { DAY, HOUR, MINUTE } from "../core/clock";
import type { Household } from "../core/household";
import type { Random } from "../core/ports";
import { utf8DecodeStrict } from "../core/bytes";
import { Auth, CLEAR_COOKIE, deviceCookie, readCookie, sessionCookie, type Client, type Session } from "./auth";
import type { Gate } from "./attempt-limiter";
import { hostAllowed, sameOrigin } from "./host-check";
import { DEFAULT_LIMITS, type HttpLimits } from "./limits";
import { SetupCode } from "./setup-code";
import { powerGraphSvg } from "./graph-svg";
import { clockTime, esc, layout } from "./html";
import { energyQuery } from "./energy-api";
import { PqTrend } from "./charts/pq-trend";
import { controlPage, dashboardPage, energyPage, formPage, graphPage, liveValues, powerTodayFigure, pricesPage, qualityPage, type PageContext } from "./pages";
import { parseUrlEncoded } from "./path";
import { DEFAULT_QUERY_BOUNDS, csvLine, runQuery, toCsv, type QueryBounds } from "./query";
import type { HttpRequest } from "./request-parser";
import type { EventStream, Response } from "./response";
import { Router } from "./router";
import { StaticFs, type StaticAsset } from "./static-fs";

export type TouchKind = "tap" | "long" | "swipe-left" | "swipe-right";

export interface DisplayMirror {
  png(): Uint8Array;
  touch(x: number, y: number, kind: TouchKind): void;
}

export interface WebAppOptions {
  household: Household;
  clock: Clock;
  random: Random;
  assets: readonly StaticAsset[];
  display?: DisplayMirror;
  /** Reading without signing in (the home network); control always needs it. Default true. */
  readOpen?: boolean;
  /** Local time = UTC + this, for the pages. */
  utcOffsetMin?: number;
  /** PBKDF2 iterations (default 2000 on the host; measured ~36,100 XS computrons each since the HMAC pads are prepared once per call (~72,500 before), so the board should use ~64–100: 1–2 s per login at 2 M computrons/s). */
  pbkdf2Iterations?: number;
  storedPassword?: string;
  savePassword?(record: string): void;
  /** Live-value push period of the event streams. */
  livePeriodMs?: number;
  /** The server's limits: the event-stream caps and lifetime are read from them (the same object the HttpServer gets). */
  limits?: Partial<HttpLimits>;
  /**
   * The meter's own host names (besides localhost and any IP literal), e.g.
   * "xsmeter.local": a request naming another host is refused (DNS rebinding).
   */
  allowedHosts?: readonly string[];
  /** What history is stored: /query answers within it (default one week at one minute). */
  history?: QueryBounds;
  /** Global budget of sign-in and setup-code guesses (see Auth). */
  loginBudget?: { burst: number; refillMs: number };
  /** Called with the setup code when the meter has no password yet, to show it on the display / console. */
  onSetupCode?(code: string): void;
}

interface StreamInfo {
  address: string;
  since: number;
}

const HTML = "text/html; charset=utf-8";
const JSON_TYPE = "application/json";

/**
 * The household web page: routes, pages, JSON API, history query, login,
 * and the live event streams. Reads only the Household interface.
 */
export class WebApp {
  readonly router = new Router();
  readonly auth: Auth;
  private fs: StaticFs;
  private streams = new Map<EventStream, StreamInfo>();
  private limits: HttpLimits;
  private hosts: readonly string[];
  private setup: SetupCode | undefined;
  private ticker: TimerId | undefined;
  private dirty = true;
  private sinceLastPing = 0;
  private unsubscribe: () => void;
  private readOpen: boolean;
  private offset: number;
  /** The 10-min aggregates seen so far (the quality trends). */
  private trend = new PqTrend();

  constructor(private readonly o: WebAppOptions) {
    this.auth = new Auth({ clock: o.clock, random: o.random, iterations: o.pbkdf2Iterations, stored: o.storedPassword, save: o.savePassword, budget: o.loginBudget });
    this.limits = { ...DEFAULT_LIMITS, ...o.limits };
    this.hosts = o.allowedHosts ?? [];
    if (!this.auth.hasPassword) {
      this.setup = new SetupCode(o.random);
      o.onSetupCode?.(this.setup.display);
    }
    this.fs = new StaticFs(o.assets);
    this.readOpen = o.readOpen ?? true;
    this.offset = o.utcOffsetMin ?? 0;
    this.unsubscribe = o.household.onChange(() => {
      this.dirty = true;
      this.trend.take(o.household.snapshot().pq10min);
    });
    this.trend.take(o.household.snapshot().pq10min);
    this.routes();
  }

  /** The server's request handler. */
  readonly handle = (req: HttpRequest, res: Response): void => {
    res.header("X-Content-Type-Options", "nosniff").header("X-Frame-Options", "DENY").header("Referrer-Policy", "same-origin");
    if (!hostAllowed(req.headers.get("host"), this.hosts)) {
      res.status(421).closeConnection().send("this meter does not answer to that host name (use its address, or add the name to allowedHosts)\n", "text/plain; charset=utf-8");
      return;
    }
    if (req.method === "POST" && !sameOrigin(req.headers.get("host"), req.headers.get("origin"), req.headers.get("referer"))) {
      res.status(403).send("a POST must come from this meter's own page (Origin)\n", "text/plain; charset=utf-8");
      return;
    }
    if (req.path.startsWith("/static/")) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.status(405).header("Allow", "GET, HEAD").send("method not allowed\n", "text/plain; charset=utf-8");
        return;
      }
      if (this.fs.serve(req, res)) return;
    }
    this.router.handle(req, res);
  };

  close(): void {
    this.unsubscribe();
    if (this.ticker !== undefined) this.o.clock.cancel(this.ticker);
    this.ticker = undefined;
  }

  get eventStreams(): number {
    return this.streams.size;
  }

  /** The code that claims the meter (shown on the display), while no password is set. */
  get setupCode(): string | undefined {
    return this.auth.hasPassword ? undefined : this.setup?.display;
  }

  // ---- helpers

  private session(req: HttpRequest): Session | undefined {
    return this.auth.session(req.headers.get("cookie"));
  }

  private user(req: HttpRequest): Session | undefined {
    const s = this.session(req);
    return s && s.authenticated ? s : undefined;
  }

  /** Readers: open, or signed in. Answers and returns false when not allowed. */
  private mayRead(req: HttpRequest, res: Response, api = false): boolean {
    if (this.readOpen || this.user(req)) return true;
    if (api) res.status(401).send('{"error":"sign in"}', JSON_TYPE);
    else res.redirect("/login");
    return false;
  }

  private page(req: HttpRequest, res: Response, title: string, active: string, body: string, live = false): void {
    res.header("Cache-Control", "no-store").send(layout(title, active, body, { live, display: !!this.o.display, user: !!this.user(req) }), HTML);
  }

  private ctx(req: HttpRequest, message?: string): PageContext {
    return { snap: this.o.household.snapshot(), offsetMin: this.offset, csrf: this.user(req)?.csrf, message, household: this.o.household, trend: this.trend };
  }

  /** Parses a urlencoded form body; answers 400/415 and returns undefined when it cannot. */
  private form(req: HttpRequest, res: Response): Map<string, string> | undefined {
    const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (type !== "application/x-www-form-urlencoded") {
      res.status(415).send("forms only (application/x-www-form-urlencoded)\n", "text/plain; charset=utf-8");
      return undefined;
    }
    const text = utf8DecodeStrict(req.body);
    const f = text === undefined ? undefined : parseUrlEncoded(text);
    if (!f) res.status(400).send("malformed form\n", "text/plain; charset=utf-8");
    return f;
  }

  /** A control action: signed in and the CSRF token of the session. */
  private authorised(req: HttpRequest, res: Response, token: string | undefined): boolean {
    const s = this.user(req);
    if (!s) {
      res.status(401).send(layout("Sign in needed", "", `<p>Controls need you to <a href="/login">sign in</a>.</p>`), HTML);
      return false;
    }
    if (!this.auth.checkCsrf(s, token)) {
      res.status(403).send(layout("Forbidden", "", "<p>The form is out of date (CSRF token). Go back, reload and try again.</p>"), HTML);
      return false;
    }
    return true;
  }

  private client(req: HttpRequest): Client {
    return { address: req.remoteAddress, device: readCookie(req.headers.get("cookie"), "dev") };
  }

  /** Answers 429 with Retry-After for a guess the limits refuse. */
  private tooMany(res: Response, gate: Gate & { ok: false }): void {
    const wait = Math.max(1, Math.ceil(gate.waitMs / 1000));
    const why = gate.why === "locked" ? "too many wrong attempts from here" : "too many sign-in attempts on this meter";
    res.status(429).header("Retry-After", String(wait)).send(layout("Wait", "", `<p>${why}; try again in ${wait} s.</p>`), HTML);
  }

  /** Signs the browser in: a fresh session and a device cookie (its guesses are then limited on their own). */
  private signIn(res: Response, old: Session | undefined, then: string): void {
    const s = this.auth.login(old);
    res.header("Set-Cookie", sessionCookie(s)).header("Set-Cookie", deviceCookie(this.auth.issueDevice()), true).redirect(then);
  }

  // ---- routes

  private routes(): void {
    const r = this.router;
    const hh = this.o.household;
    r.get("/", (req, res) => this.mayRead(req, res) && this.page(req, res, "Dashboard", "/", dashboardPage(this.ctx(req)), true));
    r.get("/graph", (req, res) => {
      if (!this.mayRead(req, res)) return;
      const q = parseUrlEncoded(req.query) ?? new Map<string, string>();
      const series = q.get("series") ?? "total";
      const range = q.get("range") ?? "day";
      const span = range === "hour" ? HOUR : range === "week" ? 7 * DAY : DAY;
      const step = range === "hour" ? MINUTE : range === "week" ? HOUR : 5 * MINUTE;
      // the household's clock (virtual in a speed run), not the server's
      const now = this.now();
      const end = now - (now % step) + step;
      const name = this.seriesLabel(series);
      if (!name) return res.status(404).send(layout("Not found", "", `<p>No series ${esc(series)}.</p>`), HTML);
      const svg = powerGraphSvg(hh.history(series, end - span, end, step), `${name}, last ${range}`, this.offset, end - span, end, now);
      this.page(req, res, `Power graph · ${name}`, "", graphPage(svg, series, range, `Mean power per ${step / MINUTE} min`));
    });
    r.get("/energy", (req, res) => this.mayRead(req, res) && this.page(req, res, "Energy and bill", "/energy", energyPage(this.ctx(req))));
    // the dashboard's live chart, fetched again by the live script each minute
    r.get("/chart/power-today", (req, res) => this.mayRead(req, res) && res.header("Cache-Control", "no-store").send(powerTodayFigure(this.ctx(req)), HTML));
    r.get("/prices", (req, res) => this.mayRead(req, res) && this.page(req, res, "Prices and grid", "/prices", pricesPage(this.ctx(req))));
    r.get("/control", (req, res) => {
      if (!this.mayRead(req, res)) return;
      const q = parseUrlEncoded(req.query);
      this.page(req, res, "Load control", "/control", controlPage(this.ctx(req, q?.get("msg"))), true);
    });
    r.get("/quality", (req, res) => this.mayRead(req, res) && this.page(req, res, "Power quality", "/quality", qualityPage(this.ctx(req))));
    r.get("/settings", (req, res) => this.settings(req, res));

    r.post("/control/switch", (req, res) => {
      const f = this.form(req, res);
      if (!f || !this.authorised(req, res, f.get("csrf"))) return;
      const id = f.get("id") ?? "";
      const result = hh.switchLoad(id, f.get("on") === "1", "user");
      res.redirect(`/control?msg=${encodeURIComponent(result.ok ? `${this.loadName(id)} switched ${f.get("on") === "1" ? "on" : "off"}` : result.error ?? "failed")}`);
    });
    r.post("/control/cancel", (req, res) => {
      const f = this.form(req, res);
      if (!f || !this.authorised(req, res, f.get("csrf"))) return;
      const id = f.get("id") ?? "";
      const result = hh.cancelPlan ? hh.cancelPlan(id, "user") : { ok: false, error: "plans cannot be cancelled here" };
      res.redirect(`/control?msg=${encodeURIComponent(result.ok ? `${this.loadName(id)}: plan cancelled` : result.error ?? "failed")}`);
    });
    r.post("/control/schedule", (req, res) => {
      const f = this.form(req, res);
      if (!f || !this.authorised(req, res, f.get("csrf"))) return;
      const hours = Number(f.get("hours"));
      const m = /^(\d{1,2}):(\d\d)$/.exec(f.get("deadline") ?? "");
      if (!(hours > 0 && hours <= 24) || !m || Number(m[1]) > 23 || Number(m[2]) > 59) return res.redirect(`/control?msg=${encodeURIComponent("give hours (0–24) and a deadline HH:MM")}`);
      const now = this.now();
      let deadline = now - ((now + this.offset * MINUTE) % DAY) + (Number(m[1]) * 60 + Number(m[2])) * MINUTE;
      if (deadline <= now) deadline += DAY;
      const result = hh.scheduleLoad(f.get("id") ?? "", hours * HOUR, deadline, "user");
      const planned = result.ok && result.startAt !== undefined ? `, to start at ${clockTime(result.startAt, this.offset)}` : "";
      res.redirect(`/control?msg=${encodeURIComponent(result.ok ? `${this.loadName(f.get("id") ?? "")} planned${planned}` : result.error ?? "failed")}`);
    });

    // Sign-in and first use make no server state until a password is right (no anonymous sessions):
    // their forms carry no CSRF token; the Origin check on every POST stands in for it.
    r.get("/login", (req, res) => {
      if (!this.auth.hasPassword) return res.redirect("/setup");
      const q = parseUrlEncoded(req.query);
      this.page(req, res, "Sign in", "", formPage("/login", "", `<p><label>Password <input type="password" name="password" autocomplete="current-password" maxlength="128" autofocus></label></p>`, "Sign in", q?.get("msg")));
    });
    r.post("/login", (req, res) => {
      const f = this.form(req, res);
      if (!f) return;
      const client = this.client(req);
      const gate = this.auth.admit(client);
      if (!gate.ok) return this.tooMany(res, gate);
      const right = this.auth.matchesPassword(f.get("password") ?? "");
      this.auth.outcome(client, right);
      if (!right) {
        const wait = Math.ceil(this.auth.retryAfter(client) / 1000);
        return res.status(303).header("Location", `/login?msg=${encodeURIComponent(wait ? `Wrong password; wait ${wait} s` : "Wrong password")}`).send("", "text/plain; charset=utf-8");
      }
      this.signIn(res, this.session(req), "/control");
    });
    r.get("/setup", (req, res) => {
      if (this.auth.hasPassword) return res.redirect("/login");
      this.page(req, res, "Set a password", "", this.setupForm());
    });
    r.post("/setup", (req, res) => {
      const f = this.form(req, res);
      if (!f) return;
      if (this.auth.hasPassword || !this.setup) return res.status(409).send(layout("Already set", "", '<p>A password is already set. <a href="/login">Sign in</a>.</p>'), HTML);
      const client = this.client(req);
      const gate = this.auth.admit(client);
      if (!gate.ok) return this.tooMany(res, gate);
      const right = this.setup.matches(f.get("code"));
      this.auth.outcome(client, right);
      if (!right) return res.status(403).send(layout("Set a password", "", this.setupForm("Wrong setup code: read it from the meter's display.")), HTML);
      const error = this.auth.setPassword(f.get("password") ?? "");
      if (error) return res.status(400).send(layout("Set a password", "", this.setupForm(error)), HTML);
      this.signIn(res, undefined, "/control");
    });
    r.post("/logout", (req, res) => {
      const f = this.form(req, res);
      const s = this.user(req);
      if (!f || !s || !this.auth.checkCsrf(s, f.get("csrf"))) return res.headersSent ? undefined : res.redirect("/");
      this.auth.logout(s);
      res.header("Set-Cookie", CLEAR_COOKIE).redirect("/");
    });
    r.post("/settings/password", (req, res) => {
      const f = this.form(req, res);
      if (!f || !this.authorised(req, res, f.get("csrf"))) return;
      // The current password first: a session left open on a shared screen must not be enough to take the meter.
      const client = this.client(req);
      const gate = this.auth.admit(client);
      if (!gate.ok) return this.tooMany(res, gate);
      const right = this.auth.matchesPassword(f.get("current") ?? "");
      this.auth.outcome(client, right);
      if (!right) return res.redirect(`/settings?msg=${encodeURIComponent("the current password is wrong")}`);
      const error = this.auth.setPassword(f.get("password") ?? "");
      if (error) return res.redirect(`/settings?msg=${encodeURIComponent(error)}`);
      // setPassword ended every session (and voided every device cookie): this browser signs in afresh.
      this.signIn(res, undefined, `/settings?msg=${encodeURIComponent("password changed; every other session is signed out")}`);
    });
    r.post("/settings/access", (req, res) => {
      const f = this.form(req, res);
      if (!f || !this.authorised(req, res, f.get("csrf"))) return;
      this.readOpen = f.get("open") === "1";
      res.redirect(`/settings?msg=${encodeURIComponent(this.readOpen ? "reading is open on the home network" : "reading needs sign-in")}`);
    });

    // JSON API
    r.get("/api/snapshot", (req, res) => this.mayRead(req, res, true) && res.header("Cache-Control", "no-store").send(JSON.stringify(hh.snapshot()), JSON_TYPE));
    r.get("/api/energy", (req, res) => {
      if (!this.mayRead(req, res, true)) return;
      const result = energyQuery(hh, parseUrlEncoded(req.query), this.now());
      if (typeof result === "string") return res.status(400).send(JSON.stringify({ error: result }), JSON_TYPE);
      res.header("Cache-Control", "no-store").send(JSON.stringify(result), JSON_TYPE);
    });
    r.get("/api/live", (req, res) => this.mayRead(req, res, true) && res.header("Cache-Control", "no-store").send(JSON.stringify(liveValues(hh.snapshot(), this.offset)), JSON_TYPE));
    r.post("/api/loads/:id/switch", (req, res, p) => {
      const s = this.user(req);
      if (!s) return res.status(401).send('{"error":"sign in"}', JSON_TYPE);
      if (!this.auth.checkCsrf(s, req.headers.get("x-csrf-token"))) return res.status(403).send('{"error":"csrf"}', JSON_TYPE);
      const text = utf8DecodeStrict(req.body);
      let on: unknown;
      try {
        on = JSON.parse(text ?? "").on;
      } catch {
        on = undefined;
      }
      if (typeof on !== "boolean") return res.status(400).send('{"error":"body must be {\\"on\\":true|false}"}', JSON_TYPE);
      const result = hh.switchLoad(p.id, on, "user");
      res.status(result.ok ? 200 : 404).send(JSON.stringify(result), JSON_TYPE);
    });
    r.get("/query", (req, res) => {
      if (!this.mayRead(req, res, true)) return;
      const q = parseUrlEncoded(req.query);
      const result = q ? runQuery(hh, q, this.now(), this.o.history ?? DEFAULT_QUERY_BOUNDS) : "malformed query string";
      if (typeof result === "string") return res.status(400).send(JSON.stringify({ error: result }), JSON_TYPE);
      // Said in a header, so a client sees that the answer covers less than it asked (what is stored).
      if (result.clamped) res.header("X-Query-Range", `${new Date(result.begin).toISOString()}/${new Date(result.end).toISOString()}`);
      if (q!.get("format") === "csv") {
        // Streamed in chunks of rows so a long export never sits whole in memory twice.
        res.header("Content-Disposition", 'attachment; filename="xsmeter.csv"').start("text/csv; charset=utf-8");
        if (q!.get("header") !== "no") res.write(csvLine(result.columns));
        for (let i = 0; i < result.rows.length; i += 100) res.write(toCsv({ columns: result.columns, rows: result.rows.slice(i, i + 100) }, false));
        return res.end();
      }
      res.send(JSON.stringify(q!.get("header") === "yes" ? { labels: result.columns, data: result.rows } : result.rows), JSON_TYPE);
    });
    r.get("/events", (req, res) => {
      if (!this.mayRead(req, res, true)) return;
      if (req.method === "HEAD") return res.header("Cache-Control", "no-store").start("text/event-stream; charset=utf-8"); // headers only
      const refusal = this.streamRefusal(req.remoteAddress);
      if (refusal) return res.status(503).header("Retry-After", "5").send(`${refusal}\n`, "text/plain; charset=utf-8");
      const stream = res.eventStream(() => {
        this.streams.delete(stream);
        this.stopTickerIfIdle();
      });
      stream.retry(3000);
      stream.send(JSON.stringify(liveValues(hh.snapshot(), this.offset)), "live");
      this.streams.set(stream, { address: req.remoteAddress, since: this.o.clock.now() });
      this.startTicker();
    });

    if (this.o.display) this.displayRoutes(this.o.display);
  }

  private displayRoutes(display: DisplayMirror): void {
    const r = this.router;
    // Until a password is set the display shows the setup code: its mirror would hand it to anyone on the LAN.
    const mirrorOff = (res: Response): boolean => {
      if (this.auth.hasPassword) return false;
      res.status(403).header("Cache-Control", "no-store").send(layout("Display", "/display", '<p>The display mirror is off until a password is set: the display shows the setup code. <a href="/setup">Set the password</a> first.</p>'), HTML);
      return true;
    };
    r.get("/display", (req, res) => {
      if (!this.mayRead(req, res) || mirrorOff(res)) return;
      const s = this.user(req);
      const body = s
        ? `<form method="post" action="/display/touch"><input type="hidden" name="csrf" value="${esc(s.csrf)}"><input type="image" src="/display.png" name="p" alt="display" data-reload="5" class="mirror"><p><button name="kind" value="swipe-left" class="sec">◀ swipe</button> <button name="kind" value="swipe-right" class="sec">swipe ▶</button></p></form>`
        : `<img src="/display.png" alt="display" data-reload="5" class="mirror"><p><a href="/login">Sign in</a> to touch it.</p>`;
      this.page(req, res, "Display", "/display", body + `<p class="mut">The picture is fetched again every 5 s.</p>`, true);
    });
    r.get("/display.png", (req, res) => this.mayRead(req, res) && !mirrorOff(res) && res.header("Cache-Control", "no-store").send(display.png(), "image/png"));
    r.post("/display/touch", (req, res) => {
      const f = this.form(req, res);
      if (!f || !this.authorised(req, res, f.get("csrf"))) return;
      const kind = f.get("kind");
      // Coordinates from outside: whole pixels within a display's reach, else refused.
      const x = Number(f.get("p.x") ?? 0);
      const y = Number(f.get("p.y") ?? 0);
      const inRange = (v: number): boolean => Number.isInteger(v) && v >= 0 && v < 4096;
      if (!inRange(x) || !inRange(y)) return res.status(400).send("touch coordinates: whole pixels 0–4095\n", "text/plain; charset=utf-8");
      if (kind === "swipe-left" || kind === "swipe-right" || kind === "long") display.touch(x, y, kind);
      else display.touch(x, y, "tap");
      res.redirect("/display");
    });
  }

  /** The first-use form: the setup code from the display, and the new password. */
  private setupForm(message?: string): string {
    return formPage("/setup", "", `<p>This meter has no password yet. Type the setup code shown on its display (and printed by <code>npm start</code>), then choose a password (at least 8 characters); you will need it to switch loads.</p><p><label>Setup code <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="12" required></label></p><p><label>New password <input type="password" name="password" autocomplete="new-password" minlength="8" maxlength="128"></label></p>`, "Set password", message);
  }

  private settings(req: HttpRequest, res: Response): void {
    if (!this.mayRead(req, res)) return;
    const s = this.user(req);
    const q = parseUrlEncoded(req.query);
    let body = q?.get("msg") ? `<div class="msg">${esc(q.get("msg")!)}</div>` : "";
    body += `<table><tr><td>Reading</td><td>${this.readOpen ? "open on the home network" : "needs sign-in"}</td></tr><tr><td>Password</td><td>${this.auth.hasPassword ? "set" : 'not set — <a href="/setup">set one</a>'}</td></tr><tr><td>PBKDF2 iterations</td><td>${this.auth.iterations}</td></tr><tr><td>Times</td><td>UTC${this.offset ? (this.offset > 0 ? "+" : "") + this.offset / 60 : ""}</td></tr></table>`;
    if (s) {
      const t = `<input type="hidden" name="csrf" value="${esc(s.csrf)}">`;
      body += `<h2>Access</h2><form method="post" action="/settings/access">${t}<input type="hidden" name="open" value="${this.readOpen ? "0" : "1"}"><button class="sec">${this.readOpen ? "Require sign-in for reading" : "Open reading on the home network"}</button></form>`;
      body += `<h2>Change password</h2><form method="post" action="/settings/password">${t}<label>Current <input type="password" name="current" autocomplete="current-password" maxlength="128"></label> <label>New <input type="password" name="password" minlength="8" maxlength="128" autocomplete="new-password"></label> <button>Change</button></form><p class="mut">Changing it signs out every other browser.</p>`;
      body += `<h2>Session</h2><form method="post" action="/logout">${t}<button class="sec">Sign out</button></form>`;
    } else body += `<p><a class="btn" href="/login">Sign in</a> to change settings.</p>`;
    body += `<h2>Routes</h2><p class="mut" style="font-size:.8rem">${this.router.list().map(esc).join(" · ")}</p>`;
    this.page(req, res, "Settings", "/settings", body);
  }

  /**
   * The household's "now" (virtual in a simulated run): data ranges follow the clock of the
   * household shown; the server's own time-outs stay on the server's clock.
   */
  private now(): number {
    const hh = this.o.household;
    return hh.now ? hh.now() : hh.snapshot().t;
  }

  private loadName(id: string): string {
    return this.o.household.snapshot().loads.find((l) => l.id === id)?.name ?? id;
  }

  private seriesLabel(series: string): string | undefined {
    const snap = this.o.household.snapshot();
    if (series === "total") return "Whole household";
    if (series.startsWith("load:")) return snap.loads.find((l) => `load:${l.id}` === series)?.name;
    if (series.startsWith("meter:")) return snap.meters.find((m) => `meter:${m.id}` === series)?.name;
    return undefined;
  }

  /** Why a new event stream from `address` is refused (the caps of HttpLimits), or undefined. */
  private streamRefusal(address: string): string | undefined {
    const max = Math.min(this.limits.maxEventStreams, this.limits.maxConnections - 1);
    if (this.streams.size >= max) return `too many live streams (${max})`;
    let mine = 0;
    for (const s of this.streams.values()) if (s.address === address) mine++;
    return mine >= this.limits.maxEventStreamsPerAddress ? `too many live streams from ${address} (${this.limits.maxEventStreamsPerAddress})` : undefined;
  }

  /** Ends streams past their lifetime; the browser's EventSource reconnects after its retry delay. */
  private expireStreams(): void {
    const now = this.o.clock.now();
    for (const [s, info] of [...this.streams]) if (now - info.since >= this.limits.eventStreamLifetimeMs) s.end();
  }

  private startTicker(): void {
    if (this.ticker !== undefined) return;
    this.ticker = this.o.clock.every(this.o.livePeriodMs ?? 1000, () => this.push());
  }

  private stopTickerIfIdle(): void {
    if (this.streams.size === 0 && this.ticker !== undefined) {
      this.o.clock.cancel(this.ticker);
      this.ticker = undefined;
    }
  }

  /** Pushes live values when something changed; a comment every ~15 s otherwise. */
  private push(): void {
    this.expireStreams();
    this.sinceLastPing += this.o.livePeriodMs ?? 1000;
    if (this.dirty) {
      this.dirty = false;
      this.sinceLastPing = 0;
      const data = JSON.stringify(liveValues(this.o.household.snapshot(), this.offset));
      for (const s of this.streams.keys()) s.send(data, "live");
    } else if (this.sinceLastPing >= 15_000) {
      this.sinceLastPing = 0;
      for (const s of this.streams.keys()) s.ping();
    }
  }
}
