/**
 * The spectrum of one synchronised window (IEC 61000-4-7): u and i of a window of `len` samples
 * are resampled by linear interpolation to m = 2^n points as one complex signal (u real, i
 * imaginary), transformed by one FFT and split back into the two real spectra, bins 0..maxBin
 * (5 Hz apart for a 10/12-cycle window) as RMS² with the interpolation's sinc² loss corrected.
 * Shared by MeterPipeline (every window, every phase) and SnapshotAnalyzer (board snapshots).
 *
 * Written for XS, which pays per bytecode and typed-array access: the FFT's first radix-4 pass
 * is fused into the resampling and its last radix-2 stage into the split (only the bins up to
 * maxBin are formed), so each point is written once and read back once around the middle passes.
 */
import { Fft } from "./fft";

/** Per phase, index = harmonic order 0..maxOrder: bin RMS, group, subgroup, interharmonic group. */
export interface Harmonics {
  u: Float64Array[]; i: Float64Array[]; uGroup: Float64Array[]; iGroup: Float64Array[]; uSubgroup: Float64Array[]; uInterGroup: Float64Array[];
}

export function newHarmonics(phases: number, maxOrder: number): Harmonics {
  const orders = () => Array.from({ length: phases }, () => new Float64Array(maxOrder + 1));
  return { u: orders(), i: orders(), uGroup: orders(), iGroup: orders(), uSubgroup: orders(), uInterGroup: orders() };
}

export class WindowSpectrum {
  readonly size: number;
  readonly cycles: number;
  readonly maxOrder: number;
  /** Highest bin formed: (maxOrder + 1) × cycles, so order maxOrder has its whole group. */
  readonly maxBin: number;
  /** RMS² of u and i by bin (bin k = k / cycles × the fundamental). */
  readonly mu: Float64Array; readonly mi: Float64Array;
  /** 1/sinc² of each bin for the window's length (see setLength); a caller may fill it itself. */
  readonly gainCorr: Float64Array;
  /** The fundamental's phasors of the last split: u re, u im, i re, i im (gain-corrected, RMS·m/√2 scale). */
  readonly fund = new Float64Array(4);
  private readonly fft: Fft;
  private readonly re: Float64Array; private readonly im: Float64Array;

  /** m: FFT size (power of two ≥ 8, m/2 > maxBin); cycles: fundamental cycles per window. */
  constructor(m: number, cycles: number, maxOrder: number) {
    this.cycles = cycles;
    this.maxOrder = maxOrder;
    this.maxBin = (maxOrder + 1) * cycles;
    if (m < 8 || m / 2 <= this.maxBin) throw new RangeError(`FFT size ${m} cannot hold bin ${this.maxBin}`);
    this.size = m;
    this.fft = new Fft(m);
    this.re = new Float64Array(m); this.im = new Float64Array(m);
    this.gainCorr = new Float64Array(this.maxBin + 1);
    this.mu = new Float64Array(this.maxBin + 1); this.mi = new Float64Array(this.maxBin + 1);
  }

  /** Linear interpolation at fractional offsets attenuates a bin of ω rad/sample by sinc²(ω/2) on average. */
  setLength(len: number): void {
    const gc = this.gainCorr;
    for (let k = 1; k <= this.maxBin; k++) {
      const x = (Math.PI * k) / len;
      const s = Math.sin(x) / x;
      gc[k] = 1 / (s * s);
    }
    gc[0] = 1;
  }

  /** Spectrum of U/I over buffer positions [a, a + len] (a ≥ 0, len ≤ available − a − 1) into mu/mi/fund. */
  analyze(U: Float64Array, I: Float64Array, a: number, len: number): void {
    this.resample4(U, I, a, len / this.size);
    this.fft.passes(this.re, this.im, 4, this.size >> 1);
    this.split();
  }

