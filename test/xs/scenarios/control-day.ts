// XS conformance: a day of load decisions (limiter, deferrable runs, co-generator, prices going stale).
import { VirtualClock } from "../../../modules/core/virtual-clock";
import type { PriceSlot } from "../../../modules/core/household";
import { LoadController } from "../../../modules/control/controller";

export function run(): unknown {
  const t0 = Date.UTC(2026, 5, 1);
  const clock = new VirtualClock(t0);
  const c = new LoadController(clock, { limitW: 11000, hysteresisW: 500, staleAfterMs: 20 * 3600_000 });
  const relays: Record<string, boolean> = {};
  const relay = (id: string) => ({ set(v: boolean) { relays[id] = v; }, get: () => relays[id] ?? false });
  c.addLoad({ id: "boiler", name: "Boiler", kind: "switchable", powerW: 3000, priority: 2, maxPriceMinorPerKWh: 22, minRenewableShare: 0.7, fallbackOn: true, minOnMs: 3600_000, minOffMs: 1800_000 }, relay("boiler"));
  c.addLoad({ id: "wm", name: "Washing machine", kind: "deferrable", powerW: 2000, priority: 4 }, relay("wm"));
  c.addLoad({ id: "ev", name: "EV charger", kind: "switchable", powerW: 7400, priority: 1, minOffMs: 600_000 }, relay("ev"));
  c.addLoad({ id: "chp", name: "Micro-CHP", kind: "generator", powerW: 1000, priority: 9, minThermalW: 1500, minOnMs: 3600_000, minOffMs: 1800_000 }, relay("chp"));
  const slots: PriceSlot[] = [];
  for (let i = 0; i < 96; i++) {
    const h = i / 4;
    const sun = h > 8 && h < 17 ? Math.sin(((h - 8) / 9) * Math.PI) : 0;
    // Shares rounded to 3 decimals so both engines see identical inputs.
    slots.push({ start: t0 + i * 900_000, durationMs: 900_000, importMinorPerKWh: 28 - Math.round(sun * 12) + (h >= 17 && h < 21 ? 10 : 0), exportMinorPerKWh: 6, renewableShare: Math.round(sun * 1000) / 1000 });
  }
  c.setPrices(slots, t0);
  c.schedule("wm", 2 * 3600_000, t0 + 20 * 3600_000);
  c.switchLoad("ev", true, "user");
  for (let m = 0; m < 26 * 60; m++) {
    const h = m / 60;
    c.setCogenerator(h > 25 ? "fault" : "running", h < 7 || h > 19 ? 4000 : 800);
    const on = c.loadViews().reduce((s, l) => s + (l.on && l.powerW > 0 ? l.powerW : 0), 0);
    c.step(600 + on);
    clock.advance(60_000);
  }
  return { decisions: c.decisions().map((d) => [Math.round((d.t - t0) / 60_000), d.load, d.action, d.reason]), loads: c.loadViews(), grid: c.grid() };
}
