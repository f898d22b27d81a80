/**
 * Runs a script inside the real XS engine built for a Cortex-M3 (hosts/mcu),
 * booted in qemu-system-arm's MPS2 AN385 with -icount shift=0, so each guest
 * instruction is exactly one nanosecond of virtual time and the SysTick counts
 * instructions. The same esbuild bundles as test/xs run here: a scenario's
 * run() and probes each report their JSON, instructions, XS computrons and the
 * arena's peaks.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { bundleForXs, projectRoot } from "../xs/runner";

/** A board's XS creation sizes and its XS budget (the fixed arena). */
export interface McuCreation {
  /** Bytes of the arena: chunks + slots + the XS stack must fit in it. */
  arena: number;
  chunk?: number;
  chunkStep?: number;
  heap?: number;
  heapStep?: number;
  stack?: number;
  keys?: number;
}

export interface McuMemory {
  chunksPeak: number;
  chunksNow: number;
  slotsPeak: number;
  slotsNow: number;
  slotBytes: number;
  arenaChunkBytes: number;
  arenaSlotBytes: number;
  arenaBudget: number;
  cHeapPeak: number;
}

export interface McuMeasure {
  label: string;
  /** The JSON text of the value, as JSON.stringify gave it inside XS on the Cortex-M3. */
  json: string;
  instructions: number;
  computrons: number;
  memory: McuMemory;
}

export interface McuRun {
  status: number;
  measures: McuMeasure[];
  /** Memory right after the bundle was evaluated (code and module state). */
  loaded?: McuMemory;
  /** Instructions of XS machine creation. */
  machineInstructions?: number;
  abort?: string;
  exception?: string;
  lines: string[];
}

/** Builds (or finds in the cache) the harness ELF. */
export async function mcuElf(): Promise<string> {
  const build = (await import(resolve(projectRoot(), "hosts/mcu/build.mjs"))) as { buildMcu: (o: { quiet: boolean }) => Promise<string> };
  return build.buildMcu({ quiet: true });
}

/** The driver appended to a scenario's bundle: each of run() and the probes, measured. */
function driver(globalName: string, labels: string[] | undefined): string {
  return `
;(() => {
  const scn = globalThis.${globalName};
  const entries = [["run", () => scn.run()]];
  for (const name of Object.keys(scn.probes ?? {})) entries.push([name, () => scn.probes[name]()]);
  const wanted = ${JSON.stringify(labels ?? null)};
  mcu.collect();
  mcu.print("@@loaded " + JSON.stringify(mcu.memory()));
  for (const [label, fn] of entries) {
    if (wanted && !wanted.includes(label)) continue;
    mcu.collect();
    mcu.resetPeaks();
    const i0 = mcu.instructions(), c0 = mcu.computrons();
    const value = fn();
    const i1 = mcu.instructions(), c1 = mcu.computrons();
    const memory = mcu.memory();
    const json = JSON.stringify(value === undefined ? null : value);
    mcu.print("@@result " + JSON.stringify({ label, instructions: i1 - i0, computrons: c1 - c0, memory, json }));
  }
})();
`;
}

/** The script that runs one test/xs scenario (its bundle + the driver). */
export async function scenarioScript(file: string, labels?: string[]): Promise<{ script: string; bundle: string; globalName: string }> {
  const name = basename(file, ".ts");
  const globalName = `__scn_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
  const bundle = await bundleForXs(file, globalName);
  return { script: bundle + driver(globalName, labels), bundle, globalName };
}

export function scenarioFile(name: string): string {
  return resolve(projectRoot(), "test/xs/scenarios", `${name}.ts`);
}

function parse(lines: string[], status: number): McuRun {
  const run: McuRun = { status, measures: [], lines };
  for (const line of lines) {
    if (line.startsWith("@@result ")) run.measures.push(JSON.parse(line.slice(9)) as McuMeasure);
    else if (line.startsWith("@@loaded ")) run.loaded = JSON.parse(line.slice(9)) as McuMemory;
    else if (line.startsWith("@@machine ")) run.machineInstructions = Number(line.slice(10));
    else if (line.startsWith("@@abort ")) run.abort = line.slice(8);
    else if (line.startsWith("@@exception ")) run.exception = line.slice(12);
  }
  return run;
}

/**
 * Boots the ELF in QEMU with `script` as its file, bounded by `creation`.
 * Never throws for what the guest does: its status, abort or exception are in
 * the result. `timeoutMs` (real time) kills a run that does not end.
 */
export async function runOnMcu(script: string, creation: McuCreation, timeoutMs = 120_000): Promise<McuRun> {
  const elf = await mcuElf();
  const dir = mkdtempSync(join(tmpdir(), "xsmcu-"));
  try {
    writeFileSync(join(dir, "script.js"), script);
    const args = ["xsmcu", "script.js", ...Object.entries(creation).map(([k, v]) => `${k}=${v}`)];
    const qemu = ["-M", "mps2-an385", "-nographic", "-monitor", "none", "-serial", "none", "-icount", "shift=0",
      "-semihosting-config", `enable=on,target=native,${args.map((a) => `arg=${a}`).join(",")}`, "-kernel", elf];
    const child = spawn("qemu-system-arm", qemu, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const status = await new Promise<number>((res, rej) => {
      child.on("error", rej);
      child.on("exit", (code, signal) => res(code ?? (signal ? -1 : 0)));
    }).finally(() => clearTimeout(timer));
    const lines = out.split("\n").filter((l) => l.length > 0);
    if (err.trim()) lines.push(`@@qemu ${err.trim()}`);
    return parse(lines, status);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
