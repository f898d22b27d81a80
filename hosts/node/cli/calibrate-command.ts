import { existsSync, readFileSync, statSync } from "node:fs";
import { IDENTITY, fitGainOffset, type ChannelCalibration, type PhaseCalibration, type PhaseReferences } from "../../../modules/metrology/calibration";
import { CalibrationStore } from "../../../modules/metrology/calibration-store";
import { saveCalibration } from "../../../modules/metrology/calibration-boot";
import { NorFlashSim } from "../flash/nor-flash-sim";
import { UsageError, type Command } from "./command";

const SECTOR = 4096;
type Points = Array<{ raw: number; reference: number }>;

/** "RAW=REF,RAW=REF,…" → points. */
function parsePoints(option: string, text: string): Points {
  return text.split(",").map((pair) => {
    const m = /^\s*(-?[\d.eE+-]+)\s*=\s*(-?[\d.eE+-]+)\s*$/.exec(pair);
    const raw = m ? Number(m[1]) : NaN, reference = m ? Number(m[2]) : NaN;
    if (!Number.isFinite(raw) || !Number.isFinite(reference)) throw new UsageError(`${option}: "${pair}" is not RAW=REFERENCE`);
    return { raw, reference };
  });
}

/** CSV `phase,channel,raw,reference` (channel u, i, or phase with reference = degrees, raw ignored). */
function parseCsv(file: string): Map<number, { u: Points; i: Points; phaseDeg?: number }> {
  let text: string;
  try { text = readFileSync(file, "utf8"); } catch (e) { throw new UsageError(`cannot read ${file}: ${(e as Error).message}`); }
  const lines = text.split(/\r?\n/);
  if ((lines[0] ?? "").trim().replace(/\s/g, "") !== "phase,channel,raw,reference") throw new UsageError(`${file} line 1: header must be phase,channel,raw,reference`);
  const out = new Map<number, { u: Points; i: Points; phaseDeg?: number }>();
  lines.slice(1).forEach((line, k) => {
    if (line.trim() === "") return;
    const where = `${file} line ${k + 2}`;
    const f = line.split(",").map((s) => s.trim());
    if (f.length !== 4) throw new UsageError(`${where}: 4 fields expected, got ${f.length}`);
    const phase = Number(f[0]), raw = Number(f[2]), reference = Number(f[3]);
    if (!(phase === 1 || phase === 2 || phase === 3)) throw new UsageError(`${where}: phase must be 1, 2 or 3`);
    if (!Number.isFinite(reference) || (f[1] !== "phase" && !Number.isFinite(raw))) throw new UsageError(`${where}: raw and reference must be numbers`);
    const entry = out.get(phase) ?? { u: [], i: [] };
    out.set(phase, entry);
    if (f[1] === "u") entry.u.push({ raw, reference });
    else if (f[1] === "i") entry.i.push({ raw, reference });
    else if (f[1] === "phase") entry.phaseDeg = reference;
    else throw new UsageError(`${where}: channel must be u, i or phase`);
  });
  if (out.size === 0) throw new UsageError(`${file}: no reference points`);
  return out;
}

/**
 * One channel from its points, by the convention ref = gain × (raw − offset): two or more
 * points fit gain and offset (least squares); a single point — the usual field procedure
 * (Tasmota's VoltageSet/CurrentSet) — sets the gain only and keeps the stored offset.
 */
export function fitChannel(points: Points, stored: ChannelCalibration, what: string): ChannelCalibration {
  if (points.length !== 1) return fitGainOffset(points);
  const { raw, reference } = points[0];
  const d = raw - stored.offset;
  if (d === 0 || reference === 0) throw new RangeError(`${what}: one point needs a raw reading away from the offset (${stored.offset}) and a non-zero reference`);
  return { gain: reference / d, offset: stored.offset };
}

function fitPhase(r: PhaseReferences, stored: PhaseCalibration | undefined, p: number): PhaseCalibration {
  const phaseDeg = r.phaseDeg ?? stored?.phaseDeg ?? 0;
  if (!Number.isFinite(phaseDeg) || Math.abs(phaseDeg) > 45) throw new RangeError(`phase correction ${phaseDeg}° out of range (|φ| ≤ 45°)`);
  return { u: fitChannel([...r.u], stored?.u ?? IDENTITY, `phase ${p} u`), i: fitChannel([...r.i], stored?.i ?? IDENTITY, `phase ${p} i`), phaseDeg };
}

