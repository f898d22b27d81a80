/** A recording in memory: one Float64Array per channel at a fixed sample rate. */
export interface Channel {
  name: string;
  /** "V" or "A" after unit scaling (kV, kA converted), else the file's unit. */
  unit: string;
  values: Float64Array;
}

export interface Recording {
  sampleRate: number;
  channels: Channel[];
  /** UTC ms of the first sample when the file says so. */
  startMs?: number;
  nominalFrequency?: number;
}

export class RecordingError extends Error {}

/** Sample rates a recording may declare: below, no 50/60 Hz cycle is resolved; above, no meter samples. */
export const SAMPLE_RATE_LIMITS = Object.freeze({ min: 100, max: 1_000_000 });

/** Refuses a declared sample rate outside SAMPLE_RATE_LIMITS, naming the file and the field. */
export function checkSampleRate(rate: number, file: string, field: string): number {
  if (!Number.isFinite(rate) || rate < SAMPLE_RATE_LIMITS.min || rate > SAMPLE_RATE_LIMITS.max) {
    throw new RecordingError(`${file}: ${field} ${rate} S/s is out of range (${SAMPLE_RATE_LIMITS.min}..${SAMPLE_RATE_LIMITS.max} S/s)`);
  }
  return rate;
}

/** Refuses a count that is not an integer in 0..max (max: what the file can hold), naming the file and field. */
export function checkCount(n: number, file: string, field: string, max: number, why: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RecordingError(`${file}: ${field} ${n} is not a count (an integer ≥ 0)`);
  if (n > max) throw new RecordingError(`${file}: ${field} ${n} is more than the file can hold (${max}: ${why})`);
  return n;
}

/** Interleaves u1,i1[,u2,i2,u3,i3] from the voltage and current channels, in file order. */
export function toFrames(rec: Recording): { phases: 1 | 2 | 3; frames: Float64Array; count: number } {
  const us = rec.channels.filter((c) => c.unit === "V");
  const is = rec.channels.filter((c) => c.unit === "A");
  if (us.length === 0) throw new RecordingError("the recording has no voltage channel (unit V or kV): nothing to synchronise on");
  const phases = Math.min(3, us.length) as 1 | 2 | 3;
  const count = us[0].values.length;
  const frames = new Float64Array(count * 2 * phases);
  for (let p = 0; p < phases; p++) {
    const u = us[p].values, i = is[p]?.values;
    for (let n = 0; n < count; n++) {
      frames[(n * phases + p) * 2] = u[n];
      frames[(n * phases + p) * 2 + 1] = i ? i[n] : 0;
    }
  }
  return { phases, frames, count };
}
