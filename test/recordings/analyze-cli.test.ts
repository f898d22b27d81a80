// `xsmeter analyze FILE`: the JSON lines of issue 3 (window, event, aggregate, summary) from a CSV
// recording written here, with expected values from the signal's definition; `--calibration` applies
// a record stored by the calibration store to raw values.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { analyzeCommand } from "../../hosts/node/cli/analyze-command";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";
import { CalibrationStore } from "../../modules/metrology/calibration-store";
import { saveCalibration } from "../../modules/metrology/calibration-boot";

const dir = mkdtempSync(join(tmpdir(), "xsmeter-analyze-"));
const FS = 6400, U = 230, I = 10, LAG = 30;

/** 3 s of 50 Hz, current lagging 30°; u (raw) = volts / uScale; a dip to 70 % from 1.0 s to 1.2 s. */
function writeCsv(file: string, uScale = 1): void {
  const lines = ["t,u,i"];
  for (let n = 0; n < 3 * FS; n++) {
    const t = n / FS, w = 2 * Math.PI * 50 * t;
    const env = t >= 1.0 && t < 1.2 ? 0.7 : 1;
    lines.push(`${t.toFixed(7)},${((env * U * Math.SQRT2 * Math.sin(w)) / uScale).toFixed(5)},${(I * Math.SQRT2 * Math.sin(w - (LAG * Math.PI) / 180)).toFixed(6)}`);
  }
  writeFileSync(file, lines.join("\n") + "\n");
}

async function analyze(args: string[]): Promise<Array<Record<string, unknown>>> {
  const out: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => { out.push(String(chunk)); return true; });
  vi.spyOn(console, "error").mockImplementation(() => {});
  expect(await analyzeCommand.run(args)).toBe(0);
  vi.restoreAllMocks();
  return out.join("").trim().split("\n").map((l) => JSON.parse(l));
}

afterEach(() => vi.restoreAllMocks());

describe("xsmeter analyze", () => {
  it("prints windows, the dip, 3 s aggregates and a summary whose energy is P × time", async () => {
    const file = join(dir, "lag30.csv");
    writeCsv(file);
    const lines = await analyze([file]);
    const windows = lines.filter((l) => l.kind === "window");
    const summary = lines[lines.length - 1];
    expect(summary.kind).toBe("summary");
    expect(summary.windows).toBe(windows.length);
    expect(windows.length).toBeGreaterThanOrEqual(13);
    const p = U * I * Math.cos((LAG * Math.PI) / 180), q = U * I * Math.sin((LAG * Math.PI) / 180);
    const clean = windows.filter((w) => !w.flagged);
    expect(clean.length).toBeGreaterThan(5);
    for (const w of clean) {
      for (const k of ["t", "f", "u", "i", "p", "q1", "s", "n", "pf", "dpf", "thdu", "thdi", "flagged"]) expect(w).toHaveProperty(k);
      expect((w.u as number[])[0]).toBeCloseTo(U, 1);
      expect((w.p as number[])[0] / p).toBeCloseTo(1, 4);
      expect((w.q1 as number[])[0] / q).toBeCloseTo(1, 4);
      expect((w.pf as number[])[0]).toBeCloseTo(Math.cos((LAG * Math.PI) / 180), 4);
      expect(w.f as number).toBeCloseTo(50, 3);
    }
    // The dip: one event on phase 1 at 1.0 s for 0.2 s (±1 cycle), residual 70 % (±0.2 % of nominal); its windows flagged.
    const dips = lines.filter((l) => l.kind === "event" && l.type === "dip");
    expect(dips).toHaveLength(1);
    expect(dips[0].phase).toBe(1);
    expect(Math.abs((dips[0].start as number) - 1.0)).toBeLessThan(0.02);
    expect(Math.abs((dips[0].duration as number) - 0.2)).toBeLessThan(0.02);
    expect(Math.abs((dips[0].extreme as number) - 0.7 * U)).toBeLessThan(0.002 * U);
    expect(windows.filter((w) => (w.t as number) > 0.95 && (w.t as number) < 1.15).every((w) => w.flagged)).toBe(true);
    expect(lines.some((l) => l.kind === "aggregate" && l.interval === "3s")).toBe(true);
    // Energy import: P over the metered windows (the dip lowers P by 51 % for 0.2 s).
    const metered = windows.reduce((a, w) => a + (w.p as number[])[0] * 0.2, 0) / 3600;
    expect((summary.energy_import_wh as number[])[0] / metered).toBeCloseTo(1, 2);
  });

  it("--calibration applies the stored record to raw values; a missing or foreign file is refused untouched", async () => {
    const raw = join(dir, "raw.csv");
    writeCsv(raw, 2); // the voltage channel reads half the volts
    const image = join(dir, "cal.bin");
    const flash = new NorFlashSim({ size: 2 * 4096, file: image });
    saveCalibration(new CalibrationStore(flash, 0), [{ u: { gain: 2, offset: 0 }, i: { gain: 1, offset: 0 }, phaseDeg: 0 }]);
    flash.close();
    // Uncalibrated, 115 V against a 230 V nominal would be one long dip: tell it the raw nominal.
    const uncal = (await analyze([raw, "--nominal-voltage", "115"])).find((l) => l.kind === "window" && !l.flagged)!;
    expect((uncal.u as number[])[0]).toBeCloseTo(U / 2, 1);
    const cal = (await analyze([raw, "--calibration", image])).find((l) => l.kind === "window" && !l.flagged)!;
    expect((cal.u as number[])[0]).toBeCloseTo(U, 1);
    await expect(analyzeCommand.run([raw, "--calibration", join(dir, "nope.bin")])).rejects.toThrow(/does not exist/);
    const notes = join(dir, "notes.txt");
    writeFileSync(notes, "precious");
    await expect(analyzeCommand.run([raw, "--calibration", notes])).rejects.toThrow(/not a flash image/);
    expect(readFileSync(notes, "utf8")).toBe("precious");
    const erased = join(dir, "erased.bin");
    writeFileSync(erased, new Uint8Array(8192).fill(0xff));
    vi.spyOn(console, "error").mockImplementation(() => {});
    await expect(analyzeCommand.run([raw, "--calibration", erased])).rejects.toThrow(/no valid record/);
  });
});
