import type { Clock } from "../../../modules/core/clock";
import type { CanBusState, CanErrorEvent, CanFrame, CanPort } from "../../../modules/can/can-port";
import { frameProblem } from "../../../modules/can/can-port";
import { encodeFrameBits, headerAndDataBits } from "../../../modules/can/frame-bits";
import { BxCanController, type FilterBank } from "../../../modules/can/bxcan";

/**
 * A virtual CAN bus on a Clock, timed to the bit: a frame occupies the bus
 * for its stuffed length (SOF..EOF) at the configured bit rate, then 3 bits of
 * interframe space. When the bus goes idle every node offers its best mailbox
 * and the bitwise arbitration (dominant 0 wins over the identifier, RTR and
 * IDE bits) picks the transmitter; the others retry automatically at the next
 * idle. Receivers get the frame at the end of its EOF (its time stamp).
 * Errors: a frame nobody acknowledges is an ACK error; injected errors
 * destroy the next frames with an error frame at a given bit; both raise the
 * transmitter's TEC by 8 and the receivers' REC by 1 (a success lowers them by
 * 1), with error-passive at 128 and bus-off at 256, recovered after
 * 128 × 11 recessive bits. Retransmission is automatic.
 */
export interface VirtualCanBusOptions {
  /** Bits per second (default 125 000). */
  bitRate?: number;
}

export interface BusTraffic {
  frame: CanFrame;
  sender: string;
  /** Start of SOF and end of EOF (ms on the clock). */
  /** When the sender queued it (send()), start of SOF, end of EOF (ms on the clock). */
  queuedMs: number;
  startMs: number;
  endMs: number;
  bits: number;
}

export interface VirtualNodeOptions {
  /** Modelled time from a frame's end to the application seeing it (interrupt + driver), ms. */
  rxLatencyMs?: number;
  /** Acceptance filters (bxCAN banks). */
  filters?: FilterBank[];
}

export class VirtualCanNode implements CanPort {
  readonly controller = new BxCanController();
  tec = 0;
  rec = 0;
  state: CanBusState = "error-active";
  sent = 0;
  received = 0;
  private frameCbs: ((f: CanFrame) => void)[] = [];
  private errorCbs: ((e: CanErrorEvent) => void)[] = [];

  constructor(readonly bus: VirtualCanBus, readonly name: string, readonly options: VirtualNodeOptions) {
    (options.filters ?? []).forEach((f, i) => this.controller.setFilter(i, f));
  }

  send(frame: CanFrame): boolean {
    const problem = frameProblem(frame);
    if (problem) throw new RangeError(`CAN send: ${problem}`);
    if (this.state === "bus-off") return false;
    const copy: CanFrame = { id: frame.id, extended: frame.extended, rtr: frame.rtr, dlc: frame.dlc, data: frame.data.slice() };
    if (!this.controller.queue(copy)) return false;
    this.bus.queuedAt.set(copy, this.bus.clock.now());
    this.bus.wake();
    return true;
  }

  onFrame(cb: (f: CanFrame) => void): void {
    this.frameCbs.push(cb);
  }

  onError(cb: (e: CanErrorEvent) => void): void {
    this.errorCbs.push(cb);
  }

  /** @internal the bus delivers a frame that ended at now */
  deliver(frame: CanFrame): void {
    if (!this.controller.receive(frame)) return;
    const drain = (): void => {
      const f = this.controller.take();
      if (!f) return;
      this.received++;
      for (const cb of this.frameCbs) cb(f);
    };
    const lat = this.options.rxLatencyMs ?? 0;
    if (lat > 0) this.bus.clock.after(lat, drain);
    else drain();
  }

  /** @internal */
  emitError(kind: string): void {
    const ev: CanErrorEvent = { state: this.state, tec: this.tec, rec: this.rec, kind };
    for (const cb of this.errorCbs) cb(ev);
  }
}

export class VirtualCanBus {
  readonly bitRate: number;
  /** One bit in ms. */
  readonly bitMs: number;
  readonly nodes: VirtualCanNode[] = [];
  private busyUntil = -Infinity;
  /** @internal when each queued frame was handed to send() */
  readonly queuedAt = new WeakMap<CanFrame, number>();
  private armed = false;
  private injected: { atBit: number }[] = [];
  private trafficCbs: ((t: BusTraffic) => void)[] = [];
  readonly stats = { frames: 0, errorFrames: 0, arbitrationsLost: 0, busyBits: 0, firstMs: NaN, lastMs: NaN };

  constructor(readonly clock: Clock, options: VirtualCanBusOptions = {}) {
    this.bitRate = options.bitRate ?? 125_000;
    if (!(this.bitRate > 0)) throw new RangeError("bit rate must be > 0");
    this.bitMs = 1000 / this.bitRate;
  }

  attach(name: string, options: VirtualNodeOptions = {}): VirtualCanNode {
    const node = new VirtualCanNode(this, name, options);
    this.nodes.push(node);
    return node;
  }

  /** Every frame that completed without error, with its times. */
  onTraffic(cb: (t: BusTraffic) => void): void {
    this.trafficCbs.push(cb);
  }

  /** Destroys the next `count` transmissions with an error frame at bit `atBit` (default 20). */
  injectErrors(count: number, atBit = 20): void {
    for (let i = 0; i < count; i++) this.injected.push({ atBit });
  }

