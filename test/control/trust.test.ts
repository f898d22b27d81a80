// Load control a household can trust (issue 15 item 5), on the LoadController: the issue's
// "EV 2 h by 06:30 tomorrow" with prices known until midnight waits for prices (reason shown,
// fallback at 04:30) instead of starting now at 40 c; the next day's prices replan it into
// the cheap slots; with none it starts at the latest start and still meets the deadline. A
// manual switch holds against the price policy for its hold period; a plan can be cancelled;
// a running load replanned later is switched off until its new start.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import type { PriceSlot } from "../../modules/core/household";
import type { Relay } from "../../modules/core/ports";
import { LoadController } from "../../modules/control/controller";

const DAY0 = Date.UTC(2026, 2, 2);
const H = 3600_000, MIN = 60_000, Q = 15 * MIN;
const relay = (): Relay => { let s = false; return { set: (v: boolean) => void (s = v), get: () => s }; };

/** Quarter hours of day `d` (0 = today): 40 c, except 10 c from 08:00 to 12:00. */
function day(d: number): PriceSlot[] {
  const out: PriceSlot[] = [];
  for (let i = 0; i < 96; i++) {
    const start = DAY0 + d * 24 * H + i * Q;
    const h = (start % (24 * H)) / H;
    out.push({ start, durationMs: Q, importMinorPerKWh: h >= 8 && h < 12 ? 10 : 40, exportMinorPerKWh: 5, renewableShare: 0 });
  }
  return out;
}

function controller(at: number) {
  const clock = new VirtualClock(at);
  const c = new LoadController(clock, { limitW: 20_000, manualHoldMs: 30 * MIN });
  const ev = relay(), boiler = relay();
  c.addLoad({ id: "ev", name: "EV charger", kind: "deferrable", powerW: 7000, priority: 2 }, ev);
  c.addLoad({ id: "boiler", name: "Boiler", kind: "switchable", powerW: 3000, priority: 3, maxPriceMinorPerKWh: 20 }, boiler);
  return { clock, c, ev, boiler, view: (id: string) => c.loadViews().find((v) => v.id === id)! };
}

const run = (clock: VirtualClock, c: LoadController, ms: number) => { for (let t = 0; t < ms; t += MIN) { c.step(0); clock.advance(MIN); } };

