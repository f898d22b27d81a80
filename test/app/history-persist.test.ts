// The power history across a restart (history-store.ts on NorFlashSim): a clean stop keeps
// the week's 15-min tier exactly; a power cut keeps it up to the last hourly save; a cut
// during a save leaves the previous one; the saves come once an hour, not per request.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { AggregatorApp } from "../../modules/app/aggregator-app";
import { DirectLink } from "../../modules/app/direct-link";
import { SlaveApp } from "../../modules/app/slave-app";
import { emptyReadings, type MeterFrontEnd, type MeterReadings } from "../../modules/app/readings";
import type { PriceSlot } from "../../modules/core/household";
import { HistoryStore } from "../../modules/app/history-store";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";

const T0 = Date.UTC(2026, 2, 20, 6, 0);
const H = 3_600_000, MIN = 60_000, Q = 15 * MIN;

class Meter implements MeterFrontEnd {
  private r: MeterReadings = emptyReadings(T0);
  private last = T0;
  measure(now: number): number {
    const p = 1200 + 800 * Math.sin(now / 900_000);
    this.r.importWh += (p * (now - this.last)) / H;
    this.r.t = this.last = now;
    this.r.powerW = p;
    return 1;
  }
  readings(): MeterReadings { return this.r; }
}

const meter = new Meter();
function boot(clock: VirtualClock, flash: NorFlashSim) {
  const link = new DirectLink();
  const slave = new SlaveApp(clock, meter, { id: 1 });
  link.attach(slave);
  slave.start();
  const prices = (t: number): PriceSlot[] => [{ start: t - (t % H), durationMs: H, importMinorPerKWh: 30, exportMinorPerKWh: 8, renewableShare: 0 }];
  const app = new AggregatorApp(clock, link, {
    setRelay: () => undefined, relay: () => false, loadPowerW: () => 0, prices,
    grid: () => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: T0, pricesStale: false }),
  }, { slaveIds: [1], loads: [], historyFlash: flash });
  app.start();
  return { app, stop: () => { app.stop(); slave.stop(); } };
}

const quarters = (app: AggregatorApp, series: string) => app.store.history(series, T0, T0 + 3 * H, Q).map((p) => [p.t, p.w, p.wh, p.coveredMs]);

describe("power history across a restart", () => {
  it("a clean stop keeps the 15-min tier exactly; a power cut keeps it to the last hourly save", () => {
    const clock = new VirtualClock(T0);
    const flash = new NorFlashSim({ size: 16 * 4096 });
    const a = boot(clock, flash);
    let writes = 0;
    const erase = flash.eraseSector.bind(flash);
    flash.eraseSector = (k: number) => { if (k % 8 === 0) writes++; erase(k); };
    clock.advance(3 * H + 10 * MIN);
    expect(writes).toBe(3); // once an hour
    const before = { total: quarters(a.app, "total"), meter: quarters(a.app, "meter:1") };
    expect(before.total.filter((p) => Number.isFinite(p[2] as number)).length).toBe(12);
    a.app.saveHistory();
    a.stop();
    clock.advance(5 * MIN);
    const b = boot(clock, flash);
    expect(quarters(b.app, "total")).toEqual(before.total);
    expect(quarters(b.app, "meter:1")).toEqual(before.meter);
    // answers from the restored 15-min tier (the 1-min one starts empty)
    expect(b.app.store.history("total", T0 + H, T0 + 2 * H, H)[0]).toMatchObject({ resMs: Q, partial: false });
    // A power cut at 04:20 into the new boot: what comes back is the last hourly save's.
    clock.advance(H);
    const saved = quarters(b.app, "total");
    clock.advance(20 * MIN);
    b.stop();
    const c = boot(clock, flash);
    expect(quarters(c.app, "total")).toEqual(saved);
  });

  it("a cut during a save leaves the previous record", () => {
    const clock = new VirtualClock(T0);
    const flash = new NorFlashSim({ size: 16 * 4096 });
    const a = boot(clock, flash);
    clock.advance(90 * MIN);
    const good = new HistoryStore(flash).load().get("total")!;
    expect(good).toBeDefined();
    for (const at of [100, 8 * 4096 + 500]) {
      flash.cutAfterBytes(at);
      expect(() => a.app.saveHistory()).toThrow(PowerCut);
      flash.reboot();
      expect(new HistoryStore(flash).load().get("total")).toEqual(good);
    }
    a.stop();
  });
});
