/**
 * COMTRADE (IEEE C37.111-1999/2013) reader: .cfg + .dat in ASCII, BINARY,
 * BINARY32 and FLOAT32, and the 2013 combined .cff. Configuration text is
 * UTF-8, or ISO-8859-1 when it is not valid UTF-8. Missing samples (99999 in
 * ASCII, 0x8000/0x80000000 in binary) are rejected with their line or byte
 * offset unless `missing: "nan"` is asked for.
 */
import { checkCount, checkSampleRate, RecordingError, type Channel, type Recording } from "./recording";

export interface ComtradeOptions { missing?: "reject" | "nan" }

interface Analog { name: string; unit: string; a: number; b: number; primary: number; secondary: number; ps: string }
interface Config { file?: string; analogs: Analog[]; digitals: number; frequency: number; rate: number; samples: number; format: string; timeMult: number; startMs?: number }

export function decodeText(bytes: Uint8Array): string {
  try { return new TextDecoder("utf-8", { fatal: true }).decode(bytes); } catch { return new TextDecoder("latin1").decode(bytes); }
}

export function parseCfg(text: string, file = "cfg"): Config {
  const lines = text.split(/\r?\n/);
  let ln = 0;
  const next = (what: string) => {
    if (ln >= lines.length) throw new RecordingError(`${file} line ${ln + 1}: missing ${what}`);
    return lines[ln++].split(",").map((s) => s.trim());
  };
  const num = (s: string | undefined, what: string) => {
    const v = Number(s);
    if (s === undefined || s === "" || !Number.isFinite(v)) throw new RecordingError(`${file} line ${ln}: ${what} is not a number: ${JSON.stringify(s)}`);
    return v;
  };
  next("station line");
  const counts = next("channel counts");
  // each channel is a line of the configuration: no count may exceed the lines there are
  const total = checkCount(num(counts[0], "channel count"), file, "line 2: channel count", lines.length, "one line per channel");
  const na = checkCount(num(counts[1]?.replace(/A$/i, ""), "analog count"), file, "line 2: analog count", lines.length, "one line per channel");
  const nd = checkCount(num(counts[2]?.replace(/D$/i, ""), "digital count"), file, "line 2: digital count", lines.length, "one line per channel");
  if (na + nd !== total) throw new RecordingError(`${file} line 2: ${na}A + ${nd}D ≠ ${total}`);
  const analogs: Analog[] = [];
  for (let k = 0; k < na; k++) {
    const f = next(`analog channel ${k + 1}`);
    if (f.length < 10) throw new RecordingError(`${file} line ${ln}: analog channel needs at least 10 fields, got ${f.length}`);
    analogs.push({ name: f[1], unit: f[4], a: num(f[5], "multiplier a"), b: num(f[6], "offset b"), primary: Number(f[10] ?? 1) || 1, secondary: Number(f[11] ?? 1) || 1, ps: (f[12] ?? "P").toUpperCase() });
  }
  for (let k = 0; k < nd; k++) next(`digital channel ${k + 1}`);
  const frequency = num(next("line frequency")[0], "line frequency");
  const nrates = checkCount(num(next("number of sample rates")[0], "nrates"), file, `line ${ln}: number of sample rates`, lines.length, "one line per rate");
  let rate = 0, samples = 0;
  for (let k = 0; k < Math.max(1, nrates); k++) {
    const r = next("sample rate");
    if (k === 0) rate = num(r[0], "sample rate");
    samples = num(r[1], "last sample number");
    if (!Number.isSafeInteger(samples) || samples < 0) throw new RecordingError(`${file} line ${ln}: last sample number ${samples} is not a count (an integer ≥ 0)`);
  }
  const start = next("start time");
  next("trigger time");
  const format = next("data file type")[0].toUpperCase();
  if (!["ASCII", "BINARY", "BINARY32", "FLOAT32"].includes(format)) throw new RecordingError(`${file} line ${ln}: unknown data file type ${JSON.stringify(format)}`);
  const tm = ln < lines.length ? Number(lines[ln].split(",")[0]) : 1;
  return { file, analogs, digitals: nd, frequency, rate, samples, format, timeMult: Number.isFinite(tm) && tm > 0 ? tm : 1, startMs: parseStart(start) };
}

