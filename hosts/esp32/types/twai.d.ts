// Our native TWAI module (hosts/esp32/twai/twai.c, bound by twai-native.js).
declare module "twai-native" {
  export interface TwaiOptions {
    tx: number;
    rx: number;
    /** Bit rate in bit/s: 125000, 250000, 500000 or 1000000. */
    bitrate: number;
    /** Called from the main task when frames wait in the receive queue. */
    onReadable: () => void;
    /** Called when the controller reports an alert (bus error, error passive, bus off). */
    onError?: () => void;
  }
  export default class TwaiNative {
    constructor(options: TwaiOptions);
    /** Queues a frame: flags bit0 = extended, bit1 = remote. Returns false when the TX queue is full. */
    write(id: number, flags: number, dlc: number, data: ArrayBuffer | undefined): boolean;
    /** Takes one received frame into `into` (8 bytes); returns undefined when none waits. */
    read(into: Uint8Array): { id: number; flags: number; dlc: number } | undefined;
    /** [state (0 active, 1 passive, 2 bus-off), tec, rec] */
    status(): [number, number, number];
    /** Starts bus-off recovery (128 × 11 recessive bits). */
    recover(): void;
    close(): void;
  }
}
