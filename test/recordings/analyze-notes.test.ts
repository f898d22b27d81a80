// `xsmeter analyze` where recordings are awkward (issue 16): an event still going at the
// end of the file, an unscaled WAV, aggregates of a short file, a file too short for a
// window, the .cfg's line frequency (and an override), current-only COMTRADE files —
// the five in ../shared/testdata/comtrade and one written here with known harmonics —
// and `… | head -1` through the built CLI.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { analyzeCommand } from "../../hosts/node/cli/analyze-command";
import { loadRecording } from "../../hosts/node/recordings/load";

const dir = mkdtempSync(join(tmpdir(), "xsm-analyze-notes-"));
const SHARED = resolve(__dirname, "../../../shared/testdata/comtrade");
const CLI = resolve(__dirname, "../../bin/xsmeter.js");
const built = existsSync(resolve(__dirname, "../../dist/hosts/node/cli/main.js"));
const FS = 6400, U = 230;

/** `seconds` of 50 Hz at 230 V, 5 A in phase; the envelope env(t) scales the voltage. */
function csv(file: string, seconds: number, env: (t: number) => number = () => 1): string {
  const lines = ["t,u,i"];
  for (let n = 0; n < seconds * FS; n++) {
    const t = n / FS, w = 2 * Math.PI * 50 * t;
    lines.push(`${t.toFixed(7)},${(env(t) * U * Math.SQRT2 * Math.sin(w)).toFixed(4)},${(5 * Math.SQRT2 * Math.sin(w)).toFixed(5)}`);
  }
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

/** 16-bit PCM, u and i at `fullScale` of ±1. */
function wav(file: string, seconds: number, fullScale = 0.5): string {
  const count = seconds * FS, data = count * 4;
  const v = new DataView(new ArrayBuffer(44 + data));
  const s = (o: number, t: string) => [...t].forEach((c, k) => v.setUint8(o + k, c.charCodeAt(0)));
  s(0, "RIFF"); v.setUint32(4, 36 + data, true); s(8, "WAVE"); s(12, "fmt "); v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); v.setUint16(22, 2, true); v.setUint32(24, FS, true); v.setUint32(28, FS * 4, true);
  v.setUint16(32, 4, true); v.setUint16(34, 16, true); s(36, "data"); v.setUint32(40, data, true);
  for (let n = 0; n < count; n++) {
    const x = Math.round(fullScale * 32767 * Math.sin((2 * Math.PI * 50 * n) / FS));
    v.setInt16(44 + 4 * n, x, true); v.setInt16(46 + 4 * n, x, true);
  }
  writeFileSync(file, new Uint8Array(v.buffer));
  return file;
}

async function analyze(args: string[]): Promise<{ lines: Array<Record<string, any>>; err: string }> {
  const out: string[] = [], err: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => { out.push(String(chunk)); return true; });
  vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
  expect(await analyzeCommand.run(args)).toBe(0);
  vi.restoreAllMocks();
  return { lines: out.join("").trim().split("\n").map((l) => JSON.parse(l)), err: err.join("\n") };
}

afterEach(() => vi.restoreAllMocks());

