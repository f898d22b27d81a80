import { existsSync, statSync } from "node:fs";
import { MeterPipeline } from "../../../modules/metrology/meter";
import { CalibrationStore } from "../../../modules/metrology/calibration-store";
import { loadCalibration } from "../../../modules/metrology/calibration-boot";
import type { PhaseCalibration } from "../../../modules/metrology/calibration";
import { NorFlashSim } from "../flash/nor-flash-sim";
import { consoleLog } from "../sim/slave-calibration";
import type { AggregateRecord, WindowRecord } from "../../../modules/metrology/records";
import { loadRecording } from "../recordings/load";
import { RecordingError, toFrames } from "../recordings/recording";
import { UsageError, type Command } from "./command";

const FIELDS = ["u", "i", "p", "q1", "s", "n", "pf", "dpf", "thdu", "thdi"] as const;
const r6 = (x: number) => Number(x.toPrecision(7));

function windowJson(w: WindowRecord | AggregateRecord): Record<string, unknown> {
  const o: Record<string, unknown> = { t: r6(w.t), f: r6(w.f) };
  for (const k of FIELDS) o[k] = w[k].map(r6);
  o.flagged = w.flagged;
  return o;
}

export const analyzeCommand: Command = {
  name: "analyze",
  summary: "analyse a recording (COMTRADE .cfg/.cff, WAV, CSV): windows, events, aggregates, energy as JSON lines",
  usage: "xsmeter analyze FILE [--nominal-voltage 230] [--nominal-frequency 50] [--volt-scale V] [--amp-scale A] [--missing nan] [--calibration FLASH [--calibration-sector N]]",
  async run(args) {
    let file: string | undefined;
    let un = 230, fn: 50 | 60 | undefined, voltScale = 1, ampScale = 1, missing: "reject" | "nan" = "reject";
    let calibrationFile: string | undefined, calibrationSector = 0;
    for (let k = 0; k < args.length; k++) {
      const a = args[k];
      const val = () => { const v = args[++k]; if (v === undefined) throw new UsageError(`${a} needs a value`); return v; };
      const num = () => { const v = Number(val()); if (!Number.isFinite(v) || v <= 0) throw new UsageError(`${a} needs a positive number`); return v; };
      if (a === "--nominal-voltage") un = num();
      else if (a === "--nominal-frequency") { const f = num(); if (f !== 50 && f !== 60) throw new UsageError("--nominal-frequency is 50 or 60"); fn = f; }
      else if (a === "--volt-scale") voltScale = num();
      else if (a === "--amp-scale") ampScale = num();
      else if (a === "--missing") { const m = val(); if (m !== "nan" && m !== "reject") throw new UsageError("--missing is nan or reject"); missing = m; }
      else if (a === "--calibration") calibrationFile = val();
      else if (a === "--calibration-sector") { calibrationSector = Number(val()); if (!Number.isInteger(calibrationSector) || calibrationSector < 0) throw new UsageError("--calibration-sector needs a sector index ≥ 0"); }
      else if (a.startsWith("--")) throw new UsageError(`unknown option ${a}`);
      else if (file) throw new UsageError("one FILE only");
      else file = a;
    }
    if (!file) throw new UsageError(`usage: ${analyzeCommand.usage}`);
    let rec;
    try { rec = loadRecording(file, { voltScale, ampScale, missing }); } catch (e) { if (e instanceof RecordingError) throw new UsageError(e.message); throw e; }
    let frames;
    try { frames = toFrames(rec); } catch (e) { throw new UsageError((e as Error).message); }
    const nominalFrequency = fn ?? (rec.nominalFrequency === 60 ? 60 : 50);
    let windows = 0;
    const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
    const calibration = calibrationFile === undefined ? undefined : storedCalibration(calibrationFile, calibrationSector, frames.phases);
    const meter = new MeterPipeline({ phases: frames.phases, sampleRate: rec.sampleRate, nominalVoltage: un, nominalFrequency, startTimeMs: rec.startMs ?? 0, calibration }, {
      onWindow: (w) => { windows++; out({ kind: "window", ...windowJson(w) }); },
      onEvent: (e) => out({ kind: "event", type: e.type, phase: e.phase, start: r6(e.start), duration: r6(e.duration), extreme: r6(e.extreme), cell: e.cell }),
      onAggregate: (a) => out({ kind: "aggregate", interval: a.interval, windows: a.windows, ...windowJson(a) }),
    });
    const block = 1024, stride = 2 * frames.phases;
    for (let n = 0; n < frames.count; n += block) meter.push(frames.frames, Math.min(block, frames.count - n), n * stride);
    meter.flush();
    out({ kind: "summary", windows, energy_import_wh: Array.from(meter.energy.importWh, r6), energy_export_wh: Array.from(meter.energy.exportWh, r6) });
    return 0;
  },
};

/**
 * The calibration record in a flash image written by `xsmeter calibrate` (as a slave loads it at
 * boot): the recording's raw values then go through the same gains, offsets and phase correction.
 * An unreadable record is an error here, not identity: the user asked for that calibration.
 */
function storedCalibration(file: string, sector: number, phases: number): PhaseCalibration[] {
  if (!existsSync(file)) throw new UsageError(`--calibration: ${file} does not exist (write it with xsmeter calibrate --flash ${file} …)`);
  // NorFlashSim re-creates a file of another size erased: check it first, so a wrong path wipes nothing.
  const size = statSync(file).size, need = (sector + 2) * 4096;
  if (size % 4096 !== 0 || size < need) throw new UsageError(`--calibration: ${file} is ${size} bytes: not a flash image with sectors ${sector}..${sector + 1}`);
  const flash = new NorFlashSim({ size, file });
  try {
    const boot = loadCalibration(new CalibrationStore(flash, sector), phases, consoleLog("analyze: calibration"));
    if (boot.source !== "stored") throw new UsageError(`--calibration: ${file} sectors ${sector}–${sector + 1} hold no valid record (${boot.reason})`);
    return boot.phases;
  } finally {
    flash.close();
  }
}
