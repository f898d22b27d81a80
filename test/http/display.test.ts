// The display mirror: /display.png is the display's PNG; touches need sign-in and reach the display.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claim, demoServer, formHeaders } from "./fixture";
import type { WebServer } from "../../hosts/node/http/serve";

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const touches: [number, number, string][] = [];
let web: WebServer;
beforeAll(async () => {
  ({ web } = await demoServer({ display: { png: () => PNG, touch: (x, y, kind) => void touches.push([x, y, kind]) } }));
});
afterAll(() => web.close());

describe("display mirror", () => {
  it("serves the PNG, refuses anonymous touches, forwards a signed-in tap and swipe", async () => {
    // Until a password is set the display shows the setup code: no mirror for the LAN.
    expect((await fetch(`${web.url}display.png`)).status).toBe(403);
    const anon = await fetch(`${web.url}display/touch`, { method: "POST", headers: formHeaders(web), body: "p.x=10&p.y=20" });
    expect(anon.status).toBe(401);
    expect(touches).toEqual([]);

    const { cookie } = await claim(web, "display-pass");
    const png = await fetch(`${web.url}display.png`);
    expect(png.headers.get("content-type")).toBe("image/png");
    expect([...new Uint8Array(await png.arrayBuffer())]).toEqual([...PNG]);
    const page = await (await fetch(`${web.url}display`, { headers: { cookie } })).text();
    expect(page).toMatch(/<input type="image" src="\/display.png"/);
    const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(page)![1];
    const post = (body: string) => fetch(`${web.url}display/touch`, { method: "POST", redirect: "manual", headers: formHeaders(web, cookie), body: `csrf=${csrf}&${body}` });
    expect((await post("p.x=10&p.y=20")).status).toBe(303);
    expect((await post("kind=swipe-left")).status).toBe(303);
    expect((await post("p.x=1e300&p.y=20")).status).toBe(400); // outside numbers are bounded
    expect(touches).toEqual([[10, 20, "tap"], [0, 0, "swipe-left"]]);
  });
});
