/**
 * The dashboard's HTTP server (node:http): sign-in, the pages, CSV export and
 * the operator's forms. Every page needs a session; every POST needs an Origin
 * (or Referer) of this host, the session's CSRF token and, to send anything,
 * the operator role. Sign-in is limited per address, per account and in total
 * (sign-in.ts). Request bodies are capped, headers and whole requests have
 * timeouts, connections are capped in total and per address (slowloris).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { HeadendStore, Role } from "../store/store";
import { DAY, ENERGY_OBIS, POWER_OBIS } from "../store/store";
import type { DownlinkSender } from "../downlink/sender";
import type { Campaigns } from "../downlink/campaign";
import { CommandError, checkCommand } from "../downlink/commands";
import { checkPassword, DUMMY_RECORD, passwordRecord } from "./passwords";
import { DEFAULT_SIGN_IN, deviceOf, newDeviceCookie, SignInGuard, type SignInLimits } from "./sign-in";
import { nodeClock } from "../../node/node-clock";
import { Sessions, type WebSession } from "./sessions";
import { csv } from "./csv";
import { campaignsPage, downlinksPage, fleetPage, liveness, PAGE_SIZE, type FleetView, loginPage, meterPage, rejectsPage, setupPage, when } from "./pages";
import { esc } from "../../../modules/http/html";

export interface WebOptions {
  store: HeadendStore;
  sender: DownlinkSender;
  campaigns: Campaigns;
  /** One-time token that lets the first operator be created from the browser (none once a user exists). */
  setupToken?: string;
  /** A meter is "stale" after this long without a reading (default 3 min). */
  staleMs?: number;
  now?: () => number;
  /** Cookies marked Secure (`--secure-cookies`): set it when the dashboard is served behind TLS. */
  secureCookies?: boolean;
  signIn?: SignInLimits;
  limits?: Partial<ConnectionLimits>;
}

export interface ConnectionLimits {
  /** A request's headers must arrive within this (slowloris), the whole request within `requestTimeoutMs`. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxConnections: number;
  /** Connections one address may hold open at once. */
  maxPerAddress: number;
}

export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = Object.freeze({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, maxConnections: 512, maxPerAddress: 32 });

export interface WebStats {
  /** Connections closed at once because their address held `maxPerAddress` already. */
  connectionsRefused: number;
  /** POSTs refused for a missing or foreign Origin/Referer. */
  crossOrigin: number;
  /** Sign-in attempts answered 429. */
  signInDelayed: number;
}

const MAX_BODY = 64 * 1024;

export function newSetupToken(): string {
  return randomBytes(12).toString("hex");
}

