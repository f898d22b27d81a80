// The board path: STPM3x-style register windows + waveform snapshots → the meter's record shapes.
// Expected values come from the IEEE 1459 definitions (REFERENCES §3 T3), computed here.
import { describe, expect, it } from "vitest";
import { BoardMetrology, type BoardWindowRecord, type PhaseRegisters } from "../../modules/metrology/board-metrology";
import { SnapshotAnalyzer } from "../../modules/metrology/snapshot-analyzer";
import { SnapshotGovernor } from "../../modules/metrology/snapshot-governor";
import type { AggregateRecord, EventRecord } from "../../modules/metrology/records";

const FS = 6400;
const rms = (...xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + x * x, 0));
const rad = (d: number) => (d * Math.PI) / 180;
// T3: V1 230∠0, V3 23∠0, V5 11.5∠0; I1 10∠−30°, I3 3∠−60°, I5 1.5∠+20° (RMS).
const T3 = { u: [[1, 230, 0], [3, 23, 0], [5, 11.5, 0]], i: [[1, 10, -30], [3, 3, -60], [5, 1.5, 20]] };

function snapshot(f: number, n: number, start = 0.0123): { u: Float64Array; i: Float64Array } {
  const u = new Float64Array(n), i = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const t = start + k / FS;
    for (const [h, a, d] of T3.u) u[k] += a * Math.SQRT2 * Math.sin(2 * Math.PI * h * f * t + rad(d));
    for (const [h, a, d] of T3.i) i[k] += a * Math.SQRT2 * Math.sin(2 * Math.PI * h * f * t + rad(d));
  }
  return { u, i };
}

// What the chip would report for T3 over one window.
const V = rms(230, 23, 11.5), I = rms(10, 3, 1.5);
const P1 = 230 * 10 * Math.cos(rad(30)), P = P1 + 23 * 3 * Math.cos(rad(60)) + 11.5 * 1.5 * Math.cos(rad(-20));
const Q1 = 230 * 10 * Math.sin(rad(30));
const regsT3 = (f: number): PhaseRegisters => ({ v: V, i: I, p: P, q: Q1, s: V * I, f });

describe("SnapshotAnalyzer", () => {
  it("T3 snapshot: THD, fundamental ratios, displacement angle, harmonics", () => {
    const a = new SnapshotAnalyzer({ phases: 1, sampleRate: FS, nominalFrequency: 50 });
    expect(a.fftSize).toBe(2048);
    const n = a.samplesFor(50.3);
    const { u, i } = snapshot(50.3, n);
    a.analyze(0, u, i, n, 50.3, 7);
    expect(a.thdu[0]).toBeCloseTo((100 * rms(23, 11.5)) / 230, 2);
    expect(a.thdi[0]).toBeCloseTo((100 * rms(3, 1.5)) / 10, 2);
    expect(a.u1Ratio[0]).toBeCloseTo(230 / V, 4);
    expect(a.i1Ratio[0]).toBeCloseTo(10 / I, 4);
    expect(a.cos1[0]).toBeCloseTo(Math.cos(rad(30)), 4);
    expect(a.sin1[0]).toBeCloseTo(Math.sin(rad(30)), 4);
    expect(a.harmonics.u[0][3]).toBeCloseTo(23, 2);
    expect(a.harmonics.i[0][5]).toBeCloseTo(1.5, 3);
    expect(a.at[0]).toBe(7);
  });
  it("without the image guard: 1024 points, harmonics still within 0.1 %, no image on a harmonic bin", () => {
    const a = new SnapshotAnalyzer({ phases: 1, sampleRate: FS, nominalFrequency: 50, imageGuard: false });
    expect(a.fftSize).toBe(1024);
    const n = a.samplesFor(49.7);
    const { u, i } = snapshot(49.7, n);
    a.analyze(0, u, i, n, 49.7, 0);
    expect(Math.abs(a.thdu[0] - (100 * rms(23, 11.5)) / 230)).toBeLessThan(0.01);
    expect(Math.abs(a.harmonics.u[0][3] - 23) / 23).toBeLessThan(1e-3);
    // The fundamental's images fall 25.6 orders away (N − m = 256 bins): between harmonics, never on one.
    for (const h of [2, 4, 6, 7, 24, 25, 26, 27]) expect(a.harmonics.u[0][h], `order ${h}`).toBeLessThan(0.02);
  });
  it("in steps: the same results as analyze(), applied only at the last step", () => {
    const whole = new SnapshotAnalyzer({ phases: 2, sampleRate: FS, nominalFrequency: 50 });
    const stepped = new SnapshotAnalyzer({ phases: 2, sampleRate: FS, nominalFrequency: 50 });
    const n = whole.samplesFor(50.1);
    const { u, i } = snapshot(50.1, n);
    whole.analyze(1, u, i, n, 50.1, 3);
    stepped.begin(1, u, i, n, 50.1, 3);
    let steps = 0;
    while (!stepped.step()) {
      steps++;
      expect(stepped.busy).toBe(true);
      expect(stepped.at[1]).toBe(-1);
      expect(stepped.thdu[1]).toBe(0);
    }
    expect(steps).toBe(4); // two halves of resampling + 16-point DFTs, two radix-8 passes (2048 points); the split finishes
    expect(stepped.busy).toBe(false);
    expect(stepped.step()).toBe(true); // nothing begun
    for (const k of ["thdu", "thdi", "u1Ratio", "i1Ratio", "cos1", "sin1", "at"] as const) expect(stepped[k][1], k).toBe(whole[k][1]);
    expect(Array.from(stepped.harmonics.uGroup[1])).toEqual(Array.from(whole.harmonics.uGroup[1]));
  });
  it("rejects a snapshot shorter than one window, and a phase out of range", () => {
    const a = new SnapshotAnalyzer({ phases: 1, sampleRate: FS, nominalFrequency: 50 });
    const { u, i } = snapshot(50, 1200);
    expect(() => a.analyze(0, u, i, 1200, 50, 0)).toThrow(/cannot hold 10 cycles/);
    expect(() => a.analyze(1, u, i, 1200, 50, 0)).toThrow(RangeError);
    expect(a.at[0]).toBe(-1); // nothing half-applied
  });
});

