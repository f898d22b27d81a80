// Types of stpm-snapshot.js / stpm-snapshot.c (mapped by path in tsconfig.esp32.json).
/** Native STPM3x waveform capture: an esp_timer reads one V1_DATA/C1_DATA pair per period into C buffers. */
export default class StpmSnapshot {
  /** Adds its own SPI device (mode 3, `hz`) on an initialised host; `capacity` pairs of C buffers (16..8192). */
  constructor(spiHost: number, select: number, hz: number, rate: number, capacity: number);
  /** Starts a background capture of `count` pairs at `rate` S/s (100..8000); false while one runs or if DSP_CR3 did not read. */
  start(count: number, rate: number): boolean;
  /** 0 idle, 1 running, 2 done, 3 failed (a CRC error or an SPI error). */
  readonly state: number;
  /** The rate the timer kept over the last finished capture (S/s); 0 before one. */
  readonly rate: number;
  readonly crcErrors: number;
  /** Scales the finished capture into the Float32Arrays (in C); pairs written, 0 unless done. */
  take(u: Float32Array, i: Float32Array, vScale: number, iScale: number): number;
  close(): void;
}
