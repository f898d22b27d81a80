// hosts/lin runs the role its manifest names (config.xsmeter.role, set by hosts/lin/roles/<role>.json):
// the aggregator with its simulated slaves, or one slave polled by a master. Each role runs here on a
// virtual clock, as main.ts starts it on mcsim's real one; a wrong key stops the start with its name.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { linConfig, startLinRole, type LinDisplay } from "../../hosts/lin/lin-roles";

const LIN = join(__dirname, "../../hosts/lin");
const json = (path: string) => JSON.parse(readFileSync(path, "utf8"));

/** mcconfig's mergeProperties: objects merge key by key, anything else replaces (the including manifest last). */
function merge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(source)) {
    const t = target[k];
    target[k] = t && v && typeof t === "object" && typeof v === "object" && !Array.isArray(v) ? merge(t as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return target;
}

/** config.xsmeter as mcconfig builds it for hosts/lin/roles/<role>.json (it includes the project's, which includes hosts/lin's). */
function roleConfig(role: string): unknown {
  const m = json(join(LIN, "roles", `${role}.json`));
  expect(m.include).toEqual(["../../../manifest.json"]);
  expect(json(join(__dirname, "../../manifest.json")).platforms.lin.include).toBe("./hosts/lin/manifest.json");
  return merge(structuredClone(json(join(LIN, "manifest.json")).config), m.config).xsmeter;
}

function run(role: string, seconds: number, withDisplay = false) {
  const clock = new VirtualClock(Date.UTC(2026, 11, 4));
  const lines: string[] = [];
  const screen = { renders: 0, current: "home", render() { this.renders++; } };
  const r = startLinRole(clock, linConfig(roleConfig(role)), (l) => lines.push(l), withDisplay ? (): LinDisplay => screen : undefined);
  clock.advance(seconds * 1000);
  return { stats: r.stats(), status: r.status(), lines, screen };
}

describe("hosts/lin roles", () => {
  it("the lin manifest alone is the aggregator; each role manifest names its role", () => {
    expect(linConfig(json(join(LIN, "manifest.json")).config.xsmeter).role).toBe("aggregator");
    for (const role of ["aggregator", "slave"]) expect(linConfig(roleConfig(role)).role).toBe(role);
  });

  it("aggregator: its three slaves online over authenticated CAN, journaling, the display rendered each period", () => {
    const { stats, status, lines, screen } = run("aggregator", 60, true);
    expect(lines[0]).toMatch(/aggregator \+ 3 simulated slaves/);
    expect(stats).toMatchObject({ role: "aggregator", online: 3, meters: 3, authFailures: 0, replays: 0 });
    expect(stats.cycles).toBeGreaterThanOrEqual(55);
    expect(stats.accepted).toBeGreaterThan(3 * stats.cycles); // several quantities per slave and cycle
    expect(stats.journalSeq.every((s) => s !== undefined)).toBe(true);
    expect(screen.renders).toBeGreaterThanOrEqual(55);
    expect(status).toMatch(/display "home" \(\d+ renders\), meters online 3\/3/);
  });

  it("slave: one slave, polled by the master in the machine, answers every cycle and journals", () => {
    const { stats, status, lines } = run("slave", 60);
    expect(lines[0]).toMatch(/slave 1 on a simulated CAN bus/);
    expect(stats).toMatchObject({ role: "slave", online: 1, meters: 1, authFailures: 0, replays: 0 });
    expect(stats.cycles).toBeGreaterThanOrEqual(55);
    expect(stats.accepted).toBeGreaterThan(stats.cycles);
    expect(stats.journalSeq[0]).toBeDefined();
    expect(status).toMatch(/slave 1 \d+W 2\d\d\.\dV, polled online/);
  });

  it("a wrong key stops the start with its name", () => {
    expect(() => linConfig({ role: "master" })).toThrow(/xsmeter\.role must be "aggregator" or "slave", not "master"/);
    expect(() => linConfig({ slaveIds: [1, 1] })).toThrow(/xsmeter\.slaveIds/);
    expect(() => linConfig({ role: "slave", meterId: 64 })).toThrow(/xsmeter\.meterId/);
    expect(() => linConfig({ pollPeriodMs: "fast" })).toThrow(/xsmeter\.pollPeriodMs/);
    expect(() => linConfig({ seed: 1.5 })).toThrow(/xsmeter\.seed/);
  });
});
