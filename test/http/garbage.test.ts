// Issue 14, "one test per entry point": the HTTP entry point fed garbage — random bytes, the attack
// corpus, mutated requests, and the hostile requests — in the meter's own process (the built
// `xsmeter web`), then a good request is still served and the process has not ended.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import net from "node:net";
import { raw, statuses } from "./fixture";
import { CASES } from "./attack-cases";

const CLI = join(__dirname, "../../bin/xsmeter.js");
const built = existsSync(join(__dirname, "../../dist/hosts/node/cli/main.js"));
const GOOD = "GET /api/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

/** Sends bytes on a fresh connection and returns within `ms` whatever came back. */
function fire(port: number, bytes: Uint8Array, ms = 400): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    let out = "";
    const done = (): void => {
      clearTimeout(t);
      s.destroy();
      resolve(out);
    };
    const t = setTimeout(done, ms);
    s.on("data", (d) => (out += d.toString("latin1")));
    s.on("close", done);
    s.on("error", done);
    s.write(bytes);
  });
}

describe.skipIf(!built)("garbage into the HTTP entry point of the running meter (built CLI)", () => {
  let child: ChildProcess;
  let out = "";
  let port = 0;
  beforeAll(async () => {
    child = spawn(process.execPath, [CLI, "web", "--http-port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 15_000);
      child.stdout!.on("data", () => {
        const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
  });
  afterAll(async () => {
    // Ctrl-C must end `xsmeter web` (its demo ticker kept it running after the first one)
    const exited = new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once("exit", (c) => r(c))));
    child?.kill("SIGINT");
    const code = await Promise.race([exited, new Promise<"alive">((r) => setTimeout(() => r("alive"), 10_000))]);
    if (code === "alive") child.kill("SIGKILL");
    expect(code).toBe(0);
  });

  it("random bytes, the corpus, mutations and the issue's requests: a good request is served after each batch, the process lives on", async () => {
    expect(out).toMatch(/setup code \d{4} \d{4}/);
    let state = 424242;
    const rnd = (n: number): number => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const seen = new Map<number, number>();
    const count = (text: string): void => {
      for (const st of statuses(text)) seen.set(st, (seen.get(st) ?? 0) + 1);
    };
    const good = async (): Promise<void> => {
      expect(statuses(await raw(port, GOOD))).toEqual([200]);
      expect(child.exitCode).toBeNull();
    };

    // 1. Random bytes, some after a valid request line.
    for (let k = 0; k < 60; k++) {
      const junk = Uint8Array.from({ length: 1 + rnd(3000) }, () => rnd(256));
      const prefix = k % 2 ? Buffer.from("GET / HTTP/1.1\r\n", "latin1") : Buffer.alloc(0);
      count(await fire(port, Buffer.concat([prefix, junk, Buffer.from("\r\n\r\n")])));
    }
    await good();

    // 2. The attack corpus, each case followed by a good request.
    for (const [name, request, status] of CASES) {
      const text = await fire(port, Buffer.from(request, "latin1"), 1000);
      expect(statuses(text)[0], name).toBe(status);
      await good();
    }

    // 3. The issue's own hostile requests.
    const hostile = [
      "GET /query?select=[total.watts,meter:1.watts]&begin=y-9999y&end=y%2B9999y&group=all HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
      "GET /api/snapshot HTTP/1.1\r\nHost: rebind.attacker.example\r\nOrigin: http://rebind.attacker.example\r\n\r\n",
      `POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${9 + 3900}\r\n\r\npassword=${"x".repeat(3900)}`,
      "HEAD /events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
      ...Array.from({ length: 20 }, () => "GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    ];
    for (const h of hostile) count(await fire(port, Buffer.from(h, "latin1"), 1000));
    await good();

    // 4. Mutated valid requests.
    const seeds = [GOOD, "POST /setup HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 27\r\n\r\ncode=12345678&password=abcdefgh", "GET /query?select=[time.iso,total.watts]&begin=d&end=s&group=h&format=csv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"];
    for (let k = 0; k < 150; k++) {
      const b = [...Buffer.from(seeds[rnd(seeds.length)], "latin1")];
      for (let e = 1 + rnd(4); e > 0; e--) {
        const at = rnd(b.length + 1);
        if (rnd(2)) b[at] = rnd(256);
        else b.splice(at, 1);
      }
      count(await fire(port, Buffer.concat([Buffer.from(b), Buffer.from("\r\n\r\n")])));
    }
    await good();
    expect(seen.get(500) ?? 0).toBe(0);
    expect(out).not.toMatch(/xsmeter http: |Error|at .*\.js:\d+/); // no handler failed, nothing thrown
    console.log("garbage statuses:", Object.fromEntries([...seen.entries()].sort((a, b) => a[0] - b[0])));
  }, 60_000);
});
