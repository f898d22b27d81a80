// Every page in headless Chromium at 1280 and 390 px wide, signed in (so Control shows its forms):
// nothing wider than the viewport, the charts drawn with the same type size on both, the words a
// household reads. Screenshots go to test-artifacts/, and to docs/screenshots/ with UPDATE_SCREENSHOTS=1.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, statSync } from "node:fs";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { startWebServer, type WebServer } from "../../hosts/node/http/serve";
import { createDisplayMirror } from "../../hosts/node/ui/display-mirror";
import { missing } from "../support/requires";
import { pictureHousehold, PICTURE_OFFSET_MIN } from "./picture-household";

const OUT = process.env.UPDATE_SCREENSHOTS === "1" ? "docs/screenshots" : "test-artifacts/screenshots";
export const PAGES = Object.freeze([
  ["dashboard", "/"], ["energy", "/energy"], ["prices", "/prices"], ["control", "/control"], ["quality", "/quality"],
  ["settings", "/settings"], ["graph", "/graph?series=total&range=day"], ["graph-week", "/graph?series=load:heatpump&range=week"], ["display", "/display"],
] as const);
const WIDTHS = [1280, 390];

describe.skipIf(missing("chromium"))("every page in Chromium, desktop and phone", () => {
  let web: WebServer;
  let browser: Browser;
  let ctx: BrowserContext;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const p = pictureHousehold();
    web = await startWebServer({ household: p.household, clock: p.clock, port: 0, host: "127.0.0.1", pbkdf2Iterations: 50, utcOffsetMin: PICTURE_OFFSET_MIN, display: createDisplayMirror(p.household, p.clock, { width: 480, height: 320 }, PICTURE_OFFSET_MIN) });
    p.replay();
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${web.url}setup`);
    await page.fill('input[name="password"]', "correct horse battery");
    await page.click("button");
    await page.close();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await web?.close();
  });

  for (const width of WIDTHS) {
    it(`at ${width} px nothing overflows, and each page is pictured`, async () => {
      const page = await ctx.newPage();
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      const wide: Record<string, number> = {};
      for (const [name, path] of PAGES) {
        await page.goto(web.url + path.slice(1));
        wide[name] = await page.evaluate("document.documentElement.scrollWidth");
        const file = `${OUT}/web-${name}-${width}.png`;
        // the top of the page (where its charts are), kept small for docs/
        await page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: 0, width, height: Math.min(width === 390 ? 1500 : 1000, await page.evaluate<number>("document.documentElement.scrollHeight")) } });
        expect(statSync(file).size, file).toBeLessThan(200_000);
      }
      for (const [name] of PAGES) expect(wide[name], `${name} at ${width} px`).toBeLessThanOrEqual(width);
      await page.close();
    }, 60_000);
  }

  it("charts: the same label size on desktop and phone, ticks on round hours, the last label inside", async () => {
    const sizes: number[] = [];
    for (const width of WIDTHS) {
      const page = await ctx.newPage();
      await page.setViewportSize({ width, height: 900 });
      await page.goto(web.url);
      const fig = page.locator("#power-today svg:visible");
      expect(await fig.count()).toBe(1);
      const labels = await fig.locator("text").evaluateAll((els) => els.map((e) => { const r = e.getBoundingClientRect(); return { text: e.textContent, h: r.height, right: r.right, left: r.left }; }));
      const box = await fig.evaluate((e) => e.getBoundingClientRect().toJSON());
      const times = labels.filter((l) => /^\d\d:\d\d$/.test(l.text ?? ""));
      expect(times.length).toBeGreaterThanOrEqual(3);
      for (const l of times) expect(l.text).toMatch(/:00$/);
      expect(times[times.length - 1].text).toBe("24:00");
      for (const l of labels) {
        expect(l.left).toBeGreaterThanOrEqual(box.left - 0.5);
        expect(l.right).toBeLessThanOrEqual(box.right + 0.5);
      }
      sizes.push(Math.max(...labels.map((l) => l.h)));
      await page.close();
    }
    expect(sizes[0]).toBeGreaterThan(12);
    expect(Math.abs(sizes[0] - sizes[1]) / sizes[0]).toBeLessThan(0.15);
  });
});
