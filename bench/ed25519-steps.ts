/**
 * node dist/bench/ed25519-steps.js — the stepped Ed25519 verification in XS: every
 * step of one verification of an OTA-sized manifest at the default budget, metered
 * alone (one XS evaluation per step, its small wrapping included), against the
 * one-shot call. The main-loop stall on an ESP32 is the largest step at ≈1.5–3 M
 * computrons/s (REFERENCES.md §11). Options: --budget N (field multiplications per
 * step; default the module's DEFAULT_STEP_BUDGET), --bytes N (a signed message of N
 * bytes instead of the manifest: the hashing's steps), --json.
 */
import { resolve } from "node:path";
import { bundleForXs, projectRoot, XsEngine } from "../hosts/node/xs/runner";
import { DEFAULT_STEP_BUDGET } from "../modules/secure/ed25519";

const SLOW = 1.5e6, FAST = 3e6; // ESP32 computrons per second (REFERENCES.md §11)

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const bi = args.indexOf("--budget");
  const budget = bi >= 0 ? Number(args[bi + 1]) : DEFAULT_STEP_BUDGET;
  const ni = args.indexOf("--bytes");
  const bytes = ni >= 0 ? Number(args[ni + 1]) : undefined;
  const g = "__ed25519steps";
  const bundle = await bundleForXs(resolve(projectRoot(), "test/xs/scenarios/secure-ed25519-stepped.ts"), g);
  const xs = await XsEngine.start();
  try {
    await xs.load(bundle);
    const empty = (await xs.evaluate("0")).meter.compute; // the wrapping of one evaluation
    const oneShot = await xs.evaluate<boolean>(`${g}.probes.oneShot()`);
    await xs.evaluate(`${g}.start(${bytes ?? ""})`);
    const steps: number[] = [];
    let ok = false;
    for (;;) {
      const r = await xs.evaluate<{ work: number; done: boolean; ok: boolean }>(`${g}.stepOnce(${budget})`);
      steps.push(r.meter.compute);
      if (r.value.done) {
        ok = r.value.ok;
        break;
      }
      if (steps.length > 100_000) throw new Error("does not finish");
    }
    const total = steps.reduce((a, b) => a + b, 0);
    const largest = Math.max(...steps);
    const result = {
      budget,
      messageBytes: bytes ?? "manifest",
      steps: steps.length,
      largestStepComputrons: largest,
      meanStepComputrons: Math.round(total / steps.length),
      evaluationOverheadComputrons: empty,
      totalComputrons: total,
      oneShotComputrons: oneShot.meter.compute,
      verdicts: { stepped: ok, oneShot: oneShot.value },
      stallMs: { slow: Math.round((largest / SLOW) * 1000), fast: Math.round((largest / FAST) * 1000) },
      oneShotStallS: { slow: +(oneShot.meter.compute / SLOW).toFixed(1), fast: +(oneShot.meter.compute / FAST).toFixed(1) },
    };
    const rows: [string, string][] = [
      ["budget (field multiplications/step)", String(budget)],
      ["message", bytes === undefined ? "an OTA header's signed bytes (145)" : `${bytes} bytes`],
      ["steps", String(result.steps)],
      ["largest step (computrons)", largest.toLocaleString("en")],
      ["mean step (computrons)", result.meanStepComputrons.toLocaleString("en")],
      ["  of which one evaluation's wrapping", empty.toLocaleString("en")],
      ["all steps (computrons)", total.toLocaleString("en")],
      ["one-shot verify (computrons)", oneShot.meter.compute.toLocaleString("en")],
      ["verdicts stepped / one-shot", `${ok} / ${oneShot.value}`],
      ["ESP32 stall per step (3 → 1.5 M/s)", `${result.stallMs.fast}–${result.stallMs.slow} ms`],
      ["ESP32 stall one-shot (3 → 1.5 M/s)", `${result.oneShotStallS.fast}–${result.oneShotStallS.slow} s`],
    ];
    for (const [k, v] of rows) console.log(`${k.padEnd(38)} ${v}`);
    if (json) console.log(JSON.stringify(result));
  } finally {
    await xs.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
