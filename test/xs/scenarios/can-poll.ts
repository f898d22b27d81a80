// XS conformance: one CAN poll cycle — a master and three slaves on an in-memory loopback bus
// (frames delivered at once, lowest identifier first), authenticated answers checked by the master.
import { VirtualClock } from "../../../modules/core/virtual-clock";
import type { Flash } from "../../../modules/core/ports";
import type { CanFrame, CanPort } from "../../../modules/can/can-port";
import { CanMaster } from "../../../modules/can/master";
import { CanSlave } from "../../../modules/can/slave";
import { MESSAGES, messageForCode } from "../../../modules/can/protocol";
import { FlashCounterStore } from "../../../modules/secure/counter-store";
import { toHex } from "../../../modules/core/bytes";

function ramFlash(size = 8192): Flash {
  const mem = new Uint8Array(size).fill(0xff);
  return {
    size,
    sectorSize: 4096,
    pageSize: 256,
    read: (at, into) => into.set(mem.subarray(at, at + into.length)),
    program: (at, data) => data.forEach((b, i) => (mem[at + i] &= b)),
    eraseSector: (s) => mem.fill(0xff, s * 4096, (s + 1) * 4096),
  };
}

/** A loopback bus: queued frames go out in identifier order when the clock runs. */
class LoopBus {
  readonly log: string[] = [];
  private queue: { frame: CanFrame; from: number }[] = [];
  private cbs: ((f: CanFrame) => void)[][] = [];
  private armed = false;
  constructor(private readonly clock: VirtualClock) {}
  port(): CanPort {
    const me = this.cbs.length;
    this.cbs.push([]);
    return {
      send: (frame) => {
        this.queue.push({ frame, from: me });
        if (!this.armed) {
          this.armed = true;
          this.clock.after(1, () => this.flush());
        }
        return true;
      },
      onFrame: (cb) => this.cbs[me].push(cb),
    };
  }
  private flush(): void {
    this.armed = false;
    const q = this.queue.sort((a, b) => a.frame.id - b.frame.id || Number(a.frame.rtr) - Number(b.frame.rtr));
    this.queue = [];
    for (const { frame, from } of q) {
      this.log.push(`${frame.id.toString(16)}#${frame.rtr ? "R" : toHex(frame.data)}`);
      this.cbs.forEach((list, i) => i !== from && list.forEach((cb) => cb(frame)));
    }
  }
}

const KEY = Uint8Array.from({ length: 16 }, (_, i) => (i * 29 + 7) & 255);

function build() {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const bus = new LoopBus(clock);
  const master = new CanMaster(bus.port(), { clock, networkKey: KEY, store: new FlashCounterStore(ramFlash()), codes: ["1-0:1.8.0", "1-0:32.7.0"], timeoutMs: 10 });
  const slaves = [1, 2, 3].map((n) => new CanSlave(bus.port(), { node: n, networkKey: KEY, store: new FlashCounterStore(ramFlash()), read: (c) => n * 1000 + (messageForCode(c)?.msg ?? 0) / 100 }));
  return { clock, bus, master, slaves };
}

export function run(): unknown {
  const { clock, bus, master } = build();
  const cycles: unknown[] = [];
  for (let i = 0; i < 2; i++) {
    master.pollCycle((r) => cycles.push({ answers: r.answers.length, missing: r.missing, ms: r.endMs - r.startMs }));
    clock.advance(100);
  }
  return { known: master.knownSlaves, volt2: master.value(2, "1-0:32.7.0")?.value, stats: master.stats, cycles, log: bus.log, messages: MESSAGES.length };
}

const probe = build();
export const probes = {
  authenticatedAnswer(): unknown {
    // one slave builds, seals (CMAC) and queues one answer
    return probe.slaves[0].answer(MESSAGES[0].msg);
  },
};
