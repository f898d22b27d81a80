/**
 * `npm run test:xs`: every scenario in test/xs/scenarios runs with the same
 * inputs on Node and inside XS; any difference in the JSON of their results
 * fails the run. Prints each scenario's computrons and XS heap figures.
 *
 * A scenario is a .ts file exporting `run()` (engine-neutral, deterministic)
 * and optionally `probes`: named functions whose computrons are printed alone
 * (e.g. "one authenticated CAN answer").
 */
import { readdirSync } from "node:fs";
import { resolve, basename } from "node:path";
import { performance } from "node:perf_hooks";
import { bundleForXs, loadOnNode, projectRoot, XsEngine } from "./runner";

interface Row {
  scenario: string;
  match: boolean;
  nodeMs: number;
  computrons: number;
  heapSlots: number;
  error?: string;
}

function listScenarios(filter: string[]): string[] {
  const dir = resolve(projectRoot(), "test/xs/scenarios");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => resolve(dir, f))
    .filter((f) => filter.length === 0 || filter.some((name) => basename(f, ".ts").includes(name)))
    .sort();
}

async function runScenario(xs: XsEngine, file: string, rows: Row[]): Promise<void> {
  const name = basename(file, ".ts");
  const globalName = `__scn_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
  const bundle = await bundleForXs(file, globalName);
  const nodeExports = loadOnNode(bundle, globalName) as { run: () => unknown; probes?: Record<string, () => unknown> };
  if (typeof nodeExports.run !== "function") throw new Error(`${name}: scenario exports no run()`);
  await xs.load(bundle);
  const entries: [string, string][] = [["run", `${globalName}.run()`]];
  for (const probe of Object.keys(nodeExports.probes ?? {})) entries.push([probe, `${globalName}.probes[${JSON.stringify(probe)}]()`]);
  for (const [label, expr] of entries) {
    const t0 = performance.now();
    const fn = label === "run" ? nodeExports.run : nodeExports.probes![label];
    const nodeJson = JSON.stringify(fn() ?? null);
    const nodeMs = performance.now() - t0;
    const onXs = await xs.evaluate(expr);
    const xsJson = JSON.stringify(onXs.value);
    const row: Row = { scenario: label === "run" ? name : `${name}/${label}`, match: nodeJson === xsJson, nodeMs, computrons: onXs.meter.compute, heapSlots: onXs.meter.heapCount };
    if (!row.match) row.error = firstDifference(nodeJson, xsJson);
    rows.push(row);
  }
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `results differ at char ${i}: node …${a.slice(Math.max(0, i - 40), i + 40)}… xs …${b.slice(Math.max(0, i - 40), i + 40)}…`;
}

function printTable(rows: Row[]): void {
  const header = ["scenario", "node=xs", "node ms", "XS computrons", "XS heap slots"];
  const body = rows.map((r) => [r.scenario, r.match ? "yes" : "NO", r.nodeMs.toFixed(2), r.computrons.toLocaleString("en-US"), r.heapSlots.toLocaleString("en-US")]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const b of body) console.log(line(b));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const filter = args.filter((a) => !a.startsWith("--"));
  const files = listScenarios(filter);
  if (files.length === 0) throw new Error("no XS scenarios found");
  const rows: Row[] = [];
  for (const file of files) {
    // A fresh XS machine per scenario, so its heap figures are its own.
    const xs = await XsEngine.start();
    try {
      await runScenario(xs, file, rows);
    } catch (e) {
      rows.push({ scenario: basename(file, ".ts"), match: false, nodeMs: 0, computrons: 0, heapSlots: 0, error: (e as Error).message });
    } finally {
      await xs.close();
    }
  }
  printTable(rows);
  const failed = rows.filter((r) => !r.match);
  for (const f of failed) console.error(`FAIL ${f.scenario}: ${f.error}`);
  console.log(`${rows.length - failed.length} passed, ${failed.length} failed`);
  if (json) console.log(JSON.stringify({ scenarios: rows }));
  process.exitCode = failed.length ? 1 : 0;
}

main().catch((e) => {
  console.error(`xsmeter test:xs: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
});
