// Issue 18 / 14: the head-end dashboard under attack, over real HTTP (node:http, with chosen
// loopback source addresses): sign-in brute force per account, per address and in total, without
// a lock-out the attacker can turn on the owner; cookie flags; CSRF and Origin on every POST; a
// viewer cannot send; CSV formula injection; slowloris and connection caps; meter-supplied markup
// on every page (as text, in HTTP and in Chromium).
import { afterEach, describe, expect, it } from "vitest";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { chromium } from "playwright-core";
import { missing } from "../../support/requires";
import { until } from "../../support/until";
import { SqliteStore } from "../../../hosts/headend/store/sqlite-store";
import { startWeb, type WebOptions } from "../../../hosts/headend/web/server";
import { passwordRecord, checkPassword } from "../../../hosts/headend/web/passwords";
import { pbkdf2Sha256 } from "../../../modules/http/auth";
import { toHex, utf8Encode, fromHex } from "../../../modules/core/bytes";
import type { DownlinkSender } from "../../../hosts/headend/downlink/sender";
import type { Campaigns } from "../../../hosts/headend/downlink/campaign";

const OLGA = "operator-password-1";
const VERA = "viewer-password-1";
const XSS = "<script>alert(1)</script>";
const IMG = "<img src=x onerror=alert(2)>";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** One HTTP request from a chosen loopback source address (127.0.0.0/8 is all ours). */
function http(port: number, method: string, path: string, o: { from?: string; cookie?: string; form?: Record<string, string>; origin?: string | null } = {}): Promise<Reply> {
  const body = o.form ? new URLSearchParams(o.form).toString() : undefined;
  const headers: Record<string, string> = {};
  if (o.cookie) headers.cookie = o.cookie;
  if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
  if (o.origin !== null && method === "POST") headers.origin = o.origin ?? `http://127.0.0.1:${port}`;
  return new Promise((ok, fail) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers, localAddress: o.from ?? "127.0.0.1", agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", fail);
    req.end(body);
  });
}

const cookiesOf = (r: Reply): string[] => (r.headers["set-cookie"] as string[] | undefined) ?? [];
const pick = (r: Reply, name: string) => cookiesOf(r).find((c) => c.startsWith(`${name}=`))?.split(";")[0];

async function dashboard(extra: Partial<WebOptions> = {}) {
  const store = new SqliteStore(":memory:");
  await store.migrate();
  await store.putUser({ name: "olga", role: "operator", record: passwordRecord(OLGA) });
  await store.putUser({ name: "vera", role: "viewer", record: passwordRecord(VERA) });
  const sent: unknown[] = [];
  const started: unknown[] = [];
  const sender = { send: async (...a: unknown[]) => { sent.push(a); return { ctr: 1, sentAt: Date.now() }; } } as unknown as DownlinkSender;
  const campaigns = { start: async (...a: unknown[]) => { started.push(a); return { id: 1, firstGroup: [] }; }, status: async () => ({}) } as unknown as Campaigns;
  const web = await startWeb({ store, sender, campaigns, ...extra }, 0);
  cleanups.push(async () => { await web.close(); await store.close(); });
  const signIn = async (user: string, password: string, from = "127.0.0.1", cookie?: string) => http(web.port, "POST", "/login", { from, cookie, form: { user, password } });
  const session = async (user: string, password: string) => {
    const r = await signIn(user, password);
    expect(r.status, `${user} signs in`).toBe(303);
    const cookie = pick(r, "sid")!;
    const page = await http(web.port, "GET", "/downlinks", { cookie });
    const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(page.body)![1];
    return { cookie, csrf, dev: pick(r, "dev")! };
  };
  return { store, web, sent, started, signIn, session };
}

