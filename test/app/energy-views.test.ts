// Energy everywhere from the meters' counters, cost at the prices it was booked at, and the
// day's figures on every view adding up to the bill to the cent: a household of two slaves
// (one with PV export) on quarter-hour prices, one meter off the bus for 20 minutes, on a
// virtual clock months away from the wall clock, served by the real web server on the wall
// clock (as a --speed run does). The Energy page, /api/energy, /query and the snapshot are
// each summed and compared with the bill; a wall-clock page would show nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { AggregatorApp } from "../../modules/app/aggregator-app";
import { DirectLink } from "../../modules/app/direct-link";
import { SlaveApp } from "../../modules/app/slave-app";
import { emptyReadings, type MeterFrontEnd, type MeterReadings } from "../../modules/app/readings";
import type { EnergyBucket, HouseholdSnapshot, PriceSlot } from "../../modules/core/household";
import { startWebServer, type WebServer } from "../../hosts/node/http/serve";
import { nodeClock } from "../../hosts/node/node-clock";

const DAY0 = Date.UTC(2026, 2, 20);
const T0 = DAY0 + 5 * 3_600_000 + 7 * 60_000; // 05:07, inside a slot
const HOUR = 3_600_000, QUARTER = 900_000, MIN = 60_000;

/** A meter whose power follows `w(t)`; its counters integrate it as a slave's registers do. */
class CounterFrontEnd implements MeterFrontEnd {
  private r: MeterReadings = emptyReadings(T0);
  private last = T0;
  constructor(private readonly w: (t: number) => number) {
    this.r.importWh = 12_345.678; // a lifetime's counters: the first answer is the baseline
  }
  measure(now: number): number {
    const p = this.w(now), dt = (now - this.last) / 3_600_000;
    if (p >= 0) this.r.importWh += p * dt;
    else this.r.exportWh += -p * dt;
    this.r.t = this.last = now;
    this.r.powerW = p;
    return 1;
  }
  readings(): MeterReadings { return this.r; }
}

/** Quarter-hour prices that change every slot (so per-slot rounding would drift from the bill). */
function prices(t: number): PriceSlot[] {
  const out: PriceSlot[] = [];
  const day = t - (t % (24 * HOUR));
  for (let s = day; s < day + 24 * HOUR; s += QUARTER) out.push({ start: s, durationMs: QUARTER, importMinorPerKWh: 17.3 + ((s / QUARTER) % 7) * 3.1, exportMinorPerKWh: 6.7, renewableShare: 0.4 });
  return out;
}

let web: WebServer;
let clock: VirtualClock;
let app: AggregatorApp;
let snap: HouseholdSnapshot;

