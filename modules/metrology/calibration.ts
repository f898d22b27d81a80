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
