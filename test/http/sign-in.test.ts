// Issue 14 item 6: the owner can be neither signed out nor kept out. Auth and its limits on a
// virtual clock, then the same rules over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pbkdf2Sync, webcrypto } from "node:crypto";
import { Auth, MAX_PASSWORD_BYTES, pbkdf2Sha256 } from "../../modules/http/auth";
import { AttemptLimiter } from "../../modules/http/attempt-limiter";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { claim, cookiesOf, demoServer, formHeaders } from "./fixture";
import type { WebServer } from "../../hosts/node/http/serve";

const random = { fill: (b: Uint8Array) => void webcrypto.getRandomValues(b) };
const PASSWORD = "correct horse battery";

function auth(clock = new VirtualClock()): { auth: Auth; clock: VirtualClock } {
  const a = new Auth({ clock, random, iterations: 5 });
  a.setPassword(PASSWORD);
  return { auth: a, clock };
}

describe("lock-out table and global budget", () => {
  it("the issue's 396 wrong passwords from 66 addresses: the first address stays locked (no eviction), 429s come, the table stays bounded", () => {
    const { auth: a } = auth();
    const verdicts = new Map<string, number>();
    for (let i = 0; i < 396; i++) {
      const v = a.verify("wrong guess", `10.0.${Math.floor((i % 66) / 250)}.${i % 66}`);
      verdicts.set(v, (verdicts.get(v) ?? 0) + 1);
    }
    expect(a.verify("wrong guess", "10.0.0.0")).not.toBe("wrong"); // still refused: its entry was not evicted
    expect(a.addresses.tracked).toBeLessThanOrEqual(64);
    expect(verdicts.get("busy") ?? 0).toBeGreaterThan(300); // the global budget: 20, then one per 3 s
    expect(verdicts.get("wrong")).toBe(20);
  });

  it("a flood of new addresses cannot free an attacker's lock (the old FIFO of 64 evicted it)", () => {
    const clock = new VirtualClock();
    const lim = new AttemptLimiter({ clock, maxTracked: 64 });
    for (let k = 0; k < 12; k++) lim.failed("attacker");
    const locked = lim.lockedFor("attacker");
    expect(locked).toBe(300_000);
    for (let i = 0; i < 1000; i++) lim.failed(`flood-${i}`);
    expect(lim.lockedFor("attacker")).toBe(locked);
    expect(lim.tracked).toBe(64);
    // Entries are forgotten only when neither locked nor failing for 15 min.
    clock.advance(16 * 60_000);
    lim.failed("newcomer");
    expect(lim.lockedFor("attacker")).toBe(0);
    expect(lim.tracked).toBeLessThan(64);
  });

  it("the owner's browser with a device cookie signs in while its address is locked and the global budget is spent", () => {
    const { auth: a } = auth();
    const device = a.issueDevice();
    expect(a.isDevice(device)).toBe(true);
    for (let i = 0; i < 200; i++) a.verify("guess", `192.168.1.${i % 50}`); // the attacker shares 192.168.1.7 with the owner
    expect(a.verify(PASSWORD, "192.168.1.7")).not.toBe("ok");
    expect(a.verify(PASSWORD, { address: "192.168.1.7", device })).toBe("ok");
    // A forged device cookie is just an address.
    expect(a.isDevice(device.slice(0, -1) + (device.endsWith("0") ? "1" : "0"))).toBe(false);
    expect(a.verify(PASSWORD, { address: "192.168.1.7", device: "0".repeat(32) + "." + "0".repeat(64) })).not.toBe("ok");
  });

  it("a fresh address under a spent budget gets the slow path: 429 with a wait, then its right password works", () => {
    const { auth: a, clock } = auth();
    for (let i = 0; i < 40; i++) a.verify("guess", `10.9.9.${i}`);
    const fresh = { address: "10.1.1.1" };
    const gate = a.admit(fresh);
    expect(gate.ok).toBe(false);
    if (gate.ok) return;
    expect(gate.why).toBe("busy");
    expect(gate.waitMs).toBeGreaterThan(0);
    expect(gate.waitMs).toBeLessThanOrEqual(3000);
    clock.advance(gate.waitMs);
    expect(a.verify(PASSWORD, fresh)).toBe("ok");
  });

  it("signed-in sessions are made only by the password and never evicted by visitors", () => {
    const { auth: a } = auth();
    const owner = a.login();
    for (let i = 0; i < 100; i++) expect(a.session(`sid=${i.toString(16).padStart(32, "0")}`)).toBeUndefined();
    expect(a.sessionCount).toBe(1);
    expect(a.session(`sid=${owner.id}`)?.authenticated).toBe(true);
  });
});