describe("SnapshotGovernor", () => {
  it("picks the smallest interval that keeps the budget and rotates phases", () => {
    const g = new SnapshotGovernor({ budget: 500_000, windowsPerSecond: 5, phases: 3, windowCost: 20_000, snapshotCost: 1_000_000 });
    // 5 × 20 k = 100 k for windows; 400 k left; 5 M of snapshot work per second at interval 1 ⇒ interval 13.
    expect(g.interval).toBe(Math.ceil((5 * 1_000_000) / 400_000));
    expect(g.computronsPerSecond).toBeLessThanOrEqual(500_000);
    expect(5 * 20_000 + (5 * 1_000_000) / (g.interval - 1)).toBeGreaterThan(500_000); // one less would not fit
    const due: number[] = [];
    for (let w = 0; w < 4 * g.interval; w++) { const p = g.next(); if (p >= 0) due.push(w, p); }
    expect(due).toEqual([12, 0, 25, 1, 38, 2, 51, 0]);
  });
  it("takes no snapshots when the windows alone exceed the budget", () => {
    const g = new SnapshotGovernor({ budget: 50_000, windowsPerSecond: 5, phases: 1, windowCost: 20_000, snapshotCost: 1 });
    expect(g.interval).toBe(0);
    for (let w = 0; w < 100; w++) expect(g.next()).toBe(-1);
  });
});

