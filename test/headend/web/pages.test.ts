// The fleet page's HTML without a browser: the pager's links at 10,000 meters, a stale value shown
// as last known, and the fleet chart drawn from complete 10-min buckets only.
import { describe, expect, it } from "vitest";
import { ago, completeBuckets, fleetPage, meterPage, powerNow, type FleetPageData } from "../../../hosts/headend/web/pages";
import type { MeterSummary } from "../../../hosts/headend/store/store";

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
