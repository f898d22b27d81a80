/** Opens a recording by its extension: .cfg (+ .dat beside it), .cff, .wav, .csv. */
import { readFileSync, existsSync } from "node:fs";
import { basename, extname } from "node:path";
import { readCff, readComtrade, type ComtradeOptions } from "./comtrade";
import { readWav, type WavOptions } from "./wav";
import { readCsv } from "./csv";
import { RecordingError, type Recording } from "./recording";

export function loadRecording(file: string, opts: ComtradeOptions & WavOptions = {}): Recording {
  if (!existsSync(file)) throw new RecordingError(`${file}: no such file`);
  const ext = extname(file).toLowerCase();
  const bytes = new Uint8Array(readFileSync(file));
  const name = basename(file);
  if (ext === ".cfg") {
    const base = file.slice(0, -4);
    const dat = [".dat", ".DAT"].map((e) => base + e).find((f) => existsSync(f));
    if (!dat) throw new RecordingError(`${name}: its data file ${basename(base)}.dat is missing`);
    return readComtrade(bytes, new Uint8Array(readFileSync(dat)), opts, { cfg: name, dat: basename(dat) });
  }
  if (ext === ".cff") return readCff(bytes, opts, name);
  if (ext === ".wav") return readWav(bytes, opts, name);
  if (ext === ".csv") return readCsv(new TextDecoder().decode(bytes), name);
  throw new RecordingError(`${name}: unknown recording type ${JSON.stringify(ext)} (use .cfg, .cff, .wav or .csv)`);
}
