/**
 * Memory per role on the emulated Cortex-M3: each role's script (bench/mcu/role-*.ts) runs its
 * MINUTES of virtual time (fewer than ten: real time in the emulator), once with room to find its XS peaks and once per board with the arena
 * bounded to that board's XS budget, where it either completes or ends in XS's "memory full".
 * Code lives in RAM here (the script is parsed on the target; nothing is preloaded in flash), so
 * the chunk figures include the bytecode the board would keep in flash: an upper bound.
 */
import { resolve } from "node:path";
import { projectRoot } from "../xs/runner";
import { runOnMcu, scenarioScript, type McuMemory } from "./mcu-runner";

/** XS budgets assumed per board (the `static` arena of the Moddable creation). */
export const BOARDS = [
  { name: "ESP32 without PSRAM", arena: 128 * 1024, why: "≈300 KB DRAM heap at boot, ≈100 KB to Wi-Fi/lwIP, TWAI, HTTP and MQTT buffers, the rest kept free" },
  { name: "ESP32 with 4 MB PSRAM", arena: 2 * 1024 * 1024, why: "the XS arena placed in PSRAM" },
] as const;

export const ROLES = ["role-slave", "role-aggregator"] as const;
export const MARGIN = 1.25;
const SLOT = 16;

export interface RolePeaks {
  role: string;
  /** Live XS memory right after the bundle ran its module bodies (code + module state). */
  loaded: McuMemory;
  /** Peaks over the run. */
  run: McuMemory;
  baseline: McuMemory;
  value: string;
  instructions: number;
  /** Per board: did the run complete inside the bounded arena? */
  boards: { name: string; arena: number; fits: boolean; outcome: string }[];
  /** The creation sizes proposed from the peaks (× MARGIN). */
  creation: { static: number; chunk: { initial: number; incremental: number }; heap: { initial: number; incremental: number }; stack: number };
}

const kib = (bytes: number) => Math.ceil(bytes / 1024) * 1024;

function propose(peaks: McuMemory, loaded: McuMemory, stack: number): RolePeaks["creation"] {
  const chunks = Math.max(peaks.chunksPeak, loaded.chunksPeak);
  const slots = Math.max(peaks.slotsPeak, loaded.slotsPeak);
  const chunk = kib(chunks * MARGIN);
  const heap = Math.ceil((slots * MARGIN) / 64) * 64;
  return { static: kib(chunk + heap * SLOT + stack * SLOT), chunk: { initial: chunk, incremental: 1024 }, heap: { initial: heap, incremental: 64 }, stack };
}

/** Runs the baseline (an empty script) and each role, unbounded and bounded per board. */
export async function measureRoles(stack = 512): Promise<RolePeaks[]> {
  const big = { arena: 8 * 1024 * 1024, stack };
  const empty = await runOnMcu("mcu.collect(); mcu.print('@@loaded ' + JSON.stringify(mcu.memory()));", big);
  const baseline = empty.loaded!;
  const out: RolePeaks[] = [];
  for (const role of ROLES) {
    const { script } = await scenarioScript(resolve(projectRoot(), `bench/mcu/${role}.ts`), ["run"]);
    const free = await runOnMcu(script, big, 600_000);
    if (free.status !== 0 || !free.loaded || free.measures.length !== 1) throw new Error(`${role}: status ${free.status} ${free.abort ?? free.exception ?? ""}`);
    const m = free.measures[0];
    const boards: RolePeaks["boards"] = [];
    for (const board of BOARDS) {
      const bounded = await runOnMcu(script, { arena: board.arena, stack }, 600_000);
      const fits = bounded.status === 0 && bounded.measures[0]?.json === m.json;
      boards.push({ name: board.name, arena: board.arena, fits, outcome: fits ? "completes, same result" : bounded.abort ?? bounded.exception ?? `status ${bounded.status}` });
    }
    out.push({ role, loaded: free.loaded, run: m.memory, baseline, value: m.json, instructions: m.instructions, boards, creation: propose(m.memory, free.loaded, stack) });
  }
  return out;
}

export function printRoles(roles: RolePeaks[]): void {
  const k = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  console.log(`Memory per role (role-slave 2 min, role-aggregator 1 min of virtual time; XS on the Cortex-M3; code in RAM, so an upper bound). Empty machine: ${k(roles[0]?.baseline.chunksNow ?? 0)} chunks, ${roles[0]?.baseline.slotsNow ?? 0} slots.`);
  for (const r of roles) {
    console.log(`  ${r.role}: after load ${k(r.loaded.chunksNow)} chunks + ${r.loaded.slotsNow} slots live; over the run peaks ${k(r.run.chunksPeak)} chunks + ${r.run.slotsPeak} slots (${k(r.run.slotsPeak * SLOT)}), = ${k(r.run.chunksPeak + r.run.slotsPeak * SLOT)}; ${(r.instructions / 1e6).toFixed(0)} M instructions; ${r.value}`);
    for (const b of r.boards) console.log(`    ${b.name} (arena ${k(b.arena)}): ${b.outcome}`);
    console.log(`    creation proposed (peaks × ${MARGIN}): ${JSON.stringify(r.creation)}`);
  }
}
