// Recording readers: real files from another project's tools, files written here by an independent
// writer (plain byte arithmetic, not the reader's code), and truncated or corrupted files.
import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { resolve } from "node:path";
import { readComtrade, readCff, parseCfg, decodeText } from "../../hosts/node/recordings/comtrade";
import { readWav } from "../../hosts/node/recordings/wav";
import { readCsv } from "../../hosts/node/recordings/csv";
import { loadRecording } from "../../hosts/node/recordings/load";

const DIR = resolve(__dirname, "../../../shared/testdata/comtrade");
const has = existsSync(DIR);

describe.skipIf(!has)("COMTRADE files written by python-comtrade's sources", () => {
  const ascii = () => readFileSync(resolve(DIR, "sample_ascii.dat"));
  it("reads every .cfg/.cff, or rejects it with the line or byte offset", () => {
    const files = readdirSync(DIR).filter((f) => /\.(cfg|cff)$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const f of files) {
      const cfg = readFileSync(resolve(DIR, f));
      // Configurations shipped without their own .dat share sample_ascii.dat (as upstream's tests do).
      const rec = f.endsWith(".cff") ? readCff(cfg, {}, f) : existsSync(resolve(DIR, f.replace(/\.cfg$/, ".dat"))) ? loadRecording(resolve(DIR, f)) : readComtrade(cfg, ascii());
      expect(rec.channels.length).toBeGreaterThan(0);
      for (const c of rec.channels) for (const v of c.values) expect(Number.isFinite(v)).toBe(true);
    }
  });
  it("scales ASCII samples by a·x + b from the configuration", () => {
    const rec = loadRecording(resolve(DIR, "sample_ascii.cfg"));
    const first = decodeText(ascii()).split(/\r?\n/)[0].split(",").map(Number);
    expect(rec.channels[0].values[0]).toBeCloseTo(0.1138916015625 * first[2] + 0.05694580078125, 12);
    expect(rec.sampleRate).toBe(1200);
  });
  it("the .cff combined file equals the .cfg + .dat pair", () => {
    const a = loadRecording(resolve(DIR, "sample_ascii.cfg")), b = loadRecording(resolve(DIR, "sample_ascii.cff"));
    expect(Array.from(b.channels[2].values)).toEqual(Array.from(a.channels[2].values));
  });
  it("reads ISO-8859-1 and UTF-8 station names", () => {
    expect(parseCfg(decodeText(readFileSync(resolve(DIR, "sample_iso8859-1.cfg")))).analogs.length).toBe(4);
    expect(decodeText(readFileSync(resolve(DIR, "sample_ascii_utf-8.cfg")))).toContain("터파크");
  });
  it("rejects missing samples naming the line (ASCII) or byte offset (BINARY)", () => {
    expect(() => readComtrade(readFileSync(resolve(DIR, "sample_ascii.cfg")), readFileSync(resolve(DIR, "sample_ascii_missing.dat")), {}, { cfg: "c", dat: "sample_ascii_missing.dat" })).toThrow(/line 2: channel IA/);
    expect(() => readComtrade(readFileSync(resolve(DIR, "sample_bin.cfg")), readFileSync(resolve(DIR, "sample_bin_missing.dat")), {}, { cfg: "c", dat: "b" })).toThrow(/byte 8: channel VA/);
    const nan = readComtrade(readFileSync(resolve(DIR, "sample_bin.cfg")), readFileSync(resolve(DIR, "sample_bin_missing.dat")), { missing: "nan" });
    expect(Number.isNaN(nan.channels[0].values[0])).toBe(true);
  });
  it("rejects a truncated binary file with its byte offset", () => {
    const dat = readFileSync(resolve(DIR, "sample_bin.dat"));
    expect(() => readComtrade(readFileSync(resolve(DIR, "sample_bin.cfg")), dat.subarray(0, dat.length - 3))).toThrow(/truncated at byte 87/);
  });
});

function cfgText(format: string, n: number, rate: number): string {
  return ["st,dev,2013", "2,2A,0D", "1,UA,A,,V,0.5,1,0,-32767,32767,1,1,P", "2,IA,A,,A,0.01,0,0,-32767,32767,1,1,P", "50", "1", `${rate},${n}`, "01/01/2026,00:00:00.000000", "01/01/2026,00:00:00.000000", format, "1"].join("\r\n") + "\r\n";
}