describe("deferrable runs only into known prices", () => {
  it("EV 2 h by 06:30 tomorrow at 06:24 with prices to midnight: waits (reason, fallback 04:30); tomorrow's prices replan it into 10 c slots", () => {
    const { clock, c, ev, view } = controller(DAY0 + 6 * H + 24 * MIN);
    c.setPrices(day(0), DAY0);
    const deadline = DAY0 + 24 * H + 6.5 * H;
    const r = c.schedule("ev", 2 * H, deadline, "user");
    expect(r).toEqual({ ok: true, startAt: deadline - 2 * H });
    // the deadline lies past the last known price: it waits for prices (what comes after midnight is not known)
    expect(view("ev").run).toMatchObject({ state: "waiting" });
    expect(view("ev").run!.reason).toMatch(/known until 00:00 UTC, the deadline is later; starts 04:30 UTC at the latest/);
    expect(c.decisions().at(-1)).toMatchObject({ action: "wait", actor: "user" });
    run(clock, c, 30 * MIN);
    expect(ev.get()).toBe(false); // not "start now at 40 c"
    c.setPrices([...day(0), ...day(1)], clock.now()); // tomorrow published
    c.step(0);
    expect(view("ev").run).toMatchObject({ state: "planned", startAt: DAY0 + 8 * H });
    expect(c.decisions().at(-1)!.reason).toMatch(/prices arrived: cheapest window of known prices.*mean 10\.0 per kWh.*starts 08:00 UTC/);
  });

  it("no prices come: starts at the latest start (04:30) and finishes by the deadline", () => {
    const { clock, c, ev, view } = controller(DAY0 + 20 * H);
    c.setPrices(day(0), DAY0);
    const deadline = DAY0 + 24 * H + 6.5 * H;
    c.schedule("ev", 2 * H, deadline, "cloud");
    run(clock, c, 8.5 * H - MIN); // to 04:29
    expect(ev.get()).toBe(false);
    run(clock, c, 2 * MIN);
    expect(ev.get()).toBe(true);
    expect(view("ev").run).toMatchObject({ state: "running", reason: expect.stringMatching(/latest time that meets it/) });
    run(clock, c, 2 * H);
    expect(ev.get()).toBe(false);
    expect(view("ev").run!.state).toBe("done");
    const off = c.decisions().at(-1)!;
    expect(off).toMatchObject({ action: "off", reason: "run done" });
    expect(off.t).toBeLessThanOrEqual(deadline);
  });

  it("a deadline within known prices: the cheapest known window; replanning a running run later switches it off until then", () => {
    const { clock, c, ev, view } = controller(DAY0 + 7 * H + 50 * MIN);
    c.setPrices(day(0), DAY0);
    c.schedule("ev", 2 * H, DAY0 + 13 * H, "user");
    expect(view("ev").run).toMatchObject({ state: "planned", startAt: DAY0 + 8 * H });
    run(clock, c, 20 * MIN);
    expect(ev.get()).toBe(true);
    expect(view("ev").run!.state).toBe("running");
    // replanned to after the cheap hours' end is impossible; replanned with a later deadline: the window is now (still cheap)
    c.setPrices(day(0).map((s) => ({ ...s, importMinorPerKWh: s.start >= DAY0 + 10 * H && s.start < DAY0 + 12 * H ? 5 : s.importMinorPerKWh })), clock.now());
    c.schedule("ev", 2 * H, DAY0 + 13 * H, "cloud");
    expect(view("ev").run).toMatchObject({ state: "planned", startAt: DAY0 + 10 * H });
    expect(ev.get()).toBe(false); // shown planned, and really off
    expect(view("ev").on).toBe(false);
  });
});

describe("manual switch and cancel", () => {
  it("a manual on is not overridden by the price policy for its hold; after it, the policy decides again", () => {
    const { clock, c, boiler, view } = controller(DAY0 + 6 * H);
    c.setPrices(day(0), DAY0); // 40 c: the policy wants the boiler off
    c.switchLoad("boiler", true, "user");
    expect(view("boiler").hold).toMatchObject({ on: true, until: DAY0 + 6.5 * H, actor: "user" });
    expect(c.decisions().at(-1)!.reason).toMatch(/switched on by user; the policy leaves it until 06:30 UTC/);
    run(clock, c, 29 * MIN);
    expect(boiler.get()).toBe(true);
    run(clock, c, 2 * MIN);
    expect(boiler.get()).toBe(false);
    expect(view("boiler").hold).toBeUndefined();
  });

  it("cancel: a waiting or running plan goes, a running load is switched off; nothing to cancel is an error", () => {
    const { clock, c, ev, view } = controller(DAY0 + 7 * H + 50 * MIN);
    c.setPrices(day(0), DAY0);
    expect(c.cancel("ev", "user")).toEqual({ ok: false, error: "EV charger has no plan to cancel" });
    c.schedule("ev", 2 * H, DAY0 + 12 * H);
    run(clock, c, 20 * MIN);
    expect(ev.get()).toBe(true);
    expect(c.cancel("ev", "user")).toEqual({ ok: true });
    expect(ev.get()).toBe(false);
    expect(view("ev").run).toBeUndefined();
    run(clock, c, 60 * MIN);
    expect(ev.get()).toBe(false);
    // a manual switch cancels the plan too
    c.schedule("ev", 1 * H, DAY0 + 12 * H);
    c.switchLoad("ev", false, "display");
    expect(view("ev").run).toBeUndefined();
    expect(c.decisions().some((d) => d.action === "cancel" && /switched by hand/.test(d.reason))).toBe(true);
  });
});
