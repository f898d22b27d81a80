// PBKDF2 against node:crypto, the session/CSRF/rate-limit rules, and the /query API.
import { describe, expect, it } from "vitest";
import { pbkdf2Sync, randomBytes, webcrypto } from "node:crypto";
import { Auth, pbkdf2Sha256, readCookie } from "../../modules/http/auth";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { DemoHousehold } from "../../modules/app/demo-household";
import { parseTime, runQuery } from "../../modules/http/query";
import { normalisePath } from "../../modules/http/path";
import { MINUTE, HOUR, DAY } from "../../modules/core/clock";

const random = { fill: (b: Uint8Array) => void webcrypto.getRandomValues(b) };

describe("PBKDF2-HMAC-SHA256", () => {
  it("matches node:crypto for random passwords, salts and iteration counts", () => {
    for (let k = 0; k < 12; k++) {
      const pw = randomBytes(1 + (k * 7) % 90);
      const salt = randomBytes(16);
      const iter = 1 + k * 37;
      expect(Buffer.from(pbkdf2Sha256(pw, salt, iter)).toString("hex")).toBe(pbkdf2Sync(pw, salt, iter, 32, "sha256").toString("hex"));
    }
  });
});

describe("Auth", () => {
  it("has no default password; verifies what was set; refuses short ones", () => {
    const clock = new VirtualClock();
    const auth = new Auth({ clock, random, iterations: 50 });
    expect(auth.hasPassword).toBe(false);
    expect(auth.verify("", "a")).toBe("wrong");
    expect(auth.setPassword("short")).toMatch(/8/);
    expect(auth.setPassword("long enough")).toBeUndefined();
    expect(auth.verify("long enough", "a")).toBe("ok");
    expect(auth.verify("long enougH", "a")).toBe("wrong");
  });

  it("locks an address out after repeated failures, with growing waits, others unaffected", () => {
    const clock = new VirtualClock();
    const auth = new Auth({ clock, random, iterations: 10 });
    auth.setPassword("correct horse");
    for (let i = 0; i < 3; i++) expect(auth.verify("nope", "10.0.0.9")).toBe("wrong");
    expect(auth.verify("correct horse", "10.0.0.9")).toBe("locked");
    expect(auth.verify("correct horse", "10.0.0.8")).toBe("ok");
    const wait1 = auth.retryAfter({ address: "10.0.0.9" });
    clock.advance(wait1);
    expect(auth.verify("nope", "10.0.0.9")).toBe("wrong");
    expect(auth.retryAfter({ address: "10.0.0.9" })).toBeGreaterThan(wait1);
  });

  it("sessions: fresh id on login, CSRF checked, idle expiry", () => {
    const clock = new VirtualClock();
    const auth = new Auth({ clock, random, iterations: 10 });
    const first = auth.login();
    const s = auth.login(first);
    expect(s.id).not.toBe(first.id);
    expect(auth.session(`sid=${first.id}`)).toBeUndefined();
    expect(auth.session(`a=1; sid=${s.id}`)?.authenticated).toBe(true);
    expect(auth.checkCsrf(s, s.csrf)).toBe(true);
    expect(auth.checkCsrf(s, first.csrf)).toBe(false);
    expect(auth.checkCsrf(s, undefined)).toBe(false);
    clock.advance(31 * MINUTE);
    expect(auth.session(`sid=${s.id}`)).toBeUndefined();
    expect(readCookie("x=1;  sid = abc ", "sid")).toBe("abc");
  });
});

describe("paths", () => {
  it("normalises and refuses traversal", () => {
    expect(normalisePath("/graph")).toBe("/graph");
    expect(normalisePath("/caf%C3%A9")).toBe("/café");
    for (const bad of ["/../x", "/a/./b", "/%2e%2e/x", "/a%2fb", "/a//b", "/%ff", "/%C0%AF", "x", "/a\\b"]) expect(normalisePath(bad), bad).toBeUndefined();
  });
});

describe("/query (IoTaWatt style)", () => {
  it("relative times and hourly energy that matches the recorded power", () => {
    const clock = new VirtualClock(Date.UTC(2026, 2, 4, 12, 30));
    expect(parseTime("d", clock.now())).toBe(Date.UTC(2026, 2, 4));
    expect(parseTime("d-1d", clock.now())).toBe(Date.UTC(2026, 2, 3));
    expect(parseTime("h+2h", clock.now())).toBe(Date.UTC(2026, 2, 4, 14));
    expect(parseTime("w", clock.now())).toBe(Date.UTC(2026, 2, 2)); // Monday
    expect(parseTime("1772582400", 0)).toBe(1772582400000);
    expect(parseTime("nonsense", 0)).toBeUndefined();
    const demo = new DemoHousehold(clock);
    for (let t = 0; t < 2 * 60; t++) {
      clock.advance(MINUTE);
      demo.tick();
    }
    const r = runQuery(demo.store, new Map([["select", "[time.iso,load:fridge.watts,load:fridge.wh]"], ["begin", "d"], ["end", "s"], ["group", "1h"]]), clock.now());
    if (typeof r === "string") throw new Error(r);
    expect(r.rows[13][0]).toBe("2026-03-04T13:00:00Z");
    // Fridge: 120 W for 8 min of every 20, 4 W otherwise → mean over an hour from its own definition.
    const expected = (8 * 120 + 12 * 4) / 20;
    expect(r.rows[13][1]).toBeCloseTo(expected, 0);
    expect(r.rows[13][2]).toBeCloseTo(expected, 0);
    expect(r.rows[0][1]).toBeNull();
    expect(runQuery(demo.store, new Map([["select", "[x]"]]), clock.now())).toMatch(/unknown column/);
    expect(runQuery(demo.store, new Map([["select", "[total.watts]"], ["begin", "d-30d"], ["group", "1m"]]), clock.now())).toMatch(/too many points/);
    expect(HOUR * 24).toBe(DAY);
  });
});
