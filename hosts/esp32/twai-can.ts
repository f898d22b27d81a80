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
  private frameCb: (f: CanFrame) => void = () => {};
  private errorCb: (e: CanErrorEvent) => void = () => {};
  private lastState = 0;

  constructor(private readonly device: TwaiDevice) {}

  send(frame: CanFrame): boolean {
    const problem = frameProblem(frame);
    if (problem) throw new RangeError(`TWAI: ${problem}`);
    if (this.lastState === 2) return false;
    const data = frame.rtr || frame.dlc === 0 ? undefined : frame.data.slice(0, frame.dlc).buffer;
    return this.device.write(frame.id, (frame.extended ? 1 : 0) | (frame.rtr ? 2 : 0), frame.dlc, data);
  }

  onFrame(cb: (frame: CanFrame) => void): void { this.frameCb = cb; }
  onError(cb: (event: CanErrorEvent) => void): void { this.errorCb = cb; }

  /** Drains the receive queue. */
  readable(): number {
    let n = 0;
    const h = this.header;
    for (; this.device.read(this.rx, h); n++) {
      const rtr = (h[1] & 2) !== 0;
      // The frame and its data are the receiver's to keep (CanPort): one object and one copy per frame.
      this.frameCb({ id: h[0], extended: (h[1] & 1) !== 0, rtr, dlc: h[2], data: rtr ? new Uint8Array(0) : this.rx.slice(0, h[2]) });
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