beforeAll(async () => {
  clock = new VirtualClock(T0);
  const link = new DirectLink();
  const house = new SlaveApp(clock, new CounterFrontEnd((t) => 900 + 700 * Math.sin(t / 700_000)), { id: 1 });
  const pv = new SlaveApp(clock, new CounterFrontEnd((t) => 300 - 1500 * Math.max(0, Math.sin((t - T0) / 3_000_000))), { id: 2 });
  for (const s of [house, pv]) {
    link.attach(s);
    s.start();
  }
  app = new AggregatorApp(clock, link, {
    setRelay: () => undefined, relay: () => false, loadPowerW: () => 0, prices,
    grid: () => ({ renewableAvailable: true, renewableShare: 0.4, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: DAY0, pricesStale: false }),
  }, { slaveIds: [1, 2], loads: [] });
  app.start();
  clock.advance(70 * MIN);
  link.setOnBus(2, false); // 20 minutes unheard: its energy comes with its next answer
  clock.advance(20 * MIN);
  link.setOnBus(2, true);
  clock.advance(3 * HOUR + 11 * MIN);
  snap = app.store.snapshot();
  // The server's own timers on the wall clock, the household on its virtual one (--speed).
  web = await startWebServer({ household: app.store, port: 0, clock: nodeClock(), pbkdf2Iterations: 200 });
});
afterAll(() => web?.close());

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe("the day's figures add up to the bill", () => {
  it("the bill is today's, booked at the slot prices; billToDate covers the same booking here", () => {
    expect(snap.t).toBe(clock.now());
    expect(snap.bill.from).toBeGreaterThanOrEqual(DAY0);
    expect(snap.bill.totalMinor).toBeGreaterThan(50);
    expect(snap.billToDate!.totalMinor).toBe(snap.bill.totalMinor);
    expect(snap.exportTodayWh).toBeGreaterThan(100); // the PV exported
    // 4.5 hours booked: no month forecast (it would be these hours × 160); the views show none
    expect(snap.bill.forecastMonthMinor).toBe(0);
  });

  it("hourly and quarter-hour buckets: energy to the mWh, money to the cent", () => {
    for (const step of [QUARTER, HOUR, 24 * HOUR]) {
      const b = app.store.energy(DAY0, DAY0 + 24 * HOUR, step);
      expect(sum(b.map((x) => x.netMinor))).toBe(snap.bill.totalMinor);
      expect(sum(b.map((x) => x.importMinor))).toBe(snap.bill.lines[0].amountMinor);
      expect(-sum(b.map((x) => x.exportMinor))).toBe(snap.bill.lines[1].amountMinor);
      expect(sum(b.map((x) => x.importWh))).toBeCloseTo(snap.energyTodayWh, 1);
      expect(sum(b.map((x) => x.exportWh))).toBeCloseTo(snap.exportTodayWh, 1);
    }
    // For comparison: each quarter hour rounded on its own (it need not add up; printed, not asserted).
    const own = sum(app.store.energy(DAY0, DAY0 + 24 * HOUR, QUARTER).map((x) => Math.round((x.importWh / 1000) * priceAt(x.t)) - Math.round((x.exportWh / 1000) * 6.7)));
    console.log(`energy views: bill ${snap.bill.totalMinor} minor; per-slot rounding would give ${own}; import ${snap.energyTodayWh.toFixed(3)} Wh, export ${snap.exportTodayWh.toFixed(3)} Wh`);
  });

  it("/api/energy (virtual day) sums to the bill", async () => {
    const r = (await (await fetch(`${web.url}api/energy?begin=d&end=d%2B1d&group=h`)).json()) as { buckets: EnergyBucket[]; netMinor: number; begin: number };
    expect(r.begin).toBe(DAY0); // the household's day, not the wall clock's
    expect(r.buckets).toHaveLength(24);
    expect(r.netMinor).toBe(snap.bill.totalMinor);
    expect(sum(r.buckets.map((b) => b.netMinor))).toBe(snap.bill.totalMinor);
    expect((await fetch(`${web.url}api/energy?group=7m`)).status).toBe(400);
    expect((await fetch(`${web.url}api/energy?begin=y-10y&group=15m`)).status).toBe(400);
  });

  it("the Energy page: today's hours and today's row add up to the bill shown beside them", async () => {
    const html = await (await fetch(`${web.url}energy`)).text();
    const section = (title: string) => html.slice(html.indexOf(title), html.indexOf("</table>", html.indexOf(title)));
    const cents = (s: string) => [...s.matchAll(/€(-?\d+\.\d\d)/g)].map((m) => Math.round(Number(m[1]) * 100));
    const hours = cents(section("Today by hour"));
    expect(hours.length).toBeGreaterThanOrEqual(5); // 05:00 … 09:00 of the virtual day
    expect(sum(hours)).toBe(snap.bill.totalMinor);
    expect(cents(section("Per day"))).toEqual([snap.bill.totalMinor]);
    expect(html).toContain(`<th class="n">€${(snap.bill.totalMinor / 100).toFixed(2)}</th>`);
    expect(html).toContain("Today's bill");
    expect(html).not.toContain("Bill to date");
  });

  it("/query total.wh per hour (virtual day) is the booked net energy, from the counters", async () => {
    const r = (await (await fetch(`${web.url}query?select=[time.iso,total.wh,meter:2.wh]&begin=d&end=s&group=h`)).json()) as [string, number | null, number | null][];
    expect(Date.parse(r[0][0])).toBe(DAY0); // the household's day
    const wh = sum(r.map((x) => x[1] ?? 0));
    const booked = sum(app.store.energy(DAY0, DAY0 + 24 * HOUR, HOUR).map((b) => b.importWh - b.exportWh));
    expect(wh).toBeCloseTo(booked, 1); // /query rounds each row
    expect(booked).toBeCloseTo(snap.energyTodayWh - snap.exportTodayWh, 0);
    // meter 2's gap: its hour is partial in the history, its energy still all there
    const m2 = app.store.history("meter:2", T0 + 70 * MIN - (T0 + 70 * MIN) % HOUR, T0 + 70 * MIN - (T0 + 70 * MIN) % HOUR + HOUR, HOUR)[0];
    expect(m2.partial).toBe(true);
    expect(m2.coveredMs).toBeLessThanOrEqual(HOUR - 19 * MIN);
  });

  it("a wall-clock day holds nothing: the page did follow the virtual clock", () => {
    const wall = Date.now();
    const b = app.store.energy(wall - (wall % (24 * HOUR)), wall - (wall % (24 * HOUR)) + 24 * HOUR, HOUR);
    expect(sum(b.map((x) => x.slots))).toBe(0);
  });
});

function priceAt(t: number): number {
  return prices(t).find((p) => p.start === t)!.importMinorPerKWh;
}
