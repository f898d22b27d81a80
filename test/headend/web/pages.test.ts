// The fleet page's HTML without a browser: the pager's links at 10,000 meters, a stale value shown
// as last known, and the fleet chart drawn from complete 10-min buckets only.
import { describe, expect, it } from "vitest";
import { ago, completeBuckets, fleetPage, meterPage, powerNow, type FleetPageData } from "../../../hosts/headend/web/pages";
import type { MeterSummary } from "../../../hosts/headend/store/store";
import { duration, eventCells, eventsTable } from "../../../hosts/headend/web/events-table";

const NOW = Date.UTC(2026, 11, 3, 12, 5);
const session = { id: "x", user: "olga", role: "operator" as const, csrf: "c", lastUsed: NOW };
const meter = (k: number): MeterSummary => ({ node: `n-${k}`, meterId: 1, status: "online", lastSeen: NOW - 20_000, powerW: 500 + k, powerAt: NOW - 20_000, alarms: 0 });
const data = (over: Partial<FleetPageData> = {}): FleetPageData => ({
  rows: Array.from({ length: 100 }, (_, k) => meter(k)), matching: 10_000,
  totals: { meters: 10_000, online: 9_000, powerNowW: 5e6, powerNowMeters: 9_000, energyTodayWh: 0, alarms: 0 },
  power: [], energy: [], now: NOW, staleMs: 180_000,
  view: { page: 3, search: "n-", offline: true, alarms: false, sort: "power", desc: true }, ...over,
});

describe("fleet page HTML", () => {
  it("pages 100 at a time and keeps the search, filter and sort in every link", () => {
    const html = fleetPage(data(), session);
    expect(html).toContain("meters 201–300 of 10000 · page 3 of 100");
    expect(html).toContain(`href="/?q=n-&amp;state=offline&amp;sort=power&amp;dir=desc&amp;page=2" rel="prev"`);
    expect(html).toContain(`href="/?q=n-&amp;state=offline&amp;sort=power&amp;dir=desc&amp;page=4" rel="next"`);
    expect(html).toContain(`href="/fleet.csv?q=n-&amp;state=offline&amp;sort=power&amp;dir=desc"`);
    expect((html.match(/<tr><td>/g) ?? []).length).toBe(100);
    expect(html).toContain("9000 of 10000 meters online");
    // the last page has no "next", the first no "previous"
    expect(fleetPage(data({ view: { ...data().view, page: 100 } }), session)).not.toContain('rel="next"');
    expect(fleetPage(data({ view: { ...data().view, page: 1 } }), session)).not.toContain('rel="prev"');
  });

  it("escapes a search that is markup", () => {
    const html = fleetPage(data({ view: { ...data().view, search: `"><script>x</script>` } }), session);
    expect(html).not.toContain("<script>x");
    expect(html).toContain("&lt;script&gt;");
  });

  it("shows an offline or old value as last known with its age, a fresh online one as now", () => {
    const m = meter(40);
    expect(powerNow(m, "online", NOW, 180_000)).toBe("540 W");
    expect(powerNow(m, "offline", NOW, 180_000)).toContain("last known 540 W, 20 s ago");
    expect(powerNow({ ...m, powerAt: NOW - 3 * 3_600_000 }, "online", NOW, 180_000)).toContain("last known 540 W, 3 h ago");
    expect(ago(NOW - 5 * 60_000, NOW)).toBe("5 min ago");
    expect(ago(undefined, NOW)).toBe("never");
  });

  it("draws complete 10-min buckets only: the one still filling is not a drop at the right edge", () => {
    // buckets start at :00 … :50 and 12:00; at 12:05 the 12:00 bucket is half full (a fraction of the meters reported)
    const power = Array.from({ length: 7 }, (_, k) => ({ t: Date.UTC(2026, 11, 3, 11, 0) + k * 600_000, v: k === 6 ? 100 : 5e6 }));
    expect(completeBuckets(power, NOW).map((p) => p.t)).toEqual(power.slice(0, 6).map((p) => p.t));
    const html = fleetPage(data({ power }), session);
    const line = /<polyline[^>]*points="([^"]+)"/.exec(html)![1].split(" ");
    expect(line).toHaveLength(6);
    expect(new Set(line.map((xy) => xy.split(",")[1])).size).toBe(1); // flat: no fall at the end
  });

  it("the meter page's power chart too draws complete 10-min buckets only", () => {
    const power = Array.from({ length: 7 }, (_, k) => ({ t: Date.UTC(2026, 11, 3, 11, 0) + k * 600_000, v: k === 6 ? 100 : 500 }));
    const html = meterPage({ m: meter(1), live: "online", staleMs: 180_000, power, energy: [], pq: [], events: [], downlinks: [], codes: [], now: NOW }, session);
    const line = /<polyline[^>]*points="([^"]+)"/.exec(html)![1].split(" ");
    expect(line).toHaveLength(6);
    expect(new Set(line.map((xy) => xy.split(",")[1])).size).toBe(1);
  });
});

describe("the meter page's events table", () => {
  const ev = (type: string, body: Record<string, unknown>, t = NOW - 3_600_000) => ({ node: "n", meterId: 1, boot: 3, seq: 7, t, type, body: JSON.stringify({ boot: 3, seq: 7, t, type, meterId: 1, start: t, ...body }) });
  it("reads each event as kind, phase, duration and voltage with units, UTC start, EN 50160 cell — not its JSON or epoch ms", () => {
    const html = eventsTable([
      ev("dip", { meters: [1, 2], phase: 1, durationMs: 120, extremeV: 150.44, cell: "70-40%/0.1-0.2s" }),
      ev("swell", { meters: [1], phase: 2, durationMs: 2_500, extremeV: 253.1, cell: "120-110%/0.5-5s" }),
      ev("interruption", { meters: [1], phase: 3, durationMs: 0, extremeV: null, cell: null, cellReason: "depth and duration not reported" }),
      ev("<b>odd</b>", { durationMs: 185_000 }),
    ]);
    const rows = [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g)].map((c) => c[1].replace(/<[^>]+>/g, "")));
    expect(rows[0]).toEqual(["Start (UTC)", "Kind", "Phase", "Duration", "Voltage", "EN 50160 class", "Seen by meters"]);
    expect(rows[1]).toEqual(["2026-12-03 11:05:00", "Dip", "L1", "120 ms", "150.4 V residual", "70-40%/0.1-0.2s", "1, 2"]);
    expect(rows[2]).toEqual(["2026-12-03 11:05:00", "Swell", "L2", "2.50 s", "253.1 V max", "120-110%/0.5-5s", "1"]);
    expect(rows[3]).toEqual(["2026-12-03 11:05:00", "Interruption", "L3", "not reported", "not reported", "not classified: depth and duration not reported", "1"]);
    expect(rows[4].slice(1, 4)).toEqual(["&lt;b&gt;odd&lt;/b&gt;", "not reported", "3 min 5 s"]); // an unknown kind, escaped
    expect(html).not.toMatch(/\{|"durationMs"|\d{13}/);
    expect(eventsTable([])).toContain("No power-quality events");
  });

  it("says so when an event's body is not an object", () => {
    expect(eventCells({ node: "n", meterId: 4, boot: 1, seq: 1, t: NOW, type: "dip", body: "@SUM(1)" })).toEqual(["Dip", expect.stringContaining("not reported"), expect.stringContaining("not reported"), expect.stringContaining("not reported"), expect.stringContaining("not reported"), "4"]);
    expect([999, 9_999, 59_999, 60_000].map(duration)).toEqual(["999 ms", "10.0 s", "1 min 0 s", "1 min 0 s"]);
  });
});
