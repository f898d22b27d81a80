// Types of twai-native.js / twai-native.c, our native TWAI module, as a module
// declaration beside it: mcconfig maps "twai-native" to this file for tsc (as it
// does for the SDK's own .d.ts files), and tsconfig.esp32.json maps it by path.
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
declare class TwaiNative {
  constructor(options: TwaiOptions);
  /** Queues a frame: flags bit0 = extended, bit1 = remote. Returns false when the TX queue is full. */
  write(id: number, flags: number, dlc: number, data: ArrayBuffer | undefined): boolean;
  /** Takes one received frame: its data into `into` (8 bytes), [id, flags, dlc] into `header`; false when none waits. */
  read(into: Uint8Array, header: Uint32Array): boolean;
  /** [state (0 active, 1 passive, 2 bus-off), tec, rec] */
  status(): [number, number, number];
  /** Starts bus-off recovery (128 × 11 recessive bits). */
  recover(): void;
  close(): void;
}
export default TwaiNative;
