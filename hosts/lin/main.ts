// The same application in Moddable's desktop simulator (mcsim): an aggregator
// and simulated slaves on a simulated CAN bus, with simulated samples.
import config from "mc/config";
import Timer from "timer";
import { RealClock } from "../../modules/core/real-clock";
import type { Clock } from "../../modules/core/clock";
import { SlaveApp } from "../../modules/app/slave-app";
import { AggregatorApp, type AggregatorPorts } from "../../modules/app/aggregator-app";
import { dayAheadPrices } from "../../modules/app/demo-household";
import { CODES } from "../../modules/core/obis";
import { DisplayApp } from "../../modules/ui/display-app";
import { PocoCanvas } from "../esp32/poco-canvas";
import { SimFrontEnd } from "./sim-front-end";
import { RamFlash } from "../../modules/core/ram-flash";
import { JournaledFrontEnd } from "../../modules/app/journaled-front-end";
import { Journal } from "../../modules/energy/journal";
import { simCanNetwork, simNetworkKey } from "./can-network";

function simClock(): Clock {
  return new RealClock({
    now: () => Date.now(),
    start: (delay, callback) => Timer.set(() => callback(), delay),
    stop: (handle) => Timer.clear(handle as ReturnType<typeof Timer.set>),
  });
}

/** A household load per slave: a base load with a slow swing, so the readings move. */
function simulatedLoad(id: number) {
  return (now: number) => ({
    voltageV: 230 + 2 * Math.sin(now / 60_000 + id),
    currentA: 2 + id + Math.sin(now / 30_000 + id),
    phaseRad: 0.1 * id,
    frequencyHz: 50,
  });
}

/** The simulator's screen: the board's PocoCanvas + DisplayApp; mouse clicks arrive as the screen's touch events. */
type SimScreen = { width: number; height: number; context?: object };
function startDisplay(app: AggregatorApp, clock: Clock): DisplayApp | undefined {
  const screen = (globalThis as { screen?: SimScreen }).screen;
  if (!screen) return undefined;
  const canvas = new PocoCanvas();
  const display = new DisplayApp(canvas, app.store, clock, { width: canvas.width, height: canvas.height });
  screen.context = {
    onTouchBegan: (_id: number, x: number, y: number) => display.pointerDown(x, y),
    onTouchMoved: (_id: number, x: number, y: number) => display.pointerMove(x, y),
    onTouchEnded: (_id: number, x: number, y: number) => display.pointerUp(x, y),
  };
  trace(`xsmeter: display ${canvas.width}x${canvas.height} on the simulator's screen (Poco), touch by mouse\n`);
  return display;
}

export default function main(): void {
  const cfg = (config.xsmeter ?? {}) as { slaveIds?: number[]; pollPeriodMs?: number; seed?: number };
  const slaveIds = cfg.slaveIds ?? [1, 2, 3];
  const period = cfg.pollPeriodMs ?? 1000;
  const seed = cfg.seed ?? 7;
  const clock = simClock();
  trace(`xsmeter (lin simulator): aggregator + ${slaveIds.length} simulated slaves on a simulated CAN bus at 125 kbit/s, authenticated (network key of seed ${seed})\n`);

  // Each slave journals its energy as on the board (JournaledFrontEnd + EnergyStore), on RAM flash here.
  const journals: { fe: JournaledFrontEnd; flash: RamFlash }[] = [];
  const slaves = slaveIds.map((id) => {
    const flash = new RamFlash(8 * 4096);
    const fe = new JournaledFrontEnd(new SimFrontEnd(simulatedLoad(id), clock.now()), flash, clock.now(), { periodMs: 5_000, thresholdWh: 1 });
    journals.push({ fe, flash });
    return new SlaveApp(clock, fe, { id, measurePeriodMs: period });
  });
  let app: AggregatorApp | undefined;
  const { bus, master, link } = simCanNetwork(clock, slaves, simNetworkKey(seed), (id, reason) => {
    trace(`xsmeter: CAN frame 0x${id.toString(16)} rejected: ${reason}\n`);
    app?.raise({ t: clock.now(), kind: "auth", message: `CAN frame 0x${id.toString(16)} rejected: ${reason}`, meterId: id & 63 });
  });
  for (const slave of slaves) slave.start();
  const relays = new Map<string, boolean>();
  const ports: AggregatorPorts = {
    setRelay: (id, on) => void relays.set(id, on),
    relay: (id) => relays.get(id) ?? true,
    loadPowerW: () => 0,
    prices: (t) => dayAheadPrices(t - (t % 86_400_000)),
    grid: (t) => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: t, pricesStale: false }),
  };
  const ui: { display?: DisplayApp; frames: number } = { frames: 0 };
  const aggregator = new AggregatorApp(clock, link, ports, { slaveIds, loads: [], pollPeriodMs: period, display: { render: () => { ui.display?.render(); ui.frames++; } } });
  app = aggregator;
  ui.display = startDisplay(aggregator, clock);
  aggregator.start();
  let n = 0;
  Timer.repeat(() => {
    const s = aggregator.store.snapshot();
    const online = s.meters.filter((m) => m.online).length;
    const l = link.stats();
    const m = master.stats;
    const power = s.meters.filter((x) => x.role === "slave").map((x) => `${x.id}:${Math.round(x.values[CODES.powerNet] ?? NaN)}W`).join(" ");
    // What a reboot would restore: a fresh scan of each slave's journal (records, newest import total).
    const saved = journals.map((j) => `seq ${new Journal(j.flash).open().newest?.seq ?? "none"} ${j.fe.store.registers.get("1-0:1.8.0").toFixed(2)} Wh`).join(", ");
    trace(`xsmeter: t=${++n * 5}s ${ui.display ? `display "${ui.display.current}" (${ui.frames} renders), ` : ""}meters online ${online}/${s.meters.length} (${power}), CAN frames ${bus.framesDelivered}, cycles ${l.cycles} (last ${l.lastCycleMs} ms), answers accepted ${m.accepted}, auth failures ${m.authFailures}, replays ${m.replays}; journals ${saved}\n`);
  }, 5000);
}
