import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CandumpWriter, parseCandumpLine, readCandump } from "../../hosts/node/can/candump";
import { runCanBench } from "../../hosts/node/can/can-bench";
import { buildDbc } from "../../modules/can/dbc";
import { ALL_MESSAGES, MESSAGES, canId } from "../../modules/can/protocol";

import { missing } from "../support/requires";

/** Debian's python3-can lives under /usr/bin/python3 (a pyenv python3 on PATH may not see it). */
const PYTHON = "/usr/bin/python3";

describe("candump log", () => {
  it("writes and reads the can-utils format, remote frames and extended ids", () => {
    const w = new CandumpWriter();
    w.add(1436509053850.87, { id: 0x123, extended: false, rtr: false, dlc: 4, data: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) });
    w.add(1436509053851, { id: 0x123, extended: false, rtr: true, dlc: 0, data: new Uint8Array(0) });
    w.add(1436509053852.001, { id: 0x18daf110, extended: true, rtr: true, dlc: 8, data: new Uint8Array(0) });
    expect(w.lines).toEqual(["(1436509053.850870) can0 123#DEADBEEF", "(1436509053.851000) can0 123#R", "(1436509053.852001) can0 18DAF110#R8"]);
    const back = readCandump(w.text());
    expect(back.map((l) => l.frame.id)).toEqual([0x123, 0x123, 0x18daf110]);
    expect(back[2].frame).toMatchObject({ extended: true, rtr: true, dlc: 8 });
    expect(back[0].timeMs).toBeCloseTo(1436509053850.87, 3);
  });

  it("rejects malformed lines with the line number", () => {
    for (const bad of ["123#DEADBEEF", "(1.5) can0 123#00", "(1.000000) can0 12#00", "(1.000000) can0 123#0", "(1.000000) can0 123#000102030405060708"]) {
      expect(() => parseCandumpLine(bad, 7), bad).toThrow(/line 7/);
    }
  });

  it.skipIf(missing("pythonCan"))("python-can reads the log the bench wrote, frame for frame", () => {
    const r = runCanBench({ slaves: 2, cycles: 1, candump: true });
    const dir = mkdtempSync(join(tmpdir(), "xsm-can-"));
    const file = join(dir, "bus.log");
    writeFileSync(file, r.candump!);
    const py = `import can, json, sys
out = [[m.timestamp, m.arbitration_id, m.is_extended_id, m.is_remote_frame, m.dlc, m.data.hex()] for m in can.CanutilsLogReader(sys.argv[1])]
print(json.dumps(out))`;
    const theirs = JSON.parse(execFileSync(PYTHON, ["-c", py, file], { encoding: "utf8" })) as [number, number, boolean, boolean, number, string][];
    const ours = readCandump(r.candump!);
    expect(theirs.length).toBe(ours.length);
    expect(ours.length).toBe(MESSAGES.length * 3);
    theirs.forEach(([ts, id, ext, rtr, dlc, hex], i) => {
      const o = ours[i];
      expect(Math.abs(ts * 1000 - o.timeMs)).toBeLessThan(0.001);
      expect([id, ext, rtr, dlc, hex]).toEqual([o.frame.id, o.frame.extended, o.frame.rtr, o.frame.dlc, Buffer.from(o.frame.data).toString("hex")]);
    });
  });
});

describe("DBC", () => {
  it("describes every message of every node with byte-aligned Intel signals", () => {
    const dbc = buildDbc(3);
    const bo = dbc.split("\n").filter((l) => l.startsWith("BO_ "));
    expect(bo.length).toBe(3 * (ALL_MESSAGES.length + 1) + ALL_MESSAGES.length); // + the master's requests
    const volt = MESSAGES.find((m) => m.code === "1-0:32.7.0")!;
    expect(dbc).toContain(`BO_ ${canId(volt.msg, 2)} VOLTAGE_L1_N2: 8 SLAVE2`);
    expect(dbc).toMatch(/SG_ value : 0\|32@1- \(0\.01,0\) \[-21474836\.48\|21474836\.47\] "V" MASTER/);
    expect(dbc).toContain("BU_: MASTER SLAVE1 SLAVE2 SLAVE3");
    const volt10 = ALL_MESSAGES.find((m) => m.code === "1-0:32.5.0")!; // the 10-min aggregate's messages too
    expect(dbc).toContain(`BO_ ${canId(volt10.msg, 3)} VOLTAGE_L1_10MIN_N3: 8 SLAVE3`);
  });
});

describe("bench figures (sanity, not timing)", () => {
  it("a cycle of 2 slaves is within 1.1 × (bus bound + node time) and never beyond the RTA bounds", () => {
    const r = runCanBench({ slaves: 2, cycles: 2 });
    expect(r.withinGoal).toBe(true);
    expect(r.rtaViolations).toBe(0);
    expect(r.missedAnswers).toBe(0);
    // one request then two answers: at least the bus-only minimum of §4 (2.15 ms) plus the node time
    expect(r.requestToLastAnswerMs).toBeGreaterThanOrEqual(2.15);
  });
});
