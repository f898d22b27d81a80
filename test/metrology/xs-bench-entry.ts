// Bundled into XS by bench/metrology.ts. Reference: a 3-phase MeterPipeline fed one second of signal per
// call, and probes of its stages (private members reached through a cast: a bench looks inside).
// Board path: BoardMetrology fed 5 register windows per second and the snapshots its governor asks for.
import { MeterPipeline } from "../../modules/metrology/meter";
import { BoardMetrology, type PhaseRegisters } from "../../modules/metrology/board-metrology";
import type { WindowSpectrum } from "../../modules/metrology/window-spectrum";
import { ZeroCrossingDetector } from "../../modules/metrology/zero-crossing";
import { Stpm3x, type StpmReadings } from "../../hosts/esp32/stpm3x";
import { stpmCrc8 } from "../../hosts/esp32/stpm3x-registers";

const FS = 6400;
let meter: MeterPipeline | undefined;
let data: Float64Array | undefined;
let windows = 0;

function signal(seconds: number): Float64Array {
  const n = FS * seconds, out = new Float64Array(n * 6);
  const w = (2 * Math.PI * 50) / FS;
  for (let k = 0; k < n; k++) for (let p = 0; p < 3; p++) {
    const x = w * k - (2 * Math.PI * p) / 3;
    out[(k * 3 + p) * 2] = 325 * (Math.sin(x) + 0.05 * Math.sin(5 * x));
    out[(k * 3 + p) * 2 + 1] = 14 * Math.sin(x - 0.4);
  }
  return out;
}

export function setup(): number {
  data = signal(1);
  meter = new MeterPipeline({ phases: 3, sampleRate: FS, nominalVoltage: 230, nominalFrequency: 50 }, { onWindow: () => { windows++; } });
  return meter.fftSize;
}

/** Pushes one second of three-phase signal in 20 ms blocks; returns windows so far. */
export function second(): number {
  for (let k = 0; k < FS; k += 128) meter!.push(data!, 128, k * 6);
  return windows;
}

// --- Stage probes of the reference pipeline, each doing one second's worth of its stage. ---
interface MeterInside {
  count: number; base: number; crossings: Float64Array; ub: Float64Array[]; ib: Float64Array[];
  spectrum: {
    size: number; re: Float64Array; im: Float64Array;
    resample16(U: Float64Array, I: Float64Array, a: number, step: number): void; split(): void;
    fft: { passes(re: Float64Array, im: Float64Array, from: number, to: number): void };
    harmonicsInto: WindowSpectrum["harmonicsInto"];
  };
  store(block: ArrayLike<number>, k0: number, run: number): void;
  closeWindow(): void;
  harmonics: MeterPipeline["harmonics"];
}
let probe: MeterInside | undefined;

export function probeSetup(): number {
  const m = new MeterPipeline({ phases: 3, sampleRate: FS, nominalVoltage: 230, nominalFrequency: 50 });
  for (let k = 0; k < FS; k += 128) m.push(data!, 128, k * 6);
  probe = m as unknown as MeterInside;
  return probe.count;
}
/** Calibrate + store + half-cycle sums of 6400 three-phase frames (the per-sample part of push without sync). */
export function probeStore(): number {
  const m = probe!, saved = m.count;
  for (let k = 0; k < FS; k += 640) { m.count = 0; m.store(data!, k * 6, 640); }
  m.count = saved;
  return 0;
}
/** Five window closes (3 phases each) over 1280-sample windows. */
export function probeWindows(): number {
  const m = probe!;
  for (let r = 0; r < 5; r++) { m.crossings[0] = m.base + 10.3; m.crossings[10] = m.base + 10.3 + 1280; m.closeWindow(); }
  return 0;
}
/** The zero-crossing detector alone over one second of u1 (6400 steps; sync calls it once per frame). */
const zc = new ZeroCrossingDetector(0.1 * 230 * Math.SQRT2, 4);
export function probeZeroCrossing(): number {
  const d = data!;
  for (let k = 0; k < FS; k++) zc.step(d[k * 6], k);
  zc.pending = -1;
  return 0;
}
const PER_SECOND = 15; // 5 windows × 3 phases
export function probeResample(): number {
  const s = probe!.spectrum;
  for (let r = 0; r < PER_SECOND; r++) s.resample16(probe!.ub[0], probe!.ib[0], 10.3, 1280 / s.size);
  return 0;
}
export function probeFft(): number {
  const s = probe!.spectrum;
  for (let r = 0; r < PER_SECOND; r++) s.fft.passes(s.re, s.im, 16, s.size >> 1);
  return 0;
}
export function probeSplit(): number {
  const s = probe!.spectrum;
  for (let r = 0; r < PER_SECOND; r++) s.split();
  return 0;
}
export function probeHarmonics(): number {
  const s = probe!.spectrum;
  for (let r = 0; r < PER_SECOND; r++) s.harmonicsInto(probe!.harmonics, 0);
  return 0;
}

