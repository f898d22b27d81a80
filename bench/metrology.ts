/**
 * npm run bench:metrology — what metrology costs inside XS (xsnap computrons), two ways:
 * 1. the reference MeterPipeline (per-sample TypeScript, FFT every window and phase): computrons per
 *    second of three-phase signal at 6.4 kS/s, where they go (each stage probed alone), Node samples
 *    per second, and the XS heap over a 60-second run (must stay flat: nothing allocated per sample);
 * 2. the board path (BoardMetrology: STPM3x registers every window, harmonics on snapshots at the
 *    duty its governor picks from a 0.5 M computrons/s budget): computrons per second over 60 s, the
 *    duty, and its breakdown, plus what the STPM3x driver's register reads cost.
 * With --json, one JSON object as the last line.
 */
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { bundleForXs, loadOnNode, projectRoot, XsEngine } from "../hosts/node/xs/runner";
import { SnapshotGovernor } from "../modules/metrology/snapshot-governor";
import { BOARD_COSTS, BoardMetrology } from "../modules/metrology/board-metrology";

const SECONDS = 60;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** Bytes of every typed array reachable from `root` (what a board must find room for in its XS heap). */
function typedBytes(root: unknown): number {
  const seen = new Set<unknown>();
  let bytes = 0;
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== "object" || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) { if (!seen.has(v.buffer)) { seen.add(v.buffer); bytes += v.buffer.byteLength; } return; } // views share their buffer
    for (const x of v instanceof Map ? v.values() : Object.values(v)) walk(x);
  };
  walk(root);
  return bytes;
}

const board = (phases: 1 | 3, imageGuard: boolean) => new BoardMetrology({ phases, nominalVoltage: 230, nominalFrequency: 50, snapshotRate: 6400, imageGuard });

function table(title: string, rows: [string, string][]): void {
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(title);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
  console.log("");
}

