import type { CanErrorEvent, CanFrame, CanPort } from "../../modules/can/can-port";
import { frameProblem } from "../../modules/can/can-port";
import type { Clock } from "../../modules/core/clock";

/**
 * A simulated CAN bus for Moddable's desktop simulator: every node's frame is
 * delivered to every other node after its transmission time at the bit rate
 * (47 + 8·DLC bits for a standard data frame, 67 + 8·DLC extended, plus about
 * 20 % stuff bits), one frame at a time, lowest identifier first (arbitration).
 */
export class SimCanBus {
  private readonly nodes: SimCanNode[] = [];
  private readonly queue: { frame: CanFrame; from: SimCanNode }[] = [];
  private busy = false;
  framesDelivered = 0;

  constructor(private readonly clock: Clock, private readonly bitrate = 125_000) {}

  node(): SimCanNode {
    const n = new SimCanNode(this);
    this.nodes.push(n);
    return n;
  }

  /** Frame length on the wire in bits, with a typical stuffing allowance. */
  static bits(f: CanFrame): number {
    const data = f.rtr ? 0 : 8 * f.dlc;
    return Math.ceil(((f.extended ? 67 : 47) + data) * 1.2);
  }

  enqueue(frame: CanFrame, from: SimCanNode): void {
    this.queue.push({ frame, from });
    if (!this.busy) this.next();
  }

  private next(): void {
    if (this.queue.length === 0) {
      this.busy = false;
      return;
    }
    this.busy = true;
    let best = 0;
    for (let k = 1; k < this.queue.length; k++) if (this.queue[k].frame.id < this.queue[best].frame.id) best = k;
    const { frame, from } = this.queue.splice(best, 1)[0];
    this.clock.after((SimCanBus.bits(frame) * 1000) / this.bitrate, () => {
      from.pending--;
      for (const n of this.nodes) if (n !== from) n.deliver(frame);
      this.framesDelivered++;
      this.next();
    });
  }
}

export class SimCanNode implements CanPort {
  pending = 0;
  private frameCb: (f: CanFrame) => void = () => {};
  constructor(private readonly bus: SimCanBus, private readonly txQueue = 3) {}

  send(frame: CanFrame): boolean {
    const problem = frameProblem(frame);
    if (problem) throw new RangeError(`sim CAN: ${problem}`);
    if (this.pending >= this.txQueue) return false;
    this.pending++;
    this.bus.enqueue({ ...frame, data: frame.data.slice() }, this);
    return true;
  }
  onFrame(cb: (frame: CanFrame) => void): void { this.frameCb = cb; }
  onError(_cb: (event: CanErrorEvent) => void): void {}
  deliver(frame: CanFrame): void { this.frameCb({ ...frame, data: frame.data.slice() }); }
}
