// AggregatorApp.pricesAt: the utility's table laid over the feed's prices, and the
// overlay cache follows a feed that changes its prices for the same span (new slot
// objects) instead of serving the old ones.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { AggregatorApp } from "../../modules/app/aggregator-app";
import { DirectLink } from "../../modules/app/direct-link";
import type { PriceSlot } from "../../modules/core/household";

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
});
