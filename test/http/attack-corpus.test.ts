// Malformed and hostile requests against the real server over TCP: each gets
// the right status, the server keeps serving others, and memory stays bounded.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoServer, raw, statuses } from "./fixture";
import type { WebServer } from "../../hosts/node/http/serve";
import { HttpError, RequestParser } from "../../modules/http/request-parser";
import { DEFAULT_LIMITS } from "../../modules/http/limits";
import { CASES } from "./attack-cases";

let web: WebServer;
beforeAll(async () => {
  ({ web } = await demoServer({ limits: { headerTimeoutMs: 400, bodyTimeoutMs: 400, keepAliveTimeoutMs: 2000 } }));
});
afterAll(() => web.close());

const ok = "GET /api/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
const okKeep = "GET /api/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";


describe("attack and malformed-request corpus", () => {
  for (const [name, request, status] of CASES) {
    it(`${name} → ${status}`, async () => {
      const text = await raw(web.port, Buffer.from(request, "latin1"));
      expect(statuses(text)[0], text.slice(0, 200)).toBe(status);
      // And the server still answers a good request.
      expect(statuses(await raw(web.port, ok))).toEqual([200]);
    });
  }

  it("slowloris: headers dribbled past the header timeout get 408 and the socket is closed", async () => {
    const t0 = Date.now();
    const text = await new Promise<string>((resolve) => {
      const net = require("node:net") as typeof import("node:net");
      const s = net.connect(web.port, "127.0.0.1");
      let out = "";
      s.on("data", (d: Buffer) => (out += d.toString("latin1")));
      s.on("close", () => resolve(out));
      const parts = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa".split("");
      let i = 0;
      const drip = setInterval(() => {
        if (i < parts.length && !s.destroyed) s.write(parts[i++]);
        else clearInterval(drip);
      }, 50);
      s.on("close", () => clearInterval(drip));
    });
    expect(statuses(text)).toEqual([408]);
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it("an idle connection is closed silently after the header timeout", async () => {
    const text = await raw(web.port, "", 1500);
    expect(text).toBe("");
  });

  it("keep-alive and pipelining: three requests in one write get three answers, in order", async () => {
    const text = await raw(web.port, okKeep + "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + "GET /api/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    expect(statuses(text)).toEqual([200, 404, 200]);
  });

  it("a chunked request body is decoded", async () => {
    const body = "password=x";
    const text = await raw(web.port, `POST /setup HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n${body.slice(0, 4)}\r\n${(body.length - 4).toString(16)}\r\n${body.slice(4)}\r\n0\r\n\r\n`);
    expect(statuses(text)[0]).toBe(403); // parsed fine; refused for lack of the setup code
    expect(text).toMatch(/Wrong setup code/);
  });

  it("Expect: 100-continue gets 100 before the final answer", async () => {
    // Head only: the client waits for 100 before sending its body; then the body timeout answers 408.
    const text = await raw(web.port, "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\n", 1500);
    expect(statuses(text)).toEqual([100, 408]);
  });

  it("static assets: gzip, ETag and 304", async () => {
    const first = await raw(web.port, "GET /static/style.css HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
    expect(first).toMatch(/Content-Encoding: gzip/);
    const etag = /ETag: (".*?")/.exec(first)![1];
    const again = await raw(web.port, `GET /static/style.css HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: ${etag}\r\nConnection: close\r\n\r\n`);
    expect(statuses(again)).toEqual([304]);
    const plain = await raw(web.port, "GET /static/style.css HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    expect(plain).not.toMatch(/Content-Encoding/);
    expect(plain).toMatch(/--acc/);
  });

  it("connections: one address holds at most its cap, idle keep-alive sockets are reclaimed, 503 only when all are busy", async () => {
    const net = await import("node:net");
    const open = (): Promise<import("node:net").Socket> => new Promise((r) => { const s = net.connect(web.port, "127.0.0.1", () => r(s)); s.on("error", () => {}); });
    // Sockets that never send: safe from reclaiming for their first 2 s, so beyond the per-address cap (8) it is 503.
    const silent = await Promise.all(Array.from({ length: 8 }, open));
    await new Promise((r) => setTimeout(r, 100));
    expect(web.server.getStats().open).toBe(8);
    expect(statuses(await raw(web.port, ok))).toEqual([503]);
    for (const s of silent) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    // Keep-alive sockets that have each served a request are idle: a newcomer takes the slot of the longest idle.
    const kept = await Promise.all(Array.from({ length: 8 }, async () => {
      const s = await open();
      await new Promise<void>((r) => { s.once("data", () => r()); s.write(okKeep); });
      return s;
    }));
    const reclaimed0 = web.server.getStats().reclaimed;
    expect(statuses(await raw(web.port, ok))).toEqual([200]);
    expect(web.server.getStats().reclaimed).toBe(reclaimed0 + 1);
    for (const s of kept) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(statuses(await raw(web.port, ok))).toEqual([200]);
  });

  it("10,000 randomly mutated requests: always a well-formed status, server keeps serving, memory bounded", async () => {
    const net = await import("node:net");
    const seeds = [ok, "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10\r\n\r\npassword=x", "GET /query?select=[time.iso,total.watts]&begin=d&end=s&group=h HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"];
    let state = 12345;
    const rnd = (n: number): number => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const mutate = (s: string): Buffer => {
      const b = [...Buffer.from(s, "latin1")];
      const edits = 1 + rnd(4);
      for (let e = 0; e < edits; e++) {
        const at = rnd(b.length + 1);
        switch (rnd(4)) {
          case 0: b[at] = rnd(256); break;
          case 1: b.splice(at, 1); break;
          case 2: b.splice(at, 0, rnd(256)); break;
          default: b.splice(at, 0, ...b.slice(rnd(b.length), rnd(b.length) + rnd(40)));
        }
      }
      // Always finish with a blank line + close so no case waits for the timeout.
      return Buffer.concat([Buffer.from(b), Buffer.from("\r\n\r\n")]);
    };
    const heap0 = process.memoryUsage().heapUsed;
    const seen = new Map<number, number>();
    const N = 400; // over TCP; the full 10,000 go through the parser below
    const perConn = 50; // requests per connection (each a separate one when the server closes)
    let sent = 0;
    const one = (): Promise<void> =>
      new Promise((resolve) => {
        const s = net.connect(web.port, "127.0.0.1");
        let out = "";
        s.on("data", (d) => (out += d.toString("latin1")));
        const finish = (): void => {
          clearTimeout(t);
          for (const st of statuses(out)) seen.set(st, (seen.get(st) ?? 0) + 1);
          s.destroy();
          resolve();
        };
        const t = setTimeout(finish, 1000);
        s.on("close", finish);
        s.on("error", () => {});
        s.write(mutate(seeds[rnd(seeds.length)]));
      });
    while (sent < N) {
      const batch = Math.min(perConn, N - sent);
      await Promise.all(Array.from({ length: Math.min(batch, 12) }, async () => {
        for (let k = 0; k < Math.ceil(batch / 12); k++) await one();
      }));
      sent += batch;
    }
    const total = [...seen.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(N * 0.9);
    for (const st of seen.keys()) expect([100, 200, 303, 304, 400, 401, 403, 404, 405, 408, 413, 414, 415, 417, 421, 429, 431, 501, 503, 505]).toContain(st);
    expect(seen.get(500) ?? 0).toBe(0);
    expect(statuses(await raw(web.port, ok))).toEqual([200]);
    expect(web.server.getStats().open).toBeLessThanOrEqual(1);
    global.gc?.();
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(64 * 1024 * 1024);
    console.log("mutated-request statuses:", Object.fromEntries([...seen.entries()].sort((a, b) => a[0] - b[0])));
  }, 90_000);

  it("10,000 randomly mutated requests through the parser: each is a request or an HttpError with a 4xx/5xx status", () => {
    const seeds = [okKeep, "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10\r\n\r\npassword=x", "GET /query?select=[time.iso,total.watts] HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"];
    let state = 987654;
    const rnd = (n: number): number => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const outcome = new Map<string, number>();
    for (let k = 0; k < 10_000; k++) {
      const b = [...Buffer.from(seeds[rnd(seeds.length)], "latin1")];
      for (let e = 1 + rnd(4); e > 0; e--) {
        const at = rnd(b.length + 1);
        const op = rnd(3);
        if (op === 0) b[at] = rnd(256);
        else if (op === 1) b.splice(at, 1);
        else b.splice(at, 0, rnd(256));
      }
      const p = new RequestParser(DEFAULT_LIMITS);
      let key: string;
      try {
        const bytes = Uint8Array.from(b);
        let off = 0;
        let got = 0;
        while (off < bytes.length) {
          const used = p.push(bytes, off);
          off += used;
          if (p.take()) got++;
          else if (used === 0) break;
        }
        key = got ? "request" : "incomplete";
      } catch (e) {
        expect(e).toBeInstanceOf(HttpError);
        const st = (e as HttpError).status;
        expect([400, 413, 414, 417, 431, 501, 505]).toContain(st);
        key = String(st);
      }
      outcome.set(key, (outcome.get(key) ?? 0) + 1);
    }
    console.log("parser outcomes of 10,000 mutations:", Object.fromEntries(outcome));
    expect((outcome.get("400") ?? 0) + (outcome.get("request") ?? 0)).toBeGreaterThan(5000);
  });
});
