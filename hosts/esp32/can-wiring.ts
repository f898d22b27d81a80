// The board's CAN side without Moddable imports, so the tests run it against
// fake chips: which controller mc/config selects, and the authenticated
// protocol on top of it (CanMaster → CanLink on the aggregator, CanSlave on a
// slave) — the same wiring the node simulator and hosts/lin use.
import type { Clock } from "../../modules/core/clock";
import type { CanPort } from "../../modules/can/can-port";
import { CanMaster } from "../../modules/can/master";
import { CanSlave } from "../../modules/can/slave";
import { CanLink, pq10Answer } from "../../modules/app/can-link";
import type { PqAggregate } from "../../modules/core/household";
import type { SlaveLink } from "../../modules/app/readings";
import type { MeterReadings } from "../../modules/app/readings";
import type { FlashCounterStore } from "../../modules/secure/counter-store";
import type { BlockCipherFactory } from "../../modules/secure/block-cipher";
import type { BoardConfig } from "./board-config";
import type { SpiTransport } from "./spi-transport";
import { Mcp2515 } from "./mcp2515";
import { slaveReading } from "./slave-answers";

/** The ECMA-419 SPI options the MCP2515 needs (a subset of embedded:io/spi's). */
export interface CanSpiOptions { clock: number; out: number; in: number; select: number; active: 0; hz: number; mode: 0; port: number }

/** What opening a CAN controller needs from the board (main.ts gives the real IO classes). */
export interface CanHardware {
  spi(options: CanSpiOptions): SpiTransport;
  /** Calls `onLow` on each falling edge of the (active-low) interrupt pin; returns a reader: is the pin low now? */
  interrupt(pin: number, onLow: () => void): () => boolean;
  twai(pins: { tx: number; rx: number }, bitrate: number): CanPort;
}

/** SPI clock of the MCP2515 (its maximum is 10 MHz). */
export const MCP2515_SPI_HZ = 8_000_000;

/** Opens the controller `xsmeter.can.controller` names; undefined for "none". */
export function openCan(cfg: BoardConfig, hw: CanHardware): CanPort | undefined {
  const c = cfg.can;
  if (c.controller === "twai") return hw.twai({ tx: c.tx, rx: c.rx }, c.bitrate);
  if (c.controller !== "mcp2515") return undefined;
  // Its own chip select on the bus the STPM3x uses: its own SPI device, mode 0.
  const spi = hw.spi({ clock: cfg.spi.clock, out: cfg.spi.out, in: cfg.spi.in, select: c.select, active: 0, hz: MCP2515_SPI_HZ, mode: 0, port: cfg.spi.port });
  const mcp = new Mcp2515(spi, { oscillatorHz: c.oscillatorHz, bitrate: c.bitrate });
  mcp.begin();
  // Edge-triggered: if INT is still low after a service (frames kept arriving), no new edge
  // would come, so service again while the pin stays low.
  const low: () => boolean = hw.interrupt(c.interrupt, () => {
    for (let k = 0; k < 4; k++) {
      mcp.service();
      if (!low()) break;
    }
  });
  return mcp;
}

/** A link that never gets an answer: the aggregator reports every slave missing (no CAN, or no key). */
export function silentLink(): SlaveLink {
  let cycles = 0;
  return {
    poll: () => undefined,
    endCycle: () => void cycles++,
    stats: () => ({ cycles, framesOk: 0, authFailures: 0, busLoadPct: 0, lastCycleMs: 0 }),
  };
}

export interface MasterWiring {
  clock: Clock;
  networkKey: Uint8Array;
  store: FlashCounterStore;
  slaveIds: readonly number[];
  onAuthFailure?: (id: number, reason: string) => void;
  /** The CMAC's AES (main.ts: the native one; default the TypeScript AES). */
  cipher?: BlockCipherFactory;
}

/** The aggregator's side: a CanMaster polling the configured slaves, read through CanLink. */
export function aggregatorLink(port: CanPort, w: MasterWiring): { master: CanMaster; link: CanLink } {
  const master = new CanMaster(port, { clock: w.clock, networkKey: w.networkKey, store: w.store, slaves: w.slaveIds, timeoutMs: 20, onAuthFailure: w.onAuthFailure, cipher: w.cipher });
  return { master, link: new CanLink(master) };
}

/**
 * A slave's side: answers the master's authenticated polls from the readings its CAN task
 * latched, and the PQ10 codes from its latched 10-min aggregate (stamp 0 while it has none).
 */
export function slaveAnswers(port: CanPort, node: number, networkKey: Uint8Array, store: FlashCounterStore, latched: () => MeterReadings, aggregate: () => PqAggregate | undefined = () => undefined, clock?: Clock, onAlarm?: (reason: string) => void, cipher?: BlockCipherFactory): CanSlave {
  const reading = slaveReading(latched);
  // with the clock: resync requests and answers to (unauthenticated) remote frames are rate-limited
  return new CanSlave(port, { node, networkKey, store, read: (code) => pq10Answer(code, aggregate) ?? reading(code), clock, onAlarm, cipher });
}
