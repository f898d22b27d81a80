// Issue 14 item 8: first use cannot be claimed by a foreign page (DNS rebinding). Every request must
// name the meter in Host; every POST must come from the meter's own page; and claiming needs the
// setup code from the display / console.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoServer, raw, statuses } from "./fixture";
import type { WebServer } from "../../hosts/node/http/serve";
import { hostAllowed, hostName, sameOrigin } from "../../modules/http/host-check";
import { SetupCode } from "../../modules/http/setup-code";

describe("host-check", () => {
  it("accepts IP literals, localhost and configured names; refuses other names and malformed Hosts", () => {
    for (const h of ["192.168.1.20", "192.168.1.20:8080", "[fe80::1]:80", "[::1]", "localhost:8080", "XSMETER.local.", "xsmeter.local:80"]) expect(hostAllowed(h, ["xsmeter.local"]), h).toBe(true);
    for (const h of ["rebind.attacker.example", "192.168.1.20.attacker.example", "1.2.3.4.5", "999.1.1.1", "[fe80::1", "a b", "x:y", "", "evil.com@192.168.1.20"]) expect(hostAllowed(h, ["xsmeter.local"]), h).toBe(false);
    expect(hostName("Meter.Local.:80")).toBe("meter.local");
  });

  it("a POST is same-origin only when Origin (or Referer) names the request's host and port", () => {
    expect(sameOrigin("192.168.1.20:8080", "http://192.168.1.20:8080", undefined)).toBe(true);
    expect(sameOrigin("192.168.1.20:8080", undefined, "http://192.168.1.20:8080/settings")).toBe(true);
    expect(sameOrigin("192.168.1.20:8080", "http://192.168.1.20:8081", undefined)).toBe(false);
    expect(sameOrigin("192.168.1.20:8080", "http://rebind.attacker.example", undefined)).toBe(false);
    expect(sameOrigin("192.168.1.20:8080", "null", undefined)).toBe(false);
    expect(sameOrigin("192.168.1.20:8080", undefined, undefined)).toBe(false);
    expect(sameOrigin("192.168.1.20", undefined, "http://192.168.1.20.evil.example/")).toBe(false);
  });

  it("setup codes: 8 uniform digits, matched with spaces or dashes", () => {
    let n = 0;
    const counts = new Array(10).fill(0);
    for (let k = 0; k < 500; k++) {
      const code = new SetupCode({ fill: (b) => b.forEach((_, i) => (b[i] = (n = (n * 1103515245 + 12345) >>> 0) >>> 24)) });
      expect(code.code).toMatch(/^\d{8}$/);
      for (const d of code.code) counts[Number(d)]++;
      expect(code.matches(code.display)).toBe(true);
      expect(code.matches(`${code.code.slice(0, 4)}-${code.code.slice(4)}`)).toBe(true);
      expect(code.matches(code.code.slice(0, 7))).toBe(false);
    }
    for (const c of counts) expect(c).toBeGreaterThan(300); // 4000 digits: ~400 each
  });
});

describe("the issue's rebinding attack over HTTP", () => {
  let web: WebServer;
  beforeAll(async () => {
    ({ web } = await demoServer({ allowedHosts: ["xsmeter.local"] }));
  });
  afterAll(() => web.close());

  const rebound = "Host: rebind.attacker.example\r\nOrigin: http://rebind.attacker.example\r\n";

  it("a foreign Host gets neither the snapshot nor the first-use form", async () => {
    const snap = await raw(web.port, `GET /api/snapshot HTTP/1.1\r\n${rebound}Connection: close\r\n\r\n`);
    expect(statuses(snap)).toEqual([421]);
    expect(snap).not.toMatch(/"loads"/);
    const body = "code=12345678&password=attacker-password";
    const setup = await raw(web.port, `POST /setup HTTP/1.1\r\n${rebound}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect(statuses(setup)).toEqual([421]);
    expect(web.app.auth.hasPassword).toBe(false);
  });

  it("the meter's own name works; a foreign Origin or no setup code cannot set the password", async () => {
    expect(statuses(await raw(web.port, "GET /api/live HTTP/1.1\r\nHost: xsmeter.local:80\r\nConnection: close\r\n\r\n"))).toEqual([200]);
    const host = `127.0.0.1:${web.port}`;
    const post = (headers: string, body: string) => raw(web.port, `POST /setup HTTP/1.1\r\nHost: ${host}\r\n${headers}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    expect(statuses(await post("Origin: http://rebind.attacker.example\r\n", `code=${web.app.setupCode!.replace(" ", "")}&password=attacker-password`))).toEqual([403]);
    expect(statuses(await post(`Origin: http://${host}\r\n`, "password=attacker-password"))).toEqual([403]);
    expect(web.app.auth.hasPassword).toBe(false);
    expect(statuses(await post(`Origin: http://${host}\r\n`, `code=${web.app.setupCode!.replace(" ", "")}&password=owner-password`))).toEqual([303]);
    expect(web.app.auth.matchesPassword("owner-password")).toBe(true);
    expect(web.app.setupCode).toBeUndefined();
  });
});
