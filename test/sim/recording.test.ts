import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../hosts/node/cli/command";
import { openRecording, parseSimArgs } from "../../hosts/node/cli/sim-command";
import { loadRecording } from "../../hosts/node/recordings/load";
import { RecordingFrontEnd } from "../../hosts/node/sim/recording-front-end";

const CLI = join(__dirname, "../../bin/xsmeter.js");
const built = existsSync(join(__dirname, "../../dist/hosts/node/cli/main.js"));
const dir = mkdtempSync(join(tmpdir(), "xsmeter-rec-"));

/** A CSV t,u,i: 230 V rms and 10 A rms in phase at 50 Hz, 6.4 kS/s — 2300 W by definition. */
function writeCsv(file: string, seconds: number): void {
  const fs = 6400;
  const lines = ["t,u,i"];
  for (let n = 0; n < seconds * fs; n++) {
    const t = n / fs;
    const s = Math.sin(2 * Math.PI * 50 * t);
    lines.push(`${t.toFixed(9)},${(230 * Math.SQRT2 * s).toFixed(6)},${(10 * Math.SQRT2 * s).toFixed(6)}`);
  }
  writeFileSync(file, lines.join("\n") + "\n");
}

describe("a slave measuring a recording (--recording)", () => {
  it("feeds the recording's samples, looped, through the metrology pipeline", () => {
    const file = join(dir, "resistive.csv");
    writeCsv(file, 2); // 2 s recording, measured for 6 s: looped twice
    const start = Date.UTC(2026, 2, 20, 12);
    const fe = new RecordingFrontEnd(loadRecording(file), 1, start);
    for (let s = 1; s <= 6; s++) fe.measure(start + s * 1000);
    const r = fe.readings();
    expect(Math.abs(r.voltageV - 230) / 230).toBeLessThan(0.005);
    expect(Math.abs(r.currentA - 10) / 10).toBeLessThan(0.005);
    expect(Math.abs(r.powerW - 2300) / 2300).toBeLessThan(0.005);
    expect(r.frequencyHz).toBeCloseTo(50, 2);
    // 6 s at 2300 W, less what the pipeline still holds in its last unfinished window (≤ 0.2 s + margin).
    const wh6 = (2300 * 6) / 3600;
    expect(r.importWh).toBeGreaterThan(wh6 * (1 - 0.3 / 6));
    expect(r.importWh).toBeLessThanOrEqual(wh6 * 1.005);
    expect(r.exportWh).toBe(0);
    expect(r.dips + r.swells + r.interruptions).toBe(0); // the loop seam is at a whole cycle: no event
  });

  it("parses --recording and --recording-meter, and refuses them where they cannot apply", () => {
    expect(parseSimArgs(["--recording", "a.csv"])).toMatchObject({ recording: "a.csv", recordingMeter: 1 });
    expect(parseSimArgs(["--recording", "a.wav", "--recording-meter", "3"])).toMatchObject({ recordingMeter: 3 });
    for (const bad of [["--recording"], ["--recording", "a.csv", "--recording-meter", "0"], ["--recording", "a.csv", "--recording-meter", "5"], ["--recording", "a.csv", "--speed", "60"]]) {
      expect(() => parseSimArgs(bad), bad.join(" ")).toThrow(UsageError);
    }
  });

  it("a malformed or missing recording is a usage error naming the file and the fault", () => {
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, "t,u,i\n0,1,2\n0.0001,oops,2\n");
    expect(() => openRecording(parseSimArgs(["--recording", bad]))).toThrow(UsageError);
    expect(() => openRecording(parseSimArgs(["--recording", bad]))).toThrow(/bad\.csv line 3: u "oops" is not a number/);
    expect(() => openRecording(parseSimArgs(["--recording", join(dir, "none.csv")]))).toThrow(/none\.csv: no such file/);
    const short = join(dir, "short.csv");
    writeFileSync(short, "t,u,i\n0,0,0\n0.00015625,1,1\n0.0003125,2,2\n");
    expect(() => new RecordingFrontEnd(loadRecording(short), 1, 0)).toThrow(/fewer than one measuring window/);
  });

  it.skipIf(!built)("the built CLI exits with the usage error before starting anything", () => {
    const bad = join(dir, "bad2.csv");
    writeFileSync(bad, "time,volts\n0,1\n");
    const r = spawnSync(process.execPath, [CLI, "sim", "--recording", bad, "--http-port", "0", "--mqtt-port", "0"], { encoding: "utf8", timeout: 10_000 });
    expect(r.signal).toBeNull(); // it ended by itself, not by the timeout
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--recording .*bad2\.csv: bad2\.csv line 1: header must be t,u,i/);
    expect(r.stdout).not.toMatch(/Web page/);
  }, 15_000);
});
