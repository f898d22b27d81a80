// `npm run bench:can-native [-- --json]`: what checking one poll cycle's CMACs costs the aggregator
// with 16 slaves (16 × 13 authenticated answers, test/xs/scenarios/can-cmac-cycle.ts), with the
// TypeScript AES and with the AES taken out (the board's native cipher: what XS still runs), in
// xsnap computrons; the same two on the real XS built for a Cortex-M3 in QEMU (-icount: exact
// instructions), which gives instructions per computron for this very code; and the share of the
// 1 s poll period on a 240 MHz ESP32 from those figures.
import { bundleForXs, projectRoot, XsEngine } from "../hosts/node/xs/runner";
import { runOnMcu, scenarioFile, scenarioScript } from "../hosts/node/mcu/mcu-runner";
import { REQUIREMENTS } from "../test/support/requires";
import { resolve } from "node:path";

const json = process.argv.includes("--json");
const PROBES = ["cycleTsAes", "cycleAesOut"] as const;
const POLL_PERIOD_S = 1;
const ESP32_HZ = 240e6;
/** Instructions per computron when QEMU is not there: REFERENCES §11's Cortex-M3 figure for integer code. */
const FALLBACK_IPC = 27;

async function onXsnap(): Promise<Record<string, number>> {
  const file = resolve(projectRoot(), "test/xs/scenarios/can-cmac-cycle.ts");
  const bundle = await bundleForXs(file, "__cmaccycle");
  const xs = await XsEngine.start();
  try {
    await xs.load(bundle);
    const out: Record<string, number> = {};
    for (const p of PROBES) {
      const r = await xs.evaluate<number>(`__cmaccycle.probes.${p}()`);
      out[p] = r.meter.compute;
    }
    return out;
  } finally {
    await xs.close();
  }
}

async function onCortexM3(): Promise<Record<string, { instructions: number; computrons: number }> | string> {
  if (!REQUIREMENTS.armGcc.present() || !REQUIREMENTS.qemuArm.present()) return "no arm-none-eabi-gcc or qemu-system-arm on this machine";
  const { script } = await scenarioScript(scenarioFile("can-cmac-cycle"), [...PROBES]);
  const run = await runOnMcu(script, { arena: 4 * 1024 * 1024 }, 600_000);
  if (run.abort || run.exception || run.status !== 0) return `the Cortex-M3 run failed: ${run.abort ?? run.exception ?? `status ${run.status}`}`;
  const out: Record<string, { instructions: number; computrons: number }> = {};
  for (const m of run.measures) out[m.label] = { instructions: m.instructions, computrons: m.computrons };
  return out;
}

const xsnap = await onXsnap();
const mcu = await onCortexM3();
const answers = 16 * 13;
const rows = PROBES.map((p) => {
  const c = xsnap[p];
  const m = typeof mcu === "string" ? undefined : mcu[p];
  const ipc = m ? m.instructions / m.computrons : FALLBACK_IPC;
  // ESP32 (Xtensa LX6, 240 MHz): assumed to need as many instructions per computron as the Cortex-M3
  // build of the same XS and to retire about one per cycle; an estimate, not a measurement on an ESP32
  const esp32Ms = ((m ? m.instructions : c * ipc) / ESP32_HZ) * 1000;
  return { probe: p, computrons: c, perAnswer: c / answers, mcuInstructions: m?.instructions, mcuComputrons: m?.computrons, instructionsPerComputron: ipc, esp32Ms, pollShare: esp32Ms / (POLL_PERIOD_S * 1000) };
});
const [ts, out] = rows;
console.log("The aggregator's CMAC checks for one poll cycle, 16 slaves × 13 answers (test/xs can-cmac-cycle):");
console.log("AES                 XS computrons  per answer  Cortex-M3 instr.  (its computrons)  instr./computron  ESP32 @240 MHz  share of 1 s poll");
for (const r of rows) {
  console.log(`${(r.probe === "cycleTsAes" ? "TypeScript (XS)" : "native (XS part)").padEnd(18)}  ${r.computrons.toLocaleString("en").padStart(13)}  ${r.perAnswer.toFixed(0).padStart(10)}  ${(r.mcuInstructions?.toLocaleString("en") ?? "-").padStart(16)}  ${(r.mcuComputrons?.toLocaleString("en") ?? "-").padStart(16)}  ${r.instructionsPerComputron.toFixed(1).padStart(16)}  ${(r.esp32Ms.toFixed(1) + " ms").padStart(14)}  ${(100 * r.pollShare).toFixed(1).padStart(16)} %`);
}
console.log(`native share: ${(ts.computrons - out.computrons).toLocaleString("en")} computrons of ${ts.computrons.toLocaleString("en")} (${((100 * (ts.computrons - out.computrons)) / ts.computrons).toFixed(0)} %) leave XS for the C cipher`);
console.log(typeof mcu === "string"
  ? `instructions per computron: ${FALLBACK_IPC} assumed (REFERENCES §11, Cortex-M3 integer code): ${mcu}`
  : "instructions per computron: measured on XS for a Cortex-M3 in QEMU (-icount shift=0) for this code");
console.log("ESP32 assumption: as many Xtensa instructions per computron as Cortex-M3 ones, one per cycle at 240 MHz; the C AES itself (~1–2 k cycles per block in KCL, 208 blocks ≈ 0.3–0.4 M cycles, ≈1.5 ms) is not in the XS figure");
if (json) console.log(JSON.stringify({ bench: "can-native", answers, rows }));
