// Shared fixture: the web server over a DemoHousehold on a real clock, and a raw TCP client.
import net from "node:net";
import { RealClock } from "../../modules/core/real-clock";
import { DemoHousehold } from "../../modules/app/demo-household";
import { startWebServer, type WebServer, type WebServerOptions } from "../../hosts/node/http/serve";
import { nodeClock } from "../../hosts/node/node-clock";

/** A real clock; `shift` (ms) runs it behind wall time so a day of history can be replayed first. */
export function realClock(shift = { ms: 0 }): RealClock {
  return nodeClock(() => Date.now() - shift.ms);
}

export async function demoServer(extra: Partial<WebServerOptions> = {}, historyMinutes = 0): Promise<{ web: WebServer; demo: DemoHousehold; clock: RealClock }> {
  const shift = { ms: historyMinutes * 60_000 };
  const clock = (extra.clock as RealClock) ?? realClock(shift);
  const demo = new DemoHousehold(clock);
  // Replay the past minute by minute, so graphs and energy tables have data.
  for (; shift.ms > 0; shift.ms = Math.max(0, shift.ms - 60_000)) demo.tick();
  demo.tick();
  const web = await startWebServer({ household: demo.store, port: 0, clock, pbkdf2Iterations: 200, ...extra });
  return { web, demo, clock };
}

/** Sends raw bytes, returns everything the server sent until it closes or `ms` passes. */
export function raw(port: number, data: string | Uint8Array | (string | Uint8Array)[], ms = 2000): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(Buffer.concat(chunks).toString("latin1"));
    };
    const timer = setTimeout(done, ms);
    sock.on("data", (c) => chunks.push(c));
    sock.on("close", done);
    sock.on("error", done);
    for (const d of Array.isArray(data) ? data : [data]) sock.write(d);
  });
}

export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

/** The headers a page of the meter sends with a form POST (the Origin check). */
export function formHeaders(web: { url: string }, cookie?: string): Record<string, string> {
  const h: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", origin: web.url.replace(/\/$/, "") };
  if (cookie) h.cookie = cookie;
  return h;
}

/** The cookies a response set, as one Cookie header value ("sid=…; dev=…"). */
export function cookiesOf(r: Response): string {
  return r.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

/**
 * Claims the meter at first use: the setup code the server gave its console
 * (web.app.setupCode, as `npm start` prints it) and a password; returns the
 * signed-in cookies and the session's CSRF token.
 */
export async function claim(web: WebServer, password = "a good passphrase"): Promise<{ cookie: string; csrf: string }> {
  const code = web.app.setupCode;
  if (!code) throw new Error("claim: the meter already has a password");
  const r = await fetch(`${web.url}setup`, { method: "POST", redirect: "manual", headers: formHeaders(web), body: new URLSearchParams({ code, password }) });
  if (r.status !== 303) throw new Error(`claim: POST /setup answered ${r.status}`);
  const cookie = cookiesOf(r);
  const page = await (await fetch(`${web.url}control`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="csrf" value="([0-9a-f]+)"/.exec(page)![1] };
}
