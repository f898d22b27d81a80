// The two roles of the desktop simulator build, chosen by the manifest's `xsmeter.role`
// (hosts/lin/roles/<role>.json sets it). Kept free of Moddable modules, so the host tests run
// each role on a virtual clock; main.ts gives them the real clock, the screen and trace().
import type { Clock } from "../../modules/core/clock";
import { SlaveApp } from "../../modules/app/slave-app";
import { AggregatorApp, type AggregatorPorts } from "../../modules/app/aggregator-app";
import { dayAheadPrices } from "../../modules/app/demo-household";
import { CODES } from "../../modules/core/obis";
import { RamFlash } from "../../modules/core/ram-flash";
import { JournaledFrontEnd } from "../../modules/app/journaled-front-end";
import { Journal } from "../../modules/energy/journal";
import { SimFrontEnd } from "./sim-front-end";
import { simCanNetwork, simNetworkKey, type SimCanNetwork } from "./can-network";

export type LinRole = "aggregator" | "slave";

export interface LinConfig {
  /** aggregator: the aggregator, its display and `slaveIds` simulated slaves; slave: one slave (`meterId`) and the master polling it. */
  role: LinRole;
  slaveIds: number[];
  meterId: number;
  pollPeriodMs: number;
  /** The network key is derived from it as `xsmeter sim --seed N` derives its own. */
  seed: number;
}

const isNode = (id: unknown): boolean => Number.isInteger(id) && (id as number) >= 1 && (id as number) <= 63;

/** `config.xsmeter` of the manifest, checked: a wrong key stops the start with its name rather than running something else. */
export function linConfig(raw: unknown): LinConfig {
  const c = (raw ?? {}) as Partial<Record<keyof LinConfig, unknown>>;
  const cfg = { role: c.role ?? "aggregator", slaveIds: c.slaveIds ?? [1, 2, 3], meterId: c.meterId ?? 1, pollPeriodMs: c.pollPeriodMs ?? 1000, seed: c.seed ?? 7 };
  if (cfg.role !== "aggregator" && cfg.role !== "slave") throw new RangeError(`xsmeter.role must be "aggregator" or "slave", not ${JSON.stringify(cfg.role)}`);
  const ids = cfg.slaveIds;
  if (!Array.isArray(ids) || ids.length < 1 || !ids.every(isNode) || new Set(ids).size !== ids.length) throw new RangeError(`xsmeter.slaveIds must be different CAN node ids 1..63, not ${JSON.stringify(ids)}`);
  if (!isNode(cfg.meterId)) throw new RangeError(`xsmeter.meterId must be a CAN node id 1..63, not ${JSON.stringify(cfg.meterId)}`);
  if (!(typeof cfg.pollPeriodMs === "number" && cfg.pollPeriodMs >= 100)) throw new RangeError(`xsmeter.pollPeriodMs must be a number ≥ 100, not ${JSON.stringify(cfg.pollPeriodMs)}`);
  if (!Number.isInteger(cfg.seed)) throw new RangeError(`xsmeter.seed must be an integer, not ${JSON.stringify(cfg.seed)}`);
  return cfg as LinConfig;
}

/** What the 5-second status line reports, for both roles. */
export interface LinStats {
  role: LinRole;
  online: number;
  meters: number;
  cycles: number;
  accepted: number;
  authFailures: number;
  replays: number;
  /** Per slave: the newest journal record's sequence number (a fresh scan, as a reboot would make it). */
  journalSeq: (number | undefined)[];
}

export interface LinRun {
  stats(): LinStats;
  /** One line for trace(): what the simulator prints every 5 s. */
  status(): string;
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

interface Journaled { slave: SlaveApp; fe: JournaledFrontEnd; flash: RamFlash }

/** A slave that journals its energy as on the board (JournaledFrontEnd + EnergyStore), on RAM flash here. */
function journaledSlave(clock: Clock, id: number, period: number): Journaled {
  const flash = new RamFlash(8 * 4096);
  const fe = new JournaledFrontEnd(new SimFrontEnd(simulatedLoad(id), clock.now()), flash, clock.now(), { periodMs: 5_000, thresholdWh: 1 });
  return { slave: new SlaveApp(clock, fe, { id, measurePeriodMs: period }), fe, flash };
}

function network(clock: Clock, slaves: Journaled[], cfg: LinConfig, log: (line: string) => void, onAuth?: (id: number, reason: string) => void): SimCanNetwork {
  const net = simCanNetwork(clock, slaves.map((s) => s.slave), simNetworkKey(cfg.seed), (id, reason) => {
    log(`xsmeter: CAN frame 0x${id.toString(16)} rejected: ${reason}\n`);
    onAuth?.(id, reason);
  });
  for (const s of slaves) s.slave.start();
  return net;
}

function journalSummary(slaves: Journaled[]): string {
  return slaves.map((j) => `seq ${new Journal(j.flash).open().newest?.seq ?? "none"} ${j.fe.store.registers.get("1-0:1.8.0").toFixed(2)} Wh`).join(", ");
}

function linkStats(role: LinRole, net: SimCanNetwork, slaves: Journaled[], online: number): LinStats {
  const m = net.master.stats;
  const journalSeq = slaves.map((j) => new Journal(j.flash).open().newest?.seq);
  return { role, online, meters: slaves.length, cycles: net.link.stats().cycles, accepted: m.accepted, authFailures: m.authFailures, replays: m.replays, journalSeq };
}

/** Frozen: a module-level object left writable is copied from flash to RAM by the preload. */
const PORTS: AggregatorPorts = Object.freeze({
  setRelay: () => {},
  relay: () => true,
  loadPowerW: () => 0,
  prices: (t) => dayAheadPrices(t - (t % 86_400_000)),
  grid: (t) => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: t, pricesStale: false }),
} satisfies AggregatorPorts);

