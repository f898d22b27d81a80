// AggregatorApp.pricesAt: the utility's table laid over the feed's prices, and the
// overlay cache follows a feed that changes its prices for the same span (new slot
// objects) instead of serving the old ones.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { AggregatorApp } from "../../modules/app/aggregator-app";
import { DirectLink } from "../../modules/app/direct-link";
import type { PriceSlot } from "../../modules/core/household";
import { LoadController } from "../../modules/control/controller";

const T0 = Date.UTC(2026, 2, 20);
const Q = 900_000;

describe("price overlay", () => {
  it("replaces the covered slots, keeps the rest, and follows a changing feed", () => {
    const clock = new VirtualClock(T0);
    let feedPrice = 30;
    let feed: PriceSlot[] = [];
    const build = () => (feed = Array.from({ length: 96 }, (_, k) => ({ start: T0 + k * Q, durationMs: Q, importMinorPerKWh: feedPrice, exportMinorPerKWh: 8, renewableShare: 0 })));
    build();
    const app = new AggregatorApp(clock, new DirectLink(), {
      setRelay() {}, relay: () => false, loadPowerW: () => 0,
      prices: () => feed.slice(), // a new array of the same slot objects, like the sim's feed
      grid: () => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: T0, pricesStale: false }),
    }, { slaveIds: [], loads: [] });
    const table = [4, 5, 6].map((k) => ({ start: T0 + k * Q, durationMs: Q, importMinorPerKWh: 1, exportMinorPerKWh: 2 }));
    expect(app.applyPriceTable(table)).toEqual({ ok: true });
    const at = (k: number) => app.pricesAt(T0).find((s) => s.start === T0 + k * Q)!.importMinorPerKWh;
    expect([at(3), at(4), at(5), at(6), at(7)]).toEqual([30, 1, 1, 1, 30]);
    expect(app.pricesAt(T0)).toHaveLength(96);
    feedPrice = 40;
    build(); // the feed re-publishes the same day at other prices
    expect([at(3), at(4), at(7)]).toEqual([40, 1, 40]);
    expect(app.applyPriceTable([{ ...table[0], importMinorPerKWh: Infinity }]).error).toMatch(/slot 0: importMinorPerKWh/);
    expect(at(4)).toBe(1); // a refused table changes nothing
  });

  it("an hourly table over a quarter-hour feed: the controller re-plans into the cheapest hour", () => {
    const clock = new VirtualClock(T0 + 20 * 3600_000); // 20:00
    const feed: PriceSlot[] = Array.from({ length: 2 * 96 }, (_, k) => ({ start: T0 + k * Q, durationMs: Q, importMinorPerKWh: 30, exportMinorPerKWh: 8, renewableShare: 0 }));
    const controller = new LoadController(clock, { limitW: 11_000 });
    let on = false;
    controller.addLoad({ id: "ev", name: "EV", kind: "deferrable", powerW: 3700, priority: 2 }, { set: (v) => { on = v; }, get: () => on });
    const app = new AggregatorApp(clock, new DirectLink(), {
      setRelay() {}, relay: () => false, loadPowerW: () => 0,
      prices: () => feed,
      grid: () => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: T0, pricesStale: false }),
    }, { slaveIds: [], loads: [{ id: "ev", name: "EV", meterId: 1, kind: "deferrable", priority: 2 }], controller });
    controller.setPrices(feed, T0);
    const deadline = T0 + 31 * 3600_000; // 07:00 next day
    expect(app.scheduleLoad("ev", 2 * 3600_000, deadline, "user").ok).toBe(true);
    // hourly table from 21:00 to 07:00: 40 ct, except 2 ct from 02:00 to 04:00
    const H = 3600_000;
    const table = Array.from({ length: 10 }, (_, k) => {
      const start = T0 + (21 + k) * H;
      return { start, durationMs: H, importMinorPerKWh: start >= T0 + 26 * H && start < T0 + 28 * H ? 2 : 40, exportMinorPerKWh: 5 };
    });
    expect(app.applyPriceTable(table)).toEqual({ ok: true });
    const run = controller.loadViews().find((v) => v.id === "ev")!.run!;
    expect(run.startAt).toBe(T0 + 26 * H);
    expect(run.state).toBe("planned");
    const merged = app.pricesAt(clock.now());
    expect(merged.filter((s) => s.durationMs === H)).toHaveLength(10);
    expect(merged.some((s) => s.durationMs === Q && s.start >= T0 + 21 * H && s.start < T0 + 31 * H)).toBe(false);
  });
});
