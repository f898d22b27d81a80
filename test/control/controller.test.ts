import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import type { PriceSlot } from "../../modules/core/household";
import type { Relay } from "../../modules/core/ports";
import { LoadController } from "../../modules/control/controller";

const T0 = Date.UTC(2026, 2, 2);
const H = 3600_000;
const relay = (): Relay & { flips: number } => {
  let s = false;
  const r = { flips: 0, set(v: boolean) { if (v !== s) r.flips++; s = v; }, get: () => s };
  return r;
};
const hourly = (prices: number[], shares: number[] = []): PriceSlot[] =>
  prices.map((p, i) => ({ start: T0 + i * H, durationMs: H, importMinorPerKWh: p, exportMinorPerKWh: 5, renewableShare: shares[i] ?? 0 }));

describe("LoadController", () => {
  it("sheds by priority over the limit and restores with hysteresis and min off time", () => {
    const clock = new VirtualClock(T0);
    const c = new LoadController(clock, { limitW: 10000, hysteresisW: 500 });
    const heater = relay(), ev = relay();
    c.addLoad({ id: "heater", name: "Heater", kind: "switchable", powerW: 2000, priority: 1, minOffMs: 60_000 }, heater);
    c.addLoad({ id: "ev", name: "EV", kind: "switchable", powerW: 7000, priority: 5 }, ev);
    c.switchLoad("heater", true, "user");
    c.switchLoad("ev", true, "user");
    c.step(11000);
    expect(heater.get()).toBe(false); // lowest priority first, 2000 W covers the 1000 W excess
    expect(ev.get()).toBe(true);
    clock.advance(10_000);
    c.step(9000); // room 500 W only
    expect(heater.get()).toBe(false);
    clock.advance(10_000);
    c.step(6000); // room but min off time not over
    expect(heater.get()).toBe(false);
    clock.advance(60_000);
    c.step(6000);
    expect(heater.get()).toBe(true);
    const d = c.decisions().map((x) => x.action);
    expect(d).toEqual(["on", "on", "shed", "restore"]);
    expect(c.decisions()[2].reason).toMatch(/11000 W over the limit 10000 W/);
  });

  it("schedules a deferrable run into the cheapest window preferring renewables, before the deadline", () => {
    const clock = new VirtualClock(T0);
    const c = new LoadController(clock, { limitW: 20000, renewableWeight: 0.5 });
    const wm = relay();
    c.addLoad({ id: "wm", name: "Washing machine", kind: "deferrable", powerW: 2000, priority: 3 }, wm);
    // Hours 2–3 cost 20 (no renewables); hours 5–6 cost 24 with 60 % renewables → 24 × 0.7 = 16.8, cheaper.
    // Hours 8–9 cost 10 but are past the deadline.
    c.setPrices(hourly([30, 30, 20, 20, 30, 24, 24, 30, 10, 10], [0, 0, 0, 0, 0, 0.6, 0.6]));
    const r = c.schedule("wm", 2 * H, T0 + 8 * H);
    expect(r.startAt).toBe(T0 + 5 * H);
    for (let m = 0; m < 9 * 60; m++) { clock.advance(60_000); c.step(1000); }
    expect(c.loadViews()[0].run!.state).toBe("done");
    const on = c.decisions().filter((d) => d.load === "wm" && d.action === "on");
    expect(on.map((d) => d.t)).toEqual([T0 + 5 * H]);
    expect(c.schedule("wm", 2 * H, clock.now() + H).ok).toBe(false);
  });

  it("falls back safely when prices are stale, and minimum on time stops flapping", () => {
    const clock = new VirtualClock(T0);
    const c = new LoadController(clock, { limitW: 20000, staleAfterMs: 24 * H });
    const boiler = relay(), wm = relay();
    c.addLoad({ id: "boiler", name: "Boiler", kind: "switchable", powerW: 3000, priority: 2, maxPriceMinorPerKWh: 20, fallbackOn: true, minOnMs: 2 * H, minOffMs: 0 }, boiler);
    c.addLoad({ id: "wm", name: "WM", kind: "deferrable", powerW: 2000, priority: 3 }, wm);
    // Price alternates cheap/expensive every 15 minutes.
    const slots: PriceSlot[] = [];
    for (let i = 0; i < 96; i++) slots.push({ start: T0 + i * 15 * 60_000, durationMs: 15 * 60_000, importMinorPerKWh: i % 2 ? 35 : 15, exportMinorPerKWh: 5, renewableShare: 0 });
    c.setPrices(slots, T0);
    for (let m = 0; m < 6 * 60; m++) { c.step(1000); clock.advance(60_000); }
    // 24 price changes in 6 h, but the boiler may switch off only after 2 h on.
    expect(boiler.flips).toBeLessThanOrEqual(6);
    expect(boiler.flips).toBeGreaterThan(1);
    clock.advance(30 * H); // prices now stale
    c.step(1000);
    expect(c.grid().pricesStale).toBe(true);
    expect(boiler.get()).toBe(true);
    // Stale prices: the run waits for prices, at the latest start that meets the deadline (not now at any price).
    const r = c.schedule("wm", H, clock.now() + 10 * H);
    expect(r.startAt).toBe(clock.now() + 9 * H);
    expect(c.loadViews().find((v) => v.id === "wm")!.run).toMatchObject({ state: "waiting", reason: expect.stringMatching(/waiting for prices \(stale\)/) });
    expect(wm.get()).toBe(false);
    c.step(1000);
    expect(wm.get()).toBe(false);
  });

  it("runs the co-generator heat-led and stops it on a fault", () => {
    const clock = new VirtualClock(T0);
    const c = new LoadController(clock, { limitW: 20000 });
    const chp = relay();
    c.addLoad({ id: "chp", name: "CHP", kind: "generator", powerW: 1000, priority: 9, minThermalW: 2000, minOnMs: H }, chp);
    c.setCogenerator("running", 5000);
    c.step(0);
    expect(chp.get()).toBe(true);
    expect(c.loadViews()[0].powerW).toBe(-1000);
    c.setCogenerator("running", 500);
    clock.advance(10 * 60_000);
    c.step(0);
    expect(chp.get()).toBe(true); // min on time
    c.setCogenerator("fault", 5000);
    c.step(0);
    expect(chp.get()).toBe(false);
    expect(c.decisions().at(-1)!.reason).toBe("co-generator fault");
  });
});
