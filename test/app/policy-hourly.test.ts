// The small policy (no LoadController) with an hourly price table: a load scheduled 20 min into
// its cheapest hour is inside its planned slot and must not be held off (the slot length comes from
// the table; a fixed 15 min held it until the next hour's plan).
import { describe, expect, it } from "vitest";
import { AggregatorApp, type AggregatorPorts } from "../../modules/app/aggregator-app";
import { DirectLink } from "../../modules/app/direct-link";
import { HOUR, MINUTE } from "../../modules/core/clock";
import type { PriceSlot } from "../../modules/core/household";
import { VirtualClock } from "../../modules/core/virtual-clock";

const START = Date.UTC(2026, 2, 20, 20);

function app(relayOn: boolean, cheapest = 0) {
  const clock = new VirtualClock(START + 20 * MINUTE);
  // Hourly prices: hour `cheapest` (0 = the current one) is the cheapest of the next six.
  const prices: PriceSlot[] = Array.from({ length: 6 }, (_, k) => ({ start: START + k * HOUR, durationMs: HOUR, importMinorPerKWh: k === cheapest ? 5 : 30 + k, exportMinorPerKWh: 5, renewableShare: 0 }));
  const ports: AggregatorPorts = {
    setRelay: () => {},
    relay: () => relayOn,
    loadPowerW: () => 0,
    prices: () => prices,
    grid: (t) => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: t, pricesStale: false }),
  };
  const a = new AggregatorApp(clock, new DirectLink(), ports, { slaveIds: [], loads: [{ id: "ev", name: "EV charger", meterId: 1, kind: "deferrable", priority: 1 }] });
  return a;
}

describe("policy seam with hourly prices", () => {
  it("starts a load inside its first planned hour instead of holding it", () => {
    const a = app(true);
    const r = a.scheduleLoad("ev", 30 * MINUTE, START + 6 * HOUR, "user");
    expect(r).toMatchObject({ ok: true, startAt: START });
    expect(a.decisions.filter((d) => d.load === "ev" && /held until/.test(d.reason))).toEqual([]);
  });
  it("holds a running load whose cheapest hour is the next one (the check can fail)", () => {
    const a = app(true, 1);
    const r = a.scheduleLoad("ev", 30 * MINUTE, START + 6 * HOUR, "user");
    expect(r).toMatchObject({ ok: true, startAt: START + HOUR });
    expect(a.decisions.filter((d) => d.load === "ev" && /held until/.test(d.reason))).toHaveLength(1);
  });
});
