// Test signal generator: sums of sinusoids (RMS values, degrees) per phase, interleaved u,i frames.
export interface Tone { h: number; rms: number; deg: number }
export interface PhaseSpec { u: Tone[]; i: Tone[] }

export function synth(phases: PhaseSpec[], opts: { fs: number; f: number; seconds: number; noise?: number; seed?: number; envelope?: (t: number, p: number) => number }): Float64Array {
  const n = Math.round(opts.fs * opts.seconds);
  const out = new Float64Array(n * 2 * phases.length);
  let seed = opts.seed ?? 1;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  for (let k = 0; k < n; k++) {
    const t = k / opts.fs;
    phases.forEach((ph, p) => {
      const env = opts.envelope ? opts.envelope(t, p) : 1;
      let u = 0, i = 0;
      for (const tone of ph.u) u += tone.rms * Math.SQRT2 * Math.sin(2 * Math.PI * tone.h * opts.f * t + (tone.deg * Math.PI) / 180);
      for (const tone of ph.i) i += tone.rms * Math.SQRT2 * Math.sin(2 * Math.PI * tone.h * opts.f * t + (tone.deg * Math.PI) / 180);
      out[(k * phases.length + p) * 2] = u * env + (opts.noise ? opts.noise * rnd() : 0);
      out[(k * phases.length + p) * 2 + 1] = i + (opts.noise ? opts.noise * rnd() : 0);
    });
  }
  return out;
}
