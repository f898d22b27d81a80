// `xsmeter calibrate`: reference points → least-squares record in a flash image → loaded by a slave at boot.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { calibrateCommand } from "../../hosts/node/cli/calibrate-command";
import { UsageError } from "../../hosts/node/cli/command";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";
import { CalibrationStore } from "../../modules/metrology/calibration-store";
import { loadCalibration } from "../../modules/metrology/calibration-boot";

const dir = mkdtempSync(join(tmpdir(), "xsmeter-cal-"));
let out: string[] = [];
afterEach(() => { vi.restoreAllMocks(); out = []; });
function run(args: string[]): Promise<number> {
  vi.spyOn(console, "log").mockImplementation((m: string) => void out.push(m));
  vi.spyOn(console, "error").mockImplementation(() => {});
  return calibrateCommand.run(args);
}

/** Independent least squares for y = a·x + b (normal equations, written out here). */
function line(pts: Array<[number, number]>): { gain: number; offset: number } {
  const n = pts.length, mx = pts.reduce((s, p) => s + p[0], 0) / n, my = pts.reduce((s, p) => s + p[1], 0) / n;
  const a = pts.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0) / pts.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return { gain: a, offset: mx - my / a }; // reference = gain × (raw − offset)
}

describe("xsmeter calibrate", () => {
  it("fits the points, writes the record a slave then loads at boot", async () => {
    const file = join(dir, "slave1.bin");
    const u: Array<[number, number]> = [[10, 0], [470.5, 230.1], [810, 399.8]], i: Array<[number, number]> = [[-4, 0], [246.2, 5], [995, 20.02]];
    expect(await run(["--flash", file, "--u", u.map(([r, v]) => `${r}=${v}`).join(","), "--i", i.map(([r, v]) => `${r}=${v}`).join(","), "--phase-deg", "1.25"])).toBe(0);
    const printed = JSON.parse(out[0]);
    expect(printed.sequence).toBe(1);
    const flash = new NorFlashSim({ size: 8192, file });
    const boot = loadCalibration(new CalibrationStore(flash), 1);
    flash.close();
    expect(boot.source).toBe("stored");
    const eu = line(u), ei = line(i);
    expect(boot.phases[0].u.gain).toBeCloseTo(eu.gain, 12);
    expect(boot.phases[0].u.offset).toBeCloseTo(eu.offset, 9);
    expect(boot.phases[0].i.gain).toBeCloseTo(ei.gain, 12);
    expect(boot.phases[0].i.offset).toBeCloseTo(ei.offset, 9);
    expect(boot.phases[0].phaseDeg).toBe(1.25);
    // A CSV for phase 2 keeps phase 1 and bumps the sequence.
    const csv = join(dir, "p2.csv");
    writeFileSync(csv, "phase,channel,raw,reference\n2,u,0,0\n2,u,100,230\n2,i,0,0\n2,i,50,10\n2,phase,,-0.5\n");
    expect(await run(["--flash", file, "--csv", csv])).toBe(0);
    const second = JSON.parse(out[1]);
    expect(second.sequence).toBe(2);
    expect(second.phases[0]).toEqual(boot.phases[0]);
    expect(second.phases[1]).toMatchObject({ u: { gain: 2.3 }, i: { gain: 0.2 }, phaseDeg: -0.5 });
    expect(await run(["--flash", file, "--show"])).toBe(0);
    expect(JSON.parse(out[2])).toMatchObject({ sequence: 2, sectors: ["sequence 1", "sequence 2"] });
  });

  it("rejects a malformed CSV naming the line, and refuses a file that is not a flash image without touching it", async () => {
    const csv = join(dir, "bad.csv");
    writeFileSync(csv, "phase,channel,raw,reference\n1,u,0,0\n1,v,1,2\n");
    await expect(run(["--flash", join(dir, "x.bin"), "--csv", csv])).rejects.toThrow(/bad\.csv line 3: channel must be u, i or phase/);
    await expect(run(["--flash", join(dir, "x.bin"), "--u", "1=2,1=3", "--i", "1=2,3=4"])).rejects.toThrow(/reference points must differ/);
    await expect(run(["--flash", join(dir, "x.bin"), "--u", "1=2,abc", "--i", "1=2,3=4"])).rejects.toThrow(UsageError);
    const notImage = join(dir, "notes.txt");
    writeFileSync(notImage, "precious");
    await expect(run(["--flash", notImage, "--show"])).rejects.toThrow(/not a flash image/);
    expect(readFileSync(notImage, "utf8")).toBe("precious");
  });

  it("a single reference point per channel sets the gain only and keeps the stored offset (ref = gain × (raw − offset))", async () => {
    const file = join(dir, "one-point.bin");
    // first a two-point calibration: u offset 10, i offset -4
    expect(await run(["--flash", file, "--u", "10=0,110=230", "--i", "-4=0,46=10", "--phase-deg", "0.75"])).toBe(0);
    // then the field procedure: one reading against a reference meter per channel
    expect(await run(["--flash", file, "--u", "510=1150", "--i", "96=25"])).toBe(0);
    const rec = JSON.parse(out[1]);
    expect(rec.phases[0].u.offset).toBeCloseTo(10, 12);
    expect(rec.phases[0].u.gain).toBeCloseTo(1150 / (510 - 10), 12);
    expect(rec.phases[0].i.offset).toBeCloseTo(-4, 12);
    expect(rec.phases[0].i.gain).toBeCloseTo(25 / (96 + 4), 12);
    expect(rec.phases[0].phaseDeg).toBe(0.75); // not given: kept
    // on a fresh image the offset is 0
    expect(await run(["--flash", join(dir, "fresh.bin"), "--u", "1000=230", "--i", "500=5"])).toBe(0);
    expect(JSON.parse(out[2]).phases[0]).toMatchObject({ u: { gain: 0.23, offset: 0 }, i: { gain: 0.01, offset: 0 } });
    // a single point at the offset cannot give a gain
    await expect(run(["--flash", file, "--u", "10=230", "--i", "96=25"])).rejects.toThrow(/one point needs a raw reading away from the offset \(10\)/);
  });

  it("a missing channel names both options", async () => {
    await expect(run(["--flash", join(dir, "y.bin"), "--u", "1000=230"])).rejects.toThrow(/--i is missing: calibration needs both --u RAW=REF.*and --i RAW=REF/);
    await expect(run(["--flash", join(dir, "y.bin"), "--i", "1000=5"])).rejects.toThrow(/--u is missing: calibration needs both --u/);
  });
});
