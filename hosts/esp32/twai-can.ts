import type { CanBusState, CanErrorEvent, CanFrame, CanPort } from "../../modules/can/can-port";
import { frameProblem } from "../../modules/can/can-port";

/** What twai-native gives (kept as an interface so this adapter is tested on the host). */
export interface TwaiDevice {
  write(id: number, flags: number, dlc: number, data: ArrayBuffer | undefined): boolean;
  /** One received frame: data into `into` (8 bytes), [id, flags, dlc] into `header`; false when none waits. */
  read(into: Uint8Array, header: Uint32Array): boolean;
  status(): [number, number, number];
  recover(): void;
}

const STATES: readonly CanBusState[] = Object.freeze(["error-active", "error-passive", "bus-off"]);

/**
 * The ESP32's TWAI controller behind the CanPort. The native module calls
 * `readable()` / `alert()` on the main task; bus-off recovery is started as
 * soon as it is seen (the controller then waits 128 × 11 recessive bits).
 */
export class TwaiCan implements CanPort {
  private readonly rx = new Uint8Array(8);
  /** [id, flags, dlc] of the frame just read: the native side fills it, so no object per frame. */
  private readonly header = new Uint32Array(3);
  /** rx's first n bytes for each DLC n, made once: a received frame's data is one of these. */
  private readonly views: readonly Uint8Array[] = Array.from({ length: 9 }, (_, n) => this.rx.subarray(0, n));
  /** The one frame object handed to receivers, refilled per frame (CanPort: lent for the call only). */
  private readonly frame: CanFrame = { id: 0, extended: false, rtr: false, dlc: 0, data: this.views[0] };
  /** The bytes of a frame to send: the native write copies dlc of them into the driver's message. */
  private readonly tx = new Uint8Array(8);
  private frameCb: (f: CanFrame) => void = () => {};
  private errorCb: (e: CanErrorEvent) => void = () => {};
  private lastState = 0;

  constructor(private readonly device: TwaiDevice) {}

  send(frame: CanFrame): boolean {
    const problem = frameProblem(frame);
    if (problem) throw new RangeError(`TWAI: ${problem}`);
    if (this.lastState === 2) return false;
    const withData = !frame.rtr && frame.dlc > 0;
    if (withData) this.tx.set(frame.data);
    return this.device.write(frame.id, (frame.extended ? 1 : 0) | (frame.rtr ? 2 : 0), frame.dlc, withData ? (this.tx.buffer as ArrayBuffer) : undefined);
  }

  onFrame(cb: (frame: CanFrame) => void): void { this.frameCb = cb; }
  onError(cb: (event: CanErrorEvent) => void): void { this.errorCb = cb; }

  /** Drains the receive queue: each frame goes to the receiver in the same object and buffer, nothing allocated. */
  readable(): number {
    let n = 0;
    const h = this.header, f = this.frame;
    for (; this.device.read(this.rx, h); n++) {
      f.id = h[0];
      f.extended = (h[1] & 1) !== 0;
      f.rtr = (h[1] & 2) !== 0;
      f.dlc = Math.min(8, h[2]);
      f.data = this.views[f.rtr ? 0 : f.dlc];
      this.frameCb(f);
    }
    return n;
  }

  /** Reads the controller state after an alert and reports it. */
  alert(): void {
    const [state, tec, rec] = this.device.status();
    const kind = state === 2 ? "bus-off" : this.lastState === 2 ? "recovered" : "error";
    if (state === 2 && this.lastState !== 2) this.device.recover();
    this.lastState = state;
    this.errorCb({ state: STATES[state] ?? "bus-off", tec, rec, kind });
  }
}
