// `npm run bench:energy [-- --json] [--cuts N]`: the T13 torture run (random power cuts at any byte of
// any program or erase, constant 2300 W and a varying three-phase load) and the flash endurance of the
// chosen write policy (REFERENCES §8).
import { DEFAULT_POLICY } from "../modules/energy/energy-store";
import { torture } from "../hosts/node/flash/torture";

const args = process.argv.slice(2);
const json = args.includes("--json");
const at = args.indexOf("--cuts");
const cuts = at >= 0 ? Number(args[at + 1]) : 10_000;
const sectors = 16;
const recordsPerWrap = (sectors * 4096) / 128;
const started = performance.now();
const runs = [false, true].map((varying) => ({ load: varying ? "varying 3-phase" : "2300 W constant", ...torture({ cuts, varying, seed: varying ? 11 : 10 }) }));
const seconds = (performance.now() - started) / 1000;

// Endurance: each wrap of the ring erases every sector once; a wrap takes recordsPerWrap writes.
const policy = DEFAULT_POLICY;
const endurance = [400, 2300, 11000].map((meanW) => {
  const writesPerHour = Math.max(3_600_000 / policy.periodMs, meanW / policy.thresholdWh);
  const wrapsPerYear = (writesPerHour * 8766) / recordsPerWrap;
  return { meanW, writesPerHour: Math.round(writesPerHour), years: Math.round(100_000 / wrapsPerYear) };
});

const rows = runs.map((r) => [r.load, r.cuts, r.cutsInErase, r.worstLossWh.toFixed(2), r.boundWh.toFixed(2), r.forwardJumps, r.corruptAccepted, r.writes, Math.min(...r.eraseCounts) + ".." + Math.max(...r.eraseCounts)]);
const head = ["load", "cuts", "in erase", "worst loss Wh", "bound Wh", "fwd jumps", "corrupt", "writes", "erases/sector"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (r: unknown[]) => r.map((c, i) => String(c).padStart(widths[i])).join("  ");
console.log(`T13 torture, policy: every ${policy.periodMs / 1000} s or ${policy.thresholdWh} Wh; journal ${sectors} × 4 KiB, 128-byte records (${recordsPerWrap} per wrap)`);
console.log(line(head));
for (const r of rows) console.log(line(r));
console.log(`(${seconds.toFixed(1)} s)`);
console.log("\nflash endurance at 100,000 erase cycles per sector:");
for (const e of endurance) console.log(`  mean load ${String(e.meanW).padStart(5)} W: ${String(e.writesPerHour).padStart(4)} writes/h → ${e.years} years`);
if (json) {
  const worst = Math.max(...runs.map((r) => r.worstLossWh));
  console.log(JSON.stringify({
    bench: "energy", policy, cuts: runs.reduce((s, r) => s + r.cuts, 0), cutsInErase: runs.reduce((s, r) => s + r.cutsInErase, 0),
    worstLossWh: worst, boundWh: Math.max(...runs.map((r) => r.boundWh)), forwardJumps: runs.reduce((s, r) => s + r.forwardJumps, 0),
    corruptRecords: runs.reduce((s, r) => s + r.corruptAccepted, 0), runs: runs.map(({ eraseCounts, ...r }) => ({ ...r, eraseMin: Math.min(...eraseCounts), eraseMax: Math.max(...eraseCounts) })),
    enduranceYears: endurance, seconds,
  }));
}