function parseStart(f: string[]): number | undefined {
  const d = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(f[0] ?? "");
  const t = /^(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(f[1] ?? "");
  if (!d || !t) return undefined;
  return Date.UTC(+d[3], +d[2] - 1, +d[1], +t[1], +t[2]) + Number(t[3]) * 1000;
}

function scaled(cfg: Config, values: Float64Array[]): Recording {
  const channels: Channel[] = cfg.analogs.map((a, k) => {
    let unit = a.unit, factor = 1;
    if (/^kV$/i.test(unit)) { unit = "V"; factor = 1000; } else if (/^kA$/i.test(unit)) { unit = "A"; factor = 1000; } else if (/^V$/i.test(unit)) unit = "V"; else if (/^A$/i.test(unit)) unit = "A";
    const v = values[k];
    for (let n = 0; n < v.length; n++) {
      const x = (a.a * v[n] + a.b) * factor;
      // NaN stays (a missing sample asked for with --missing nan); an overflow to ±Infinity is the file's fault
      if (x === Infinity || x === -Infinity) throw new RecordingError(`${cfg.file ?? "cfg"}: channel ${a.name} sample ${n + 1} scales to ${x} (multiplier ${a.a}, offset ${a.b})`);
      v[n] = x;
    }
    return { name: a.name, unit, values: v };
  });
  return { sampleRate: cfg.rate, channels, startMs: cfg.startMs, nominalFrequency: cfg.frequency };
}

export function readComtrade(cfgBytes: Uint8Array, dat: Uint8Array, opts: ComtradeOptions = {}, names = { cfg: "cfg", dat: "dat" }): Recording {
  const cfg = parseCfg(decodeText(cfgBytes), names.cfg);
  if (cfg.rate === 0) throw new RecordingError(`${names.cfg}: sample rate 0 (timestamp-only files) is not supported`);
  checkSampleRate(cfg.rate, names.cfg, "sample rate");
  // bounded by the data file before anything is allocated: a header number alone sizes nothing
  const lines = cfg.format === "ASCII" ? decodeText(dat).split(/\r?\n/) : undefined;
  if (lines) {
    const present = lines.filter((l) => l.trim() !== "" && l.trim() !== "\x1a").length;
    if (cfg.samples > present) throw new RecordingError(`${names.dat}: ${present} samples, the configuration declares ${cfg.samples} (truncated?)`);
  } else {
    const record = binaryRecord(cfg), need = record * cfg.samples;
    if (dat.byteLength < need) throw new RecordingError(`${names.dat}: truncated at byte ${dat.byteLength}: ${cfg.samples} records of ${record} bytes need ${need} (record ${Math.floor(dat.byteLength / record) + 1} is incomplete)`);
  }
  for (const a of cfg.analogs) {
    if (!Number.isFinite(a.a) || !Number.isFinite(a.b)) throw new RecordingError(`${names.cfg}: channel ${a.name} multiplier or offset is not finite`);
  }
  const values = cfg.analogs.map(() => new Float64Array(cfg.samples));
  if (lines) readAscii(cfg, lines, values, opts, names.dat);
  else readBinary(cfg, dat, values, opts, names.dat);
  return scaled(cfg, values);
}

function readAscii(cfg: Config, lines: string[], values: Float64Array[], opts: ComtradeOptions, file: string): void {
  const width = 2 + cfg.analogs.length + cfg.digitals;
  let n = 0;
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln].trim();
    if (line === "" || line === "\x1a") continue;
    if (n >= cfg.samples) throw new RecordingError(`${file} line ${ln + 1}: more samples than the ${cfg.samples} the configuration declares`);
    const f = line.split(",");
    if (f.length !== width) throw new RecordingError(`${file} line ${ln + 1}: ${f.length} fields, expected ${width}`);
    for (let k = 0; k < cfg.analogs.length; k++) {
      const s = f[2 + k].trim();
      const v = Number(s);
      if (s === "" || !Number.isFinite(v)) throw new RecordingError(`${file} line ${ln + 1}: channel ${cfg.analogs[k].name} value ${JSON.stringify(s)} is not a number`);
      if (v === 99999 || s === "") {
        if (opts.missing !== "nan") throw new RecordingError(`${file} line ${ln + 1}: channel ${cfg.analogs[k].name} has a missing sample (99999)`);
        values[k][n] = NaN;
      } else values[k][n] = v;
    }
    n++;
  }
  if (n !== cfg.samples) throw new RecordingError(`${file}: ${n} samples, the configuration declares ${cfg.samples} (truncated?)`);
}

