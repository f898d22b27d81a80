// The JSON API, the CSV export (chunked), closed reading and the API's CSRF rule, over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cookiesOf, demoServer, formHeaders, raw } from "./fixture";
import type { WebServer } from "../../hosts/node/http/serve";
import type { DemoHousehold } from "../../modules/app/demo-household";

let web: WebServer;
let demo: DemoHousehold;
beforeAll(async () => {
  ({ web, demo } = await demoServer({ readOpen: false }, 180));
});
afterAll(() => web.close());

/** Sets the password through the first-use form (with the setup code) and returns the signed-in cookie and CSRF token. */
async function signIn(): Promise<{ cookie: string; csrf: string }> {
  const setup = await fetch(`${web.url}setup`);
  expect(setup.headers.get("set-cookie")).toBeNull(); // no server state for a visitor
  expect(await setup.text()).toMatch(/name="code"/);
  const code = web.app.setupCode!.replace(" ", "");
  const other = code.slice(0, 7) + ((Number(code[7]) + 1) % 10);
  const wrong = await fetch(`${web.url}setup`, { method: "POST", redirect: "manual", headers: formHeaders(web), body: `code=${other}&password=${encodeURIComponent("a good passphrase")}` });
  expect(wrong.status).toBe(403);
  expect(await wrong.text()).toMatch(/Wrong setup code/);
  const r = await fetch(`${web.url}setup`, { method: "POST", redirect: "manual", headers: formHeaders(web), body: new URLSearchParams({ code: web.app.setupCode!, password: "a good passphrase" }) });
  expect(r.status).toBe(303);
  const [sid, dev] = r.headers.getSetCookie();
  expect(sid).toMatch(/^sid=.*HttpOnly.*SameSite=Strict/);
  expect(dev).toMatch(/^dev=.*HttpOnly.*SameSite=Strict/);
  const cookie = cookiesOf(r);
  const page = await (await fetch(`${web.url}control`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="csrf" value="([0-9a-f]+)"/.exec(page)![1] };
}

describe("API and access", () => {
  it("closed reading: pages redirect to sign-in, the API answers 401", async () => {
    const page = await fetch(web.url, { redirect: "manual" });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/login");
    expect((await fetch(`${web.url}api/live`)).status).toBe(401);
  });

  it("after sign-in: JSON snapshot, CSV export streamed chunked, and the switch API needs the CSRF header", async () => {
    const { cookie, csrf } = await signIn();
    const snap = (await (await fetch(`${web.url}api/snapshot`, { headers: { cookie } })).json()) as { loads: { id: string }[] };
    expect(snap.loads.map((l: { id: string }) => l.id)).toContain("ev");

    const csv = await raw(web.port, `GET /query?select=[time.iso,load:fridge.watts]&begin=s-2h&end=s&group=m&format=csv HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`);
    expect(csv).toMatch(/Transfer-Encoding: chunked/);
    expect(csv.endsWith("0\r\n\r\n")).toBe(true);
    const body = (await (await fetch(`${web.url}query?select=[time.iso,load:fridge.watts]&begin=s-2h&end=s&group=m&format=csv`, { headers: { cookie } })).text()).trim().split("\n");
    expect(body[0]).toBe("time.iso,load:fridge.watts");
    expect(body.length).toBe(121);
    const values = body.slice(1).map((l) => l.split(",")[1]).filter((v) => v !== "").map(Number);
    // The fridge is 120 W or 4 W by definition.
    expect(values.every((v) => v === 120 || v === 4)).toBe(true);

    const origin = web.url.replace(/\/$/, "");
    const noToken = await fetch(`${web.url}api/loads/ev/switch`, { method: "POST", headers: { cookie, origin, "content-type": "application/json" }, body: '{"on":false}' });
    expect(noToken.status).toBe(403);
    const ok = await fetch(`${web.url}api/loads/ev/switch`, { method: "POST", headers: { cookie, origin, "x-csrf-token": csrf, "content-type": "application/json" }, body: '{"on":false}' });
    expect(await ok.json()).toEqual({ ok: true });
    expect(demo.store.snapshot().loads.find((l) => l.id === "ev")!.on).toBe(false);
    const bad = await fetch(`${web.url}api/loads/ev/switch`, { method: "POST", headers: { cookie, origin, "x-csrf-token": csrf }, body: "{on:" });
    expect(bad.status).toBe(400);
    const second = await fetch(`${web.url}setup`, { method: "POST", redirect: "manual", headers: formHeaders(web, cookie), body: `code=12345678&password=hijackhijack` });
    expect(second.status).toBe(409);
  });
});
