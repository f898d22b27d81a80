// bench:hostile-http — what each HTTP attack of issue 14 costs the meter. The meter runs as its own
// process (the built `xsmeter web`, default host limits, 2000 PBKDF2 iterations); the owner, on
// 127.0.0.1, loads the dashboard over fresh connections while an attacker on other loopback
// addresses (127.0.0.2 …) runs one attack; p50/p99 of the owner's page beside the same with no
// attack, in the same run, and the meter's CPU during each phase (from /proc). Also the CPU of one
// sign-in attempt (long vs short password) and PBKDF2 before/after preparing the HMAC pads once.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { webcrypto } from "node:crypto";
import { Auth } from "../modules/http/auth";
import { pbkdf2Sha256 } from "../modules/secure/pbkdf2";
import { sha256, Sha256 } from "../modules/secure/sha256";
import { RealClock } from "../modules/core/real-clock";
import { nodeClock } from "../hosts/node/node-clock";

const PHASE_MS = 2500;
const PASSWORD = "the owner's passphrase";

interface Meter {
  child: ChildProcess;
  port: number;
  code: string;
}

/** Starts `xsmeter web` (built beside this bench in dist/) and reads its port and setup code. */
function startMeter(): Promise<Meter> {
  const main = fileURLToPath(new URL("../hosts/node/cli/main.js", import.meta.url));
  const child = spawn(process.execPath, [main, "web", "--http-port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`xsmeter web printed no URL: ${out}`)), 15_000);
    child.stdout!.on("data", (d) => {
      out += d;
      const url = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      const code = /setup code (\d{4} \d{4})/.exec(out);
      if (url && code) {
        clearTimeout(timer);
        resolve({ child, port: Number(url[1]), code: code[1].replace(" ", "") });
      }
    });
  });
}

/** One request on a fresh connection from `from`; resolves with the whole answer (or what came before `ms`). */
function request(port: number, text: string, from = "127.0.0.1", ms = 5000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1", localAddress: from });
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
    s.write(text);
  });
}

