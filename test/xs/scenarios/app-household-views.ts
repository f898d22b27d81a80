// XS conformance: what the household sees, as issue 15 computes it — an aggregator with a
// LoadController, its plans and holds (control-store) and power histories (history-store)
// on RAM flash, booked energy buckets adding up to the bill, a dip reported by two meters
// merged into one event in its EN 50160 cell; then a restart on the same flash restores
// the plans, the hold and the week's history tier.
import { AggregatorApp } from "../../../modules/app/aggregator-app";
import { DirectLink } from "../../../modules/app/direct-link";
import { SlaveApp } from "../../../modules/app/slave-app";
import { LoadController } from "../../../modules/control/controller";
import { MINUTE } from "../../../modules/core/clock";
import type { PriceSlot } from "../../../modules/core/household";
import { RamFlash } from "../../../modules/core/ram-flash";
import { VirtualClock } from "../../../modules/core/virtual-clock";
import { ConstantFrontEnd } from "../support/constant-front-end";

const HOUR = 60 * MINUTE;

export function run(): unknown {
  const day = Date.UTC(2026, 2, 20);
  const start = day + 7 * HOUR + 50 * MINUTE;
  const clock = new VirtualClock(start);
  const prices = (t: number): PriceSlot[] => {
    const d = t - (t % (24 * HOUR));
    const out: PriceSlot[] = [];
    for (let k = 0; k < 96; k++) out.push({ start: d + k * 15 * MINUTE, durationMs: 15 * MINUTE, importMinorPerKWh: (k >= 32 && k < 48 ? 10 : 40) + (k % 3) * 0.3, exportMinorPerKWh: 7, renewableShare: 0 });
    return out;
  };
  const house = new ConstantFrontEnd(2300, start, 5000);
  const roof = new ConstantFrontEnd(-900, start, 0);
  const control = new RamFlash(4 * 4096), history = new RamFlash(16 * 4096);
  const boot = () => {
    const link = new DirectLink();
    const slaves = [new SlaveApp(clock, house, { id: 1 }), new SlaveApp(clock, roof, { id: 2 })];
    for (const s of slaves) { link.attach(s); s.start(); }
    const relays: Record<string, boolean> = {};
    const c = new LoadController(clock, { limitW: 20_000 });
    c.addLoad({ id: "ev", name: "EV charger", kind: "deferrable", powerW: 7000, priority: 2 }, { set: (v) => { relays.ev = v; }, get: () => relays.ev ?? false });
    c.addLoad({ id: "boiler", name: "Boiler", kind: "switchable", powerW: 3000, priority: 3, maxPriceMinorPerKWh: 20 }, { set: (v) => { relays.boiler = v; }, get: () => relays.boiler ?? false });
    const app = new AggregatorApp(clock, link, {
      setRelay: (id, on) => { relays[id] = on; }, relay: (id) => relays[id] ?? false, loadPowerW: () => 0, prices,
      grid: () => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: day, pricesStale: false }),
    }, { slaveIds: [1, 2], loads: [{ id: "ev", name: "EV charger", meterId: 1, kind: "deferrable", priority: 2 }, { id: "boiler", name: "Boiler", meterId: 1, kind: "switchable", priority: 3 }], controller: c, controlFlash: control, historyFlash: history });
    app.start();
    return { app, slaves, relays };
  };
  const a = boot();
  clock.advance(2000);
  a.app.switchLoad("boiler", false, "user");
  const waiting = a.app.scheduleLoad("ev", 2 * HOUR, day + 30 * HOUR, "user");
  // a dip seen by both meters, 120 ms to 150 V on L2
  for (const [fe, id] of [[house, 1], [roof, 2]] as const) {
    const r = fe.readings();
    r.dips++;
    r.lastEvent = { type: "dip", start: clock.now() + 100 + id, durationMs: 120, extremeV: 150, phase: 2 };
  }
  clock.advance(2 * HOUR + 13 * MINUTE);
  const snap = a.app.store.snapshot();
  const buckets = a.app.store.energy(day, day + 24 * HOUR, HOUR);
  const first = {
    bill: snap.bill.totalMinor, sumNet: buckets.reduce((s, b) => s + b.netMinor, 0),
    buckets: buckets.filter((b) => b.slots).map((b) => [b.t - day, b.importWh, b.exportWh, b.importMinor, b.exportMinor]),
    events: snap.events.map((e) => [e.type, e.phase, e.meters, e.cell]),
    table: snap.quality.map((q) => q.dipTable), waiting,
    history: a.app.store.history("total", day + 7 * HOUR, day + 10 * HOUR, 15 * MINUTE).map((p) => [p.w, p.wh, p.coveredMs, p.partial]),
    writes: a.app.controlWrites,
  };
  a.app.saveHistory();
  a.app.stop();
  for (const s of a.slaves) s.stop();
  clock.advance(3 * MINUTE);
  const b = boot();
  clock.advance(1000);
  return {
    first,
    restored: {
      loads: b.app.store.snapshot().loads.map((l) => [l.id, l.on, l.run ? [l.run.state, l.run.startAt - day] : null, l.hold ? [l.hold.on, l.hold.until - day] : null]),
      decisions: b.app.decisions.map((d) => [d.t - day, d.load, d.action, d.reason]),
      history: b.app.store.history("total", day + 7 * HOUR, day + 10 * HOUR, 15 * MINUTE).map((p) => [p.w, p.wh, p.coveredMs, p.partial]),
    },
  };
}