// --- Board path ---
let board: BoardMetrology | undefined;
let snapU: Float64Array[] = [], snapI: Float64Array[] = [];
let regs: PhaseRegisters[] = [];
let boardT = 0, snapshots = 0, boardWindows = 0;

export function boardSetup(): { fftSize: number; interval: number; refreshSeconds: number; expected: number; snapshotLength: number } {
  board = new BoardMetrology({ phases: 3, nominalVoltage: 230, nominalFrequency: 50, snapshotRate: FS }, { onWindow: () => { boardWindows++; } });
  const n = board.snapshotLength();
  snapU = []; snapI = [];
  for (let p = 0; p < 3; p++) {
    const u = new Float64Array(n), i = new Float64Array(n);
    for (let k = 0; k < n; k++) { u[k] = data![(k * 3 + p) * 2]; i[k] = data![(k * 3 + p) * 2 + 1]; }
    snapU.push(u); snapI.push(i);
  }
  regs = [0, 1, 2].map((p) => ({ v: 230.1 + p, i: 9.9, p: 2093 + p, q: 884, s: 2278, f: 50.01 }));
  const g = board.governor;
  return { fftSize: board.analyzer.fftSize, interval: g.interval, refreshSeconds: g.refreshSeconds, expected: g.computronsPerSecond, snapshotLength: n };
}

/** One second on the board: 5 register windows, and each snapshot the governor asks for. */
export function boardSecond(): number {
  const b = board!, n = snapU[0].length;
  for (let w = 0; w < 5; w++) {
    b.window(boardT, 0.2, regs);
    boardT += 0.2;
    const p = b.snapshotDue();
    if (p >= 0) { b.snapshot(p, snapU[p], snapI[p], n, boardT); snapshots++; }
  }
  return snapshots;
}
/** One register window of three phases (record, events, energy, aggregation). */
export function boardWindow(): number {
  board!.window(boardT, 0.2, regs);
  boardT += 0.2;
  return boardWindows;
}
/** One phase snapshot's analysis. */
export function boardSnapshot(): number {
  board!.snapshot(0, snapU[0], snapI[0], snapU[0].length, boardT);
  return 0;
}
/** The same snapshot in steps (one evaluate per step, so each step's computrons show). */
export function boardBegin(): number {
  board!.beginSnapshot(0, snapU[0], snapI[0], snapU[0].length, boardT);
  return 0;
}
export function boardStep(): boolean {
  return board!.stepSnapshot();
}
let board1024: BoardMetrology | undefined;
/** The same snapshot on a board configured without the image guard (1024-point FFT). */
export function boardSnapshot1024(): number {
  board1024 ??= new BoardMetrology({ phases: 3, nominalVoltage: 230, nominalFrequency: 50, snapshotRate: FS, imageGuard: false });
  board1024.snapshot(0, snapU[0], snapI[0], snapU[0].length, boardT);
  return board1024.analyzer.fftSize;
}

// The STPM3x driver's register reads (host side, but JavaScript on the board too), on a fake SPI
// that answers each frame with a register value and its CRC.
const spi = {
  transfer(frame: Uint8Array): void { frame[0] = 0x34; frame[1] = 0x12; frame[2] = 0x40; frame[3] = 0x01; frame[4] = stpmCrc8(frame, 4); },
  flush(): void {},
};
const chip = new Stpm3x(spi, { vRms: 0.01, iRms: 0.001, power: 0.001, energy: 1e-6, vSample: 1e-5, iSample: 1e-6 });
const into: StpmReadings = { vRms: 0, iRms: 0, activePower: 0, reactivePower: 0, apparentPower: 0, activeEnergyRaw: 0, reactiveEnergyRaw: 0 };
/** Latch and read one channel's RMS, powers and energies (what StpmFrontEnd does per window and chip). */
export function stpmReadChannel(): number {
  chip.readChannel1(into);
  return into.vRms;
}
