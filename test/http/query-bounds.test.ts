// Issue 14 item 2 and 10 (CSV): /query is bounded by what is stored, not by what is asked, and its
// CSV cannot carry a formula into a spreadsheet.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { DemoHousehold } from "../../modules/app/demo-household";
import { DEFAULT_QUERY_BOUNDS, csvCell, csvLine, runQuery } from "../../modules/http/query";
import { DAY, MINUTE } from "../../modules/core/clock";
import type { Household } from "../../modules/core/household";
import { demoServer, raw, statuses } from "./fixture";
import type { WebServer } from "../../hosts/node/http/serve";

const ISSUE = "select=[total.watts,meter:1.watts]&begin=y-9999y&end=y%2B9999y&group=all";

/** The household, with every history() call's span in stored steps recorded. */
function spied(): { hh: Household; spans: number[]; now: number } {
  const clock = new VirtualClock(Date.UTC(2026, 2, 4, 12, 30));
  const demo = new DemoHousehold(clock);
  for (let t = 0; t < 90; t++) {
    clock.advance(MINUTE);
    demo.tick();
  }
  const spans: number[] = [];
  const hh: Household = Object.create(demo.store);
  hh.history = (series, from, to, step) => {
    spans.push((to - from) / MINUTE);
    return demo.store.history(series, from, to, step);
  };
  return { hh, spans, now: clock.now() };
}

const params = (q: string): Map<string, string> => new Map(new URLSearchParams(q));

describe("/query bounds", () => {
  it("the issue's ten-thousand-year group=all asks history for at most the stored week", () => {
    const { hh, spans, now } = spied();
    const r = runQuery(hh, params(ISSUE), now);
    if (typeof r === "string") throw new Error(r);
    // Before the clamp this asked for ~1.05e10 minutes (20,000 years); now the loop is sized by the store.
    expect(Math.max(...spans)).toBeLessThanOrEqual(DEFAULT_QUERY_BOUNDS.retainedMs / MINUTE);
    expect(r.clamped).toBe(true);
    expect(r.end).toBe(now);
    expect(r.begin).toBe(now - 7 * DAY);
    expect(r.rows).toHaveLength(1);
    expect(Number.isFinite(r.rows[0][0])).toBe(true); // the mean of the 90 recorded minutes, not a null
  });

  it("a span wholly outside the stored history is refused with the reason; a finer group than stored runs no bigger loop", () => {
    const { hh, spans, now } = spied();
    expect(runQuery(hh, params("select=[total.watts]&begin=2001-01-01&end=2001-02-01"), now)).toMatch(/nothing stored.*168 h/);
    expect(runQuery(hh, params("select=[total.watts]&begin=d-7d&group=1s"), now)).toMatch(/too many points/);
    expect(runQuery(hh, params("select=[total.watts]&begin=y-9999y&end=y%2B9999y&group=auto"), now)).not.toBeTypeOf("string");
    expect(Math.max(...spans)).toBeLessThanOrEqual(7 * 24 * 60);
    // The bounds are configured: a smaller store answers within its own span.
    const r = runQuery(hh, params("select=[total.watts]&begin=d-7d&group=all"), now, { retainedMs: 3600_000, stepMs: MINUTE });
    if (typeof r === "string") throw new Error(r);
    expect(r.end - r.begin).toBe(3600_000);
  });

  it("columns are series the meter has: a formula is refused as a column", () => {
    const { hh, now } = spied();
    expect(runQuery(hh, new Map([["select", '[=HYPERLINK("http://evil").watts]']]), now)).toMatch(/unknown column/);
    expect(runQuery(hh, new Map([["select", "[@SUM(A1).wh]"]]), now)).toMatch(/unknown column/);
  });
});

describe("CSV cells (OWASP CSV injection)", () => {
  it("text starting with = + - @ tab or CR gets a leading quote; quotes and commas are RFC 4180-quoted; numbers stay numbers", () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    for (const c of ["+1", "-1+2", "@A1", "\tx", "\rx"]) expect(csvCell(c).replace(/^"/, "")[0], JSON.stringify(c)).toBe("'");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell("time.iso")).toBe("time.iso");
    expect(csvCell(-5.25)).toBe("-5.25");
    expect(csvCell(null)).toBe("");
    expect(csvLine(["=1+1", 3, null])).toBe("'=1+1,3,\n");
  });
});

describe("/query over HTTP", () => {
  let web: WebServer;
  beforeAll(async () => {
    ({ web } = await demoServer({}, 30));
  });
  afterAll(() => web.close());

  it("the issue's URL answers at once with a clamped range; the owner's page is served next", async () => {
    const text = await raw(web.port, `GET /query?${ISSUE}&format=csv HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(statuses(text)).toEqual([200]);
    expect(text).toMatch(/X-Query-Range: \d{4}-\d\d-\d\dT[\d:.]+Z\/\d{4}/);
    expect(text).toMatch(/total\.watts,meter:1\.watts/);
    expect((await fetch(web.url)).status).toBe(200);
    const bad = await fetch(`${web.url}query?select=[total.watts]&begin=1990-01-01&end=1990-01-02`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/nothing stored/);
  });
});