export async function startWeb(o: WebOptions, port: number, host = "127.0.0.1"): Promise<{ server: Server; port: number; url: string; stats: WebStats; close(): Promise<void> }> {
  const sessions = new Sessions(o.now);
  const now = o.now ?? Date.now;
  const signIn = new SignInGuard(nodeClock(now), o.signIn ?? DEFAULT_SIGN_IN);
  const lim = { ...DEFAULT_CONNECTION_LIMITS, ...o.limits };
  const stats: WebStats = { connectionsRefused: 0, crossOrigin: 0, signInDelayed: 0 };
  const flags = `; Path=/; HttpOnly; SameSite=Strict${o.secureCookies ? "; Secure" : ""}`;
  let setupToken = o.setupToken;
  const server = createServer({ headersTimeout: lim.headersTimeoutMs, requestTimeout: lim.requestTimeoutMs, connectionsCheckingInterval: Math.min(1000, lim.headersTimeoutMs / 2), maxHeaderSize: 8192, keepAliveTimeout: 5000 }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", `internal error: ${(e as Error).message}`);
    });
  });
  server.maxConnections = lim.maxConnections;
  const perAddress = new Map<string, number>();
  server.on("connection", (sock) => {
    const a = sock.remoteAddress ?? "?";
    const n = (perAddress.get(a) ?? 0) + 1;
    if (n > lim.maxPerAddress) {
      stats.connectionsRefused++;
      sock.destroy();
      return;
    }
    perAddress.set(a, n);
    sock.once("close", () => {
      const left = (perAddress.get(a) ?? 1) - 1;
      if (left > 0) perAddress.set(a, left);
      else perAddress.delete(a);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    const sid = /(?:^|;\s*)sid=([0-9a-f]{48})/.exec(req.headers.cookie ?? "")?.[1];
    const s = sessions.get(sid);
    if (req.method === "POST" && !sameOrigin(req)) {
      stats.crossOrigin++;
      return send(res, 403, "text/plain; charset=utf-8", "a form must come from this dashboard's own pages (Origin or Referer of this host)");
    }
    if (req.method === "GET" && path === "/login") return html(res, 200, loginPage("", (await o.store.userCount()) === 0));
    if (req.method === "GET" && path === "/setup") return (await o.store.userCount()) === 0 && setupToken ? html(res, 200, setupPage()) : redirect(res, "/login");
    if (req.method === "POST" && path === "/login") {
      const f = await form(req);
      const user = (f.get("user") ?? "").slice(0, 64);
      const address = req.socket.remoteAddress ?? "?";
      const u = await o.store.user(user);
      const devCookie = /(?:^|;\s*)dev=([0-9a-f.]{1,100})/.exec(req.headers.cookie ?? "")?.[1];
      const device = deviceOf(devCookie, user, u?.record);
      const gate = signIn.gate(address, user, device);
      if (!gate.ok) {
        stats.signInDelayed++;
        const secs = Math.max(1, Math.ceil(gate.waitMs / 1000));
        res.setHeader("retry-after", String(secs));
        return html(res, 429, loginPage(`Too many wrong passwords ${gate.why === "busy" ? "from everywhere just now" : "for this address or user"}: try again in ${secs} s.`));
      }
      // an unknown name costs the same check, so the answer's time does not tell which names exist
      const right = (await checkPassword(u?.record ?? DUMMY_RECORD, f.get("password") ?? "")) && u !== undefined;
      if (!right || !u) {
        signIn.failed(address, user, u !== undefined, device);
        return html(res, 401, loginPage("Wrong user or password.", (await o.store.userCount()) === 0));
      }
      signIn.succeeded(address, user, device);
      const ns = sessions.open(u.name, u.role);
      const cookies = [`sid=${ns.id}${flags}`];
      // this browser is the user's from now on: its later tries skip the account's and address's delays
      if (!device) cookies.push(`dev=${newDeviceCookie(u.name, u.record)}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=31536000${o.secureCookies ? "; Secure" : ""}`);
      res.setHeader("set-cookie", cookies);
      return redirect(res, "/");
    }
    if (req.method === "POST" && path === "/setup") {
      const f = await form(req);
      if ((await o.store.userCount()) > 0 || !setupToken) return redirect(res, "/login");
      const token = f.get("token") ?? "";
      if (token.length !== setupToken.length || !timingSafeEqual(Buffer.from(token), Buffer.from(setupToken))) return html(res, 403, setupPage("That is not the set-up token."));
      const user = f.get("user") ?? "";
      if (!/^[A-Za-z0-9_.-]{1,32}$/.test(user)) return html(res, 400, setupPage("User names: 1–32 letters, digits, _ . -"));
      let record: string;
      try { record = passwordRecord(f.get("password") ?? ""); } catch (e) { return html(res, 400, setupPage((e as Error).message)); }
      await o.store.putUser({ name: user, role: "operator", record });
      setupToken = undefined; // used once
      const ns = sessions.open(user, "operator");
      res.setHeader("set-cookie", `sid=${ns.id}${flags}`);
      return redirect(res, "/");
    }
    if (!s) return redirect(res, "/login");
    if (req.method === "POST") return post(req, res, path, s);
    if (req.method !== "GET") return send(res, 405, "text/plain; charset=utf-8", "method not allowed");
    return get(res, path, url.searchParams, s);
  }

  async function get(res: ServerResponse, path: string, q: URLSearchParams, s: WebSession, notice = ""): Promise<void> {
    const t = now();
    const staleMs = o.staleMs ?? 180_000;
    if (path === "/" || path === "/fleet.csv") {
      const view = fleetView(q);
      if (typeof view === "string") return send(res, 400, "text/plain; charset=utf-8", view);
      const fq = { search: view.search, state: view.offline ? "offline" as const : undefined, withAlarms: view.alarms, sort: view.sort, desc: view.desc, staleMs };
      if (path === "/fleet.csv") {
        // the filtered list, every page of it (at most the fleet's size)
        const { rows } = await o.store.fleetList({ ...fq, limit: 1_000_000, offset: 0 }, t);
        return csvOut(res, "fleet.csv", csv(["node", "meter", "state", "last_seen_utc", "power_w", "power_at_utc", "energy_today_wh", "firmware", "alarms_24h"], rows.map((m) => [m.node, m.meterId, liveness(m, t, staleMs), iso(m.lastSeen), m.powerW, iso(m.powerAt), m.energyTodayWh, m.firmware, m.alarms])));
      }
      const [list, totals, power, energy] = await Promise.all([
        o.store.fleetList({ ...fq, limit: PAGE_SIZE, offset: (view.page - 1) * PAGE_SIZE }, t), o.store.fleetTotals(staleMs, t),
        o.store.fleetSeries("power", t - DAY, t + 1), o.store.fleetSeries("energy", t - 30 * DAY, t + 1),
      ]);
      return html(res, 200, fleetPage({ ...list, totals, power, energy, now: t, staleMs, view }, s));
    }
    const mm = /^\/meter\/([A-Za-z0-9_-]{1,64})\/(\d{1,6})(\/csv|\/pq\.csv|\/events\.csv)?$/.exec(path);
    if (mm) {
      const ref = { node: mm[1], meterId: Number(mm[2]) };
      const m = await o.store.meterSummary(ref, staleMs, t);
      if (!m) return html(res, 404, `<p>No meter ${esc(ref.node)} / ${ref.meterId} has published.</p>`);
      const from = Number(q.get("from") ?? t - DAY);
      const to = Number(q.get("to") ?? t + 1);
      if (!Number.isFinite(from) || !Number.isFinite(to) || to - from > 400 * DAY) return send(res, 400, "text/plain; charset=utf-8", "from/to: ms times, at most 400 days apart");
      if (mm[3] === "/csv") {
        const obis = q.get("obis") ?? POWER_OBIS;
        const r = q.get("res") ?? "raw";
        if (r !== "raw" && r !== "10min" && r !== "day") return send(res, 400, "text/plain; charset=utf-8", "res: raw, 10min or day");
        const pts = await o.store.series(ref, obis, r === "day" ? from - (from % DAY) : from, to, r);
        return csvOut(res, `${ref.node}-${ref.meterId}-${obis}-${r}.csv`, csv(["time_utc", "t_ms", "obis", "value", "min", "max", "last"], pts.map((p) => [new Date(p.t).toISOString(), p.t, obis, p.v, p.min, p.max, p.last])));
      }
      if (mm[3] === "/pq.csv") {
        const rows = await o.store.pq(ref, from, to);
        return csvOut(res, `${ref.node}-${ref.meterId}-pq10.csv`, csv(["start_utc", "end_utc", "flagged", "u_v", "i_a", "p_w", "thdu_pct", "thdi_pct", "f_hz", "u2_pct"], rows.map((p) => [new Date(p.start).toISOString(), new Date(p.end).toISOString(), p.flagged, p.u.join(" "), p.i.join(" "), p.p.join(" "), p.thdu.join(" "), p.thdi.join(" "), p.f, p.u2])));
      }
      if (mm[3] === "/events.csv") {
        const rows = await o.store.events(ref, from, to);
        return csvOut(res, `${ref.node}-${ref.meterId}-events.csv`, csv(["time_utc", "type", "boot", "seq", "body"], rows.map((e) => [new Date(e.t).toISOString(), e.type, e.boot, e.seq, e.body])));
      }
      const [power, energy, pq, events, downlinks, codes] = await Promise.all([
        o.store.series(ref, POWER_OBIS, t - DAY, t + 1, "10min"), o.store.series(ref, ENERGY_OBIS, t - 30 * DAY - (t % DAY), t + 1, "day"),
        o.store.pq(ref, t - DAY, t + 1), o.store.events(ref, t - DAY, t + 1), o.store.downlinks(ref.node, 50), o.store.obisCodes(ref),
      ]);
      // daily energy = the day's last register minus the day before's (the first reading's on the first day)
      const daily = energy.map((p, k) => ({ t: p.t, v: (p.last ?? 0) - (k > 0 && energy[k - 1].t === p.t - DAY ? energy[k - 1].last ?? 0 : p.min ?? 0) }));
      return html(res, 200, meterPage({ m, live: liveness(m, t, staleMs), staleMs, power, energy: daily, pq, events, downlinks, codes, now: t, notice }, s));
    }
    if (path === "/downlinks") return html(res, 200, downlinksPage(await o.store.downlinks(undefined, 200), s, notice));
    if (path === "/campaigns") {
      const list = await Promise.all((await o.store.campaigns()).map((c) => o.campaigns.status(c)));
      return html(res, 200, campaignsPage(list, await o.store.nodes(), s, notice));
    }
    if (path === "/rejects") return html(res, 200, rejectsPage(await o.store.rejects(), s));
    return html(res, 404, `<p>Not found. <a href="/">Fleet</a></p>`);
  }

  async function post(req: IncomingMessage, res: ServerResponse, path: string, s: WebSession): Promise<void> {
    const f = await form(req);
    if (f.get("csrf") !== s.csrf) return send(res, 403, "text/plain; charset=utf-8", "form expired or forged (CSRF token): reload the page");
    if (path === "/logout") {
      sessions.close(s.id);
      res.setHeader("set-cookie", `sid=${flags}; Max-Age=0`);
      return redirect(res, "/login");
    }
    if (!can(s.role)) return send(res, 403, "text/plain; charset=utf-8", "sending commands needs the operator role");
    const notice = (ok: boolean, text: string) => `<p class="${ok ? "ok" : "err"}">${esc(text)}</p>`;
    const sm = /^\/send\/(load|config|price)$/.exec(path);
    if (sm) {
      const node = f.get("node") ?? "";
      let body: Record<string, unknown>;
      try {
        body = sm[1] === "load" ? { id: f.get("id"), on: f.get("on") === "true" } : sm[1] === "config" ? { config: JSON.parse(f.get("json") ?? "") as unknown } : { slots: JSON.parse(f.get("json") ?? "") as unknown };
      } catch {
        return get(res, "/downlinks", new URLSearchParams(), s, notice(false, `${sm[1]}: the JSON does not parse`));
      }
      try {
        const row = await o.sender.send(node, sm[1], body, s.user);
        return get(res, "/downlinks", new URLSearchParams(), s, notice(true, `${sm[1]} sent to ${node} with counter ${row.ctr} at ${when(row.sentAt)}; its result appears below when the meter answers.`));
      } catch (e) {
        if (!(e instanceof CommandError)) throw e;
        return get(res, "/downlinks", new URLSearchParams(), s, notice(false, e.message));
      }
    }
    if (path === "/campaigns") {
      const list = (k: string) => (f.get(k) ?? "").split(",").map((x) => x.trim()).filter(Boolean);
      try {
        const offer = checkCommand("firmware", { version: f.get("version"), url: f.get("url"), size: Number(f.get("size")), sha256: (f.get("sha256") ?? "").toLowerCase() }, now());
        const c = await o.campaigns.start(offer, list("first"), list("rest"), s.user);
        return get(res, "/campaigns", new URLSearchParams(), s, notice(true, `campaign ${c.id} started: offered to ${c.firstGroup.length} node(s) first`));
      } catch (e) {
        return get(res, "/campaigns", new URLSearchParams(), s, notice(false, (e as Error).message));
      }
    }
    return html(res, 404, "<p>Not found.</p>");
  }

  await new Promise<void>((r, j) => { server.once("error", j); server.listen(port, host, () => r()); });
  const bound = (server.address() as { port: number }).port;
  return { server, port: bound, url: `http://${host}:${bound}/`, stats, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const SORTS = ["meter", "state", "lastSeen", "power", "energy", "alarms"] as const;
const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());

/** The fleet list's parameters, or what is wrong with them (a 400, not a guess). */
export function fleetView(q: URLSearchParams): FleetView | string {
  const page = q.get("page") ?? "1";
  if (!/^\d{1,6}$/.test(page) || Number(page) < 1) return "page: a whole number from 1";
  const sort = q.get("sort") ?? "meter";
  if (!(SORTS as readonly string[]).includes(sort)) return `sort: one of ${SORTS.join(", ")}`;
  const dir = q.get("dir") ?? "asc";
  if (dir !== "asc" && dir !== "desc") return "dir: asc or desc";
  const search = q.get("q") ?? "";
  if (search.length > 64) return "q: at most 64 characters";
  const state = q.get("state") ?? "";
  if (state !== "" && state !== "offline") return "state: offline (or leave it out)";
  return { page: Number(page), search: search.trim(), offline: state === "offline", alarms: q.get("alarms") === "1", sort: sort as FleetView["sort"], desc: dir === "desc" };
}

const can = (role: Role): boolean => role === "operator";

/** A POST from our own pages: its Origin (or, failing that, Referer) names this host. Browsers send one on every form POST. */
function sameOrigin(req: IncomingMessage): boolean {
  const from = req.headers.origin ?? req.headers.referer;
  if (!from || from === "null" || !req.headers.host) return false;
  try {
    return new URL(from).host === req.headers.host;
  } catch {
    return false;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff", "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'", ...extra });
  res.end(body);
}

function html(res: ServerResponse, status: number, body: string): void {
  send(res, status, "text/html; charset=utf-8", body.startsWith("<!doctype") ? body : `<!doctype html><meta charset="utf-8">${body}`);
}

function csvOut(res: ServerResponse, name: string, body: string): void {
  send(res, 200, "text/csv; charset=utf-8", body, { "content-disposition": `attachment; filename="${name.replace(/[^A-Za-z0-9_.:-]/g, "_")}"` });
}

function redirect(res: ServerResponse, to: string): void {
  res.writeHead(303, { location: to, "cache-control": "no-store" });
  res.end();
}

async function form(req: IncomingMessage): Promise<URLSearchParams> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) { req.destroy(); throw new Error("form over 64 KiB"); }
    chunks.push(c);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}
