// The board's capture over the native engine (hosts/esp32/snapshot-native-capture.ts), with a
// stand-in for stpm-snapshot.c that captures "in the background" (it finishes when the test's
// clock says so) from the same harmonic signal: asked one due time ahead, the snapshots reach the
// SnapshotAnalyzer and the THD is measured; one still running, failed or of another length is refused.
import { describe, expect, it } from "vitest";
import { NativeSnapshotCapture, SNAPSHOT_STATE, type SnapshotEngine } from "../../hosts/esp32/snapshot-native-capture";
import { Stpm3x } from "../../hosts/esp32/stpm3x";
import { STPM } from "../../hosts/esp32/stpm3x-registers";
import { StpmFrontEnd } from "../../hosts/esp32/stpm-front-end";
import { FakeStpm3x } from "./fakes/fake-stpm3x";

const FS = 6400;
const scales = { vRms: 0.01, iRms: 0.001, power: 0.5, energy: 0.25, vSample: 5e-5, iSample: 2e-6 };

/** stpm-snapshot.c's behaviour: raw 24-bit codes into its own buffers, scaled into the caller's by take(). */
class BackgroundEngine implements SnapshotEngine {
  state: number = SNAPSHOT_STATE.idle;
  private v = new Int32Array(0);
  private c = new Int32Array(0);
  failNext = false;
  start(count: number, rate: number): boolean {
    if (this.state === SNAPSHOT_STATE.running) return false;
    expect(rate).toBe(FS);
    this.v = new Int32Array(count); this.c = new Int32Array(count);
    for (let k = 0; k < count; k++) {
      const x = (2 * Math.PI * 50 * k) / FS;
      this.v[k] = Math.round((325 * (Math.sin(x) + 0.04 * Math.sin(5 * x))) / scales.vSample);
      this.c[k] = Math.round((7 * (Math.sin(x) + 0.08 * Math.sin(7 * x))) / scales.iSample);
    }
    this.state = SNAPSHOT_STATE.running;
    return true;
  }
  /** The timer's last period: the capture ends (or fails). */
  finish(): void {
    if (this.state === SNAPSHOT_STATE.running) this.state = this.failNext ? SNAPSHOT_STATE.failed : SNAPSHOT_STATE.done;
    this.failNext = false;
  }
  take(u: Float32Array, i: Float32Array, vScale: number, iScale: number): number {
    if (this.state !== SNAPSHOT_STATE.done) return 0;
    for (let k = 0; k < this.v.length; k++) { u[k] = this.v[k] * vScale; i[k] = this.c[k] * iScale; }
    this.state = SNAPSHOT_STATE.idle;
    return this.v.length;
  }
}

describe("NativeSnapshotCapture", () => {
  it("feeds the board's SnapshotAnalyzer: THD measured from background captures", () => {
    const chip = new FakeStpm3x();
    chip.live[STPM.RMS1] = ((Math.round(5 / scales.iRms) << 15) | Math.round(230 / scales.vRms)) >>> 0;
    const engine = new BackgroundEngine();
    const native = new NativeSnapshotCapture(engine, FS, scales);
    const fe = new StpmFrontEnd(new Stpm3x(chip, scales), scales.energy, 0, {
      nominalVoltage: 230, nominalFrequency: 50, snapshotRate: FS, measurePeriodMs: 1000, budget: 600_000, capture: native.asCapture(),
    });
    for (let s = 1; s <= 8; s++) { fe.measure(s * 1000); engine.finish(); }
    expect(native.started).toBeGreaterThanOrEqual(2);
    expect(native.taken).toBeGreaterThanOrEqual(1);
    expect(fe.snapshotFailures).toBe(1); // only the first due time, which started the first capture
    expect(fe.readings().thdVoltagePct).toBeCloseTo(4, 1);
    expect(fe.readings().thdCurrentPct).toBeCloseTo(8, 1);
  });

  it("refuses a capture still running, a failed one and one of another length; then recovers", () => {
    const engine = new BackgroundEngine();
    const native = new NativeSnapshotCapture(engine, FS, scales);
    const u = new Float32Array(256), i = new Float32Array(256);
    expect(native.capture(u, i, 128)).toBe(false); // arms
    expect(native.capture(u, i, 128)).toBe(false); // still running
    engine.finish();
    expect(native.capture(u, i, 256)).toBe(false); // done, but 128 long: re-armed for 256
    engine.failNext = true;
    engine.finish();
    expect(native.capture(u, i, 256)).toBe(false); // failed (CRC): re-armed
    engine.finish();
    expect(native.capture(u, i, 256)).toBe(true);
    expect(u[64]).toBeCloseTo(325 * (Math.sin(Math.PI) + 0.04 * Math.sin(5 * Math.PI)), 2);
  });
});
