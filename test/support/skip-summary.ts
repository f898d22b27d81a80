// vitest globalSetup: collects the skips that test/support/requires.ts noted in the worker
// processes and prints one line per missing package at the end of the run.
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "xsm-skips-"));
  const log = join(dir, "skips.tsv");
  process.env.XSMETER_SKIP_LOG = log;
  return () => {
    const lines = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
    rmSync(dir, { recursive: true, force: true });
    const byPkg = new Map<string, string>();
    for (const l of lines) { const [pkg, what] = l.split("\t"); byPkg.set(pkg, what); }
    if (byPkg.size === 0) return;
    console.log("\nSkipped because a Debian package is missing (CI installs them in .ci/run):");
    for (const [pkg, what] of byPkg) console.log(`  skipped: ${what} — sudo apt-get install -y ${pkg}`);
  };
}