describe("dashboard sign-in under brute force", () => {
  it("passwords: node:crypto's PBKDF2 gives the http room's records (the format is unchanged)", async () => {
    const rec = passwordRecord("a long password", 1000);
    const [, it, salt, hash] = rec.split("$");
    expect(toHex(pbkdf2Sha256(utf8Encode("a long password"), fromHex(salt), Number(it)))).toBe(hash);
    expect(await checkPassword(rec, "a long password")).toBe(true);
    expect(await checkPassword(rec, "a long passwore")).toBe(false);
    expect(await checkPassword(rec, "x".repeat(129))).toBe(false); // over 128 bytes: refused before hashing
  });

  it("per account: after 5 wrong passwords from anywhere the name is delayed (429, Retry-After), not locked; the owner's browser still signs in", async () => {
    const d = await dashboard({ signIn: { freeTries: 5, maxAddressLockMs: 300_000, maxAccountLockMs: 1_500, burst: 100, refillMs: 1000 } });
    const owner = await d.signIn("olga", OLGA, "127.0.0.50"); // the owner's browser: gets its device cookie
    const dev = pick(owner, "dev")!;
    expect(dev).toMatch(/^dev=[0-9a-f]{24}\.[0-9a-f]{64}$/);
    // the attacker spreads its guesses over addresses, so no address is delayed, only the account
    for (let k = 0; k < 5; k++) expect((await d.signIn("olga", `guess-${k}-xxxx`, `127.0.2.${k + 1}`)).status).toBe(401);
    const delayed = await d.signIn("olga", OLGA, "127.0.0.60"); // a fresh browser of the owner waits too…
    expect(delayed.status).toBe(429);
    expect(Number(delayed.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(Number(delayed.headers["retry-after"])).toBeLessThanOrEqual(2);
    // …but the browser that signed in before is not delayed at all
    expect((await d.signIn("olga", OLGA, "127.0.0.50", dev)).status).toBe(303);
    // and the delay ends: it is a delay, never a lock-out
    await new Promise((r) => setTimeout(r, 1000 * Number(delayed.headers["retry-after"]) + 100));
    expect((await d.signIn("olga", OLGA, "127.0.0.60")).status).toBe(303);
  });

  it("per address: one address guessing many names is delayed; another address signs in", async () => {
    const d = await dashboard();
    for (let k = 0; k < 5; k++) expect((await d.signIn(`name-${k}`, "whatever-password")).status).toBe(401);
    const r = await d.signIn("olga", OLGA); // same address, even the right password, waits
    expect(r.status).toBe(429);
    expect((await d.signIn("olga", OLGA, "127.0.0.7")).status).toBe(303);
    expect(d.web.stats.signInDelayed).toBe(1);
  });

  it("in total: many addresses together get the global budget of checks; the owner's browser is not counted in it", async () => {
    const d = await dashboard({ signIn: { freeTries: 5, maxAddressLockMs: 300_000, maxAccountLockMs: 60_000, burst: 6, refillMs: 60_000 } });
    const dev = pick(await d.signIn("olga", OLGA, "127.0.0.50"), "dev")!; // a right password gives its token back
    const answers: number[] = [];
    for (let k = 0; k < 12; k++) answers.push((await d.signIn(`name-${k}`, "whatever-password", `127.0.3.${k + 1}`)).status);
    expect(answers.filter((s) => s === 401)).toHaveLength(6);
    expect(answers.filter((s) => s === 429)).toHaveLength(6);
    expect((await d.signIn("vera", VERA, "127.0.0.8")).status).toBe(429); // budget spent: a fresh browser waits
    expect((await d.signIn("olga", OLGA, "127.0.0.50", dev)).status).toBe(303); // the owner's browser does not
  });

  it("cookies: HttpOnly and SameSite=Strict; Secure with secureCookies (behind TLS)", async () => {
    const plain = await dashboard();
    const r = await plain.signIn("olga", OLGA);
    for (const c of cookiesOf(r)) {
      expect(c).toMatch(/; HttpOnly/);
      expect(c).toMatch(/; SameSite=Strict/);
      expect(c).not.toMatch(/Secure/);
    }
    expect(cookiesOf(r).map((c) => c.split("=")[0]).sort()).toEqual(["dev", "sid"]);
    const tls = await dashboard({ secureCookies: true });
    const s = await tls.signIn("olga", OLGA);
    expect(cookiesOf(s)).toHaveLength(2);
    for (const c of cookiesOf(s)) expect(c).toContain("; Secure");
  });
});

describe("dashboard forms: CSRF, Origin and roles", () => {
  const ROUTES: [string, Record<string, string>][] = [
    ["/send/load", { node: "town-a", id: "boiler", on: "true" }],
    ["/send/config", { node: "town-a", json: '{"publishIntervalMs":60000}' }],
    ["/send/price", { node: "town-a", json: "[]" }],
    ["/campaigns", { version: "9.9.9", url: "http://x/fw.bin", size: "1000", sha256: "0".repeat(64), first: "town-a", rest: "" }],
    ["/logout", {}],
  ];

  it("every POST needs the session's CSRF token and an Origin or Referer of this host", async () => {
    const d = await dashboard();
    const op = await d.session("olga", OLGA);
    for (const [path, form] of ROUTES) {
      expect((await http(d.web.port, "POST", path, { cookie: op.cookie, form: { ...form, csrf: "0".repeat(32) } })).status, `${path}: forged token`).toBe(403);
      expect((await http(d.web.port, "POST", path, { cookie: op.cookie, form })).status, `${path}: no token`).toBe(403);
      expect((await http(d.web.port, "POST", path, { cookie: op.cookie, form: { ...form, csrf: op.csrf }, origin: "http://evil.example" })).status, `${path}: foreign Origin`).toBe(403);
      expect((await http(d.web.port, "POST", path, { cookie: op.cookie, form: { ...form, csrf: op.csrf }, origin: null })).status, `${path}: no Origin or Referer`).toBe(403);
    }
    // sign-in and set-up too (login CSRF: a foreign page signing the browser into the attacker's account)
    expect((await http(d.web.port, "POST", "/login", { form: { user: "olga", password: OLGA }, origin: "http://evil.example" })).status).toBe(403);
    expect((await http(d.web.port, "POST", "/setup", { form: { token: "x" }, origin: "null" })).status).toBe(403);
    expect(d.sent).toEqual([]);
    expect(d.started).toEqual([]);
    // the operator's own, right form goes through (so the refusals above were the checks)
    expect((await http(d.web.port, "POST", "/send/load", { cookie: op.cookie, form: { ...ROUTES[0][1], csrf: op.csrf } })).status).toBe(200);
    expect(d.sent).toHaveLength(1);
  });

  it("a viewer cannot send anything: each POST route answers 403 and nothing is sent or started", async () => {
    const d = await dashboard();
    const v = await d.session("vera", VERA);
    for (const [path, form] of ROUTES.filter(([p]) => p !== "/logout")) {
      const r = await http(d.web.port, "POST", path, { cookie: v.cookie, form: { ...form, csrf: v.csrf } });
      expect(r.status, path).toBe(403);
      expect(r.body, path).toContain("operator role");
    }
    expect(d.sent).toEqual([]);
    expect(d.started).toEqual([]);
    expect(await d.store.downlinks()).toEqual([]);
    // the viewer's pages carry no send forms
    expect((await http(d.web.port, "GET", "/campaigns", { cookie: v.cookie })).body).not.toContain('action="/campaigns"');
  });
});

/** Meter-supplied strings as an older ingest (or another writer) may have stored them: the pages must not trust the ingest's checks. */
async function hostileFleet(store: SqliteStore, now: number) {
  await store.ingest([
    { kind: "reading", node: "town-a", meterId: 1, obis: "1-0:1.7.0", boot: 1, seq: 1, t: now - 60_000, v: 500, unit: XSS },
    { kind: "reading", node: XSS, meterId: 2, obis: "1-0:1.7.0", boot: 1, seq: 1, t: now - 60_000, v: 1, unit: "W" },
    { kind: "reading", node: "=HYPERLINK(\"http://evil\",\"x\")", meterId: 3, obis: "1-0:1.7.0", boot: 1, seq: 1, t: now - 60_000, v: 1, unit: "W" },
    { kind: "reading", node: "+1+cmd", meterId: 4, obis: "1-0:1.7.0", boot: 1, seq: 1, t: now - 60_000, v: 1, unit: "W" },
    { kind: "reading", node: "-2-cmd", meterId: 5, obis: "1-0:1.7.0", boot: 1, seq: 1, t: now - 60_000, v: 1, unit: "W" },
    { kind: "reading", node: "@SUM(A1)", meterId: 6, obis: "1-0:1.7.0", boot: 1, seq: 1, t: now - 60_000, v: 1, unit: "W" },
    { kind: "firmware", node: "town-a", t: now - 1000, running: IMG, phase: XSS, body: "{}" },
    { kind: "event", node: "town-a", meterId: 1, boot: 1, seq: 2, t: now - 30_000, type: XSS, body: JSON.stringify({ note: `</td>${IMG}` }) },
    { kind: "event", node: "town-a", meterId: 1, boot: 1, seq: 3, t: now - 20_000, type: "=HYPERLINK(\"http://evil\")", body: "@SUM(1)" },
    { kind: "reject", topic: `xsmeter/${XSS}/status`, payload: new Uint8Array(0), reason: "unknown topic", t: now },
  ]);
  const row = await store.addDownlink({ node: "town-a", kind: "load", body: "{}", sentAt: now - 5000, by: "olga" }, 0);
  await store.ingest([{ kind: "result", node: "town-a", cmd: "load", ctr: row.ctr, ok: false, error: XSS, t: now - 4000 }]);
}

describe("meter-supplied strings on the dashboard", () => {
  const PAGES = ["/", "/meter/town-a/1", "/downlinks", "/rejects", "/campaigns"];

  it("every page shows them as text (escaped), never as markup", async () => {
    const d = await dashboard();
    await hostileFleet(d.store, Date.now());
    const op = await d.session("olga", OLGA);
    for (const path of PAGES) {
      const r = await http(d.web.port, "GET", path, { cookie: op.cookie });
      expect(r.status, path).toBe(200);
      expect(r.body, path).not.toContain("<script>");
      expect(r.body, path).not.toContain("<img");
      expect(r.headers["content-security-policy"], path).toMatch(/default-src 'none'/);
    }
    expect((await http(d.web.port, "GET", "/", { cookie: op.cookie })).body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect((await http(d.web.port, "GET", "/meter/town-a/1", { cookie: op.cookie })).body).toContain("&lt;img src=x onerror=alert(2)&gt;");
    expect((await http(d.web.port, "GET", "/downlinks", { cookie: op.cookie })).body).toContain("refused: &lt;script&gt;");
  });

  it("CSV export: every text cell a spreadsheet would run (= + - @ tab CR) starts with '", async () => {
    const d = await dashboard();
    await hostileFleet(d.store, Date.now());
    const op = await d.session("olga", OLGA);
    const fleet = (await http(d.web.port, "GET", "/fleet.csv", { cookie: op.cookie })).body;
    const events = (await http(d.web.port, "GET", "/meter/town-a/1/events.csv", { cookie: op.cookie })).body;
    const cells = (text: string) => text.trim().split("\r\n").flatMap((line) => line.match(/"(?:[^"]|"")*"|[^,]+/g) ?? []);
    const text = [...cells(fleet), ...cells(events)].filter((c) => c.startsWith('"')).map((c) => c.slice(1, -1).replace(/""/g, '"'));
    expect(text).toEqual(expect.arrayContaining(["'=HYPERLINK(\"http://evil\",\"x\")", "'+1+cmd", "'-2-cmd", "'@SUM(A1)", "'=HYPERLINK(\"http://evil\")", "'@SUM(1)"]));
    for (const c of text) expect(c, c).not.toMatch(/^[=+\-@\t\r]/);
  });

  it.skipIf(missing("chromium"))("in Chromium: no script runs, and the strings read as text", async () => {
    const d = await dashboard();
    await hostileFleet(d.store, Date.now());
    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on("dialog", (dlg) => { dialogs.push(dlg.message()); void dlg.dismiss(); });
    await page.goto(`${d.web.url}login`);
    await page.fill('input[name="user"]', "olga");
    await page.fill('input[name="password"]', OLGA);
    await page.click("button");
    for (const path of PAGES) {
      await page.goto(`${d.web.url}${path.slice(1)}`);
      expect(await page.locator("script, img").count(), path).toBe(0);
    }
    await page.goto(d.web.url);
    expect(await page.locator("main").textContent()).toContain(XSS);
    await page.goto(`${d.web.url}meter/town-a/1`);
    expect(await page.locator("main").textContent()).toContain(IMG);
    expect(dialogs).toEqual([]);
  }, 30_000);
});

describe("slow and hoarding clients", () => {
  const open = (port: number, from: string) => new Promise<Socket>((ok, fail) => { const s = connect({ port, host: "127.0.0.1", localAddress: from }, () => ok(s)); s.on("error", fail); });
  const closed = (s: Socket) => new Promise<void>((ok) => { if (s.destroyed) ok(); else s.once("close", () => ok()); });

  it("a slowloris drip of headers, and a body dripped after its headers, are cut off; the owner is served meanwhile", async () => {
    const d = await dashboard({ limits: { headersTimeoutMs: 600, requestTimeoutMs: 1200 } });
    const drip = await open(d.web.port, "127.0.0.20");
    drip.on("error", () => {});
    drip.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    const timer = setInterval(() => drip.writable && drip.write("X-Slow: 1\r\n"), 150);
    const body = await open(d.web.port, "127.0.0.21");
    body.on("error", () => {});
    body.write(`POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1:${d.web.port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\nuser=`);
    const timer2 = setInterval(() => body.writable && body.write("x"), 150);
    cleanups.push(() => { clearInterval(timer); clearInterval(timer2); drip.destroy(); body.destroy(); });
    expect((await http(d.web.port, "GET", "/login", { from: "127.0.0.22" })).status).toBe(200);
    await Promise.race([Promise.all([closed(drip), closed(body)]), new Promise((_, j) => setTimeout(() => j(new Error("slow clients still connected after 8 s")), 8000))]);
    expect(drip.destroyed && body.destroyed).toBe(true);
  }, 15_000);

  it("one address holding connections is capped; another address is served", async () => {
    const d = await dashboard({ limits: { maxPerAddress: 4 } });
    const socks = await Promise.all(Array.from({ length: 10 }, () => open(d.web.port, "127.0.0.30")));
    cleanups.push(() => socks.forEach((s) => s.destroy()));
    for (const s of socks) s.on("error", () => {});
    await until("the ones over the cap closed", () => socks.filter((s) => s.destroyed).length === 6, 5000);
    expect(d.web.stats.connectionsRefused).toBe(6);
    expect((await http(d.web.port, "GET", "/login", { from: "127.0.0.31" })).status).toBe(200);
  });
});
