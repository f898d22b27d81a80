/**
 * One channel measured over whole cycles of the nominal frequency, for what the
 * meter pipeline cannot take: current-only recordings (the pipeline synchronises on
 * a voltage) and records shorter than one 10/12-cycle window. RMS over the whole
 * cycles; the fundamental and each harmonic below the Nyquist frequency by a DFT at
 * exactly h × f over those cycles (no leakage when the record holds whole cycles);
 * THD = √Σ(H_h²)/H_1 for h ≥ 2, over the harmonics the sample rate allows (said, as
 * `harmonics_to`, since a low rate hides the higher ones).
 */
export interface ChannelMeasure {
  cycles: number;
  samples: number;
  rms: number;
  fundamental: number;
  /** Harmonic RMS in % of the fundamental, index 0 = h2. */
  harmonicsPct: number[];
  thdPct: number;
  /** Highest harmonic order measured (below half the sample rate). */
  harmonicsTo: number;
}

export function measureChannel(values: Float64Array, sampleRate: number, frequency: number, maxOrder = 50): ChannelMeasure | { error: string } {
  const perCycle = sampleRate / frequency;
  const cycles = Math.floor(values.length / perCycle + 1e-9);
  if (cycles < 1) return { error: `${values.length} samples at ${sampleRate} S/s hold less than one ${frequency} Hz cycle` };
  const n = Math.round(cycles * perCycle);
  let sq = 0;
  for (let k = 0; k < n; k++) sq += values[k] * values[k];
  const rms = Math.sqrt(sq / n);
  const harmonicsTo = Math.min(maxOrder, Math.ceil(sampleRate / (2 * frequency)) - 1);
  const amp = (h: number): number => {
    let re = 0, im = 0;
    const w = (2 * Math.PI * h * frequency) / sampleRate;
    for (let k = 0; k < n; k++) { re += values[k] * Math.cos(w * k); im -= values[k] * Math.sin(w * k); }
    return (Math.SQRT2 * Math.hypot(re, im)) / n; // RMS of the component
  };
  const fundamental = amp(1);
  const harmonicsPct: number[] = [];
  let sum = 0;
  for (let h = 2; h <= harmonicsTo; h++) {
    const a = amp(h);
    sum += a * a;
    harmonicsPct.push(fundamental > 0 ? (100 * a) / fundamental : 0);
  }
  return { cycles, samples: n, rms, fundamental, harmonicsPct, thdPct: fundamental > 0 ? (100 * Math.sqrt(sum)) / fundamental : 0, harmonicsTo };
}