describe("xsmeter analyze: what a user needs told", () => {
  it("an event still in progress at the end of the file is reported as ongoing, with its duration so far", async () => {
    const { lines } = await analyze([csv(join(dir, "dip-to-end.csv"), 2, (t) => (t >= 1.5 ? 0.6 : 1))]);
    const events = lines.filter((l) => l.kind === "event");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "dip", phase: 1, ongoing: true });
    expect(Math.abs(events[0].start - 1.5)).toBeLessThan(0.02);
    expect(Math.abs(events[0].duration - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(events[0].extreme - 0.6 * U)).toBeLessThan(0.01 * U);
    expect(lines[lines.length - 1]).toMatchObject({ kind: "summary", ongoing_events: 1 });
  });

  it("an unscaled WAV gets the hint to pass --volt-scale/--amp-scale; a scaled one does not", async () => {
    const file = wav(join(dir, "raw.wav"), 1);
    const raw = await analyze([file, "--nominal-voltage", "0.354"]);
    expect(raw.err).toMatch(/voltage RMS at most 0\.35\d+ V.*pass --volt-scale/);
    expect(raw.err).toMatch(/pass --amp-scale/);
    expect(raw.lines[raw.lines.length - 1].notes.join(" ")).toMatch(/--volt-scale/);
    const scaled = await analyze([file, "--volt-scale", "650", "--amp-scale", "14"]);
    expect(scaled.err).not.toMatch(/--volt-scale/);
    expect(scaled.lines.find((l) => l.kind === "window")!.u[0]).toBeCloseTo(650 * 0.5 / Math.SQRT2, 0);
  });

  it("aggregates of a 5 s file: the full 3 s ones are not partial, the rest are", async () => {
    const { lines } = await analyze([csv(join(dir, "five.csv"), 5)]);
    const agg = lines.filter((l) => l.kind === "aggregate");
    expect(agg.find((a) => a.interval === "3s" && a.windows === 15)).toMatchObject({ partial: false });
    for (const a of agg.filter((x) => x.interval !== "3s" || x.windows < 15)) expect(a.partial, `${a.interval} ${a.windows}`).toBe(true);
    expect(agg.some((a) => a.interval === "10min")).toBe(true);
  });

  it("windows: 0 is explained, and the channels are measured over whole cycles", async () => {
    const { lines, err } = await analyze([csv(join(dir, "short.csv"), 0.06)]);
    const s = lines[lines.length - 1];
    expect(s.windows).toBe(0);
    expect(err).toMatch(/windows: 0: the recording holds 60 ms \(384 samples at 6(399\.99|400) S\/s\); a measurement window is 10 cycles at 50 Hz \(200 ms\)/);
    const u = lines.find((l) => l.kind === "channel" && l.name === "u")!;
    expect(u.cycles).toBe(3);
    expect(u.rms).toBeCloseTo(U, 1);
  });

  it("the .cfg's line frequency is the default nominal; an override is said", async () => {
    const bin = join(SHARED, "sample_bin.cfg");
    const a = await analyze([bin]);
    expect(a.lines[a.lines.length - 1].nominal_frequency).toBe(60);
    expect(a.err).not.toMatch(/overrides/);
    const b = await analyze([bin, "--nominal-frequency", "50"]);
    expect(b.lines[b.lines.length - 1].nominal_frequency).toBe(50);
    expect(b.err).toMatch(/--nominal-frequency 50 overrides the file's line frequency 60 Hz/);
  });

  it("a current-only COMTRADE with known harmonics: RMS, THD and the 5th measured, the rest said", async () => {
    // 1200 S/s, 60 Hz, 4 cycles: 10 A fundamental with 20 % 5th and 10 % 3rd (RMS values)
    const n = 80, lines: string[] = [];
    for (let k = 0; k < n; k++) {
      const w = (2 * Math.PI * 60 * k) / 1200;
      const x = Math.SQRT2 * (10 * Math.sin(w) + 1 * Math.sin(3 * w) + 2 * Math.sin(5 * w));
      lines.push(`${k + 1},${Math.round((k * 1e6) / 1200)},${Math.round(x * 1000)}`);
    }
    writeFileSync(join(dir, "ia.dat"), lines.join("\n") + "\n");
    writeFileSync(join(dir, "ia.cfg"), ["st,dev,1999", "1,1A,0D", "1,IA,A,,A,0.001,0,0,-99999,99999,1,1,S", "60", "1", "1200,80", "01/01/2026,00:00:00", "01/01/2026,00:00:00", "ASCII", "1", ""].join("\n"));
    const { lines: out, err } = await analyze([join(dir, "ia.cfg")]);
    const ch = out.find((l) => l.kind === "channel")!;
    expect(ch).toMatchObject({ name: "IA", unit: "A", cycles: 4, harmonics_to: 9 });
    expect(ch.fundamental).toBeCloseTo(10, 2);
    expect(ch.rms).toBeCloseTo(Math.sqrt(100 + 1 + 4), 2);
    expect(ch.harmonics[1]).toBeCloseTo(10, 1); // h3
    expect(ch.harmonics[3]).toBeCloseTo(20, 1); // h5
    expect(ch.thd).toBeCloseTo(Math.sqrt(500), 1);
    const s = out[out.length - 1];
    expect(s).toMatchObject({ kind: "summary", current_only: true, channels: 1 });
    expect(s.not_measured).toEqual(expect.arrayContaining(["voltage", "power factor", "energy"]));
    expect(err).toMatch(/current-only recording: voltage.*cannot be measured without a voltage channel/);
  });

  it("the five current-only sample files are measured, not refused", async () => {
    // sample_ascii_utf-8 and sample_sub_char share sample_ascii.dat (as upstream's tests do): copy them beside it
    const withDat: string[] = [];
    for (const f of readdirSync(SHARED).filter((x) => x.endsWith(".cfg"))) {
      const cfgText = readFileSync(join(SHARED, f));
      const datFile = join(SHARED, f.replace(/\.cfg$/, ".dat"));
      const target = join(dir, f);
      writeFileSync(target, cfgText);
      writeFileSync(target.replace(/\.cfg$/, ".dat"), readFileSync(existsSync(datFile) ? datFile : join(SHARED, "sample_ascii.dat")));
      withDat.push(target);
    }
    let currentOnly = 0;
    for (const f of withDat) {
      const rec = loadRecording(f);
      if (rec.channels.some((c) => c.unit === "V")) continue;
      currentOnly++;
      const { lines } = await analyze([f]);
      const channels = lines.filter((l) => l.kind === "channel");
      expect(channels.map((c) => c.name), f).toEqual(["IA", "IB", "IC", "3I0"]);
      for (const c of channels) {
        const v = rec.channels.find((x) => x.name.trim() === c.name)!.values;
        const rms = Math.sqrt(v.reduce((a, x) => a + x * x, 0) / 40);
        expect(c.rms / rms, `${f} ${c.name}`).toBeCloseTo(1, 5);
        expect(c.cycles).toBe(2);
        expect(Number.isFinite(c.thd)).toBe(true);
      }
      expect(lines[lines.length - 1]).toMatchObject({ current_only: true, nominal_frequency: 60 });
    }
    expect(currentOnly).toBe(5);
  });
});

describe.skipIf(!built)("xsmeter analyze | head -1 (the built CLI)", () => {
  it("exits quietly when the reader goes away: no EPIPE stack", async () => {
    const file = wav(join(dir, "long.wav"), 20);
    const child = spawn(process.execPath, [CLI, "analyze", file, "--volt-scale", "650", "--amp-scale", "14"], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    await new Promise<void>((r) => child.stdout.once("data", () => { child.stdout.destroy(); r(); }));
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(err).not.toMatch(/EPIPE|Error|at /);
    expect(code).toBe(0);
  });
});
