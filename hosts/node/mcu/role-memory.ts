/**
 * Memory per role on the emulated Cortex-M3: each role's script (bench/mcu/role-*.ts) runs its ten
 * virtual minutes, with only the role under test in the machine (what is outside it - slaves, a
 * polling master, a browser, a broker - are tiny peers). The role prints "@@stage" lines (after
 * the peers, after its own set-up, at the end), each after a collection, with a census of the live
 * chunks: so the bytecode (which the board keeps in flash: preloaded) is told apart from live data.
 * The script is parsed from the harness's C buffer and freed before it runs: no source copy in XS.
 * Then, optionally (bisect), the smallest arena that completes the run with the same result.
 */
import { resolve } from "node:path";
import { projectRoot } from "../xs/runner";
import { runOnMcu, scenarioScript, type McuMemory, type McuRun } from "./mcu-runner";

/** XS budgets assumed per board (the `static` arena of the Moddable creation). */
export const BOARDS = [
  { name: "ESP32 without PSRAM", arena: 128 * 1024, why: "≈300 KB DRAM heap at boot, ≈100 KB to Wi-Fi/lwIP, TWAI, HTTP and MQTT buffers, the rest kept free" },
  { name: "ESP32 with 4 MB PSRAM", arena: 2 * 1024 * 1024, why: "the XS arena placed in PSRAM" },
] as const;

export const ROLES = ["role-slave", "role-aggregator"] as const;
/** The margin over the measured live-data peak for a board's creation (see docs/mcu.md "Memory per role"). */
export const MARGIN = 1.25;
const SLOT = 16;
/** The XS stack in slots: the role's load (parsing a bundle on the target) needs more than its run. */
export const STACK = 1024;
/** The largest arena the harness has (hosts/mcu/mps2-an385.ld). */
const ARENA = 4 * 1024 * 1024;
/** Real-time limit of one 10-virtual-minute run on this (shared) machine. */
const TIMEOUT_MS = 3_600_000;

export interface Census { codeBytes: number; functions: number; stringBytes: number; bufferBytes: number; chunksNow: number; slotsNow: number }
export interface LiveMax { dataChunks: number; slots: number; bytes: number; samples: number }
export interface Stage { name: string; census: Census; memory: McuMemory; stackUsed: number; liveMax: LiveMax }

export interface RolePeaks {
  role: string;
  /** Right after the bundle ran its module bodies (code + module state), after a collection. */
  loaded: McuMemory;
  /** "@@stage" lines of the role: peers, loaded (the role set up), end. */
  stages: Stage[];
  /** Peaks over the ten minutes (after the role's set-up: resetPeaks). */
  run: McuMemory;
  value: string;
  instructions: number;
  /** Real seconds of the role's runs side by side (the machine's load slows them). */
  seconds: number;
  figures: RoleFigures;
  /** The most arena the unbounded run took: any arena this large completes the same run. */
  highWater: number;
  /** Per board: did the run complete inside the bounded arena? */
  boards: { name: string; arena: number; fits: boolean; outcome: string }[];
  /** The bisection, when asked for: the largest arena that failed, the smallest that completed, and every run it made. */
  bisect?: { fails: number; failsWith: string; completes: number; steps: { arena: number; outcome: string }[] };
}

/** What bench:mcu reports per role, in bytes (slots at 16 bytes). */
export interface RoleFigures {
  /** Bytecode of the live function instances (census at the end): flash on a board that preloads. */
  code: number;
  /** The peers' share (their set-up's growth after load), included in the figures below. */
  peers: number;
  /** Live data after a collection at the end: chunks other than bytecode + slots. */
  liveEnd: number;
  /** The same right after the role's set-up. */
  liveLoaded: number;
  /** Peak over set-up and the ten minutes: chunks + slots, bytecode included (it is in RAM here); XS's own peak, garbage included. */
  peak: number;
  /** The most live data (chunks other than bytecode + slots) of the collections every 5 virtual s. */
  liveMax: number;
  /** Its two parts' own maxima: chunks other than bytecode, and slots (a count). */
  liveChunksMax: number;
  liveSlotsMax: number;
  /** The loaded bundle's state (@@loaded: module bodies run, collected), bytecode excluded: preloaded into flash on the board. */
  preloaded: number;
  /** liveMax - preloaded - peers: what the role itself keeps live at its peak, the figure the board's arena is sized from. */
  roleLive: number;
  /** The same at the end of the run (after a collection). */
  roleLiveEnd: number;
  stackSlots: number;
}

function stagesOf(run: McuRun): Stage[] {
  return run.lines.filter((l) => l.startsWith("@@stage ")).map((l) => JSON.parse(l.slice(8)) as Stage);
}