interface BoardSetup { fftSize: number; interval: number; refreshSeconds: number; expected: number; snapshotLength: number }

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const entry = resolve(projectRoot(), "test/metrology/xs-bench-entry.ts");
  const bundle = await bundleForXs(entry, "__metbench");
  const xs = await XsEngine.start();
  const heap: number[] = [];
  const compute: number[] = [];
  const stage: Record<string, number> = {};
  const boardCompute: number[] = [];
  const boardHeap: number[] = [];
  let fftSize = 0, harness = 0, boardInfo: BoardSetup | undefined, boardSnapshots = 0;
  const call = async (expr: string) => (await xs.evaluate<number>(expr)).meter.compute;
  try {
    await xs.load(bundle);
    fftSize = (await xs.evaluate<number>("__metbench.setup()")).value;
    for (let s = 0; s < SECONDS; s++) {
      const r = await xs.evaluate<number>("__metbench.second()");
      compute.push(r.meter.compute);
      heap.push(r.meter.heapCount);
    }
    // The evaluate round trip itself leaves slots on the XS heap (the source string, its compiled
    // code, the result): measure it alone over the same number of calls so the meter's own growth shows.
    const h0 = (await xs.evaluate<number>("0")).meter.heapCount;
    let h1 = h0;
    for (let s = 5; s < SECONDS; s++) h1 = (await xs.evaluate<number>("0")).meter.heapCount;
    harness = h1 - h0;
    // Stage probes: each does one second's worth of its stage (see the entry).
    await xs.evaluate("__metbench.probeSetup()");
    for (const name of ["Store", "ZeroCrossing", "Windows", "Resample", "Fft", "Split", "Harmonics"]) {
      await call(`__metbench.probe${name}()`); // warm (first-call compilation of the probe)
      stage[name] = await call(`__metbench.probe${name}()`);
    }
    // Board path.
    boardInfo = (await xs.evaluate<BoardSetup>("__metbench.boardSetup()")).value;
    for (let s = 0; s < SECONDS; s++) {
      const r = await xs.evaluate<number>("__metbench.boardSecond()");
      boardCompute.push(r.meter.compute);
      boardHeap.push(r.meter.heapCount);
      boardSnapshots = r.value;
    }
    await call("__metbench.boardWindow()");
    stage.boardWindow = await call("__metbench.boardWindow()");
    stage.boardSnapshot = await call("__metbench.boardSnapshot()");
    const stepCosts: number[] = [await call("__metbench.boardBegin()")];
    for (let k = 0; k < 20; k++) {
      const r = await xs.evaluate<boolean>("__metbench.boardStep()");
      stepCosts.push(r.meter.compute);
      if (r.value) break;
    }
    stage.boardSteps = stepCosts.length - 1;
    stage.boardStepMax = Math.max(...stepCosts);
    await call("__metbench.boardSnapshot1024()");
    stage.boardSnapshot1024 = await call("__metbench.boardSnapshot1024()");
    await call("__metbench.stpmReadChannel()");
    stage.stpmRead = await call("__metbench.stpmReadChannel()");
    stage.empty = await call("0");

  } finally {
    await xs.close();
  }
  // Node: the same entry, 60 s of signal.
  const node = loadOnNode(bundle, "__metbench") as { setup(): number; second(): number };
  node.setup();
  const t0 = performance.now();
  for (let s = 0; s < SECONDS; s++) node.second();
  const nodeMs = performance.now() - t0;

  const steady = compute.slice(2);
  const perSecond = steady.reduce((a, b) => a + b, 0) / steady.length;
  const nodeSamples = (SECONDS * 6400 * 6) / (nodeMs / 1000);
  const heapGrowth = heap[heap.length - 1] - heap[4];
  const e = stage.empty; // the evaluate wrapper's own computrons, taken off each probe
  const st = (k: string) => stage[k] - e;
  const spectral = st("Resample") + st("Fft") + st("Split") + st("Harmonics");
  const breakdown: [string, number][] = [
    ["push: calibrate, store, half-cycle sums (6400 frames × 3 phases)", st("Store")],
    ["push: sync per frame of u1 (remainder)", perSecond - st("Store") - st("Windows")],
    ["  zero-crossing detector (probed alone, with its loop)", st("ZeroCrossing")],
    ["  low-pass (inlined), loop, half-cycle RMS/events, crossing location (remainder)", perSecond - st("Store") - st("Windows") - st("ZeroCrossing")],
    ["window close, 5 × 3 phases", st("Windows")],
    ["  resampling 1280 → 2048 + the first four FFT stages (16-point DFTs)", st("Resample")],
    ["  FFT middle passes (two radix-8)", st("Fft")],
    ["  last radix-2 stage + spectrum split (bins 0..510)", st("Split")],
    ["  harmonics, groups, subgroups, interharmonic groups", st("Harmonics")],
    ["  window sums, U/I/P, IEEE 1459, gain correction, unbalance, energy, aggregation (remainder)", st("Windows") - spectral],
  ];
  table("reference pipeline: MeterPipeline, 3 phases at 6.4 kS/s (60 s run)", [
    ["FFT size per window (u+i in one complex FFT per phase)", String(fftSize)],
    ["XS computrons per second of 3-phase signal", fmt(perSecond)],
    ["XS computrons per channel-sample", (perSecond / (6400 * 6)).toFixed(1)],
    ["Node channel-samples per second", fmt(nodeSamples)],
    ["Node real-time factor (signal s / wall s)", (SECONDS / (nodeMs / 1000)).toFixed(1)],
    ["XS heap slots at 5 s / 60 s", `${heap[4]} / ${heap[heap.length - 1]}`],
    ["XS heap growth 5→60 s (slots)", String(heapGrowth)],
    ["  of which the evaluate harness (55 × evaluate(\"0\"))", String(harness)],
    ["  of which the meter", String(heapGrowth - harness)],
  ]);
  table("reference pipeline: where the computrons go (per second of signal, each stage probed alone)", breakdown.map(([k, v]) => [k, `${fmt(v).padStart(11)}  ${((100 * v) / perSecond).toFixed(1).padStart(5)} %`]));

  const b = boardInfo!;
  const boardSteady = boardCompute.slice(1);
  const boardPerSecond = boardSteady.reduce((a, c) => a + c, 0) / boardSteady.length;
  const snapsPerSecond = boardSnapshots / SECONDS;
  const stpmPerSecond = st("stpmRead") * 3 * 5;
  // What the governor picks from the costs measured here (its defaults are BOARD_COSTS, measured earlier).
  const gov = (snapshotCost: number) => new SnapshotGovernor({ windowsPerSecond: 5, phases: 3, windowCost: st("boardWindow"), snapshotCost });
  const g2048 = gov(st("boardSnapshot")), g1024 = gov(st("boardSnapshot1024"));
  const duty = (g: SnapshotGovernor) => `every ${g.interval} windows (each phase every ${g.refreshSeconds.toFixed(1)} s), ${fmt(g.computronsPerSecond)}/s`;
  const boardRows: [string, string][] = [
    ["budget (REFERENCES §11)", "500,000 computrons/s"],
    ["snapshot: samples (10 cycles at 6.4 kS/s + 1) / FFT size", `${b.snapshotLength} / ${b.fftSize}`],
    ["duty chosen by the governor", `1 phase snapshot every ${b.interval} windows (each phase refreshed every ${b.refreshSeconds.toFixed(1)} s)`],
    ["XS computrons per second, measured over 60 s", fmt(boardPerSecond)],
    ["  governor's estimate from its configured costs", fmt(b.expected)],
    ["  one register window, 3 phases (record, events, energy, aggregation)", `${fmt(st("boardWindow"))}  × 5/s = ${fmt(5 * st("boardWindow"))}`],
    ["  one phase snapshot's analysis", `${fmt(st("boardSnapshot"))}  × ${snapsPerSecond.toFixed(2)}/s = ${fmt(snapsPerSecond * st("boardSnapshot"))}`],
    ["  in steps (beginSnapshot + stepSnapshot): steps / largest step", `${stage.boardSteps} / ${fmt(st("boardStepMax"))} (≈${((1000 * st("boardStepMax")) / 2e6).toFixed(0)} ms on an ESP32 at 2 M/s)`],
    ["XS heap slots at 5 s / 60 s", `${boardHeap[4]} / ${boardHeap[boardHeap.length - 1]} (growth less the harness's ${harness}: ${boardHeap[boardHeap.length - 1] - boardHeap[4] - harness})`],
    ["typed-array bytes of a BoardMetrology: 1 phase 2048 / 1024 points, 3 phases 2048", `${fmt(typedBytes(board(1, true)))} / ${fmt(typedBytes(board(1, false)))} / ${fmt(typedBytes(board(3, true)))} (+ the host's Float32 snapshot buffers: ${fmt(8 * b.snapshotLength)})`],
    ["governor with the costs measured now, 2048-point snapshots", duty(g2048)],
    ["imageGuard false: 1281 samples → 1024-point FFT, one phase snapshot", fmt(st("boardSnapshot1024"))],
    ["  governor with that cost", duty(g1024)],
    ["configured costs (BOARD_COSTS): window/phase, snapshot 1024, 2048", `${fmt(BOARD_COSTS.windowPerPhase)}, ${fmt(BOARD_COSTS.snapshot1024)}, ${fmt(BOARD_COSTS.snapshot2048)}`],
    ["STPM3x driver: latch + read one channel (7 registers, table CRC-8)", `${fmt(st("stpmRead"))}  × 3 chips × 5/s = ${fmt(stpmPerSecond)} (host side, not in the figure above)`],
  ];
  table("board path: BoardMetrology, STPM3x registers + snapshots (60 s run)", boardRows);
  if (json) {
    console.log(JSON.stringify({
      reference: { fftSize, xsComputronsPerSecond: Math.round(perSecond), computronsPerChannelSample: perSecond / (6400 * 6), nodeChannelSamplesPerSecond: Math.round(nodeSamples), xsHeap5s: heap[4], xsHeap60s: heap[heap.length - 1], xsHeapGrowth: heapGrowth, xsHeapHarness: harness, xsHeapMeter: heapGrowth - harness, breakdown: Object.fromEntries(breakdown.map(([k, v]) => [k.trim(), Math.round(v)])) },
      board: { budget: 500000, xsComputronsPerSecond: Math.round(boardPerSecond), governorEstimate: Math.round(b.expected), snapshotInterval: b.interval, refreshSeconds: b.refreshSeconds, fftSize: b.fftSize, snapshotLength: b.snapshotLength, windowComputrons: Math.round(st("boardWindow")), snapshotComputrons: Math.round(st("boardSnapshot")), snapshot1024Computrons: Math.round(st("boardSnapshot1024")), snapshotSteps: stage.boardSteps, largestStepComputrons: Math.round(st("boardStepMax")), measuredCostInterval2048: g2048.interval, measuredCostInterval1024: g1024.interval, snapshotsPerSecond: snapsPerSecond, stpmReadChannelComputrons: Math.round(st("stpmRead")), xsHeap5s: boardHeap[4], xsHeap60s: boardHeap[boardHeap.length - 1], xsHeapBoard: boardHeap[boardHeap.length - 1] - boardHeap[4] - harness, typedBytes1Phase2048: typedBytes(board(1, true)), typedBytes1Phase1024: typedBytes(board(1, false)), typedBytes3Phase2048: typedBytes(board(3, true)) },
    }));
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
