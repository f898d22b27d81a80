// The meter board's start-up: reads mc/config, opens the hardware through
// ECMA-419 IO, and wires the slave or the aggregator from modules/app.
// Hardware-free wiring lives in the small functions below so each seam is named.
import config from "mc/config";
import Timer from "timer";
import SPI from "embedded:io/spi";
import Digital from "embedded:io/digital";
import { RealClock } from "../../modules/core/real-clock";
import type { Clock } from "../../modules/core/clock";
import type { CanPort } from "../../modules/can/can-port";
import type { SlaveLink } from "../../modules/app/readings";
import { SlaveApp } from "../../modules/app/slave-app";
import { AggregatorApp, type AggregatorPorts } from "../../modules/app/aggregator-app";
import { dayAheadPrices } from "../../modules/app/demo-household";
import { boardConfig, type BoardConfig } from "./board-config";
import { Stpm3x } from "./stpm3x";
import { StpmFrontEnd } from "./stpm-front-end";
import { Mcp2515 } from "./mcp2515";
import { openTwai } from "./twai-open";
import { DigitalRelay } from "./digital-relay";
import { openFlashPartition } from "./flash-partition";
import type { Flash } from "../../modules/core/ports";
import { flashPartition } from "../../modules/core/ports";
import { CanSlave } from "../../modules/can/slave";
import { FlashCounterStore } from "../../modules/secure/counter-store";
import Preference from "preference";
import { slaveReading } from "./slave-answers";

function boardClock(): Clock {
  return new RealClock({
    now: () => Date.now(),
    start: (delay, callback) => Timer.set(() => callback(), delay),
    stop: (handle) => Timer.clear(handle as ReturnType<typeof Timer.set>),
  });
}

function openCan(cfg: BoardConfig): CanPort | undefined {
  const c = cfg.can;
  if (c.controller === "twai") return openTwai({ tx: c.tx, rx: c.rx }, c.bitrate);
  if (c.controller !== "mcp2515") return undefined;
  // The MCP2515 has its own chip select: its own SPI device on the bus the STPM3x uses.
  const bus = new SPI({ clock: cfg.spi.clock, out: cfg.spi.out, in: cfg.spi.in, select: c.select, active: 0, hz: 8_000_000, mode: 0, port: cfg.spi.port });
  const mcp = new Mcp2515({ transfer: (b) => bus.transfer(b), flush: (d) => bus.flush(d) }, { oscillatorHz: c.oscillatorHz, bitrate: c.bitrate });
  mcp.begin();
  // INT is active low: service on the falling edge.
  new Digital({ pin: c.interrupt, mode: Digital.InputPullUp, edge: Digital.Falling, onReadable: () => mcp.service() });
  return mcp;
}

/**
 * SEAM: the CAN protocol (modules/can CanMaster/CanSlave) is not wired yet;
 * until it is, the aggregator sees no slave answers and reports them missing.
 */
function linkOverCan(_port: CanPort | undefined): SlaveLink {
  let cycles = 0;
  return {
    poll: () => undefined,
    endCycle: () => void cycles++,
    stats: () => ({ cycles, framesOk: 0, authFailures: 0, busLoadPct: 0, lastCycleMs: 0 }),
  };
}

/** The CAN network key (16 bytes), a secret kept in NVS: preference domain "xsmeter", key "canKey". */
function networkKey(): Uint8Array | undefined {
  const v = Preference.get("xsmeter", "canKey");
  return v instanceof ArrayBuffer && v.byteLength === 16 ? new Uint8Array(v) : undefined;
}

/** The last two sectors of the journal partition keep the CAN freshness counters. */
const COUNTER_SECTORS = 2;
function counterArea(flash: Flash): Flash {
  return flashPartition(flash, flash.size - COUNTER_SECTORS * flash.sectorSize, COUNTER_SECTORS * flash.sectorSize);
}
function journalArea(flash: Flash): Flash {
  return flashPartition(flash, 0, flash.size - COUNTER_SECTORS * flash.sectorSize);
}

/** The slave answers the master's authenticated polls from the readings its CAN task latched. */
function answerOverCan(port: CanPort | undefined, slave: SlaveApp, cfg: BoardConfig, flash: Flash): void {
  if (!port) return;
  const key = networkKey();
  if (!key) {
    trace("xsmeter: no CAN network key (preference xsmeter/canKey, 16 bytes): not answering on the bus\n");
    return;
  }
  new CanSlave(port, { node: cfg.meterId, networkKey: key, store: new FlashCounterStore(counterArea(flash)), read: slaveReading(() => slave.answer()) });
}

/** SEAM: the display (hosts/esp32/poco-canvas.ts, display engineer) and touch, wired here once present. */
function startDisplay(_app: AggregatorApp): void {
  trace("xsmeter: display not wired (poco-canvas pending)\n");
}

/** SEAM: the energy journal (modules/energy) on its flash partition. */
function startJournal(flash: Flash): void {
  trace(`xsmeter: journal partition ${flash.size} bytes, ${flash.size / flash.sectorSize} sectors\n`);
}

function startSlave(cfg: BoardConfig, clock: Clock): void {
  const spi = new SPI({ clock: cfg.spi.clock, out: cfg.spi.out, in: cfg.spi.in, select: cfg.stpm.select, active: 0, hz: cfg.stpm.hz, mode: 3, port: cfg.spi.port });
  const chip = new Stpm3x({ transfer: (b) => spi.transfer(b), flush: (d) => spi.flush(d) }, cfg.stpm);
  const slave = new SlaveApp(clock, new StpmFrontEnd(chip, cfg.stpm.energy, clock.now()), { id: cfg.meterId, measurePeriodMs: cfg.measurePeriodMs });
  answerOverCan(openCan(cfg), slave, cfg, openFlashPartition(cfg.journalPartition));
  slave.start();
  trace(`xsmeter: slave ${cfg.meterId} measuring every ${cfg.measurePeriodMs} ms\n`);
}

function startAggregator(cfg: BoardConfig, clock: Clock): void {
  const relays = new Map(cfg.relays.map((r) => [r.id, new DigitalRelay(r.pin, r.activeLow)]));
  const ports: AggregatorPorts = {
    setRelay: (id, on) => relays.get(id)?.set(on),
    relay: (id) => relays.get(id)?.get() ?? true,
    loadPowerW: () => 0,
    prices: (t) => dayAheadPrices(t - (t % 86_400_000)),
    grid: (t) => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: t, pricesStale: true }),
  };
  const app = new AggregatorApp(clock, linkOverCan(openCan(cfg)), ports, { slaveIds: cfg.slaveIds, loads: [], pollPeriodMs: cfg.pollPeriodMs });
  startJournal(journalArea(openFlashPartition(cfg.journalPartition)));
  startDisplay(app);
  app.start();
  trace(`xsmeter: aggregator polling ${cfg.slaveIds.length} slaves every ${cfg.pollPeriodMs} ms\n`);
}

export default function main(): void {
  const cfg = boardConfig(config.xsmeter);
  trace(`xsmeter: board start, role ${cfg.role}, CAN ${cfg.can.controller} at ${cfg.can.bitrate} bit/s\n`);
  const clock = boardClock();
  if (cfg.role === "slave") startSlave(cfg, clock);
  else startAggregator(cfg, clock);
}