function figuresOf(loaded: McuMemory, stages: Stage[], run: McuMemory): RoleFigures {
  const at = (name: string): Stage => {
    const s = stages.find((x) => x.name === name);
    if (!s) throw new Error(`role run printed no "${name}" stage`);
    return s;
  };
  const [peers, set, end] = [at("peers"), at("loaded"), at("end")];
  const live = (s: Stage) => s.census.chunksNow - s.census.codeBytes + s.census.slotsNow * SLOT;
  const chunksPeak = Math.max(loaded.chunksPeak, set.memory.chunksPeak, run.chunksPeak);
  const slotsPeak = Math.max(loaded.slotsPeak, set.memory.slotsPeak, run.slotsPeak);
  const peak = chunksPeak + slotsPeak * SLOT;
  const peersShare = Math.max(0, peers.census.chunksNow + peers.census.slotsNow * SLOT - (loaded.chunksNow + loaded.slotsNow * SLOT));
  // the bytecode at @@loaded is the peers stage's less the few functions the peers made: taken as equal
  const preloaded = loaded.chunksNow - peers.census.codeBytes + loaded.slotsNow * SLOT;
  const liveMax = Math.max(end.liveMax.bytes, live(end), live(set));
  return {
    code: end.census.codeBytes,
    peers: peersShare,
    liveEnd: live(end),
    liveLoaded: live(set),
    peak,
    liveMax,
    liveChunksMax: Math.max(end.liveMax.dataChunks, end.census.chunksNow - end.census.codeBytes),
    liveSlotsMax: Math.max(end.liveMax.slots, end.census.slotsNow),
    preloaded,
    roleLive: liveMax - preloaded - peersShare,
    roleLiveEnd: live(end) - preloaded - peersShare,
    stackSlots: end.stackUsed,
  };
}

async function runRole(script: string, arena: number): Promise<McuRun> {
  return runOnMcu(script, { arena, stack: STACK }, TIMEOUT_MS);
}

/** Smallest arena (to `step` bytes) that completes with `json`, between one known to fail and one known to complete. */
async function bisect(script: string, json: string, fails: number, completes: number, step = 16 * 1024): Promise<NonNullable<RolePeaks["bisect"]>> {
  let failsWith = "";
  const steps: { arena: number; outcome: string }[] = [];
  while (completes - fails > step) {
    const mid = Math.round((fails + completes) / 2 / 1024) * 1024;
    const r = await runRole(script, mid);
    const done = r.status === 0 && r.measures[0]?.json === json;
    // where it failed matters: while loading (the parse-time copy of the bundle) or during the ten minutes
    const outcome = done ? "completes, same result" : `${r.loaded ? "during the run" : "while loading"}: ${r.abort ?? r.exception ?? `status ${r.status}`}`;
    steps.push({ arena: mid, outcome });
    console.error(`bench:mcu bisect: arena ${mid / 1024} KB ${outcome}`); // progress: each step is up to a 10-minute run
    if (done) completes = mid;
    else { fails = mid; failsWith = outcome; }
  }
  return { fails, failsWith, completes, steps };
}

/** The most arena the run took (chunk blocks + slot blocks, the XS stack among them): the arena never takes back. */
function highWater(m: McuMemory): number {
  return m.arenaChunkBytes + m.arenaSlotBytes;
}

/**
 * One role: unbounded (the 4 MB arena), then bounded per board. A board's arena at or above the
 * unbounded run's high-water needs no run of its own: allocation is deterministic and the arena
 * refuses nothing below its budget, so the bounded run is the same run, with the same result.
 */
async function measureRole(role: string, withBisect: boolean): Promise<RolePeaks> {
  const { script } = await scenarioScript(resolve(projectRoot(), `bench/mcu/${role}.ts`), ["run"]);
  const t0 = Date.now();
  const free = await runRole(script, ARENA);
  const seconds = (Date.now() - t0) / 1000;
  if (free.status !== 0 || !free.loaded || free.measures.length !== 1) throw new Error(`${role}: status ${free.status} ${free.abort ?? free.exception ?? free.lines.slice(-3).join(" | ")}`);
  const m = free.measures[0];
  const stages = stagesOf(free);
  const figures = figuresOf(free.loaded, stages, m.memory);
  const high = highWater(m.memory);
  const boards: RolePeaks["boards"] = await Promise.all(BOARDS.map(async (board) => {
    if (board.arena >= high) return { name: board.name, arena: board.arena, fits: true, outcome: `completes, same result (the unbounded run's high-water, ${(high / 1024).toFixed(0)} KB, fits)` };
    const b = await runRole(script, board.arena);
    const fits = b.status === 0 && b.measures[0]?.json === m.json;
    return { name: board.name, arena: board.arena, fits, outcome: fits ? "completes, same result" : b.abort ?? b.exception ?? `status ${b.status}` };
  }));
  const r: RolePeaks = { role, loaded: free.loaded, stages, run: m.memory, value: m.json, instructions: m.instructions, seconds, figures, highWater: high, boards };
  if (withBisect) {
    const fails = Math.max(64 * 1024, ...boards.filter((b) => !b.fits).map((b) => b.arena));
    r.bisect = await bisect(script, m.json, fails, Math.ceil(high / 1024) * 1024);
  }
  return r;
}

