import { existsSync, statSync } from "node:fs";
import { MeterPipeline } from "../../../modules/metrology/meter";
import { CalibrationStore } from "../../../modules/metrology/calibration-store";
import { loadCalibration } from "../../../modules/metrology/calibration-boot";
import type { PhaseCalibration } from "../../../modules/metrology/calibration";
import { NorFlashSim } from "../flash/nor-flash-sim";
import { consoleLog } from "../sim/slave-calibration";
import type { AggregateRecord, WindowRecord } from "../../../modules/metrology/records";
import { loadRecording } from "../recordings/load";
import { RecordingError, toFrames, type Recording } from "../recordings/recording";
import { measureChannel } from "../recordings/channel-measure";
import { UsageError, type Command } from "./command";

const FIELDS = ["u", "i", "p", "q1", "s", "n", "pf", "dpf", "thdu", "thdi"] as const;
const r6 = (x: number) => Number(x.toPrecision(7));

function windowJson(w: WindowRecord | AggregateRecord): Record<string, unknown> {
  const o: Record<string, unknown> = { t: r6(w.t), f: r6(w.f) };
  for (const k of FIELDS) o[k] = w[k].map(r6);
  o.flagged = w.flagged;
  return o;
}

/** What a recording without voltage cannot give: the pipeline synchronises on a voltage. */
const CURRENT_ONLY_UNMEASURED = ["voltage", "voltage THD", "active/reactive/apparent power", "power factor", "energy", "frequency", "dips, swells and interruptions"];

/** Windows in a full aggregate: a window is 10 cycles at 50 Hz or 12 at 60 Hz, 200 ms either way. */
const FULL_WINDOWS: Record<string, number> = { "3s": 15, "10min": 3000, "2h": 36_000 };

/** Each V and A channel measured over whole cycles (current-only or too-short recordings). */
function channelLines(rec: Recording, frequency: number, out: (o: unknown) => void, notes: string[]): number {
  let measured = 0;
  for (const c of rec.channels) {
    if (c.unit !== "V" && c.unit !== "A") continue;
    const m = measureChannel(c.values, rec.sampleRate, frequency);
    if ("error" in m) { notes.push(`channel ${c.name.trim()}: ${m.error}: not measured`); continue; }
    measured++;
    out({ kind: "channel", name: c.name.trim(), unit: c.unit, cycles: m.cycles, samples: m.samples, rms: r6(m.rms), fundamental: r6(m.fundamental), thd: r6(m.thdPct), harmonics_to: m.harmonicsTo, harmonics: m.harmonicsPct.map(r6) });
  }
  return measured;
}

function pickNominal(given: 50 | 60 | undefined, rec: Recording, notes: string[]): 50 | 60 {
  const file = rec.nominalFrequency;
  const fileOk = file === 50 || file === 60;
  if (given !== undefined) {
    if (fileOk && file !== given) notes.push(`--nominal-frequency ${given} overrides the file's line frequency ${file} Hz`);
    return given;
  }
  if (fileOk) return file;
  if (file !== undefined) notes.push(`the file's line frequency ${file} Hz is not 50 or 60: measured at 50 Hz (pass --nominal-frequency 60 if it is a 60 Hz system)`);
  return 50;
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
    const notes: string[] = [];
    const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
    const nominal = pickNominal(fn, rec, notes);
    const finish = (summary: Record<string, unknown>): number => {
      for (const n of notes) console.error(`analyze: ${n}`);
      out({ kind: "summary", ...summary, ...(notes.length ? { notes } : {}) });
      return 0;
    };
    const units = new Set(rec.channels.map((c) => c.unit));
    if (!units.has("V")) {
      if (!units.has("A")) throw new UsageError(`${file}: no voltage or current channel (units: ${[...units].map((u) => JSON.stringify(u)).join(", ") || "none"}): nothing to measure`);
      // current-only: measure the currents and their harmonics per channel, and say what cannot be measured
      notes.push(`current-only recording: ${CURRENT_ONLY_UNMEASURED.join(", ")} cannot be measured without a voltage channel`);
      const measured = channelLines(rec, nominal, out, notes);
      return finish({ current_only: true, channels: measured, nominal_frequency: nominal, not_measured: CURRENT_ONLY_UNMEASURED, windows: 0 });
    }
    let frames;
    try { frames = toFrames(rec); } catch (e) { throw new UsageError((e as Error).message); }
    const nominalFrequency = nominal;
    let windows = 0;
    let maxU = 0, maxI = 0;
    const calibration = calibrationFile === undefined ? undefined : storedCalibration(calibrationFile, calibrationSector, frames.phases);
    const meter = new MeterPipeline({ phases: frames.phases, sampleRate: rec.sampleRate, nominalVoltage: un, nominalFrequency, startTimeMs: rec.startMs ?? 0, calibration }, {
      onWindow: (w) => {
        windows++;
        for (let p = 0; p < w.u.length; p++) { maxU = Math.max(maxU, w.u[p]); maxI = Math.max(maxI, w.i[p]); }
        out({ kind: "window", ...windowJson(w) });
      },
      onEvent: (e) => out({ kind: "event", type: e.type, phase: e.phase, start: r6(e.start), duration: r6(e.duration), extreme: r6(e.extreme), cell: e.cell }),
      // an aggregate over fewer windows than its interval holds (start or end of the file) is marked partial
      onAggregate: (a) => out({ kind: "aggregate", interval: a.interval, windows: a.windows, partial: a.windows < FULL_WINDOWS[a.interval], ...windowJson(a) }),
    });
    const block = 1024, stride = 2 * frames.phases;
    for (let n = 0; n < frames.count; n += block) meter.push(frames.frames, Math.min(block, frames.count - n), n * stride);
    meter.flush();
    // an event still going when the file ends: reported, with its duration so far
    const ongoing = meter.ongoingEvents();
    for (const e of ongoing) out({ kind: "event", type: e.type, phase: e.phase, start: r6(e.start), duration: r6(e.duration), extreme: r6(e.extreme), cell: e.cell, ongoing: true });
    const seconds = frames.count / rec.sampleRate;
    if (windows === 0) {
      notes.push(`windows: 0: the recording holds ${Number((seconds * 1000).toPrecision(4))} ms (${frames.count} samples at ${Number(rec.sampleRate.toPrecision(6))} S/s); a measurement window is ${nominal === 60 ? 12 : 10} cycles at ${nominal} Hz (200 ms)`);
      channelLines(rec, nominal, out, notes);
    }
    if (/\.wav$/i.test(file) && windows > 0) {
      if (voltScale === 1 && maxU < 2) notes.push(`voltage RMS at most ${r6(maxU)} V: a WAV holds full scale as ±1; pass --volt-scale (the volts at full scale, e.g. 400) so values are in volts`);
      if (ampScale === 1 && maxI < 2) notes.push(`current RMS at most ${r6(maxI)} A: a WAV holds full scale as ±1; pass --amp-scale (the amperes at full scale)`);
    }
    return finish({ windows, seconds: r6(seconds), nominal_frequency: nominal, ongoing_events: ongoing.length, energy_import_wh: Array.from(meter.energy.importWh, r6), energy_export_wh: Array.from(meter.energy.exportWh, r6) });
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
