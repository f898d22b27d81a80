// bench:mcu scenario: one CAN poll cycle of the aggregator's CanMaster with 2, 16 and 32 slaves on
// the lin simulator's bus (hosts/lin/sim-can-bus), authenticated as on the board. The slaves share
// the machine, so the master's own share is metered apart: its port's frame handler and the
// pollCycle() call are wrapped in reads of the emulator's instruction counter (globalThis.mcu,
// present only in hosts/mcu; elsewhere the wrap is a plain call and the share reads 0).
import { VirtualClock } from "../../modules/core/virtual-clock";
import { RamFlash } from "../../modules/core/ram-flash";
import { FlashCounterStore } from "../../modules/secure/counter-store";
import { CanMaster, type CycleResult } from "../../modules/can/master";
import { CanSlave } from "../../modules/can/slave";
import { MESSAGES, messageForCode } from "../../modules/can/protocol";
import type { CanFrame, CanPort } from "../../modules/can/can-port";
import { SimCanBus } from "../../hosts/lin/sim-can-bus";

interface Meter { instructions(): number; computrons(): number }
const meter = (globalThis as { mcu?: Meter }).mcu;

/** Instructions and computrons spent inside wrapped calls. */
class Share {
  instructions = 0;
  computrons = 0;
  calls = 0;
  wrap<T>(fn: () => T): T {
    this.calls++;
    if (!meter) return fn();
    const i0 = meter.instructions();
    const c0 = meter.computrons();
    try {
      return fn();
    } finally {
      this.instructions += meter.instructions() - i0;
      this.computrons += meter.computrons() - c0;
    }
  }
  take(): { instructions: number; computrons: number; calls: number } {
    const r = { instructions: this.instructions, computrons: this.computrons, calls: this.calls };
    this.instructions = this.computrons = this.calls = 0;
    return r;
  }
}

/** The master's port: the bus node, with each delivered frame's handling metered. */
function meteredPort(port: CanPort, share: Share): CanPort {
  return {
    send: (frame: CanFrame) => port.send(frame),
    onFrame: (cb) => port.onFrame((frame) => share.wrap(() => cb(frame))),
  };
}

const KEY = Uint8Array.from({ length: 16 }, (_, i) => (i * 29 + 7) & 255);

function network(n: number) {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const bus = new SimCanBus(clock);
  const share = new Share();
  const slaves = Array.from({ length: n }, (_, i) => i + 1);
  const master = new CanMaster(meteredPort(bus.node(), share), { clock, networkKey: KEY, store: new FlashCounterStore(new RamFlash(8192)), slaves, timeoutMs: 5 + n * 1.2 });
  for (const id of slaves) new CanSlave(bus.node(), { node: id, networkKey: KEY, store: new FlashCounterStore(new RamFlash(8192)), read: (c) => id * 100 + (messageForCode(c)?.msg ?? 0) });
  const period = Math.max(100, Math.ceil((MESSAGES.length * (n * 1.1 + 1) + 20) / 50) * 50);
  const cycle = () => {
    let result: CycleResult | undefined;
    const start = clock.now();
    share.wrap(() => master.pollCycle((r) => (result = r)));
    clock.advance(start + period - clock.now());
    return { answers: result?.answers.length ?? 0, missing: result?.missing.length ?? -1, periodMs: period, master: share.take() };
  };
  cycle(); // warm: the first cycle also learns the slaves' freshness counters
  return cycle;
}

const cycles = { 2: network(2), 16: network(16), 32: network(32) };
const empty = new Share();

export function run(): unknown {
  return { slaves: [2, 16, 32], messages: MESSAGES.length };
}

export const probes = {
  /** What one metered wrap costs by itself (subtracted per call by bench:mcu). */
  emptyWrap(): unknown {
    for (let i = 0; i < 100; i++) empty.wrap(() => 0);
    return empty.take();
  },
  poll2: (): unknown => cycles[2](),
  poll16: (): unknown => cycles[16](),
  poll32: (): unknown => cycles[32](),
};
