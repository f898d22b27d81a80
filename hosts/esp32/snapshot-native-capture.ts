import type { SnapshotCapture } from "./stpm-front-end";
import type { SampleScales } from "./snapshot-spi-capture";

/** What the capture needs of the native StpmSnapshot (stpm-snapshot.js/.c; types stpm-snapshot.d.ts). */
export interface SnapshotEngine {
  /** Begins a capture of `count` pairs at `rate` S/s in the background; false while one runs or the chip did not answer. */
  start(count: number, rate: number): boolean;
  /** 0 idle, 1 running, 2 done, 3 failed. */
  readonly state: number;
  /** Scales the finished capture into u and i; the number of pairs (0 unless one is done). */
  take(u: Float32Array, i: Float32Array, vScale: number, iScale: number): number;
}

export const SNAPSHOT_STATE = Object.freeze({ idle: 0, running: 1, done: 2, failed: 3 });

/**
 * The board's SnapshotCapture over the native engine. The C captures in the background (a timer,
 * no JavaScript per sample) while the measuring task goes on, so a capture is asked one due time
 * ahead: the first call starts one and answers false; each later call hands over the finished
 * snapshot of that length (a snapshot period old at most) and starts the next. A capture still
 * running, failed (CRC) or of another length answers false and the front end counts it.
 */
export class NativeSnapshotCapture {
  private armedLength = 0;
  started = 0;
  taken = 0;

  constructor(private readonly engine: SnapshotEngine, private readonly rate: number, private readonly scales: SampleScales) {}

  capture(u: Float32Array, i: Float32Array, n: number): boolean {
    const e = this.engine;
    const state = e.state;
    if (state === SNAPSHOT_STATE.running) return false;
    let got = 0;
    if (state === SNAPSHOT_STATE.done && this.armedLength === n) got = e.take(u, i, this.scales.vSample, this.scales.iSample);
    this.arm(n);
    if (got !== n) return false;
    this.taken++;
    return true;
  }

  /** As a SnapshotCapture function for StpmFrontEnd. */
  asCapture(): SnapshotCapture {
    return (u, i, n) => this.capture(u, i, n);
  }

  private arm(n: number): void {
    if (this.engine.start(n, this.rate)) {
      this.armedLength = n;
      this.started++;
    } else this.armedLength = 0;
  }
}
