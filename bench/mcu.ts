// `npm run bench:mcu [-- --json] [--roles] [--bisect] [--role slave|aggregator]`: the real XS engine on an emulated Cortex-M3 (hosts/mcu, QEMU
// mps2-an385, -icount shift=0: one instruction = one virtual ns): instructions per poll cycle
// (2/16/32 slaves), per metrology window (reference pipeline and board path), per page request, per
// Ed25519 step, beside XS computrons (the same bundle in xsnap) and what they mean on a 72 MHz
// Cortex-M3 and a 240 MHz ESP32; then each role's XS memory peaks in an arena bounded to its budget.
import { resolve } from "node:path";
import { projectRoot, XsEngine } from "../hosts/node/xs/runner";
import { runOnMcu, scenarioFile, scenarioScript, type McuMeasure } from "../hosts/node/mcu/mcu-runner";
import { measureRoles, printRoles, ROLES } from "../hosts/node/mcu/role-memory";

interface Item { scenario: string; label: string; what: string }

/** What is priced, by scenario (probes run in this order, as the scenarios expect). */
const ITEMS: Item[] = [
  { scenario: "bench/mcu/poll-cycle-n", label: "emptyWrap", what: "100 empty metered wraps (overhead)" },
  { scenario: "bench/mcu/poll-cycle-n", label: "poll2", what: "poll cycle, 2 slaves (bus + all nodes)" },
  { scenario: "bench/mcu/poll-cycle-n", label: "poll16", what: "poll cycle, 16 slaves (bus + all nodes)" },
  { scenario: "bench/mcu/poll-cycle-n", label: "poll32", what: "poll cycle, 32 slaves (bus + all nodes)" },
  { scenario: "test/xs/scenarios/can-poll", label: "authenticatedAnswer", what: "one slave answer built and CMAC-sealed" },
  { scenario: "test/xs/scenarios/app-poll-cycle", label: "onePollCycle", what: "app poll cycle (1 slave, tasks, booking)" },
  { scenario: "test/xs/scenarios/metrology-pipeline", label: "pushOneWindow", what: "metrology window, reference pipeline (0.2 s, 3 phases)" },
  { scenario: "test/xs/scenarios/metrology-board", label: "boardWindow", what: "metrology window, board path (registers)" },
  { scenario: "test/xs/scenarios/metrology-board", label: "boardSnapshot", what: "board path: one phase snapshot (2048-pt FFT)" },
  { scenario: "test/xs/scenarios/http-parser", label: "parseDashboardRequest", what: "page request (dashboard GET parsed, checked)" },
  { scenario: "test/xs/scenarios/secure-ed25519-stepped", label: "oneStep", what: "one Ed25519 step (default budget)" },
  { scenario: "test/xs/scenarios/ui-frame", label: "dirtyUpdateCallsOnly", what: "display: one-minute update, app side" },
];

/** The assumption for time: one instruction per clock on both (no flash wait states counted). */
const CPUS = [{ name: "Cortex-M3 @72 MHz", hz: 72e6 }, { name: "ESP32 @240 MHz", hz: 240e6 }];

export interface PricedRow extends Item { instructions: number; mcuComputrons: number; xsnapComputrons: number; perComputron: number; chunksPeak: number; slotsPeak: number; value: string }

async function onXsnap(file: string, labels: string[]): Promise<Map<string, number>> {
  const { bundle, globalName } = await scenarioScript(file, labels);
  const xs = await XsEngine.start();
  const out = new Map<string, number>();
  try {
    await xs.load(bundle);
    for (const label of labels) {
      const expr = label === "run" ? `${globalName}.run()` : `${globalName}.probes[${JSON.stringify(label)}]()`;
      out.set(label, (await xs.evaluate(expr)).meter.compute);
    }
  } finally {
    await xs.close();
  }
  return out;
}

export async function priceItems(): Promise<PricedRow[]> {
  const rows: PricedRow[] = [];
  const scenarios = [...new Set(ITEMS.map((i) => i.scenario))];
  for (const scenario of scenarios) {
    const items = ITEMS.filter((i) => i.scenario === scenario);
    const labels = items.map((i) => i.label);
    const file = scenario.startsWith("test/xs/scenarios/") ? scenarioFile(scenario.slice(18)) : resolve(projectRoot(), `${scenario}.ts`);
    const { script } = await scenarioScript(file, labels);
    const run = await runOnMcu(script, { arena: 8 * 1024 * 1024 }, 600_000);
    if (run.status !== 0) throw new Error(`${scenario}: status ${run.status} ${run.abort ?? run.exception ?? run.lines.slice(-3).join(" | ")}`);
    const xsnap = await onXsnap(file, labels);
    for (const item of items) {
      const m = run.measures.find((x) => x.label === item.label) as McuMeasure;
      rows.push({ ...item, instructions: m.instructions, mcuComputrons: m.computrons, xsnapComputrons: xsnap.get(item.label) ?? NaN, perComputron: m.instructions / m.computrons, chunksPeak: m.memory.chunksPeak, slotsPeak: m.memory.slotsPeak, value: m.json });
    }
  }
  return rows;
}

