/**
 * Per-channel calibration: value = (raw − offset) × gain, fitted by least
 * squares from reference points (the paper's static characterisation), and a
 * phase correction (degrees at nominal frequency, positive = current lags).
 */
export interface ChannelCalibration { gain: number; offset: number }
export interface PhaseCalibration { u: ChannelCalibration; i: ChannelCalibration; phaseDeg: number }

export const IDENTITY: ChannelCalibration = Object.freeze({ gain: 1, offset: 0 });

/** Least-squares fit true = gain × (raw − offset) from (raw, true) reference points. */
export function fitGainOffset(points: ReadonlyArray<{ raw: number; reference: number }>): ChannelCalibration {
  const n = points.length;
  if (n < 2) throw new RangeError("calibration needs at least two reference points");
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const p of points) { sx += p.raw; sy += p.reference; sxx += p.raw * p.raw; sxy += p.raw * p.reference; }
  const den = n * sxx - sx * sx;
  if (den === 0) throw new RangeError("calibration reference points must differ");
  const gain = (n * sxy - sx * sy) / den;
  const intercept = (sy - gain * sx) / n;
  return { gain, offset: -intercept / gain };
}

/** Reference points of one phase: raw readings against a reference instrument, and the measured phase error. */
export interface PhaseReferences {
  u: ReadonlyArray<{ raw: number; reference: number }>;
  i: ReadonlyArray<{ raw: number; reference: number }>;
  /** Phase error of the current channel in degrees at nominal frequency (positive = current lags); default 0. */
  phaseDeg?: number;
}

/** The calibration procedure for one phase: least-squares gain and offset per channel, plus the phase correction. */
export function fitPhaseCalibration(ref: PhaseReferences): PhaseCalibration {
  const phaseDeg = ref.phaseDeg ?? 0;
  if (!Number.isFinite(phaseDeg) || Math.abs(phaseDeg) > 45) throw new RangeError(`phase correction ${phaseDeg}° out of range (|φ| ≤ 45°)`);
  return { u: fitGainOffset(ref.u), i: fitGainOffset(ref.i), phaseDeg };
}

/** Throws RangeError unless every value is finite and every gain non-zero (a calibration a meter can run on). */
export function checkCalibration(phases: ReadonlyArray<PhaseCalibration>): void {
  phases.forEach((c, p) => {
    const v = [c.u.gain, c.u.offset, c.i.gain, c.i.offset, c.phaseDeg];
    if (!v.every(Number.isFinite) || c.u.gain === 0 || c.i.gain === 0) throw new RangeError(`calibration of phase ${p + 1} needs finite values and non-zero gains`);
  });
}

/** RMS and power readings of one phase (an energy chip's registers: the board path). */
export interface PowerReadings { v: number; i: number; p: number; q: number; s: number }

/**
 * Applies a phase's calibration to readings already integrated by a chip (the STPM3x path, where no
 * samples pass through the MeterPipeline), in place, allocation-free. From raw = true/gain + offset
 * with zero-mean true waveforms over whole cycles: V = gu·√(Vraw² − ou²), I = gi·√(Iraw² − oi²),
 * P = gu·gi·(Praw − ou·oi); the phase error δ (current lags by δ more than it should) rotates P and Q
 * back: P' = P cos δ + Q sin δ, Q' = Q cos δ − P sin δ; S = V·I.
 */
export function calibrateReadings(cal: PhaseCalibration, r: PowerReadings): PowerReadings {
  const gu = cal.u.gain, gi = cal.i.gain, ou = cal.u.offset, oi = cal.i.offset;
  const v2 = r.v * r.v - ou * ou, i2 = r.i * r.i - oi * oi;
  const v = Math.abs(gu) * Math.sqrt(v2 > 0 ? v2 : 0), i = Math.abs(gi) * Math.sqrt(i2 > 0 ? i2 : 0);
  const p = gu * gi * (r.p - ou * oi), q = gu * gi * r.q;
  const d = (cal.phaseDeg * Math.PI) / 180, c = Math.cos(d), s = Math.sin(d);
  r.v = v; r.i = i;
  r.p = p * c + q * s;
  r.q = q * c - p * s;
  r.s = v * i;
  return r;
}
