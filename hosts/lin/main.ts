// The same application in Moddable's desktop simulator (mcsim): an aggregator
// and simulated slaves on a simulated CAN bus, with simulated samples.
import config from "mc/config";
import Timer from "timer";
import { RealClock } from "../../modules/core/real-clock";
import type { Clock } from "../../modules/core/clock";
import { SlaveApp } from "../../modules/app/slave-app";
import { DirectLink } from "../../modules/app/direct-link";
import { AggregatorApp, type AggregatorPorts } from "../../modules/app/aggregator-app";
import { dayAheadPrices } from "../../modules/app/demo-household";
import { SimFrontEnd } from "./sim-front-end";
import { SimCanBus } from "./sim-can-bus";

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

export default function main(): void {
  const cfg = (config.xsmeter ?? {}) as { slaveIds?: number[]; pollPeriodMs?: number };
  const slaveIds = cfg.slaveIds ?? [1, 2, 3];
  const period = cfg.pollPeriodMs ?? 1000;
  const clock = simClock();
  trace(`xsmeter (lin simulator): aggregator + ${slaveIds.length} simulated slaves\n`);

  // SEAM: the slaves answer over DirectLink until modules/can CanMaster/CanSlave
  // run over SimCanBus nodes (the bus is up, with one node per meter).
  const bus = new SimCanBus(clock);
  const link = new DirectLink();
  for (const id of slaveIds) {
    bus.node();
    const slave = new SlaveApp(clock, new SimFrontEnd(simulatedLoad(id), clock.now()), { id, measurePeriodMs: period });
    link.attach(slave);
    slave.start();
  }
  const relays = new Map<string, boolean>();
  const ports: AggregatorPorts = {
    setRelay: (id, on) => void relays.set(id, on),
    relay: (id) => relays.get(id) ?? true,
    loadPowerW: () => 0,
    prices: (t) => dayAheadPrices(t - (t % 86_400_000)),
    grid: (t) => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: t, pricesStale: false }),
  };
  const app = new AggregatorApp(clock, link, ports, { slaveIds, loads: [], pollPeriodMs: period });
  app.start();
  let n = 0;
  Timer.repeat(() => {
    const s = app.store.snapshot();
    const online = s.meters.filter((m) => m.online).length;
    trace(`xsmeter: t=${++n * 5}s meters online ${online}/${s.meters.length}, CAN frames ${bus.framesDelivered}\n`);
  }, 5000);
}