  /** Share of time the bus carried bits since the first frame (0..1). */
  load(untilMs = this.clock.now()): number {
    const span = untilMs - this.stats.firstMs;
    return span > 0 ? (this.stats.busyBits * this.bitMs) / span : 0;
  }

  /** @internal a node has something to send */
  wake(): void {
    if (this.armed) return;
    this.armed = true;
    const at = Math.max(this.clock.now(), this.busyUntil);
    this.clock.after(at - this.clock.now(), () => {
      this.armed = false;
      this.arbitrate();
    });
  }

  private arbitrate(): void {
    let winner: VirtualCanNode | undefined;
    let winnerBox = -1;
    let winnerBits: number[] = [];
    let contenders = 0;
    for (const n of this.nodes) {
      if (n.state === "bus-off") continue;
      const box = n.controller.nextMailbox();
      if (box < 0) continue;
      contenders++;
      const bits = arbitrationBits(n.controller.mailboxes[box]!);
      if (!winner || before(bits, winnerBits)) {
        winner = n;
        winnerBox = box;
        winnerBits = bits;
      }
    }
    if (!winner) return;
    this.stats.arbitrationsLost += contenders - 1;
    const frame = winner.controller.mailboxes[winnerBox]!;
    const start = this.clock.now();
    if (Number.isNaN(this.stats.firstMs)) this.stats.firstMs = start;
    const error = this.injected.shift();
    const enc = encodeFrameBits(frame);
    const receivers = this.nodes.filter((n) => n !== winner && n.state !== "bus-off");
    const tx = winner;
    if (error) {
      // error flag (6) + delimiter (8) after the erroneous bit, then IFS
      const bits = Math.min(error.atBit, enc.frameBits) + 6 + 8 + 3;
      this.occupy(start, bits, () => {
        this.stats.errorFrames++;
        for (const r of receivers) this.bumpRec(r, 1, "bit");
        this.bumpTec(tx, 8, "bit");
        this.afterFrame();
      });
      return;
    }
    if (receivers.length === 0) {
      // nobody drives the ACK slot: ACK error after the ACK slot, error frame
      const bits = enc.stuffed.length + 2 + 6 + 8 + 3;
      this.occupy(start, bits, () => {
        this.stats.errorFrames++;
        // an error-passive transmitter that only sees ACK errors does not raise its TEC (ISO 11898-1)
        if (tx.state !== "error-passive") this.bumpTec(tx, 8, "ack");
        else tx.emitError("ack");
        this.afterFrame();
      });
      return;
    }
    this.occupy(start, enc.bitsWithIfs, () => {}, enc.frameBits, () => {
      tx.controller.complete(winnerBox);
      tx.sent++;
      if (tx.tec > 0) tx.tec--;
      this.updateState(tx);
      this.stats.frames++;
      const end = this.clock.now();
      this.stats.lastMs = end;
      const t: BusTraffic = { frame, sender: tx.name, queuedMs: this.queuedAt.get(frame) ?? start, startMs: start, endMs: end, bits: enc.frameBits };
      for (const cb of this.trafficCbs) cb(t);
      for (const r of receivers) {
        if (r.rec > 0) r.rec = r.rec > 127 ? 119 : r.rec - 1;
        this.updateState(r);
        r.deliver({ id: frame.id, extended: frame.extended, rtr: frame.rtr, dlc: frame.dlc, data: frame.data.slice() });
      }
    });
  }

  /** Marks the bus busy for `bits`; calls `atMid` after `midBits` (end of EOF) and `done` at the end. */
  private occupy(start: number, bits: number, done: () => void, midBits?: number, atMid?: () => void): void {
    this.stats.busyBits += bits;
    this.busyUntil = start + bits * this.bitMs;
    if (midBits !== undefined && atMid) this.clock.after(midBits * this.bitMs, atMid);
    this.clock.after(bits * this.bitMs, () => {
      done();
      this.afterFrame();
    });
  }

  private afterFrame(): void {
    for (const n of this.nodes) if (n.state !== "bus-off" && n.controller.pendingTx > 0) return this.wake();
  }

  private bumpTec(n: VirtualCanNode, by: number, kind: string): void {
    n.tec += by;
    this.updateState(n);
    n.emitError(kind);
    if (n.state === "bus-off") {
      n.emitError("bus-off");
      // recovery: 128 occurrences of 11 consecutive recessive bits
      this.clock.after(128 * 11 * this.bitMs, () => {
        n.tec = 0;
        n.rec = 0;
        n.state = "error-active";
        n.emitError("recovered");
        this.afterFrame();
      });
    }
  }

  private bumpRec(n: VirtualCanNode, by: number, kind: string): void {
    n.rec = Math.min(n.rec + by, 255);
    this.updateState(n);
    n.emitError(kind);
  }

  private updateState(n: VirtualCanNode): void {
    if (n.state === "bus-off") return;
    if (n.tec >= 256) n.state = "bus-off";
    else n.state = n.tec >= 128 || n.rec >= 128 ? "error-passive" : "error-active";
  }
}

/** The arbitration field as bits (standard: id, RTR, IDE; extended: base id, SRR, IDE, id ext, RTR). */
function arbitrationBits(frame: CanFrame): number[] {
  const all = headerAndDataBits(frame);
  return all.slice(1, frame.extended ? 33 : 14);
}

function before(a: number[], b: number[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return a.length < b.length;
}
