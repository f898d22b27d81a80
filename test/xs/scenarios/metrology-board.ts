// XS conformance: the board path (BoardMetrology) gives the same records on Node and XS — register
// windows of three phases with a dip on L2, snapshots at the governor's duty (a budget of 1.2 M so several
// are taken), half-cycle RMS events, 3 s aggregates. Values are rounded to 9 significant digits because
// Math.sin/cos (signal, FFT twiddles, gain correction) may differ by an ulp between engines' libm.
import { BoardMetrology, type PhaseRegisters } from "../../../modules/metrology/board-metrology";

const FS = 6400;
const r9 = (x: number) => Number(x.toPrecision(9));
// Harmonic magnitudes near the noise floor (1e-5 V) come out of cancellations: round them to µV, not to digits.
const uv = (x: number) => Math.round(x * 1e6) / 1e6;

function snapshot(p: number, n: number, f: number): { u: Float64Array; i: Float64Array } {
  const u = new Float64Array(n), i = new Float64Array(n), w = (2 * Math.PI * f) / FS, ph = (-2 * Math.PI * p) / 3;
  for (let k = 0; k < n; k++) {
    const x = w * k + ph + 0.37;
    u[k] = 325.27 * (Math.sin(x) + 0.05 * Math.sin(5 * x) + 0.03 * Math.sin(7 * x + 0.3));
    i[k] = 14.14 * (Math.sin(x - 0.4) + 0.2 * Math.sin(3 * x) + 0.01 * p * Math.sin(11 * x));
  }
  return { u, i };
}

export function run(): unknown {
  const windows: unknown[] = [], events: unknown[] = [], aggregates: unknown[] = [];
  const b = new BoardMetrology({ phases: 3, nominalVoltage: 230, nominalFrequency: 50, snapshotRate: FS, budget: 1_200_000 }, {
    onWindow: (w) => windows.push([r9(w.t), r9(w.f), w.u.map(r9), w.p1.map(r9), w.s1.map(r9), w.dpf.map(r9), w.thdu.map(r9), w.thdi.map(r9), w.harmonicsAge.map(r9), w.flagged]),
    onEvent: (e) => events.push([e.type, e.phase, r9(e.start), r9(e.duration), r9(e.extreme), e.cell]),
    onAggregate: (a) => aggregates.push([a.interval, r9(a.t), a.windows, a.u.map(r9), a.thdu.map(r9), a.flagged]),
  });
  const regs: PhaseRegisters[] = [0, 1, 2].map((p) => ({ v: 230.4 + p, i: 10.1, p: 2130 - p, q: 880 + p, s: 0, f: 50.02 }));
  let t = 0;
  for (let w = 0; w < 40; w++) {
    regs[1].v = w >= 10 && w < 13 ? 161.2 : 231.4;
    b.window(t, 0.2, regs);
    t += 0.2;
    const p = b.snapshotDue();
    if (p >= 0) { const n = b.snapshotLength(); const s = snapshot(p, n, 50.02); b.snapshot(p, s.u, s.i, n, t); }
  }
  b.halfCycle(0, t + 0.01, 230); b.halfCycle(0, t + 0.02, 4); b.halfCycle(0, t + 0.25, 229);
  b.flush();
  return { interval: b.governor.interval, windows, events, aggregates, harmonics: Array.from(b.harmonics.u[1], uv), energy: Array.from(b.energy.importWh, r9) };
}

const probeBoard = new BoardMetrology({ phases: 3, nominalVoltage: 230, nominalFrequency: 50, snapshotRate: FS });
const probeRegs: PhaseRegisters[] = [0, 1, 2].map(() => ({ v: 230, i: 10, p: 2200, q: 600, s: 2300, f: 50 }));
const probeSnap = snapshot(0, probeBoard.snapshotLength(), 50);

export const probes = {
  /** One register window of three phases. */
  boardWindow(): unknown {
    probeBoard.window(0, 0.2, probeRegs);
    return r9(probeBoard.energy.importWh[0]);
  },
  /** One phase snapshot's analysis (2048-point FFT). */
  boardSnapshot(): unknown {
    probeBoard.snapshot(0, probeSnap.u, probeSnap.i, probeSnap.u.length, 1);
    return r9(probeBoard.analyzer.thdu[0]);
  },
};
