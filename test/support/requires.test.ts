// requires.ts and skip-summary.ts together, as a newcomer's `npm test` and CI's .ci/run meet them:
// a fixture test that needs a program no machine has is run by vitest in a child process.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { absentNoted, REQUIREMENTS } from "./requires";

const ROOT = resolve(__dirname, "../..");
const FAKE = { what: "a fake program", pkg: "fake-pkg", present: () => false };

/** The fixture run, with the environment given (XSMETER_REQUIRE_ALL removed unless set here). */
function runFixture(extra: Record<string, string>) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!("XSMETER_REQUIRE_ALL" in extra)) delete env.XSMETER_REQUIRE_ALL;
  delete env.XSMETER_SKIP_LOG; // the child's globalSetup makes its own
  const r = spawnSync(process.execPath, [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--config", "test/support/fixtures/vitest.config.ts"], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe("a test that needs a Debian package", () => {
  it("is skipped with one summary line naming the package and its install command, and the run passes", () => {
    const r = runFixture({});
    expect(r.out).toMatch(/1 passed/);
    expect(r.out).toMatch(/1 skipped/);
    expect(r.out).toContain("skipped: the requires test's fake program — sudo apt-get install -y xsmeter-fake-pkg");
    expect(r.status).toBe(0);
  });

  it("fails the run under XSMETER_REQUIRE_ALL=1, naming the package", () => {
    const r = runFixture({ XSMETER_REQUIRE_ALL: "1" });
    expect(r.out).toContain("the requires test's fake program is missing and XSMETER_REQUIRE_ALL=1: apt-get install -y xsmeter-fake-pkg");
    expect(r.status).not.toBe(0);
  });

  it("notes the skip in the run's log, once a line, package first", () => {
    const dir = mkdtempSync(join(tmpdir(), "xsm-req-"));
    const log = join(dir, "skips.tsv");
    const saved = { log: process.env.XSMETER_SKIP_LOG, all: process.env.XSMETER_REQUIRE_ALL };
    try {
      process.env.XSMETER_SKIP_LOG = log;
      delete process.env.XSMETER_REQUIRE_ALL;
      expect(absentNoted(FAKE)).toBe(true);
      expect(readFileSync(log, "utf8")).toBe("fake-pkg\ta fake program\n");
    } finally {
      if (saved.log === undefined) delete process.env.XSMETER_SKIP_LOG; else process.env.XSMETER_SKIP_LOG = saved.log;
      if (saved.all !== undefined) process.env.XSMETER_REQUIRE_ALL = saved.all;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names a Debian package for every program the tests may need", () => {
    for (const [name, req] of Object.entries(REQUIREMENTS)) {
      expect(req.pkg, name).toMatch(/^[a-z0-9][a-z0-9+.-]+( [a-z0-9][a-z0-9+.-]+)*$/);
      expect(typeof req.present(), name).toBe("boolean");
    }
  });
});
