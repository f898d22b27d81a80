// Recording readers against the absurd headers of issue 14 item 9: each is refused with
// an error naming the file and the field, before anything is sized from the header
// (a 1e9 S/s .cfg used 3.9 GB, a WAV at 4e9 S/s spun, a count of −1 or 1e300 gave
// "Invalid typed array length", a WAV at 0–24 S/s "succeeded" with NaN energies).
import { describe, expect, it } from "vitest";
import { readComtrade } from "../../hosts/node/recordings/comtrade";
import { readWav } from "../../hosts/node/recordings/wav";
import { readCsv } from "../../hosts/node/recordings/csv";
import { RecordingError } from "../../hosts/node/recordings/recording";

/** A 1-analog ASCII COMTRADE pair, written here line by line. */
function cfg(o: { rate?: string; samples?: string; counts?: string; a?: string; nrates?: string } = {}): Uint8Array {
  const lines = [
    "station,dev,1999",
    o.counts ?? "1,1A,0D",
    `1,UA,,,V,${o.a ?? "1"},0,0,-32767,32767,1,1,P`,
    "50",
    o.nrates ?? "1",
    `${o.rate ?? "6400"},${o.samples ?? "3"}`,
    "01/01/2026,00:00:00.000",
    "01/01/2026,00:00:00.000",
    "ASCII",
    "1",
  ];
  return new TextEncoder().encode(lines.join("\n") + "\n");
}
const dat = new TextEncoder().encode("1,0,10\n2,156,20\n3,312,30\n");

function wav(rate: number, channels = 2, samples: number[] = [0.5, -0.5, 0.25, -0.25], float = false): Uint8Array {
  const width = 4, data = samples.length * width;
  const v = new DataView(new ArrayBuffer(44 + data));
  const s = (o: number, t: string) => [...t].forEach((c, k) => v.setUint8(o + k, c.charCodeAt(0)));
  s(0, "RIFF"); v.setUint32(4, 36 + data, true); s(8, "WAVE"); s(12, "fmt "); v.setUint32(16, 16, true);
  v.setUint16(20, float ? 3 : 1, true); v.setUint16(22, channels, true); v.setUint32(24, rate, true); v.setUint32(28, 0, true);
  v.setUint16(32, channels * width, true); v.setUint16(34, 32, true); s(36, "data"); v.setUint32(40, data, true);
  samples.forEach((x, k) => (float ? v.setFloat32(44 + 4 * k, x, true) : v.setInt32(44 + 4 * k, Math.round(x * 2147483647), true)));
  return new Uint8Array(v.buffer);
}

const refused = (f: () => unknown, pattern: RegExp) => {
  let error: unknown;
  try { f(); } catch (e) { error = e; }
  expect(error, String(pattern)).toBeInstanceOf(RecordingError);
  expect((error as Error).message).toMatch(pattern);
};

describe("absurd recording headers are refused, naming the file and the field", () => {
  it("the good file reads (the cases below differ from it in one field)", () => {
    expect(readComtrade(cfg(), dat, {}, { cfg: "x.cfg", dat: "x.dat" }).channels[0].values.length).toBe(3);
    expect(readWav(wav(6400), {}, "x.wav").sampleRate).toBe(6400);
  });

  it("COMTRADE: rates, counts and multipliers", () => {
    const n = { cfg: "x.cfg", dat: "x.dat" };
    refused(() => readComtrade(cfg({ rate: "1e9" }), dat, {}, n), /x\.cfg: sample rate 1000000000 S\/s is out of range \(100\.\.1000000/);
    refused(() => readComtrade(cfg({ rate: "1e300" }), dat, {}, n), /x\.cfg: sample rate 1e\+300 S\/s is out of range/);
    refused(() => readComtrade(cfg({ rate: "24" }), dat, {}, n), /x\.cfg: sample rate 24 S\/s is out of range/);
    refused(() => readComtrade(cfg({ rate: "-6400" }), dat, {}, n), /sample rate -6400 S\/s is out of range/);
    refused(() => readComtrade(cfg({ samples: "-1" }), dat, {}, n), /x\.cfg line 6: last sample number -1 is not a count/);
    refused(() => readComtrade(cfg({ samples: "1e300" }), dat, {}, n), /last sample number 1e\+300 is not a count/);
    refused(() => readComtrade(cfg({ samples: "2.5" }), dat, {}, n), /last sample number 2\.5 is not a count/);
    refused(() => readComtrade(cfg({ samples: "1000000000" }), dat, {}, n), /x\.dat: 3 samples, the configuration declares 1000000000/);
    refused(() => readComtrade(cfg({ counts: "1000000001,1000000000A,1D" }), dat, {}, n), /x\.cfg: line 2: channel count 1000000001 is more than the file can hold/);
    refused(() => readComtrade(cfg({ counts: "-1,-1A,0D" }), dat, {}, n), /channel count -1 is not a count/);
    refused(() => readComtrade(cfg({ nrates: "1e9" }), dat, {}, n), /number of sample rates 1000000000 is more than the file can hold/);
    refused(() => readComtrade(cfg({ a: "1e999" }), dat, {}, n), /multiplier a is not a number/);
    refused(() => readComtrade(cfg({ a: "1e307" }), dat, {}, n), /x\.cfg: channel UA sample 2 scales to Infinity/);
  });

  it("WAV: rates 0-24 and 4e9, channel counts, non-finite samples", () => {
    for (const rate of [0, 1, 24, 99]) refused(() => readWav(wav(rate), {}, "w.wav"), new RegExp(`w\\.wav \\(fmt chunk\\): sample rate ${rate} S/s is out of range`));
    refused(() => readWav(wav(4e9), {}, "w.wav"), /sample rate 4000000000 S\/s is out of range/);
    refused(() => readWav(wav(6400, 0, []), {}, "w.wav"), /0 channels; expected 1\.\.6/);
    refused(() => readWav(wav(6400, 2, [0.5, NaN, 0.25, -0.25], true), {}, "w.wav"), /w\.wav byte 48: channel i1 sample 1 is NaN/);
    refused(() => readWav(wav(6400, 2, [0.5, 0, Infinity, 0], true), {}, "w.wav"), /channel u1 sample 2 is Infinity/);
  });

  it("CSV: steps and values", () => {
    refused(() => readCsv("t,u,i\n0,1,2\n1e-12,1,2\n2e-12,1,2\n", "c.csv"), /c\.csv: time step t 1e-12 s \(1000000000000 S\/s\) is out of range/);
    refused(() => readCsv("t,u,i\n0,1,2\n1,1,2\n2,1,2\n", "c.csv"), /c\.csv: time step t 1 s \(1 S\/s\) is out of range/);
    refused(() => readCsv("t,u,i\n0,1,2\n0.001,Infinity,2\n", "c.csv"), /c\.csv line 3: u "Infinity" is not a number/);
    refused(() => readCsv("t,u,i\n0,1,2\n0.001,1,1e999\n", "c.csv"), /c\.csv line 3: i "1e999" is not a number/);
  });
});
