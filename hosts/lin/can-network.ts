import type { Clock } from "../../modules/core/clock";
import { CanMaster } from "../../modules/can/master";
import { CanSlave } from "../../modules/can/slave";
import { CanLink, slaveReader } from "../../modules/app/can-link";
import type { SlaveApp } from "../../modules/app/slave-app";
import { FlashCounterStore } from "../../modules/secure/counter-store";
import { Prng } from "../node/sim/prng";
import { SimCanBus } from "./sim-can-bus";
import { RamFlash } from "../../modules/core/ram-flash";

/**
 * The household's network key as the node simulator derives it (`xsmeter sim
 * --seed N`): 16 bytes from the seed's "network-key" stream. Each node's CMAC
 * key is derived from it inside CanMaster/CanSlave (secure/node-keys).
 */
export function simNetworkKey(seed: number): Uint8Array {
  const rng = new Prng(seed, "network-key");
  return new Uint8Array(16).map(() => rng.int(0, 255));
}

export interface SimCanNetwork {
  bus: SimCanBus;
  master: CanMaster;
  link: CanLink;
}

/**
 * The aggregator's CanMaster and one CanSlave per slave on a SimCanBus, each
 * with its freshness counters on its own RAM flash (two sectors): the same
 * authenticated protocol the board runs, on the desktop simulator.
 */
export function simCanNetwork(clock: Clock, slaves: readonly SlaveApp[], networkKey: Uint8Array, onAuthFailure?: (id: number, reason: string) => void): SimCanNetwork {
  const bus = new SimCanBus(clock);
  const master = new CanMaster(bus.node(), {
    clock,
    networkKey,
    store: new FlashCounterStore(new RamFlash(8192)),
    slaves: slaves.map((s) => s.id),
    timeoutMs: 20,
    onAuthFailure,
  });
  for (const slave of slaves) {
    new CanSlave(bus.node(), { node: slave.id, networkKey, store: new FlashCounterStore(new RamFlash(8192)), read: slaveReader(slave), clock });
  }
  return { bus, master, link: new CanLink(master) };
}
