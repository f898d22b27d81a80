// `npm run bench:can [-- --json] [--candump FILE]`: the CAN poll cycle for N = 2, 8, 16, 32 slaves at
// 125 kbit/s, beside the bus-only bound (REFERENCES §4), the paper's figures (§1) and the
// Davis et al. (2007) worst-case response times of the message set.
import { writeFileSync } from "node:fs";
import { runCanBench, type CanBenchResult } from "../hosts/node/can/can-bench";
import { printCanBench } from "../hosts/node/can/can-bench-report";

const args = process.argv.slice(2);
const json = args.includes("--json");
const dumpAt = args.indexOf("--candump");
const results: CanBenchResult[] = [];
for (const n of [2, 8, 16, 32]) results.push(runCanBench({ slaves: n, candump: dumpAt >= 0 && n === 32 }));
if (dumpAt >= 0) {
  writeFileSync(args[dumpAt + 1], results[results.length - 1].candump ?? "");
}
for (const r of results) delete r.candump;
printCanBench(results);
if (json) console.log(JSON.stringify({ bench: "can", results }));