/** Every role (side by side), then (bisect) each one's smallest arena. */
export async function measureRoles(opts: { bisect?: boolean; roles?: readonly string[] } = {}): Promise<RolePeaks[]> {
  return Promise.all((opts.roles ?? ROLES).map((role) => measureRole(role, opts.bisect === true)));
}

/**
 * The creation proposed for a board: the most live chunks and slots seen (liveChunksMax, liveSlotsMax: bytecode excluded, the loaded
 * bundle's state included, since the emulator cannot tell which preloaded objects a board would copy
 * to RAM when written) × MARGIN for the garbage between collections, plus the run's XS stack × MARGIN.
 * An upper bound for a board that preloads; roleLive is the lower one.
 */
export function proposeCreation(f: RoleFigures): { static: number; chunk: { initial: number; incremental: number }; heap: { initial: number; incremental: number }; stack: number } {
  const kib = (bytes: number) => Math.ceil(bytes / 1024) * 1024;
  const stack = Math.max(256, Math.ceil((f.stackSlots * MARGIN) / 64) * 64);
  const chunk = kib(f.liveChunksMax * MARGIN);
  const heap = Math.ceil((f.liveSlotsMax * MARGIN) / 64) * 64;
  return { static: kib(chunk + (heap + stack) * SLOT), chunk: { initial: chunk, incremental: 1024 }, heap: { initial: heap, incremental: 64 }, stack };
}

export function printRoles(roles: RolePeaks[]): void {
  const k = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  console.log("Memory per role (10 virtual minutes each, XS on the Cortex-M3, only the role in the machine; bytecode told apart by a census after collect):");
  for (const r of roles) {
    const f = r.figures;
    console.log(`  ${r.role}: code ${k(f.code)} (bytecode, flash on the board) | live data after GC ${k(f.liveLoaded)} after set-up, ${k(f.liveEnd)} at 10 min, ${k(f.liveMax)} most (collections every 5 s) | peak ${k(f.peak)} (XS's, garbage and code included) | XS stack ${f.stackSlots} slots | ${(r.instructions / 1e6).toFixed(0)} M instructions, ${r.seconds.toFixed(0)} s real`);
    console.log(`    of the live data: ${k(f.preloaded)} the loaded bundle's state (flash on a board that preloads), ≤ ${k(f.peers)} the peers', so the role's own: ${k(f.roleLive)} most, ${k(f.roleLiveEnd)} at 10 min`);
    console.log(`    result ${r.value}`);
    console.log(`    arena high-water ${k(r.highWater)} (code, the parse-time bytecode copy and garbage included): the smallest arena known to complete`);
    for (const b of r.boards) console.log(`    ${b.name} (arena ${k(b.arena)}, code in RAM here): ${b.outcome}`);
    if (r.bisect) {
      console.log(`    smallest arena (code in RAM): ${k(r.bisect.completes)} completes; ${k(r.bisect.fails)} ends ${r.bisect.failsWith}`);
      for (const s of r.bisect.steps) console.log(`      bisection: ${k(s.arena)} ${s.outcome}`);
    }
    console.log(`    creation for a board that preloads (most live data × ${MARGIN}, stack × ${MARGIN}): ${JSON.stringify(proposeCreation(f))}`);
  }
}

/** A role's RolePeaks from an unbounded run already made (its lines), boards judged by the high-water alone. */
export function rolePeaksOf(role: string, free: McuRun, seconds = 0): RolePeaks {
  if (free.status !== 0 || !free.loaded || free.measures.length !== 1) throw new Error(`${role}: status ${free.status}`);
  const m = free.measures[0];
  const stages = stagesOf(free);
  const high = highWater(m.memory);
  const boards = BOARDS.map((b) => ({ name: b.name, arena: b.arena, fits: b.arena >= high, outcome: b.arena >= high ? "completes (high-water fits)" : "not run" }));
  return { role, loaded: free.loaded, stages, run: m.memory, value: m.json, instructions: m.instructions, seconds, figures: figuresOf(free.loaded, stages, m.memory), highWater: high, boards };
}