const f = (n: number, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

function table(header: string[], body: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const b of body) console.log(line(b));
}

/** The master's own share of a poll cycle, from the probe's value (its metered wraps minus their overhead). */
function masterShare(rows: PricedRow[], label: string): { instructions: number; computrons: number } | undefined {
  const row = rows.find((r) => r.label === label);
  const empty = rows.find((r) => r.label === "emptyWrap");
  if (!row || !empty) return undefined;
  const per = JSON.parse(empty.value) as { instructions: number; calls: number };
  const v = JSON.parse(row.value) as { master: { instructions: number; computrons: number; calls: number }; periodMs: number; answers: number };
  return { instructions: v.master.instructions - (per.instructions / per.calls) * v.master.calls, computrons: v.master.computrons };
}

function printPriced(rows: PricedRow[]): void {
  table(["work", "instructions", "computrons (M3)", "computrons (xsnap)", "instr/computron (M3)", "instr/xsnap computron", ...CPUS.map((c) => `ms ${c.name}`)],
    rows.map((r) => [r.what, f(r.instructions), f(r.mcuComputrons), f(r.xsnapComputrons), f(r.perComputron, 1), f(r.instructions / r.xsnapComputrons, 1), ...CPUS.map((c) => f((r.instructions / c.hz) * 1000, 2))]));
  console.log("");
  console.log("The master's own share of a poll cycle (its frame handling + pollCycle, metered apart from the slaves):");
  const body: string[][] = [];
  for (const [label, n] of [["poll2", 2], ["poll16", 16], ["poll32", 32]] as const) {
    const s = masterShare(rows, label);
    if (!s) continue;
    body.push([`${n} slaves`, f(s.instructions), f(s.computrons), ...CPUS.map((c) => `${f((s.instructions / c.hz) * 1000, 1)} ms = ${f((s.instructions / c.hz) * 100, 1)} % of 1 s`)]);
  }
  table(["master", "instructions", "computrons", ...CPUS.map((c) => c.name)], body);
  const priced = rows.filter((r) => r.label !== "emptyWrap");
  const meanPer = priced.reduce((s, r) => s + r.instructions, 0) / priced.reduce((s, r) => s + r.xsnapComputrons, 0);
  const board = rows.filter((r) => r.label === "boardWindow" || r.label === "boardSnapshot");
  const boardPer = board.reduce((s, r) => s + r.instructions, 0) / board.reduce((s, r) => s + r.xsnapComputrons, 0);
  console.log("");
  console.log(`REFERENCES §11 budgets (xsnap computrons) as instructions: ${f(boardPer, 1)} instructions per xsnap computron on the board path, ${f(meanPer, 1)} over all rows:`);
  const budget = 0.5e6 * boardPer;
  console.log(`  metrology JS ≈0.5 M computrons per second of signal = ${f(budget / 1e6, 1)} M instructions/s = ${CPUS.map((c) => `${f((budget / c.hz) * 100, 0)} % of a ${c.name}`).join(", ")}`);
  for (const c of CPUS) console.log(`  a ${c.name} at 1 instruction/clock runs ${f(c.hz / meanPer / 1e6, 2)} M computrons/s of this code`);
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  // --roles: only the role runs; --bisect: also each role's smallest arena (several 10-minute runs each).
  const rows = process.argv.includes("--roles") ? [] : await priceItems();
  if (rows.length) printPriced(rows);
  console.log("");
  // --role NAME: that role alone (a bisection of both is hours of emulation)
  const only = process.argv.indexOf("--role");
  const role = only > 0 ? process.argv[only + 1] : undefined;
  if (role !== undefined && !ROLES.includes(`role-${role}` as (typeof ROLES)[number])) throw new Error(`--role: "${role}" is not one of ${ROLES.map((r) => r.slice(5)).join(", ")}`);
  const roles = await measureRoles({ bisect: process.argv.includes("--bisect"), roles: role ? [`role-${role}`] : undefined });
  printRoles(roles);
  if (json) console.log(JSON.stringify({ bench: "mcu", rows, roles }));
}

main().catch((e) => {
  console.error(`bench:mcu: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
});
