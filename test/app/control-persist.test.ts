// The aggregator's load control across a restart, on the Flash port (NorFlashSim): plans
// (a waiting EV, a running washer), a manual hold and the decisions come back; relays that
// came up off are set again as they were; a flood of switch requests writes the flash at
// the store's pace (≤ 1 record per 5 min), never the requests'; a torn record leaves the
// previous one. The page answering "Switch off" shows the load off with a "Switch on" button.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { AggregatorApp, type LoadInfo } from "../../modules/app/aggregator-app";
import { DirectLink } from "../../modules/app/direct-link";
import { LoadController } from "../../modules/control/controller";
import { ControlStore } from "../../modules/app/control-store";
import type { PriceSlot } from "../../modules/core/household";
import { controlPage } from "../../modules/http/pages";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";

const DAY0 = Date.UTC(2026, 2, 2);
const H = 3_600_000, MIN = 60_000;
const LOADS: LoadInfo[] = [
  { id: "ev", name: "EV charger", meterId: 1, kind: "deferrable", priority: 2 },
  { id: "washer", name: "Washing machine", meterId: 1, kind: "deferrable", priority: 3 },
  { id: "boiler", name: "Boiler", meterId: 1, kind: "switchable", priority: 4 },
];
const prices = (t: number): PriceSlot[] => {
  const day = t - (t % (24 * H));
  return Array.from({ length: 24 }, (_, h) => ({ start: day + h * H, durationMs: H, importMinorPerKWh: h >= 8 && h < 12 ? 10 : 40, exportMinorPerKWh: 5, renewableShare: 0 }));
};

/** An aggregator "booted" on `flash` at the clock's time, its relays off as after a power-up. */
function boot(clock: VirtualClock, flash: NorFlashSim) {
  const relays = new Map<string, boolean>();
  const controller = new LoadController(clock, { limitW: 20_000 });
  for (const l of LOADS) controller.addLoad({ id: l.id, name: l.name, kind: l.kind, powerW: 2000, priority: l.priority, maxPriceMinorPerKWh: l.id === "boiler" ? 20 : undefined }, { set: (on) => void relays.set(l.id, on), get: () => relays.get(l.id) ?? false });
  const app = new AggregatorApp(clock, new DirectLink(), {
    setRelay: (id, on) => void relays.set(id, on), relay: (id) => relays.get(id) ?? false, loadPowerW: () => 0, prices,
    grid: () => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: DAY0, pricesStale: false }),
  }, { slaveIds: [1], loads: LOADS, controller, controlFlash: flash });
  app.start();
  return { app, controller, relays, view: (id: string) => app.store.snapshot().loads.find((l) => l.id === id)! };
}

describe("load control across a restart", () => {
  it("plans, the manual hold and the decisions come back, and the relays are set again", () => {
    const clock = new VirtualClock(DAY0 + 8 * H + 30 * MIN);
    const flash = new NorFlashSim({ size: 4 * 4096 });
    const a = boot(clock, flash);
    clock.advance(1000); // the first policy step hands the controller its prices
    expect(a.app.switchLoad("boiler", false, "user").ok).toBe(true); // off by hand at 10 c
    expect(a.app.scheduleLoad("ev", 2 * H, DAY0 + 24 * H + 6.5 * H, "user")).toMatchObject({ ok: true, startAt: DAY0 + 28.5 * H });
    expect(a.app.scheduleLoad("washer", 1 * H, DAY0 + 12 * H, "user")).toMatchObject({ ok: true, startAt: DAY0 + 8.5 * H + 1000 });
    clock.advance(10 * MIN);
    expect(a.view("washer").run!.state).toBe("running");
    expect(a.relays.get("washer")).toBe(true);
    const before = a.controller.decisions();
    // the price policy's first decision (boiler on at 10 c), then the user's at once: two records 5 min apart
    expect(a.app.controlWrites).toBe(2);
    a.app.stop(); // a power cut: no save call; RAM and relays gone
    clock.advance(2 * MIN);
    const b = boot(clock, flash);
    clock.advance(1000);
    expect(b.view("ev").run).toMatchObject({ state: "waiting", startAt: DAY0 + 28.5 * H });
    expect(b.view("washer").run).toMatchObject({ state: "running", startAt: DAY0 + 8.5 * H + 2000 }); // started at the next policy step
    expect(b.relays.get("washer")).toBe(true);
    expect(b.view("boiler").hold).toMatchObject({ on: false, actor: "user" });
    clock.advance(5 * MIN);
    expect(b.relays.get("boiler") ?? false).toBe(false); // 10 c: the price policy would switch it on; the restored hold wins
    const after = b.controller.decisions();
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.some((d) => d.reason === "run resumed after a restart")).toBe(true);
    // The washer finishes on time in the new boot.
    clock.advance(45 * MIN); // past 09:30:01, the end of its hour
    expect(b.view("washer").run!.state).toBe("done");
    expect(b.relays.get("washer")).toBe(false);
  });

  it("a flood of switch requests writes the flash at the store's pace; a torn record leaves the previous state", () => {
    const clock = new VirtualClock(DAY0 + 9 * H);
    const flash = new NorFlashSim({ size: 4 * 4096 });
    const a = boot(clock, flash);
    for (let k = 0; k < 600; k++) {
      a.app.switchLoad("boiler", k % 2 === 0, "user");
      clock.advance(1000);
    }
    // 10 minutes of a request a second: the first change and at most one per 5 min after it
    expect(a.app.controlWrites).toBeGreaterThanOrEqual(2);
    expect(a.app.controlWrites).toBeLessThanOrEqual(3);
    const good = new ControlStore(flash).load()!;
    for (const at of [100, 4096 + 100]) { // inside the erase, inside the program
      a.app.switchLoad("boiler", true, "display");
      flash.cutAfterBytes(at);
      expect(() => a.app.saveControl()).toThrow(PowerCut);
      flash.reboot();
      expect(new ControlStore(flash).load()).toEqual(good);
    }
  });

  it("the page answering a switch shows the new state: off with a Switch on button", () => {
    const clock = new VirtualClock(DAY0 + 9 * H);
    const a = boot(clock, new NorFlashSim({ size: 2 * 4096 }));
    a.app.switchLoad("boiler", true, "user");
    a.app.switchLoad("boiler", false, "user"); // no tick in between: the snapshot is already new
    const html = controlPage({ snap: a.app.store.snapshot(), csrf: "x", offsetMin: 0 } as Parameters<typeof controlPage>[0]);
    const card = html.indexOf("Boiler");
    const row = html.slice(card, html.indexOf('<div class="load">', card) > 0 ? html.indexOf('<div class="load">', card) : html.indexOf("<h2>", card));
    expect(row).toContain(">off<");
    expect(row).toContain("Switch on");
    expect(row).not.toContain("Switch off");
    expect(row).toMatch(/switched off by hand until 10:00/);
  });
});
