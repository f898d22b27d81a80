// Tests that need a program from a Debian package ask here first. On a machine without it the
// test is skipped and one line naming the package and the command that installs it is printed at
// the end of the run (test/support/skip-summary.ts). Under XSMETER_REQUIRE_ALL=1 (set by .ci/run)
// a missing program fails the test instead, so CI cannot pass by skipping.
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync } from "node:fs";

export interface Requirement {
  /** What the test needs, as a person would name it. */
  readonly what: string;
  /** The Debian package that brings it. */
  readonly pkg: string;
  /** True when it is here. */
  readonly present: () => boolean;
}

const file = (path: string) => () => existsSync(path);
const pythonModule = (mod: string) => () => {
  try { execFileSync("/usr/bin/python3", ["-c", `import ${mod}`], { stdio: "ignore" }); return true; } catch { return false; }
};
const onPath = (cmd: string) => () => {
  try { execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }); return true; } catch { return false; }
};

export const REQUIREMENTS = {
  mosquitto: { what: "the mosquitto MQTT broker (/usr/sbin/mosquitto)", pkg: "mosquitto", present: file("/usr/sbin/mosquitto") },
  chromium: { what: "headless Chromium (/usr/bin/chromium)", pkg: "chromium", present: file("/usr/bin/chromium") },
  pythonCan: { what: "python-can for Debian's python3", pkg: "python3-can", present: pythonModule("can") },
  postgres: { what: "the PostgreSQL server (initdb, pg_ctl)", pkg: "postgresql", present: () => existsSync("/usr/lib/postgresql") },
  nats: { what: "the NATS server (nats-server)", pkg: "nats-server", present: onPath("nats-server") },
  armGcc: { what: "the Arm bare-metal compiler (arm-none-eabi-gcc) and newlib", pkg: "gcc-arm-none-eabi libnewlib-arm-none-eabi", present: onPath("arm-none-eabi-gcc") },
  qemuArm: { what: "the Arm system emulator (qemu-system-arm)", pkg: "qemu-system-arm", present: onPath("qemu-system-arm") },
} as const satisfies Record<string, Requirement>;

export type RequirementName = keyof typeof REQUIREMENTS;

const cache = new Map<RequirementName, boolean>();

/**
 * `describe.skipIf(missing("mosquitto"))(…)`: true when the program is absent (and the run is not
 * one that must have it), after noting the skip for the end-of-run summary.
 */
export function missing(...names: RequirementName[]): boolean {
  let absent = false;
  for (const name of names) {
    let here = cache.get(name);
    if (here === undefined) { here = REQUIREMENTS[name].present(); cache.set(name, here); }
    if (!here && absentNoted(REQUIREMENTS[name])) absent = true;
  }
  return absent;
}

/**
 * For a requirement that is not here: notes the skip for the summary and returns true, or, under
 * XSMETER_REQUIRE_ALL=1, throws so the run fails naming the package. Exported for its own test.
 */
export function absentNoted(req: Requirement): true {
  if (process.env.XSMETER_REQUIRE_ALL === "1") {
    throw new Error(`${req.what} is missing and XSMETER_REQUIRE_ALL=1: apt-get install -y ${req.pkg}`);
  }
  const log = process.env.XSMETER_SKIP_LOG;
  if (log) appendFileSync(log, `${req.pkg}\t${req.what}\n`);
  return true;
}
