/** CSV reader: header `t,u,i` or `t,u1,i1,u2,i2,u3,i3` (seconds, volts, amperes), uniform sampling. */
import { RecordingError, SAMPLE_RATE_LIMITS, type Recording } from "./recording";

export function readCsv(text: string, name = "csv"): Recording {
  const lines = text.split(/\r?\n/);
  const header = lines[0].trim().toLowerCase().split(",").map((s) => s.trim());
  const ok = header.join(",") === "t,u,i" || header.join(",") === "t,u1,i1" || header.join(",") === "t,u1,i1,u2,i2" || header.join(",") === "t,u1,i1,u2,i2,u3,i3";
  if (!ok) throw new RecordingError(`${name} line 1: header must be t,u,i or t,u1,i1,u2,i2,u3,i3, got ${JSON.stringify(lines[0])}`);
  const cols = header.length;
  const rows: number[][] = [];
  for (let ln = 1; ln < lines.length; ln++) {
    const line = lines[ln].trim();
    if (line === "") continue;
    const f = line.split(",");
    if (f.length !== cols) throw new RecordingError(`${name} line ${ln + 1}: ${f.length} fields, expected ${cols}`);
    const row = f.map((s) => Number(s));
    const bad = row.findIndex((v, k) => f[k].trim() === "" || !Number.isFinite(v));
    if (bad >= 0) throw new RecordingError(`${name} line ${ln + 1}: ${header[bad]} ${JSON.stringify(f[bad])} is not a number`);
    if (rows.length && row[0] <= rows[rows.length - 1][0]) throw new RecordingError(`${name} line ${ln + 1}: time ${row[0]} does not increase`);
    rows.push(row);
  }
  if (rows.length < 2) throw new RecordingError(`${name}: fewer than two samples`);
  const dt = (rows[rows.length - 1][0] - rows[0][0]) / (rows.length - 1);
  if (!(1 / dt >= SAMPLE_RATE_LIMITS.min && 1 / dt <= SAMPLE_RATE_LIMITS.max)) {
    throw new RecordingError(`${name}: time step t ${dt} s (${1 / dt} S/s) is out of range (${1 / SAMPLE_RATE_LIMITS.max}..${1 / SAMPLE_RATE_LIMITS.min} s, ${SAMPLE_RATE_LIMITS.min}..${SAMPLE_RATE_LIMITS.max} S/s)`);
  }
  for (let k = 1; k < rows.length; k++) {
    if (Math.abs(rows[k][0] - rows[k - 1][0] - dt) > 0.01 * dt) throw new RecordingError(`${name} line ${k + 2}: sampling is not uniform (step ${rows[k][0] - rows[k - 1][0]} s, mean ${dt} s)`);
  }
  const channels = header.slice(1).map((h, c) => ({ name: h, unit: h.startsWith("u") ? "V" : "A", values: Float64Array.from(rows, (r) => r[c + 1]) }));
  return { sampleRate: 1 / dt, channels };
}