const form = (path: string, body: string, cookie = ""): string =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${cookie ? `Cookie: ${cookie}\r\n` : ""}Connection: close\r\n\r\n${body}`;
const get = (path: string, host = "127.0.0.1"): string => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
const status = (answer: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
const cookies = (answer: string): string => [...answer.matchAll(/^Set-Cookie: ([^;\r\n]+)/gim)].map((m) => m[1]).join("; ");

/** The meter's CPU time so far (ms), from /proc (Linux). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in 100 Hz ticks
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

interface Phase {
  p50: number;
  p99: number;
  ownerFailures: number;
  attackRequests: number;
  meterCpuPct: number;
}

/** Runs `attack` (a loop that stops when told) for PHASE_MS while the owner loads the dashboard. */
async function phase(m: Meter, attack: (stop: () => boolean) => Promise<number>): Promise<Phase> {
  let stopped = false;
  const cpu0 = cpuMs(m.child.pid!);
  const t0 = performance.now();
  const attacking = attack(() => stopped);
  await new Promise((r) => setTimeout(r, 200)); // let the attack get going
  const lat: number[] = [];
  let failures = 0;
  while (performance.now() - t0 < PHASE_MS) {
    const s = performance.now();
    const answer = await request(m.port, get("/"));
    lat.push(performance.now() - s);
    if (status(answer) !== 200) failures++;
  }
  stopped = true;
  const attackRequests = await attacking;
  const cpu = cpuMs(m.child.pid!) - cpu0;
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 50), p99: pct(lat, 99), ownerFailures: failures, attackRequests, meterCpuPct: (100 * cpu) / (performance.now() - t0) };
}

/** `n` attackers, each sending `make(i)` one after another until stopped; returns the requests sent. */
function flood(m: Meter, n: number, make: (i: number, k: number) => { text: string; from: string }): (stop: () => boolean) => Promise<number> {
  return async (stop) => {
    let sent = 0;
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        for (let k = 0; !stop(); k++) {
          const { text, from } = make(i, k);
          await request(m.port, text, from, 2000);
          sent++;
        }
      }),
    );
    return sent;
  };
}

/** Holds streams and keep-alive sockets from `addresses` (as many as the meter lets each hold) until stopped. */
function hoard(m: Meter, addresses: string[], perAddress: number): (stop: () => boolean) => Promise<number> {
  return async (stop) => {
    const socks: net.Socket[] = [];
    for (const from of addresses)
      for (let k = 0; k < perAddress; k++) {
        const s = net.connect({ port: m.port, host: "127.0.0.1", localAddress: from });
        s.on("error", () => {});
        s.on("data", () => {});
        s.write(k % 2 ? get("/events").replace("Connection: close\r\n", "") : "GET /api/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        socks.push(s);
      }
    while (!stop()) await new Promise((r) => setTimeout(r, 50));
    for (const s of socks) s.destroy();
    return socks.length;
  };
}

const attacker = (i: number): string => `127.0.${2 + Math.floor(i / 250)}.${1 + (i % 250)}`;

/** PBKDF2 as it was: HMAC re-derives its key pads (and re-hashes a long key) on every iteration. */
function pbkdf2Before(password: Uint8Array, salt: Uint8Array, iterations: number): Uint8Array {
  const hmac = (key: Uint8Array, data: Uint8Array): Uint8Array => {
    const k = new Uint8Array(64);
    k.set(key.length > 64 ? sha256(key) : key);
    const pad = new Uint8Array(64);
    for (let i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
    const inner = new Sha256().update(pad).update(data).digest();
    for (let i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5c;
    return new Sha256().update(pad).update(inner).digest();
  };
  const first = new Uint8Array(salt.length + 4);
  first.set(salt);
  first[salt.length + 3] = 1;
  let u = hmac(password, first);
  const out = u.slice();
  for (let i = 1; i < iterations; i++) {
    u = hmac(password, u);
    for (let k = 0; k < 32; k++) out[k] ^= u[k];
  }
  return out;
}

/** CPU (ms) of one call, the median of `n`. */
function cpuOf(n: number, f: () => void): number {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    t.push((c.user + c.system) / 1000);
  }
  return t.sort((a, b) => a - b)[Math.floor(n / 2)];
}

/** Sign-in CPU: a wrong short vs a wrong 3,900-character password through Auth.verify, and PBKDF2 before/after. */
function signInCpu(): Record<string, number> {
  const clock: RealClock = nodeClock();
  const auth = new Auth({ clock, random: { fill: (b) => void webcrypto.getRandomValues(b) }, iterations: 2000, budget: { burst: 1e9, refillMs: 1 } });
  auth.setPassword(PASSWORD);
  let a = 0;
  const salt = new Uint8Array(16);
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const long = "x".repeat(3900);
  return {
    "signIn.shortWrongCpuMs": cpuOf(15, () => void auth.verify("wrong password", `10.0.${a >> 8}.${a++ & 255}`)),
    "signIn.longWrongCpuMs": cpuOf(15, () => void auth.verify(long, `10.0.${a >> 8}.${a++ & 255}`)),
    "pbkdf2.before.shortMs": cpuOf(7, () => void pbkdf2Before(enc("wrong password"), salt, 2000)),
    "pbkdf2.before.longMs": cpuOf(7, () => void pbkdf2Before(enc(long), salt, 2000)),
    "pbkdf2.after.shortMs": cpuOf(7, () => void pbkdf2Sha256(enc("wrong password"), salt, 2000)),
    "pbkdf2.after.longMs": cpuOf(7, () => void pbkdf2Sha256(enc(long), salt, 2000)),
  };
}

export async function run(): Promise<Record<string, number>> {
  const out: Record<string, number> = signInCpu();
  const m = await startMeter();
  try {
    // The owner claims the meter (setup code from the console) and keeps the device cookie.
    const claimed = await request(m.port, form("/setup", `code=${m.code}&password=${encodeURIComponent(PASSWORD)}`));
    if (status(claimed) !== 303) throw new Error(`claim failed: ${claimed.slice(0, 200)}`);
    const device = cookies(claimed).split("; ").find((c) => c.startsWith("dev="))!;
    const record = (name: string, p: Phase): void => {
      out[`${name}.p50Ms`] = p.p50;
      out[`${name}.p99Ms`] = p.p99;
      out[`${name}.ownerFailures`] = p.ownerFailures;
      out[`${name}.attackRequests`] = p.attackRequests;
      out[`${name}.meterCpuPct`] = p.meterCpuPct;
    };
    const issueQuery = "/query?select=[total.watts,meter:1.watts]&begin=y-9999y&end=y%2B9999y&group=all";
    record("none", await phase(m, async () => 0));
    record("slowQuery", await phase(m, flood(m, 4, (i) => ({ text: get(issueQuery), from: attacker(i) }))));
    record("loginFlood", await phase(m, flood(m, 4, (i) => ({ text: form("/login", "password=guess-guess"), from: attacker(i) }))));
    record("lockoutTableFlood", await phase(m, flood(m, 8, (i, k) => ({ text: form("/login", "password=guess-guess"), from: attacker(100 + ((i * 97 + k) % 200)) }))));
    // After the floods: the owner's browser (device cookie) still signs in; a fresh address is told to wait.
    out["afterFloods.ownerDeviceSignInStatus"] = status(await request(m.port, form("/login", `password=${encodeURIComponent(PASSWORD)}`, device)));
    out["afterFloods.freshAddressStatus"] = status(await request(m.port, form("/login", `password=${encodeURIComponent(PASSWORD)}`), "127.0.9.9"));
    record("longPassword", await phase(m, flood(m, 4, (i) => ({ text: form("/login", `password=${"x".repeat(3900)}`), from: attacker(400 + i) }))));
    record("streamHoardOneAddress", await phase(m, hoard(m, [attacker(500)], 16)));
    record("streamHoardManyAddresses", await phase(m, hoard(m, Array.from({ length: 8 }, (_, i) => attacker(510 + i)), 4)));
    record("rebinding", await phase(m, flood(m, 4, (i) => ({ text: get("/api/snapshot", "rebind.attacker.example"), from: attacker(600 + i) }))));
  } finally {
    m.child.kill("SIGINT");
  }
  return out;
}

/** Prints the figures as a table: one row per attack, the no-attack row first. */
export function print(r: Record<string, number>): void {
  const rows = [...new Set(Object.keys(r).filter((k) => k.endsWith(".p50Ms")).map((k) => k.slice(0, -6)))];
  console.log("owner's dashboard (fresh connection each) while one attack runs; meter = `xsmeter web` in its own process");
  console.log(`${"attack".padEnd(26)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${"owner !200".padStart(12)}${"attack reqs".padStart(13)}${"meter CPU %".padStart(13)}`);
  for (const a of rows) console.log(`${a.padEnd(26)}${r[`${a}.p50Ms`].toFixed(2).padStart(9)}${r[`${a}.p99Ms`].toFixed(2).padStart(9)}${String(r[`${a}.ownerFailures`]).padStart(12)}${String(r[`${a}.attackRequests`]).padStart(13)}${r[`${a}.meterCpuPct`].toFixed(1).padStart(13)}`);
  console.log(`after the login floods: owner's browser (device cookie) signs in → ${r["afterFloods.ownerDeviceSignInStatus"]}; a fresh address → ${r["afterFloods.freshAddressStatus"]} (global budget: wait, then try)`);
  console.log(`sign-in attempt CPU (2000 iterations): short wrong ${r["signIn.shortWrongCpuMs"].toFixed(2)} ms, 3,900-char ${r["signIn.longWrongCpuMs"].toFixed(3)} ms (refused before hashing)`);
  console.log(`PBKDF2 2000 it. before (pads per HMAC): short ${r["pbkdf2.before.shortMs"].toFixed(1)} ms, 3,900 B ${r["pbkdf2.before.longMs"].toFixed(1)} ms; after (pads once): short ${r["pbkdf2.after.shortMs"].toFixed(1)} ms, 3,900 B ${r["pbkdf2.after.longMs"].toFixed(1)} ms`);
}

if (process.argv[1]?.endsWith("hostile-http.js")) {
  const r = await run();
  if (process.argv.includes("--json")) console.log(JSON.stringify(r));
  else print(r);
}