/** The screen an aggregator draws on (main.ts: the board's PocoCanvas + DisplayApp on mcsim's screen). */
export interface LinDisplay { render(): void; readonly current: string }

/**
 * The aggregator with `slaveIds` journaling slaves in the same machine, over the authenticated
 * protocol on the simulated bus; `display` makes its screen once the app (and its store) exists.
 */
export function startLinAggregator(clock: Clock, cfg: LinConfig, log: (line: string) => void, display?: (app: AggregatorApp) => LinDisplay | undefined): LinRun {
  log(`xsmeter (lin simulator): aggregator + ${cfg.slaveIds.length} simulated slaves on a simulated CAN bus at 125 kbit/s, authenticated (network key of seed ${cfg.seed})\n`);
  const slaves = cfg.slaveIds.map((id) => journaledSlave(clock, id, cfg.pollPeriodMs));
  let app: AggregatorApp | undefined;
  const net = network(clock, slaves, cfg, log, (id, reason) => app?.raise({ t: clock.now(), kind: "auth", message: `CAN frame 0x${id.toString(16)} rejected: ${reason}`, meterId: id & 63 }));
  const ui: { screen?: LinDisplay; frames: number } = { frames: 0 };
  app = new AggregatorApp(clock, net.link, PORTS, { slaveIds: cfg.slaveIds, loads: [], pollPeriodMs: cfg.pollPeriodMs, display: { render: () => { ui.screen?.render(); ui.frames++; } } });
  const aggregator = app;
  ui.screen = display?.(aggregator);
  aggregator.start();
  const online = () => aggregator.store.snapshot().meters.filter((m) => m.online).length;
  let n = 0;
  return {
    stats: () => linkStats("aggregator", net, slaves, online()),
    status: () => {
      const s = aggregator.store.snapshot();
      const power = s.meters.filter((x) => x.role === "slave").map((x) => `${x.id}:${Math.round(x.values[CODES.powerNet] ?? NaN)}W`).join(" ");
      const m = net.master.stats, l = net.link.stats();
      return `xsmeter: t=${++n * 5}s ${ui.screen ? `display "${ui.screen.current}" (${ui.frames} renders), ` : ""}meters online ${online()}/${s.meters.length} (${power}), CAN frames ${net.bus.framesDelivered}, cycles ${l.cycles} (last ${l.lastCycleMs} ms), answers accepted ${m.accepted}, auth failures ${m.authFailures}, replays ${m.replays}; journals ${journalSummary(slaves)}\n`;
    },
  };
}

/**
 * One slave (`meterId`), journaling, answering over the authenticated protocol; outside the role,
 * the master's CanMaster + CanLink poll it every period (as the aggregator runs them), so the
 * machine holds the slave's side as bench/mcu/role-slave.ts does on the emulator.
 */
export function startLinSlave(clock: Clock, cfg: LinConfig, log: (line: string) => void): LinRun {
  log(`xsmeter (lin simulator): slave ${cfg.meterId} on a simulated CAN bus at 125 kbit/s, authenticated (network key of seed ${cfg.seed}), polled every ${cfg.pollPeriodMs} ms by a master in the same machine\n`);
  const slaves = [journaledSlave(clock, cfg.meterId, cfg.pollPeriodMs)];
  const net = network(clock, slaves, cfg, log);
  clock.every(cfg.pollPeriodMs, () => net.link.endCycle(clock.now()));
  const online = () => (net.link.poll(cfg.meterId, clock.now()) ? 1 : 0);
  let n = 0;
  return {
    stats: () => linkStats("slave", net, slaves, online()),
    status: () => {
      const m = net.master.stats, l = net.link.stats();
      const r = slaves[0].slave.answer();
      return `xsmeter: t=${++n * 5}s slave ${cfg.meterId} ${Math.round(r.powerW)}W ${r.voltageV.toFixed(1)}V, polled ${online() ? "online" : "offline"}, CAN frames ${net.bus.framesDelivered}, cycles ${l.cycles} (last ${l.lastCycleMs} ms), answers accepted ${m.accepted}, auth failures ${m.authFailures}, replays ${m.replays}; journal ${journalSummary(slaves)}\n`;
    },
  };
}

/** The role the configuration names. */
export function startLinRole(clock: Clock, cfg: LinConfig, log: (line: string) => void, display?: (app: AggregatorApp) => LinDisplay | undefined): LinRun {
  return cfg.role === "slave" ? startLinSlave(clock, cfg, log) : startLinAggregator(clock, cfg, log, display);
}
