// BoardMetrology makes its SnapshotAnalyzer (≈89 KB of spectrum buffers at 6400 S/s) only at the
// first snapshot, so the board's `metrology` key can default to on for boards without PSRAM:
// windows, events and aggregates run without it, and the governor's cost uses the same FFT size.
import { describe, expect, it } from "vitest";
import { BoardMetrology, snapshotFftSize } from "../../modules/metrology/board-metrology";
import { SnapshotAnalyzer } from "../../modules/metrology/snapshot-analyzer";

describe("BoardMetrology's lazy snapshot analyzer", () => {
  it("predicts the analyzer's FFT size for every board setting", () => {
    for (const sampleRate of [2000, 4000, 6400, 8000, 12_800, 25_600])
      for (const nominalFrequency of [50, 60] as const)
        for (const fftSize of [undefined, 512, 2048, 4096])
          for (const imageGuard of [undefined, false]) {
            const c = { phases: 1, sampleRate, nominalFrequency, fftSize, imageGuard };
            expect(snapshotFftSize(c), JSON.stringify(c)).toBe(new SnapshotAnalyzer(c).fftSize);
          }
  });

  it("runs windows, events and 10-min aggregates without making the analyzer; a snapshot makes it", () => {
    const aggregates: string[] = [];
    const m = new BoardMetrology({ phases: 1, nominalVoltage: 230, nominalFrequency: 50, snapshotRate: 6400, windowsPerSecond: 1 }, { onAggregate: (a) => aggregates.push(a.interval) });
    const regs = [{ v: 230, i: 4, p: 900, q: 100, s: 920, f: 50 }];
    for (let t = 0; t < 660; t++) m.window(t, 1, regs);
    expect(aggregates).toContain("10min");
    expect((m as unknown as { an?: unknown }).an).toBeUndefined();
    expect(m.snapshotBusy).toBe(false);
    expect(m.stepSnapshot()).toBe(true);
    // the first snapshot: a pure sine leaves THD 0 and the analyzer now exists
    const n = m.snapshotLength();
    const u = new Float32Array(n), i = new Float32Array(n);
    for (let k = 0; k < n; k++) { u[k] = 325 * Math.sin((2 * Math.PI * 50 * k) / 6400); i[k] = 5.6 * Math.sin((2 * Math.PI * 50 * k) / 6400); }
    m.snapshot(0, u, i, n, 660);
    expect((m as unknown as { an?: unknown }).an).toBeInstanceOf(SnapshotAnalyzer);
    expect(m.analyzer.at[0]).toBe(660);
    expect(m.analyzer.thdu[0]).toBeLessThan(0.1);
  });
});