describe("password length and PBKDF2", () => {
  it(`a password over ${MAX_PASSWORD_BYTES} bytes is refused before hashing, even one that matches the record`, () => {
    const clock = new VirtualClock();
    const long = "x".repeat(3900);
    const salt = Buffer.alloc(16, 7);
    // A record made outside (node:crypto) for the long password: verify must still refuse it unhashed.
    const record = `pbkdf2-sha256$5$${salt.toString("hex")}$${pbkdf2Sync(long, salt, 5, 32, "sha256").toString("hex")}`;
    const a = new Auth({ clock, random, stored: record });
    expect(a.verify(long, "10.0.0.1")).toBe("wrong");
    expect(a.matchesPassword(long)).toBe(false);
    expect(a.setPassword("é".repeat(65))).toMatch(/too long/); // 130 bytes in UTF-8
    expect(a.setPassword("é".repeat(64))).toBeUndefined(); // 128 bytes
    expect(a.verify("é".repeat(64), "10.0.0.2")).toBe("ok");
  });

  it("matches node:crypto for keys over one SHA-256 block (the pads are now prepared once per call)", () => {
    for (const len of [63, 64, 65, 200, 3900]) {
      const pw = Buffer.alloc(len, 0x61 + (len % 26));
      const salt = Buffer.from("salt of sixteen!");
      expect(Buffer.from(pbkdf2Sha256(pw, salt, 300)).toString("hex"), String(len)).toBe(pbkdf2Sync(pw, salt, 300, 32, "sha256").toString("hex"));
    }
  });
});

describe("sign-in over HTTP", () => {
  let web: WebServer;
  beforeAll(async () => {
    ({ web } = await demoServer());
  });
  afterAll(() => web.close());

  it("GET /login and /setup make no server state; the issue's 16 cookie-less GETs leave the owner signed in", async () => {
    expect((await fetch(`${web.url}setup`)).headers.get("set-cookie")).toBeNull();
    const owner = await claim(web, PASSWORD);
    for (let i = 0; i < 40; i++) {
      const r = await fetch(`${web.url}login`);
      expect(r.headers.get("set-cookie")).toBeNull();
      await r.arrayBuffer();
    }
    expect(web.app.auth.sessionCount).toBe(1);
    const page = await fetch(`${web.url}settings`, { headers: { cookie: owner.cookie } });
    expect(await page.text()).toMatch(/Change password/);
  });

  it("changing the password asks for the current one and signs every other session out", async () => {
    const login = async (): Promise<string> => {
      const r = await fetch(`${web.url}login`, { method: "POST", redirect: "manual", headers: formHeaders(web), body: new URLSearchParams({ password: PASSWORD }) });
      expect(r.status).toBe(303);
      expect(r.headers.get("location")).toBe("/control");
      return cookiesOf(r);
    };
    const laptop = await login();
    const phone = await login();
    const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(await (await fetch(`${web.url}settings`, { headers: { cookie: laptop } })).text())![1];
    const change = (current: string) => fetch(`${web.url}settings/password`, { method: "POST", redirect: "manual", headers: formHeaders(web, laptop), body: new URLSearchParams({ csrf, current, password: "a brand new passphrase" }) });
    const refused = await change("not the password");
    expect(refused.headers.get("location")).toMatch(/current%20password%20is%20wrong/);
    expect(web.app.auth.matchesPassword(PASSWORD)).toBe(true);
    const done = await change(PASSWORD);
    expect(done.status).toBe(303);
    expect(web.app.auth.matchesPassword("a brand new passphrase")).toBe(true);
    const fresh = cookiesOf(done);
    expect(fresh).toMatch(/sid=[0-9a-f]{32}; dev=/);
    // The phone (and the laptop's old session) are signed out; the laptop's new session works.
    expect(await (await fetch(`${web.url}settings`, { headers: { cookie: phone } })).text()).not.toMatch(/Change password/);
    expect(await (await fetch(`${web.url}settings`, { headers: { cookie: laptop } })).text()).not.toMatch(/Change password/);
    expect(await (await fetch(`${web.url}settings`, { headers: { cookie: fresh } })).text()).toMatch(/Change password/);
    expect(web.app.auth.sessionCount).toBe(1);
  });

  it("wrong passwords from one address end in 429 with Retry-After", async () => {
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await fetch(`${web.url}login`, { method: "POST", redirect: "manual", headers: formHeaders(web), body: "password=nope-nope" });
      await last.arrayBuffer();
    }
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
