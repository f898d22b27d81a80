// The real XS engine built for a Cortex-M3 (hosts/mcu) and booted in QEMU's MPS2 AN385 runs the
// bundled test/xs scenarios that matter on the board and gives the same JSON as Node; the arena
// bounds XS as the board's budget would; instruction counts repeat to one SysTick tick under -icount.
import { beforeAll, describe, expect, it } from "vitest";
import { missing } from "../support/requires";
import { loadOnNode } from "../../hosts/node/xs/runner";
import { mcuElf, runOnMcu, scenarioFile, scenarioScript } from "../../hosts/node/mcu/mcu-runner";

const BOARD = { arena: 4 * 1024 * 1024 }; // generous: memory per role is bench:mcu's job

/** Scenario → the labels to run (undefined: run() and every probe), in the order they run. */
const SCENARIOS: [string, string[] | undefined][] = [
  ["app-poll-cycle", undefined], // the aggregator's poll cycle, two slaves, ten virtual minutes
  ["can-poll", undefined], // a CAN poll cycle with CMAC-authenticated answers
  ["metrology-board", undefined], // the slave's board path: register windows, snapshots, 3 s aggregates
  ["core-scheduler", undefined], // the four tasks for one simulated minute
  ["http-parser", ["run", "parseDashboardRequest"]], // a dashboard request
  ["secure-ed25519-stepped", ["oneStep"]], // one step of the stepped Ed25519 verifier
];

describe.skipIf(missing("armGcc", "qemuArm"))("XS on an emulated Cortex-M3", () => {
  beforeAll(async () => {
    await mcuElf(); // compiles XS once (~1–2 min), then only when a source changes
  }, 600_000);

  for (const [name, labels] of SCENARIOS) {
    it(`${name}: same results as Node`, async () => {
      const { script, bundle, globalName } = await scenarioScript(scenarioFile(name), labels);
      const run = await runOnMcu(script, BOARD);
      expect(run.abort ?? run.exception ?? "").toBe("");
      expect(run.status).toBe(0);
      const node = loadOnNode(bundle, globalName) as { run: () => unknown; probes?: Record<string, () => unknown> };
      const wanted = labels ?? ["run", ...Object.keys(node.probes ?? {})];
      expect(run.measures.map((m) => m.label)).toEqual(wanted);
      for (const m of run.measures) {
        const value = m.label === "run" ? node.run() : node.probes![m.label]();
        expect(m.json, m.label).toBe(JSON.stringify(value ?? null));
        expect(m.computrons).toBeGreaterThan(0);
        expect(m.instructions).toBeGreaterThan(m.computrons); // an XS computron is many Thumb instructions
      }
    }, 120_000);
  }

  const loop = (n: number) => `
    const i0 = mcu.instructions(), c0 = mcu.computrons();
    let s = 0; for (let i = 0; i < ${n}; i++) s = (s + i * 3) % 1000003;
    mcu.print("@@result " + JSON.stringify({ label: "loop", instructions: mcu.instructions() - i0, computrons: mcu.computrons() - c0, memory: mcu.memory(), json: String(s) }));`;

  it("counts instructions to one SysTick tick (40): the same run twice agrees, twice the loop twice the count", async () => {
    const [a, b, c] = [await runOnMcu(loop(2000), BOARD), await runOnMcu(loop(2000), BOARD), await runOnMcu(loop(4000), BOARD)];
    const [x, y, z] = [a, b, c].map((r) => r.measures[0]);
    // Virtual time is exact under -icount; reading it through the 25 MHz SysTick quantises it to 40 instructions.
    expect(Math.abs(x.instructions - y.instructions)).toBeLessThanOrEqual(40);
    expect(x.computrons).toBe(y.computrons);
    expect(x.json).toBe(String(Array.from({ length: 2000 }, (_, i) => i).reduce((s, i) => (s + i * 3) % 1000003, 0)));
    expect(z.instructions / x.instructions).toBeGreaterThan(1.9);
    expect(z.instructions / x.instructions).toBeLessThan(2.1);
    expect(z.computrons / x.computrons).toBeCloseTo(2, 1);
  }, 60_000);

  it("a script that outgrows the arena ends in XS's 'memory full', not a hang or a fault", async () => {
    const run = await runOnMcu("const keep = []; for (;;) keep.push(new Array(64).fill(keep.length));", { arena: 256 * 1024 });
    expect(run.abort).toMatch(/memory full/);
    expect(run.status).toBe(101); // 100 + XS_NOT_ENOUGH_MEMORY_EXIT
    expect(run.abort).toMatch(/of 262144 B/);
  }, 60_000);

  // The XS of @agoric/xsnap (13.3), built with mxMisalignedSettersCrash, reads a 64-bit element with
  // c_read32 (xsDataView.c) while its setters copy 8 bytes: the firmware never uses them
  // (test/core/no-bigint64.test.ts). The Moddable SDK's XS copies 8 bytes since November 2024.
  it("shows the getBigInt64 quirk: a 64-bit DataView or BigInt64Array element reads back as its first 32 bits", async () => {
    const script = `
      const v = new DataView(new ArrayBuffer(24));
      v.setBigUint64(0, 0x0123456789abcdefn, true);
      v.setBigUint64(8, 0x0123456789abcdefn, false);
      v.setBigInt64(16, -2n, true);
      const out = { le: v.getBigUint64(0, true).toString(16), be: v.getBigUint64(8, false).toString(16), neg: String(v.getBigInt64(16, true)),
        array: new BigUint64Array(v.buffer, 0, 1)[0].toString(16), halves: [v.getUint32(0, true).toString(16), v.getUint32(4, true).toString(16)],
        bytes: Array.from(new Uint8Array(v.buffer, 8, 8), (b) => b.toString(16)).join(" ") };
      mcu.print("bigint64 " + JSON.stringify(out));`;
    const run = await runOnMcu(script, BOARD);
    expect(run.exception ?? "").toBe("");
    const got = JSON.parse(run.lines.find((l) => l.startsWith("bigint64 "))!.slice(9));
    expect(got.bytes).toBe("1 23 45 67 89 ab cd ef"); // the setter wrote all 8 bytes, big-endian
    expect(got.halves).toEqual(["89abcdef", "1234567"]); // and two 32-bit reads give them back
    // Node (and a correct XS) give 123456789abcdef, 123456789abcdef, -2, 123456789abcdef
    expect(got.le).toBe("89abcdef"); // the low word only
    expect(got.be).toBe("123456700000000"); // 32 bits read, then swapped as 64
    expect(got.neg).toBe("4294967294"); // the sign lost
    expect(got.array).toBe("89abcdef"); // typed arrays share the getter
  }, 60_000);

  it("bad input is reported: a syntax error is an exception (status 1), a missing script status 2", async () => {
    const bad = await runOnMcu("this is not javascript", BOARD);
    expect(bad.status).toBe(1);
    expect(bad.exception).toMatch(/SyntaxError|syntax/i);
    const ok = await runOnMcu("mcu.print('still here')", BOARD);
    expect(ok.lines).toContain("still here");
  }, 60_000);
});
