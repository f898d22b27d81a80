// The dashboard in headless Chromium: first-run set-up with the printed token (no default
// password), the fleet page and a meter page at 1280 and 390 px (screenshots in test-artifacts/, or
// docs/screenshots with XSMETER_SCREENSHOTS=1),
// a load command from the form answered by a meter's real CloudLink over mosquitto, a viewer who
// cannot send, CSV export that a spreadsheet cannot execute.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { missing } from "../../support/requires";
import { Mosquitto } from "../../support/mosquitto";
import { until } from "../../support/until";
import { freePort } from "../../../hosts/node/free-port";
import { startHeadend, type Headend } from "../../../hosts/headend/headend";
import { passwordRecord } from "../../../hosts/headend/web/passwords";
import { FakeNode, TEST_KEY } from "../support/fake-node";
import { fleetDay } from "../support/fleet-data";

// the committed screenshots are refreshed on purpose (XSMETER_SCREENSHOTS=1), not by every test run
const SHOTS = process.env.XSMETER_SCREENSHOTS === "1" ? "docs/screenshots" : "test-artifacts";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

describe.skipIf(missing("chromium", "mosquitto"))("head-end dashboard in Chromium", () => {
  let mq: Mosquitto;
  let he: Headend;
  let browser: Browser;
  let meter: FakeNode;
  const switched: [string, boolean][] = [];

  beforeAll(async () => {
    mq = new Mosquitto(await freePort());
    await mq.start();
    he = await startHeadend({ mqttUrl: mq.url, db: ":memory:", httpPort: 0 });
    const now = Date.now();
    await he.store.ingest(fleetDay(now));
    await he.store.ingest([{ kind: "event", node: "south-01", meterId: 2, boot: 3, seq: 9999, t: now - 3_600_000, type: "=HYPERLINK(\"http://evil\")", body: "{}" }]);
    await he.store.setNodeKey("north-01", TEST_KEY);
    // a live meter on node north-01 that answers downlinks (its CloudLink checks the MAC and counter)
    meter = new FakeNode("north-01", mq.url, [], now); // no readings of its own: the fixture's registers stay as they are
    meter.start();
    const household = (meter.link as unknown as { o: { household: { switchLoad: (id: string, on: boolean) => { ok: boolean } } } }).o.household;
    household.switchLoad = (id, on) => { switched.push([id, on]); return { ok: true }; };
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ARGS });
    mkdirSync(SHOTS, { recursive: true });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    meter?.stop();
    await he?.stop();
    await mq?.stop();
  });

  it("has no default password: set-up needs the printed token, then the operator signs in", async () => {
    expect(he.setupToken).toMatch(/^[0-9a-f]{24}$/);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(he.url);
    expect(page.url()).toMatch(/\/login$/);
    await page.goto(`${he.url}setup`);
    await page.fill('input[name="token"]', "0".repeat(24));
    await page.fill('input[name="user"]', "olga");
    await page.fill('input[name="password"]', "operator-password-1");
    await page.click("button");
    expect(await page.locator(".err").textContent()).toContain("not the set-up token");
    await page.fill('input[name="token"]', he.setupToken!);
    await page.fill('input[name="user"]', "olga");
    await page.fill('input[name="password"]', "operator-password-1");
    await page.click("button");
    expect(await page.locator("h1").textContent()).toBe("Fleet");
    // the token worked once: the set-up page is gone
    const again = await browser.newPage();
    await again.goto(`${he.url}setup`);
    expect(again.url()).toMatch(/\/login$/);
    await again.fill('input[name="user"]', "olga");
    await again.fill('input[name="password"]', "wrong-password-x");
    await again.click("button");
    expect(await again.locator(".err").textContent()).toContain("Wrong user or password");
    await again.close();
    await page.close();
  }, 30_000);

  async function signIn(user: string, password: string, width: number) {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.goto(`${he.url}login`);
    await page.fill('input[name="user"]', user);
    await page.fill('input[name="password"]', password);
    await page.click("button");
    return page;
  }

  it("fleet page: every meter with its state, power, energy today, firmware and alarms; total graphs", async () => {
    for (const width of [1280, 390]) {
      const page = await signIn("olga", "operator-password-1", width);
      const rows = page.locator("tbody tr");
      expect(await rows.count()).toBe(6);
      const text = await page.locator("tbody").innerText();
      expect(text).toContain("north-01 / 1");
      expect(text).toMatch(/south-01 \/ 1\s+offline/);
      expect(text).toMatch(/north-02 \/ 2\s+online/);
      expect(text).toContain("1.4.0");
      expect(text).toMatch(/\d+ W/);
      expect(text).toMatch(/\d+\.\d\d kWh/);
      // south-01 says offline: its 20-s-old values are last known, not "now", and not in the total
      expect(text).toMatch(/south-01 \/ 1\s+offline\s+\d+ s ago\s+last known \d+ W, \d+ s ago/);
      expect(await page.locator(".tiles").innerText()).toContain("4 of 6 meters online");
      expect(await page.locator("svg.chart polyline").count()).toBeGreaterThanOrEqual(1);
      expect(await page.locator("svg.chart rect[fill]").count()).toBeGreaterThanOrEqual(1);
      // no horizontal scrolling of the page itself on a phone (the table scrolls in its own box)
      expect((await page.evaluate("document.documentElement.scrollWidth")) as number).toBeLessThanOrEqual(width);
      await page.screenshot({ path: `${SHOTS}/headend-fleet-${width}.png`, fullPage: width === 390 ? false : true });
      await page.close();
    }
  }, 30_000);

  it("fleet list: not-online filter, search, sort by power, the filtered CSV, and a clear error for a bad parameter", async () => {
    const page = await signIn("olga", "operator-password-1", 1280);
    await page.check('input[name="state"]');
    await page.click("form.filters button");
    expect(page.url()).toContain("state=offline");
    const off = await page.locator("tbody tr td:first-child").allInnerTexts();
    expect(off).toEqual(["south-01 / 1", "south-01 / 2"]);
    await page.goto(`${he.url}?q=NORTH-02`);
    expect(await page.locator("tbody tr td:first-child").allInnerTexts()).toEqual(["north-02 / 1", "north-02 / 2"]);
    await page.goto(he.url);
    await page.click('th a:has-text("Power now")'); // first click: highest first
    const watts = (await page.locator("tbody tr td:nth-child(4)").allInnerTexts()).map((t) => Number(/(\d+) W/.exec(t)?.[1]));
    expect(watts).toEqual([...watts].sort((a, b) => b - a));
    const csvText = await (await page.request.get(`${he.url}fleet.csv?state=offline`)).text();
    expect(csvText.trim().split("\r\n").slice(1).map((l) => l.split(",").slice(0, 3).join(","))).toEqual(['"south-01",1,"offline"', '"south-01",2,"offline"']);
    const bad = await page.request.get(`${he.url}?page=0`);
    expect(bad.status()).toBe(400);
    expect(await bad.text()).toContain("page: a whole number from 1");
    expect((await page.request.get(`${he.url}?sort=drop%20table`)).status()).toBe(400);
    await page.close();
  }, 30_000);

  it("meter page: power, energy, voltage, frequency and THD charts with the flagged interval and the dip marked", async () => {
    for (const width of [1280, 390]) {
      const page = await signIn("olga", "operator-password-1", width);
      await page.click('a[href="/meter/north-01/1"]');
      expect(await page.locator("h1").textContent()).toBe("Meter north-01 / 1");
      expect(await page.locator("svg.chart").count()).toBe(5);
      expect(await page.locator("svg.chart line.mark").count()).toBeGreaterThanOrEqual(2);
      expect(await page.locator("main").innerText()).toContain("Dip");
      expect(await page.locator(".tiles").innerText()).toMatch(/last seen \d+ s ago/);
      expect((await page.evaluate("document.documentElement.scrollWidth")) as number).toBeLessThanOrEqual(width);
      await page.screenshot({ path: `${SHOTS}/headend-meter-${width}.png`, fullPage: width === 1280 });
      await page.close();
    }
  }, 30_000);

  it("meter page: the events table reads as kind, phase, duration and voltage with units, start in UTC — no JSON, no epoch ms", async () => {
    for (const width of [1280, 390]) {
      const page = await signIn("olga", "operator-password-1", width);
      await page.click('a[href="/meter/north-01/1"]'); // signed in: the fleet list is there
      const table = page.locator("table.events");
      expect(await table.locator("thead th").allInnerTexts()).toEqual(["Start (UTC)", "Kind", "Phase", "Duration", "Voltage", "EN 50160 class", "Seen by meters"]);
      const rows = await table.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => (td.textContent ?? "").trim())));
      const byKind = new Map(rows.map((r) => [r[1], r]));
      expect(byKind.get("Dip")?.slice(2)).toEqual(["L1", "120 ms", "150.4 V residual", "70-40%/0.1-0.2s", "1, 2"]);
      expect(byKind.get("Swell")?.slice(2)).toEqual(["L2", "2.50 s", "253.1 V max", "120-110%/0.5-5s", "1"]);
      expect(byKind.get("Interruption")?.slice(2, 5)).toEqual(["L3", "not reported", "not reported"]);
      for (const r of rows) expect(r[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      const text = await table.innerText();
      expect(text).not.toMatch(/[{}]|durationMs|\d{13}/);
      // the table scrolls inside its box on a phone; the page itself does not
      expect((await page.evaluate("document.documentElement.scrollWidth")) as number).toBeLessThanOrEqual(width);
      // at 1280 the meter page's full-page picture shows the table; on a phone its rows are stacked blocks
      if (width === 390) {
        await table.scrollIntoViewIfNeeded();
        await page.screenshot({ path: `${SHOTS}/headend-meter-events-390.png` });
      }
      await page.close();
    }
  }, 30_000);

  it("an operator switches a load from the form; the meter's CloudLink accepts it and the result shows", async () => {
    await until("meter connected", () => meter.client.isConnected, 5000);
    const page = await signIn("olga", "operator-password-1", 1280);
    await page.goto(`${he.url}meter/north-01/1`);
    await page.fill('form[action="/send/load"] input[name="id"]', "boiler");
    await page.selectOption('form[action="/send/load"] select[name="on"]', "false");
    await page.click('form[action="/send/load"] button');
    expect(await page.locator("p.ok").textContent()).toContain("load sent to north-01");
    await until("the meter switched", () => switched.length === 1, 5000);
    expect(switched[0]).toEqual(["boiler", false]);
    let shown = "";
    for (let k = 0; k < 40 && !shown.includes("accepted"); k++) {
      await page.goto(`${he.url}downlinks`);
      shown = await page.locator("tbody").innerText();
      if (!shown.includes("accepted")) await new Promise((r) => setTimeout(r, 100));
    }
    expect(shown).toMatch(/load\s+\d+\s+olga\s+accepted/);
    // a price table the meter would refuse never leaves: the meter's own check runs first
    await page.goto(`${he.url}meter/north-01/1`);
    await page.fill('form[action="/send/price"] textarea', JSON.stringify([{ start: 1, durationMs: 5, importMinorPerKWh: 1, exportMinorPerKWh: 1 }]));
    await page.click('form[action="/send/price"] button');
    expect(await page.locator("p.err").textContent()).toContain("durationMs must be 900000");
    await page.close();
  }, 30_000);

  it("a viewer sees everything and can send nothing", async () => {
    await he.store.putUser({ name: "vera", role: "viewer", record: passwordRecord("viewer-password-1") });
    const page = await signIn("vera", "viewer-password-1", 1280);
    await page.goto(`${he.url}meter/north-01/1`);
    expect(await page.locator('form[action="/send/load"]').count()).toBe(0);
    expect(await page.locator("main").innerText()).toContain("needs the operator role");
    const csrf = await page.locator('header input[name="csrf"]').getAttribute("value");
    const r = await page.request.post(`${he.url}send/load`, { form: { csrf: csrf!, node: "north-01", id: "boiler", on: "true" } });
    expect(r.status()).toBe(403);
    const forged = await page.request.post(`${he.url}send/load`, { form: { csrf: "x", node: "north-01", id: "boiler", on: "true" } });
    expect(forged.status()).toBe(403);
    await page.close();
  }, 30_000);

  it("exports any series as CSV, and a text cell that looks like a formula is defused", async () => {
    const page = await signIn("vera", "viewer-password-1", 1280);
    const r = await page.request.get(`${he.url}meter/north-01/1/csv?obis=1-0:1.7.0&res=10min`);
    expect(r.headers()["content-type"]).toContain("text/csv");
    const lines = (await r.text()).trim().split("\r\n");
    expect(lines[0]).toBe('"time_utc","t_ms","obis","value","min","max","last"');
    expect(lines.length).toBeGreaterThan(100);
    const ev = await (await page.request.get(`${he.url}meter/south-01/2/events.csv`)).text();
    expect(ev).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(ev).not.toMatch(/(^|,)"?=HYPERLINK/m);
    await page.close();
  }, 30_000);
});