describe("BoardMetrology", () => {
  function board(extra: Partial<ConstructorParameters<typeof BoardMetrology>[0]> = {}) {
    const windows: BoardWindowRecord[] = [], events: EventRecord[] = [], aggregates: AggregateRecord[] = [];
    const b = new BoardMetrology({ phases: 1, nominalVoltage: 230, nominalFrequency: 50, snapshotRate: FS, ...extra }, {
      onWindow: (w) => windows.push(JSON.parse(JSON.stringify(w))), onEvent: (e) => events.push(e), onAggregate: (a) => aggregates.push(JSON.parse(JSON.stringify(a))),
    });
    return { b, windows, events, aggregates };
  }

  it("T3 from registers + one snapshot: every IEEE 1459 term, and the snapshot's age", () => {
    const { b, windows } = board();
    b.window(0, 0.2, [regsT3(50)]);
    expect(windows[0].harmonicsAge[0]).toBe(-1);
    expect(windows[0].thdu[0]).toBe(0);
    expect(windows[0].p1[0]).toBe(P); // no snapshot yet: taken as a sine, P1 = P, DPF = PF
    expect(windows[0].dpf[0]).toBeCloseTo(P / (V * I), 12);
    const n = b.snapshotLength();
    const { u, i } = snapshot(50, n);
    b.snapshot(0, u, i, n, 0.2);
    b.window(0.2, 0.2, [regsT3(50)]);
    b.window(0.4, 0.2, [regsT3(50)]);
    const w = windows[2];
    const S = V * I, S1 = 2300, VH = rms(23, 11.5), IH = rms(3, 1.5);
    const exp: Record<string, number> = { u: V, i: I, p: P, p1: P1, ph: P - P1, q1: Q1, s: S, s1: S1, sn: Math.sqrt(S * S - S1 * S1), di: 230 * IH, dv: VH * 10, sh: VH * IH, n: Math.sqrt(S * S - P * P), pf: P / S, dpf: P1 / S1, thdu: (100 * VH) / 230, thdi: (100 * IH) / 10 };
    for (const [k, v] of Object.entries(exp)) expect(Math.abs((w as unknown as Record<string, number[]>)[k][0] - v) / Math.abs(v), k).toBeLessThan(k === "ph" ? 3e-3 : 5e-4);
    expect(w.harmonicsAge[0]).toBeCloseTo(0.4, 9);
    expect(b.harmonics.u[0][5]).toBeCloseTo(11.5, 2);
  });

  it("a chip's fundamental power register wins over the snapshot's angle", () => {
    const { b, windows } = board();
    const n = b.snapshotLength();
    const { u, i } = snapshot(50, n);
    b.snapshot(0, u, i, n, 0);
    b.window(0, 0.2, [{ ...regsT3(50), p1: 1234 }]);
    expect(windows[0].p1[0]).toBe(1234);
    expect(windows[0].ph[0]).toBeCloseTo(P - 1234, 9);
  });

  it("window RMS below 90 % makes a dip, flags the windows and the 3 s aggregate", () => {
    const { b, windows, events, aggregates } = board();
    for (let k = 0; k < 15; k++) b.window(k * 0.2, 0.2, [{ v: k >= 5 && k < 8 ? 161 : 230, i: 5, p: 1150, q: 0, s: 0, f: 50 }]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "dip", phase: 1, extreme: 161 });
    expect(events[0].start).toBeCloseTo(1.2, 9);
    expect(events[0].duration).toBeCloseTo(0.6, 9);
    expect(windows.map((w) => w.flagged)).toEqual(windows.map((_, k) => k >= 5 && k <= 8));
    expect(aggregates).toHaveLength(1);
    expect(aggregates[0]).toMatchObject({ interval: "3s", windows: 15, flagged: true });
    expect(aggregates[0].u[0]).toBeCloseTo(Math.sqrt((12 * 230 * 230 + 3 * 161 * 161) / 15), 9);
    expect(windows[0].s[0]).toBe(230 * 5); // apparent power 0 ⇒ V·I
  });

  it("half-cycle RMS, once given, drive the events instead of the window RMS", () => {
    const { b, events } = board();
    b.halfCycle(0, 0.01, 230);
    b.halfCycle(0, 0.02, 5);
    b.halfCycle(0, 0.03, 5);
    b.window(0, 0.2, [{ v: 100, i: 0, p: 0, q: 0, s: 0, f: 50 }]); // ignored for events now
    b.halfCycle(0, 0.21, 230);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "interruption", start: 0.02, extreme: 5 });
    expect(events[0].duration).toBeCloseTo(0.19, 9);
  });

  it("asks for snapshots at the governor's duty, phases in turn, and integrates energy", () => {
    const { b } = board({ phases: 3, windowCost: 20_000, snapshotCost: 1_000_000 });
    expect(b.governor.interval).toBe(13);
    const due: number[] = [];
    const r = { v: 230, i: 10, p: 2300, q: 0, s: 2300, f: 50 };
    for (let w = 0; w < 18_000; w++) { b.window(w * 0.2, 0.2, [r, r, r]); const p = b.snapshotDue(); if (p >= 0 && due.length < 6) due.push(w, p); }
    expect(due).toEqual([12, 0, 25, 1, 38, 2]);
    expect(b.energy.importWh[1]).toBeCloseTo(2300, 6); // 1 h at 2300 W
  });
});