function binaryRecord(cfg: Config): number {
  return 8 + (cfg.format === "BINARY" ? 2 : 4) * cfg.analogs.length + 2 * Math.ceil(cfg.digitals / 16);
}

function readBinary(cfg: Config, dat: Uint8Array, values: Float64Array[], opts: ComtradeOptions, file: string): void {
  const size = cfg.format === "BINARY" ? 2 : 4;
  const record = binaryRecord(cfg);
  const view = new DataView(dat.buffer, dat.byteOffset, dat.byteLength);
  const need = record * cfg.samples;
  if (dat.byteLength < need) throw new RecordingError(`${file}: truncated at byte ${dat.byteLength}: ${cfg.samples} records of ${record} bytes need ${need} (record ${Math.floor(dat.byteLength / record) + 1} is incomplete)`);
  for (let n = 0; n < cfg.samples; n++) {
    const at = n * record;
    const seq = view.getUint32(at, true);
    if (seq !== n + 1 && !(n === 0 && seq === 0)) {
      // sequence numbers are informative; a jump usually means a corrupted or shifted file
      if (seq !== n && seq !== n + 1) throw new RecordingError(`${file} byte ${at}: sample number ${seq}, expected ${n + 1}`);
    }
    for (let k = 0; k < cfg.analogs.length; k++) {
      const off = at + 8 + size * k;
      let v: number, missing: boolean;
      if (cfg.format === "BINARY") { v = view.getInt16(off, true); missing = v === -32768; }
      else if (cfg.format === "BINARY32") { v = view.getInt32(off, true); missing = v === -2147483648; }
      else { v = view.getFloat32(off, true); missing = Number.isNaN(v); }
      if (missing) {
        if (opts.missing !== "nan") throw new RecordingError(`${file} byte ${off}: channel ${cfg.analogs[k].name} has a missing sample`);
        v = NaN;
      }
      values[k][n] = v;
    }
  }
}

/** The 2013 combined file: CFG, INF, HDR and DAT sections in one .cff. */
export function readCff(bytes: Uint8Array, opts: ComtradeOptions = {}, name = "cff"): Recording {
  const text = new TextDecoder("latin1").decode(bytes); // byte-preserving: offsets in text = offsets in bytes
  const marker = /--- file type: ([A-Z]+)(?: ([A-Z0-9]+))?(?:: ?(\d+))? ---\r?\n/gi;
  const sections: { type: string; fmt?: string; size?: number; start: number; markerAt: number }[] = [];
  let m: RegExpExecArray | null;
  while ((m = marker.exec(text))) {
    sections.push({ type: m[1].toUpperCase(), fmt: m[2], size: m[3] ? Number(m[3]) : undefined, start: m.index + m[0].length, markerAt: m.index });
    if (m[1].toUpperCase() === "DAT") break; // the data section may contain anything
  }
  const cfg = sections.find((s) => s.type === "CFG");
  const dat = sections.find((s) => s.type === "DAT");
  if (!cfg) throw new RecordingError(`${name}: no "--- file type: CFG ---" section`);
  if (!dat) throw new RecordingError(`${name}: no "--- file type: DAT … ---" section`);
  const cfgEnd = sections[sections.indexOf(cfg) + 1]?.markerAt ?? bytes.length;
  let datBytes = bytes.subarray(dat.start);
  if (dat.size !== undefined) {
    if (dat.start + dat.size > bytes.length) throw new RecordingError(`${name} byte ${bytes.length}: DAT section declares ${dat.size} bytes, only ${bytes.length - dat.start} present (truncated)`);
    datBytes = bytes.subarray(dat.start, dat.start + dat.size);
  }
  return readComtrade(bytes.subarray(cfg.start, cfgEnd), datBytes, opts, { cfg: `${name} (CFG section)`, dat: `${name} (DAT section at byte ${dat.start})` });
}