  /** `analyze` cut into steps of bounded cost, for a host that must not block: see step(). */
  get steps(): number {
    return this.fft.plan(4, this.size >> 1).length + 2;
  }

  /** Step k of `analyze` (0: resampling, then each FFT pass, last: the split); run k = 0..steps − 1 in order. */
  step(k: number, U: Float64Array, I: Float64Array, a: number, len: number): void {
    const plan = this.fft.plan(4, this.size >> 1);
    if (k === 0) this.resample4(U, I, a, len / this.size);
    else if (k <= plan.length) {
      let h = 4;
      for (let q = 0; q < k - 1; q++) h *= plan[q];
      this.fft.pass(this.re, this.im, plan[k - 1], h);
    } else this.split();
  }

  /**
   * Linear-interpolation resampling of u and i from buffer position a, `step` samples apart, to m
   * points x_q = u_q + j·i_q, with the FFT's first radix-4 pass fused in: x_q, x_{q+m/2}, x_{q+m/4},
   * x_{q+3m/4} belong bit-reversed at r..r+3 (r = rev[q]), so their 4-point DFT is stored there
   * directly and each point is written once. t ≥ 0, so `t | 0` is floor(t).
   */
  resample4(U: Float64Array, I: Float64Array, a: number, step: number): void {
    const re = this.re, im = this.im, rev = this.fft.rev, n4 = this.size >> 2;
    // The four streams' origins: point q + s·m/4 sits at a_s + q·step.
    const a1 = a + n4 * step, a2 = a + 2 * n4 * step, a3 = a + 3 * n4 * step;
    // Temporaries declared once: XS pays for block-scoped consts on every iteration.
    let t = 0, j = 0, d = 0, v = 0, r = 0, u0 = 0, i0 = 0, u1 = 0, i1 = 0, u2 = 0, i2 = 0, u3 = 0, i3 = 0, qs = 0;
    let ar = 0, ai = 0, br = 0, bi = 0, cr = 0, ci = 0, dr = 0, di = 0;
    for (let q = 0; q < n4; q++) {
      qs = q * step;
      t = a + qs; j = t | 0; d = t - j; v = U[j];
      u0 = v + d * (U[j + 1] - v); v = I[j];
      i0 = v + d * (I[j + 1] - v);
      t = a1 + qs; j = t | 0; d = t - j; v = U[j];
      u1 = v + d * (U[j + 1] - v); v = I[j];
      i1 = v + d * (I[j + 1] - v);
      t = a2 + qs; j = t | 0; d = t - j; v = U[j];
      u2 = v + d * (U[j + 1] - v); v = I[j];
      i2 = v + d * (I[j + 1] - v);
      t = a3 + qs; j = t | 0; d = t - j; v = U[j];
      u3 = v + d * (U[j + 1] - v); v = I[j];
      i3 = v + d * (I[j + 1] - v);
      ar = u0 + u2; ai = i0 + i2; br = u0 - u2; bi = i0 - i2; // x_q ± x_{q+m/2}
      cr = u1 + u3; ci = i1 + i3; dr = u1 - u3; di = i1 - i3; // x_{q+m/4} ± x_{q+3m/4}
      r = rev[q];
      re[r] = ar + cr; im[r] = ai + ci;
      re[r + 1] = br + di; im[r + 1] = bi - dr; // b − j·d
      re[r + 2] = ar - cr; im[r + 2] = ai - ci;
      re[r + 3] = br - di; im[r + 3] = bi + dr; // b + j·d
    }
  }

