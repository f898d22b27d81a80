import type { Clock } from "../../../modules/core/clock";
import type { ObisCode } from "../../../modules/core/obis";
import type { Flash } from "../../../modules/core/ports";
import { NorFlashSim } from "../flash/nor-flash-sim";
import { FlashCounterStore } from "../../../modules/secure/counter-store";
import { CanMaster, type CanMasterOptions } from "../../../modules/can/master";
import { CanSlave } from "../../../modules/can/slave";
import { VirtualCanBus, type VirtualCanNode } from "./virtual-bus";
import { CandumpWriter } from "./candump";

/**
 * Wires an aggregator (CanMaster) and N slaves (CanSlave) on one virtual bus:
 * the simulator's one-call setup. Each node gets its own flash for its
 * freshness counters unless given one (pass the same Flash again after a
 * simulated reboot to keep counters).
 */
export interface CanNetworkOptions {
  clock: Clock;
  networkKey: Uint8Array;
  bitRate?: number;
  slaves: { node: number; read: (code: ObisCode) => number | undefined; flash?: Flash; processingMs?: number }[];
  masterFlash?: Flash;
  master?: Partial<Omit<CanMasterOptions, "clock" | "networkKey" | "store">>;
  /** Record every frame for a candump log. */
  candump?: boolean;
}

export interface CanNetwork {
  bus: VirtualCanBus;
  master: CanMaster;
  masterPort: VirtualCanNode;
  slaves: Map<number, { slave: CanSlave; port: VirtualCanNode; flash: Flash }>;
  candump?: CandumpWriter;
  /** A raw node for attack scenarios: send anything, see everything. */
  attacker(name?: string): VirtualCanNode;
  /** Takes a slave off the bus (true) or puts it back (false), as a cut cable would. */
  setOffBus(node: number, off: boolean): void;
}

export function createCanNetwork(o: CanNetworkOptions): CanNetwork {
  const bus = new VirtualCanBus(o.clock, { bitRate: o.bitRate });
  const masterPort = bus.attach("master");
  const master = new CanMaster(masterPort, {
    ...o.master,
    clock: o.clock,
    networkKey: o.networkKey,
    store: new FlashCounterStore(o.masterFlash ?? new NorFlashSim({ size: 8192 })),
  });
  const slaves = new Map<number, { slave: CanSlave; port: VirtualCanNode; flash: Flash }>();
  for (const s of o.slaves) {
    const flash = s.flash ?? new NorFlashSim({ size: 8192 });
    const port = bus.attach(`slave${s.node}`);
    const slave = new CanSlave(port, { node: s.node, networkKey: o.networkKey, store: new FlashCounterStore(flash), read: s.read, clock: o.clock, processingMs: s.processingMs });
    slaves.set(s.node, { slave, port, flash });
  }
  const candump = o.candump ? new CandumpWriter() : undefined;
  if (candump) bus.onTraffic((t) => candump.add(t.endMs, t.frame));
  return {
    bus,
    master,
    masterPort,
    slaves,
    candump,
    attacker: (name = "attacker") => bus.attach(name),
    setOffBus(node, off) {
      const s = slaves.get(node);
      if (!s) throw new Error(`no slave ${node}`);
      // a node that is off neither sends, receives nor acknowledges: the bus treats bus-off that way
      s.port.state = off ? "bus-off" : "error-active";
      if (off) for (let i = 0; i < s.port.controller.mailboxes.length; i++) s.port.controller.complete(i);
    },
  };
}