export const calibrateCommand: Command = {
  name: "calibrate",
  summary: "fit per-phase gain/offset (least squares) and phase correction from reference points; store them in a flash image",
  usage: [
    "xsmeter calibrate --flash FILE [--sector N] (--u RAW=REF,RAW=REF[,…] --i RAW=REF,… [--phase-deg D] [--phase 1|2|3] | --csv POINTS.csv)",
    "xsmeter calibrate --flash FILE [--sector N] --show",
    "  Convention: ref = gain × (raw − offset). Two or more points per channel: gain and offset by least squares; one point",
    "  (the field procedure, like Tasmota's VoltageSet/CurrentSet): gain only, the stored offset kept (0 when none).",
    "  POINTS.csv: header phase,channel,raw,reference; channel u or i (≥ 1 point each), or phase (reference = degrees the current lags).",
    "  The record goes to the two alternating sectors N, N+1 of the flash image (created erased when missing); phases not given keep",
    "  their stored calibration. Prints the stored record as JSON. A slave loads it at boot (loadCalibration).",
  ].join("\n"),
  async run(args) {
    let file: string | undefined, csv: string | undefined, sector = 0, phase = 1, show = false;
    let u: Points | undefined, i: Points | undefined, phaseDeg: number | undefined;
    for (let k = 0; k < args.length; k++) {
      const a = args[k];
      const val = () => { const v = args[++k]; if (v === undefined) throw new UsageError(`${a} needs a value`); return v; };
      if (a === "--flash") file = val();
      else if (a === "--csv") csv = val();
      else if (a === "--sector") { sector = Number(val()); if (!Number.isInteger(sector) || sector < 0) throw new UsageError("--sector needs a sector index ≥ 0"); }
      else if (a === "--phase") { phase = Number(val()); if (phase !== 1 && phase !== 2 && phase !== 3) throw new UsageError("--phase is 1, 2 or 3"); }
      else if (a === "--u") u = parsePoints(a, val());
      else if (a === "--i") i = parsePoints(a, val());
      else if (a === "--phase-deg") { phaseDeg = Number(val()); if (!Number.isFinite(phaseDeg)) throw new UsageError("--phase-deg needs a number of degrees"); }
      else if (a === "--show") show = true;
      else throw new UsageError(`unknown argument ${a}\nusage: ${calibrateCommand.usage}`);
    }
    if (!file) throw new UsageError(`--flash FILE is required\nusage: ${calibrateCommand.usage}`);
    const need = (sector + 2) * SECTOR;
    let size = Math.max(need, 2 * SECTOR);
    if (existsSync(file)) {
      // NorFlashSim re-creates an image of another size erased: refuse instead of wiping someone's file.
      const actual = statSync(file).size;
      if (actual % SECTOR !== 0 || actual < need) throw new UsageError(`${file} is ${actual} bytes: not a flash image with sectors ${sector}..${sector + 1} (${need} bytes or more, a multiple of ${SECTOR})`);
      size = actual;
    }
    const flash = new NorFlashSim({ size, file });
    try {
      const store = new CalibrationStore(flash, sector);
      const { newest, slots } = store.inspect();
      const sectors = slots.map((x) => (x.state === "invalid" ? `invalid: ${x.error.message}` : x.state === "valid" ? `sequence ${x.record.sequence}` : "erased"));
      if (show) {
        console.log(JSON.stringify({ sequence: newest?.sequence ?? 0, phases: newest?.phases ?? [], sectors }));
        return newest ? 0 : 1;
      }
      if (!newest && slots.some((x) => x.state === "invalid")) console.error(`calibrate: warning: the stored record is unreadable (${sectors.join("; ")}); writing a new one`);
      const refs = new Map<number, PhaseReferences>();
      if (csv) {
        if (u || i || phaseDeg !== undefined) throw new UsageError("--csv or --u/--i/--phase-deg, not both");
        for (const [p, r] of parseCsv(csv)) refs.set(p, r);
      } else {
        if (!u || !i) {
          const missing = !u && !i ? "--u and --i are" : !u ? "--u is" : "--i is";
          throw new UsageError(`${missing} missing: calibration needs both --u RAW=REF[,…] and --i RAW=REF[,…] (one point each sets the gain only), or --csv\nusage: ${calibrateCommand.usage}`);
        }
        refs.set(phase, { u, i, phaseDeg });
      }
      const stored = newest?.phases ?? [];
      const phases: PhaseCalibration[] = [];
      const count = Math.max(stored.length, ...refs.keys());
      for (let p = 1; p <= count; p++) {
        const r = refs.get(p);
        if (r) {
          try { phases.push(fitPhase(r, stored[p - 1], p)); } catch (e) { throw new UsageError(`phase ${p}: ${(e as Error).message}`); }
        } else phases.push(stored[p - 1] ?? { u: { ...IDENTITY }, i: { ...IDENTITY }, phaseDeg: 0 });
      }
      let sequence: number;
      try { sequence = saveCalibration(store, phases); } catch (e) { if (e instanceof RangeError) throw new UsageError(e.message); throw e; }
      console.log(JSON.stringify({ sequence, phases }));
      return 0;
    } finally {
      flash.close();
    }
  },
};