describe("COMTRADE written by an independent writer", () => {
  const raw = [[100, -7], [-32767, 32767], [0, 1], [12345, -12345]];
  it("BINARY, BINARY32 and FLOAT32 round-trip", () => {
    for (const [format, size] of [["BINARY", 2], ["BINARY32", 4], ["FLOAT32", 4]] as const) {
      const rec = 8 + 2 * size;
      const dat = new DataView(new ArrayBuffer(rec * raw.length));
      raw.forEach((r, n) => {
        dat.setUint32(n * rec, n + 1, true); dat.setUint32(n * rec + 4, n * 1000, true);
        r.forEach((v, k) => { const o = n * rec + 8 + k * size; if (format === "BINARY") dat.setInt16(o, v, true); else if (format === "BINARY32") dat.setInt32(o, v, true); else dat.setFloat32(o, v, true); });
      });
      const out = readComtrade(new TextEncoder().encode(cfgText(format, raw.length, 4000)), new Uint8Array(dat.buffer));
      expect(Array.from(out.channels[0].values)).toEqual(raw.map((r) => 0.5 * r[0] + 1));
      expect(out.channels[1].values[3]).toBeCloseTo(-123.45, 10);
    }
  });
  it("ASCII with a malformed value names the line", () => {
    const dat = "1,0,100,-7\n2,250,abc,1\n";
    expect(() => readComtrade(new TextEncoder().encode(cfgText("ASCII", 2, 4000)), new TextEncoder().encode(dat), {}, { cfg: "x.cfg", dat: "x.dat" })).toThrow(/x\.dat line 2: channel UA value "abc"/);
    expect(() => readComtrade(new TextEncoder().encode(cfgText("ASCII", 3, 4000)), new TextEncoder().encode("1,0,1,1\n"), {}, { cfg: "x.cfg", dat: "x.dat" })).toThrow(/1 samples.*declares 3/);
  });
  it("a corrupted configuration names its line", () => {
    expect(() => parseCfg(cfgText("ASCII", 2, 4000).replace("0.5,1", "zz,1"), "c.cfg")).toThrow(/c\.cfg line 3: multiplier a/);
    expect(() => parseCfg(cfgText("ASCIX", 2, 4000), "c.cfg")).toThrow(/line 10: unknown data file type/);
  });
});

function wav(format: number, bits: number, channels: number, rate: number, samples: number[]): Uint8Array {
  const width = bits / 8, data = samples.length * width;
  const v = new DataView(new ArrayBuffer(44 + data));
  const s = (o: number, t: string) => [...t].forEach((c, k) => v.setUint8(o + k, c.charCodeAt(0)));
  s(0, "RIFF"); v.setUint32(4, 36 + data, true); s(8, "WAVE"); s(12, "fmt "); v.setUint32(16, 16, true);
  v.setUint16(20, format, true); v.setUint16(22, channels, true); v.setUint32(24, rate, true); v.setUint32(28, rate * channels * width, true);
  v.setUint16(32, channels * width, true); v.setUint16(34, bits, true); s(36, "data"); v.setUint32(40, data, true);
  samples.forEach((x, k) => {
    const o = 44 + k * width;
    if (format === 3) v.setFloat32(o, x, true);
    else if (bits === 16) v.setInt16(o, Math.round(x * 32767), true);
    else if (bits === 32) v.setInt32(o, Math.round(x * 2147483647), true);
    else { const i = Math.round(x * 8388607); v.setUint8(o, i & 255); v.setUint8(o + 1, (i >> 8) & 255); v.setUint8(o + 2, (i >> 16) & 255); }
  });
  return new Uint8Array(v.buffer);
}

describe("WAV and CSV", () => {
  const xs = [0.5, -0.25, 0.125, -1 + 1e-3];
  for (const [fmt, bits, tol] of [[1, 16, 1e-4], [1, 24, 1e-6], [1, 32, 1e-8], [3, 32, 1e-7]] as const) {
    it(`WAV format ${fmt} ${bits}-bit with scale`, () => {
      const rec = readWav(wav(fmt, bits, 2, 6400, xs), { voltScale: 650, ampScale: 42 });
      expect(rec.sampleRate).toBe(6400);
      expect(Math.abs(rec.channels[0].values[0] - 325)).toBeLessThan(650 * tol * 2);
      expect(Math.abs(rec.channels[1].values[0] + 42 * 0.25)).toBeLessThan(42 * tol * 2);
      expect(Math.abs(rec.channels[1].values[1] - 42 * (-1 + 1e-3))).toBeLessThan(42 * tol * 2);
    });
  }
  it("truncated WAV names the byte offset", () => {
    const w = wav(1, 16, 2, 6400, xs);
    expect(() => readWav(w.subarray(0, w.length - 2), {}, "x.wav")).toThrow(/x\.wav byte 50: data chunk declares 8 bytes/);
    expect(() => readWav(new Uint8Array(10), {}, "y.wav")).toThrow(/byte 0: not a RIFF/);
  });
  it("CSV: t,u,i and three phases; bad lines named", () => {
    const r = readCsv("t,u,i\n0,1,2\n0.001,3,4\n0.002,5,6\n");
    expect(r.sampleRate).toBeCloseTo(1000, 6);
    expect(Array.from(r.channels[1].values)).toEqual([2, 4, 6]);
    expect(readCsv("t,u1,i1,u2,i2,u3,i3\n0,1,2,3,4,5,6\n0.001,1,2,3,4,5,6\n").channels.length).toBe(6);
    expect(() => readCsv("t,u,i\n0,1,2\n0.001,x,4\n", "a.csv")).toThrow(/a\.csv line 3: u "x"/);
    expect(() => readCsv("t,v\n", "a.csv")).toThrow(/line 1: header/);
    expect(() => readCsv("t,u,i\n0,1,2\n0.001,1,2\n0.005,1,2\n", "a.csv")).toThrow(/a\.csv line \d: sampling is not uniform/);
  });
});
