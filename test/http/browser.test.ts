// End to end in headless Chromium (playwright-core): dashboard with live
// power changing, set the password, sign in, switch a load off, open its
// power graph. Screenshots go to test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { demoServer } from "./fixture";
import type { WebServer } from "../../hosts/node/http/serve";
import type { DemoHousehold } from "../../modules/app/demo-household";
import { missing } from "../support/requires";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = "test-artifacts";
let web: WebServer;
let demo: DemoHousehold;
let browser: Browser;
let ticker: NodeJS.Timeout;

describe.skipIf(missing("chromium"))("the web page in a real browser", () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ({ web, demo } = await demoServer({}, 24 * 60));
    // Live power: the fridge cycles with the minute; make the change visible by switching the oven's power through ticks.
    ticker = setInterval(() => demo.tick(), 300);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  });
  afterAll(async () => {
    clearInterval(ticker);
    await browser?.close();
    await web?.close();
  });

  it("dashboard, live update, password, sign-in, switch off, power graph", async () => {
    const page = await browser.newPage({ viewport: { width: 420, height: 900 } });
    await page.goto(web.url);
    await expect(page.locator("h1")).toBeTruthy();
    expect(await page.locator("h1").textContent()).toBe("Dashboard");
    const total = page.locator('.v[data-k="total"]');
    const before = await total.textContent();
    // Change the household: switch the heat pump off directly; the page must follow over SSE without reload.
    demo.store.switchLoad("heatpump", false, "cloud");
    await page.waitForFunction(`document.querySelector('.v[data-k="total"]').textContent !== ${JSON.stringify(before)}`, undefined, { timeout: 5000 });
    expect(await page.locator('[data-k="s-heatpump"]').textContent()).toBe("off");
    await page.screenshot({ path: `${ARTIFACTS}/http-dashboard.png`, fullPage: true });

    // Control needs sign-in; first use sets the password.
    await page.goto(`${web.url}login`);
    expect(page.url()).toMatch(/\/setup$/);
    await page.fill('input[name="code"]', web.app.setupCode!); // as `npm start` prints it
    await page.fill('input[name="password"]', "correct horse battery");
    await page.click("button");
    expect(page.url()).toMatch(/\/control/);
    const cookies = await page.context().cookies();
    const sid = cookies.find((c) => c.name === "sid")!;
    expect(sid.httpOnly).toBe(true);
    expect(sid.sameSite).toBe("Strict");

    // Sign out and in again with the password.
    await page.goto(`${web.url}settings`);
    await page.click('form[action="/logout"] button');
    await page.goto(`${web.url}login`);
    await page.fill('input[name="password"]', "wrong password!");
    await page.click("button");
    expect(await page.locator(".msg").textContent()).toMatch(/Wrong password/);
    await page.fill('input[name="password"]', "correct horse battery");
    await page.click("button");
    expect(page.url()).toMatch(/\/control/);

    // Switch the oven off.
    expect(demo.store.snapshot().loads.find((l) => l.id === "oven")!.on).toBe(true);
    await page.click('.load:has-text("Oven") form[action="/control/switch"] button');
    expect(await page.locator(".msg").textContent()).toMatch(/Oven switched off/);
    expect(demo.store.snapshot().loads.find((l) => l.id === "oven")!.on).toBe(false);
    expect(await page.locator("#relay-oven").textContent()).toBe("off");
    expect(await page.locator('.load:has-text("Oven") form[action="/control/switch"] button').textContent()).toBe("Switch on");
    await page.screenshot({ path: `${ARTIFACTS}/http-control.png`, fullPage: true });

    // Its power graph.
    await page.click('a:has-text("Oven")');
    expect(page.url()).toMatch(/graph\?series=load:oven/);
    // the narrow drawing at 420 px: the area and the line of the power chart
    expect(await page.locator("#graph svg:visible path").count()).toBe(2);
    await page.click('a.btn:has-text("day")');
    expect(page.url()).toMatch(/range=day/);
    await page.screenshot({ path: `${ARTIFACTS}/http-graph.png`, fullPage: true });

    for (const [path, name] of [["energy", "energy"], ["prices", "prices"], ["quality", "quality"], ["settings", "settings"]]) {
      await page.goto(`${web.url}${path}`);
      await page.screenshot({ path: `${ARTIFACTS}/http-${name}.png`, fullPage: true });
    }
    await page.close();
  });
});