  /**
   * The FFT's last radix-2 stage fused into the split of the two real spectra, bins 0..maxBin only:
   * X_k = A_k + W^k·B_k and X_{m−k} = A_{m/2−k} + conj(W^k)·B_{m/2−k} (A, B: the half-size DFTs in
   * re/im [0, m/2) and [m/2, m)); U_k = (X_k + X*_{m−k})/2, I_k = (X_k − X*_{m−k})/(2j); RMS² by bin
   * into mu/mi, with the interpolation's gain correction; the fundamental's phasors into `fund`.
   */
  split(): void {
    const maxBin = this.maxBin, c = this.cycles;
    const re = this.re, im = this.im, m = this.size, h = m >> 1, wc = this.fft.cos, ws = this.fft.sin;
    const mu = this.mu, mi = this.mi, gc = this.gainCorr;
    const scale = 2 / (m * m); // (√2/m)² for the RMS², and the 1/2 of the split squared ×4 → folded below
    let wr = 0, wi = 0, ar = 0, ai = 0, br = 0, bi = 0, xr = 0, xi = 0, yr = 0, yi = 0;
    let ur = 0, uim = 0, ir = 0, iim = 0, g = 0, gs = 0;
    for (let k = 0; k <= maxBin; k++) {
      wr = wc[k]; wi = ws[k];
      ar = re[k]; ai = im[k]; br = re[k + h]; bi = im[k + h];
      xr = ar + wr * br - wi * bi; xi = ai + wr * bi + wi * br;
      yr = xr; yi = -xi; // conj(X_{m−k}); X_m is X_0
      if (k !== 0) {
        ar = re[h - k]; ai = im[h - k]; br = re[m - k]; bi = im[m - k];
        yr = ar + wr * br + wi * bi; yi = -(ai + wr * bi - wi * br);
      }
      ur = (xr + yr) * 0.5; uim = (xi + yi) * 0.5;
      ir = (xi - yi) * 0.5; iim = (yr - xr) * 0.5;
      g = gc[k]; gs = scale * g * g;
      mu[k] = (ur * ur + uim * uim) * gs;
      mi[k] = (ir * ir + iim * iim) * gs;
      if (k === c) { const f = this.fund; f[0] = ur * g; f[1] = uim * g; f[2] = ir * g; f[3] = iim * g; }
    }
    mu[0] /= 2; mi[0] /= 2; // DC is not a sinusoid: RMS = |X0|/m
  }

  /**
   * IEC 61000-4-7 bins, groups (G² = ½C²ₖ₋ₕ + ΣC²ₖ₋ₕ₊₁…ₖ₊ₕ₋₁ + ½C²ₖ₊ₕ, h = cycles/2), subgroups
   * (bins k−1..k+1) and interharmonic groups (bins between orders) of the last spectrum, into phase p of hc.
   */
  harmonicsInto(hc: Harmonics, p: number): void {
    const mu = this.mu, mi = this.mi, c = this.cycles, half = c >> 1, maxBin = this.maxBin;
    const hu = hc.u[p], hi = hc.i[p], gU = hc.uGroup[p], gI = hc.iGroup[p], sgU = hc.uSubgroup[p], igU = hc.uInterGroup[p];
    for (let h = 0; h <= this.maxOrder; h++) {
      const k = h * c;
      hu[h] = Math.sqrt(mu[k]);
      hi[h] = Math.sqrt(mi[k]);
      const lo = k - half, top = k + half; // top ≤ maxBin by construction
      let gu = 0, gi = 0;
      if (lo >= 0) { gu = 0.5 * mu[lo]; gi = 0.5 * mi[lo]; }
      for (let j = lo < 0 ? 0 : lo + 1; j < top; j++) { gu += mu[j]; gi += mi[j]; }
      gu += 0.5 * mu[top]; gi += 0.5 * mi[top];
      gU[h] = Math.sqrt(gu); gI[h] = Math.sqrt(gi);
      sgU[h] = Math.sqrt(k === 0 ? mu[0] + mu[1] : mu[k - 1] + mu[k] + mu[k + 1]);
      let ig = 0;
      const end = k + c <= maxBin ? k + c : maxBin + 1;
      for (let j = k + 1; j < end; j++) ig += mu[j];
      igU[h] = Math.sqrt(ig);
    }
  }
}
