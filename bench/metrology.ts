/**
 * npm run bench:metrology — the MeterPipeline's cost: computrons per second of
 * three-phase signal at 6.4 kS/s inside XS (xsnap), Node samples per second, and
 * the XS heap over a 60-second run (must stay flat: nothing allocated per sample).
 */
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { bundleForXs, loadOnNode, projectRoot, XsEngine } from "../hosts/node/xs/runner";
import { MeterPipeline } from "../modules/metrology/meter";

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const seconds = 60;
  const entry = resolve(projectRoot(), "test/metrology/xs-bench-entry.ts");
  const bundle = await bundleForXs(entry, "__metbench");
  const xs = await XsEngine.start();
  const heap: number[] = [];
  const compute: number[] = [];
  let fftSize = 0;
  let harness = 0;
  try {
    await xs.load(bundle);
    fftSize = (await xs.evaluate<number>("__metbench.setup()")).value;
    for (let s = 0; s < seconds; s++) {
      const r = await xs.evaluate<number>("__metbench.second()");
      compute.push(r.meter.compute);
      heap.push(r.meter.heapCount);
    }
    // The evaluate round trip itself leaves slots on the XS heap (the source string, its compiled
    // code, the result): measure it alone over the same number of calls so the meter's own growth shows.
    const h0 = (await xs.evaluate<number>("0")).meter.heapCount;
    let h1 = h0;
    for (let s = 5; s < seconds; s++) h1 = (await xs.evaluate<number>("0")).meter.heapCount;
    harness = h1 - h0;
  } finally {
    await xs.close();
  }
  // Node: the same entry, 60 s of signal.
  const node = loadOnNode(bundle, "__metbench") as { setup(): number; second(): number };
  node.setup();
  const t0 = performance.now();
  for (let s = 0; s < seconds; s++) node.second();
  const nodeMs = performance.now() - t0;
  const steady = compute.slice(2);
  const perSecond = steady.reduce((a, b) => a + b, 0) / steady.length;
  const nodeSamples = (seconds * 6400 * 6) / (nodeMs / 1000);
  const heapGrowth = heap[heap.length - 1] - heap[4];
  const rows: [string, string][] = [
    ["FFT size per window (u+i in one complex FFT per phase)", String(fftSize)],
    ["XS computrons per second of 3-phase signal @ 6.4 kS/s", Math.round(perSecond).toLocaleString("en-US")],
    ["XS computrons per channel-sample", (perSecond / (6400 * 6)).toFixed(1)],
    ["Node channel-samples per second", Math.round(nodeSamples).toLocaleString("en-US")],
    ["Node real-time factor (signal s / wall s)", (seconds / (nodeMs / 1000)).toFixed(1)],
    ["XS heap slots at 5 s / 60 s", `${heap[4]} / ${heap[heap.length - 1]}`],
    ["XS heap growth 5→60 s (slots)", String(heapGrowth)],
    ["  of which the evaluate harness (55 × evaluate(\"0\"))", String(harness)],
    ["  of which the meter", String(heapGrowth - harness)],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log("metrology pipeline cost (60 s run)");
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  void MeterPipeline;
  if (json) console.log(JSON.stringify({ fftSize, xsComputronsPerSecond: Math.round(perSecond), computronsPerChannelSample: perSecond / (6400 * 6), nodeChannelSamplesPerSecond: Math.round(nodeSamples), xsHeap5s: heap[4], xsHeap60s: heap[heap.length - 1], xsHeapGrowth: heapGrowth, xsHeapHarness: harness, xsHeapMeter: heapGrowth - harness }));
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
