import type { Clock, TimerId } from "../core/clock";
import { DAY, HOUR, MINUTE } from "../core/clock";
import type { Household } from "../core/household";
import type { Random } from "../core/ports";
import { utf8DecodeStrict } from "../core/bytes";
import { Auth, CLEAR_COOKIE, sessionCookie, type Session } from "./auth";
import { PqTrend } from "./charts/pq-trend";
import { powerGraphSvg } from "./graph-svg";
import { clockTime, esc, layout } from "./html";
import { controlPage, dashboardPage, energyPage, formPage, graphPage, liveValues, powerTodayFigure, pricesPage, qualityPage, type PageContext } from "./pages";
import { parseUrlEncoded } from "./path";
import { runQuery, toCsv } from "./query";
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
  /** PBKDF2 iterations (default 2000 on the host; measured ~72,500 XS computrons each, so the board should use ~64–100: 2–4 s per login at 2 M computrons/s). */
  pbkdf2Iterations?: number;
  storedPassword?: string;
  savePassword?(record: string): void;
  /** Live-value push period of the event streams. */
  livePeriodMs?: number;
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
  private streams = new Set<EventStream>();
  private ticker: TimerId | undefined;
  private dirty = true;
  private sinceLastPing = 0;
  private unsubscribe: () => void;
  private readOpen: boolean;
  private offset: number;
  /** The 10-min aggregates seen so far (the quality trends). */
  private trend = new PqTrend();

  constructor(private readonly o: WebAppOptions) {
    this.auth = new Auth({ clock: o.clock, random: o.random, iterations: o.pbkdf2Iterations, stored: o.storedPassword, save: o.savePassword });
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

  private anonymous(req: HttpRequest, res: Response): Session {
    let s = this.session(req);
    if (!s) {
      s = this.auth.create();
      res.header("Set-Cookie", sessionCookie(s));
    }
    return s;
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
      const now = hh.snapshot().t;
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
    r.post("/control/schedule", (req, res) => {
      const f = this.form(req, res);
      if (!f || !this.authorised(req, res, f.get("csrf"))) return;
      const hours = Number(f.get("hours"));
      const m = /^(\d{1,2}):(\d\d)$/.exec(f.get("deadline") ?? "");
      if (!(hours > 0 && hours <= 24) || !m || Number(m[1]) > 23 || Number(m[2]) > 59) return res.redirect(`/control?msg=${encodeURIComponent("give hours (0–24) and a deadline HH:MM")}`);
      const now = this.o.clock.now();
      let deadline = now - ((now + this.offset * MINUTE) % DAY) + (Number(m[1]) * 60 + Number(m[2])) * MINUTE;
      if (deadline <= now) deadline += DAY;
      const result = hh.scheduleLoad(f.get("id") ?? "", hours * HOUR, deadline, "user");
      const planned = result.ok && result.startAt !== undefined ? `, to start at ${clockTime(result.startAt, this.offset)}` : "";
      res.redirect(`/control?msg=${encodeURIComponent(result.ok ? `${this.loadName(f.get("id") ?? "")} planned${planned}` : result.error ?? "failed")}`);
    });

    r.get("/login", (req, res) => {
      if (!this.auth.hasPassword) return res.redirect("/setup");
      const s = this.anonymous(req, res);
      const q = parseUrlEncoded(req.query);
      this.page(req, res, "Sign in", "", formPage("/login", s.csrf, `<p><label>Password <input type="password" name="password" autocomplete="current-password" autofocus></label></p>`, "Sign in", q?.get("msg")));
    });
    r.post("/login", (req, res) => {
      const f = this.form(req, res);
      if (!f) return;
      const s = this.session(req);
      if (!this.auth.checkCsrf(s, f.get("csrf"))) return res.status(403).send(layout("Forbidden", "", '<p>Out-of-date form. <a href="/login">Try again</a>.</p>'), HTML);
      const verdict = this.auth.verify(f.get("password") ?? "", req.remoteAddress);
      if (verdict !== "ok") {
        const wait = Math.ceil(this.auth.lockedFor(req.remoteAddress) / 1000);
        if (verdict === "locked") res.status(429).header("Retry-After", String(wait));
        else res.status(303).header("Location", `/login?msg=${encodeURIComponent(wait ? `Wrong password; wait ${wait} s` : "Wrong password")}`);
        return res.send(verdict === "locked" ? `too many attempts; wait ${wait} s\n` : "", "text/plain; charset=utf-8");
      }
      const fresh = this.auth.login(s);
      res.header("Set-Cookie", sessionCookie(fresh)).redirect("/control");
    });
    r.get("/setup", (req, res) => {
      if (this.auth.hasPassword) return res.redirect("/login");
      const s = this.anonymous(req, res);
      this.page(req, res, "Set a password", "", formPage("/setup", s.csrf, `<p>This meter has no password yet. Choose one (at least 8 characters); you will need it to switch loads.</p><p><label>New password <input type="password" name="password" autocomplete="new-password" minlength="8"></label></p>`, "Set password"));
    });
    r.post("/setup", (req, res) => {
      const f = this.form(req, res);
      if (!f) return;
      const s = this.session(req);
      if (this.auth.hasPassword) return res.status(409).send(layout("Already set", "", '<p>A password is already set. <a href="/login">Sign in</a>.</p>'), HTML);
      if (!this.auth.checkCsrf(s, f.get("csrf"))) return res.status(403).send(layout("Forbidden", "", '<p>Out-of-date form. <a href="/setup">Try again</a>.</p>'), HTML);
      const error = this.auth.setPassword(f.get("password") ?? "");
      if (error) return res.status(400).send(layout("Set a password", "", formPage("/setup", s!.csrf, `<p><label>New password <input type="password" name="password" minlength="8"></label></p>`, "Set password", error)), HTML);
      res.header("Set-Cookie", sessionCookie(this.auth.login(s))).redirect("/control");
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
      const error = this.auth.setPassword(f.get("password") ?? "");
      res.redirect(`/settings?msg=${encodeURIComponent(error ?? "password changed")}`);
    });
    r.post("/settings/access", (req, res) => {
      const f = this.form(req, res);
      if (!f || !this.authorised(req, res, f.get("csrf"))) return;
      this.readOpen = f.get("open") === "1";
      res.redirect(`/settings?msg=${encodeURIComponent(this.readOpen ? "reading is open on the home network" : "reading needs sign-in")}`);
    });

    // JSON API
    r.get("/api/snapshot", (req, res) => this.mayRead(req, res, true) && res.header("Cache-Control", "no-store").send(JSON.stringify(hh.snapshot()), JSON_TYPE));
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
      const result = q ? runQuery(hh, q, this.o.clock.now()) : "malformed query string";
      if (typeof result === "string") return res.status(400).send(JSON.stringify({ error: result }), JSON_TYPE);
      if (q!.get("format") === "csv") {
        // Streamed in chunks of rows so a long export never sits whole in memory twice.
        res.header("Content-Disposition", 'attachment; filename="xsmeter.csv"').start("text/csv; charset=utf-8");
        if (q!.get("header") !== "no") res.write(result.columns.join(",") + "\n");
        for (let i = 0; i < result.rows.length; i += 100) res.write(toCsv({ columns: result.columns, rows: result.rows.slice(i, i + 100) }, false));
        return res.end();
      }
      res.send(JSON.stringify(q!.get("header") === "yes" ? { labels: result.columns, data: result.rows } : result.rows), JSON_TYPE);
    });
    r.get("/events", (req, res) => {
      if (!this.mayRead(req, res, true)) return;
      if (this.streams.size >= 6) return res.status(503).header("Retry-After", "5").send("too many live streams\n", "text/plain; charset=utf-8");
      const stream = res.eventStream(() => {
        this.streams.delete(stream);
        this.stopTickerIfIdle();
      });
      stream.retry(3000);
      stream.send(JSON.stringify(liveValues(hh.snapshot(), this.offset)), "live");
      this.streams.add(stream);
      this.startTicker();
    });

    if (this.o.display) this.displayRoutes(this.o.display);
  }

  private displayRoutes(display: DisplayMirror): void {
    const r = this.router;
    r.get("/display", (req, res) => {
      if (!this.mayRead(req, res)) return;
      const s = this.user(req);
      const body = s
        ? `<form method="post" action="/display/touch"><input type="hidden" name="csrf" value="${esc(s.csrf)}"><input type="image" src="/display.png" name="p" alt="display" data-reload="5" class="mirror"><p><button name="kind" value="swipe-left" class="sec">◀ swipe</button> <button name="kind" value="swipe-right" class="sec">swipe ▶</button></p></form>`
        : `<img src="/display.png" alt="display" data-reload="5" class="mirror"><p><a href="/login">Sign in</a> to touch it.</p>`;
      this.page(req, res, "Display", "/display", body + `<p class="mut">The picture is fetched again every 5 s.</p>`, true);
    });
    r.get("/display.png", (req, res) => this.mayRead(req, res) && res.header("Cache-Control", "no-store").send(display.png(), "image/png"));
    r.post("/display/touch", (req, res) => {
      const f = this.form(req, res);
      if (!f || !this.authorised(req, res, f.get("csrf"))) return;
      const kind = f.get("kind");
      const x = Number(f.get("p.x") ?? 0);
      const y = Number(f.get("p.y") ?? 0);
      if (kind === "swipe-left" || kind === "swipe-right" || kind === "long") display.touch(x, y, kind);
      else if (Number.isFinite(x) && Number.isFinite(y)) display.touch(x, y, "tap");
      res.redirect("/display");
    });
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
      body += `<h2>Change password</h2><form method="post" action="/settings/password">${t}<input type="password" name="password" minlength="8" autocomplete="new-password" aria-label="new password"> <button>Change</button></form>`;
      body += `<h2>Session</h2><form method="post" action="/logout">${t}<button class="sec">Sign out</button></form>`;
    } else body += `<p><a class="btn" href="/login">Sign in</a> to change settings.</p>`;
    body += `<h2>Routes</h2><p class="mut" style="font-size:.8rem">${this.router.list().map(esc).join(" · ")}</p>`;
    this.page(req, res, "Settings", "/settings", body);
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
    this.sinceLastPing += this.o.livePeriodMs ?? 1000;
    if (this.dirty) {
      this.dirty = false;
      this.sinceLastPing = 0;
      const data = JSON.stringify(liveValues(this.o.household.snapshot(), this.offset));
      for (const s of this.streams) s.send(data, "live");
    } else if (this.sinceLastPing >= 15_000) {
      this.sinceLastPing = 0;
      for (const s of this.streams) s.ping();
    }
  }
}
