/**
 * The spectrum of one synchronised window (IEC 61000-4-7): u and i of a window of `len` samples
 * are resampled by linear interpolation to m = 2^n points as one complex signal (u real, i
 * imaginary), transformed by one FFT and split back into the two real spectra, bins 0..maxBin
 * (5 Hz apart for a 10/12-cycle window) as RMS² with the interpolation's sinc² loss corrected.
 * Shared by MeterPipeline (every window, every phase) and SnapshotAnalyzer (board snapshots).
 *
 * Written for XS, which pays per bytecode and typed-array access: the FFT's first four stages (a
 * 16-point DFT) are fused into the resampling and its last radix-2 stage into the split (only the
 * bins up to maxBin are formed), so each point is written once and read back once around the
 * middle passes (two radix-8 passes for 2048 points).
 */
import { Fft } from "./fft";

/** u or i samples: the meter's Float64Array buffers, or a board snapshot's Float32Array (24-bit ADC data fits). */
export type Samples = Float64Array | Float32Array;

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
  /** Where each 16-point block starts: rev[q] for q < m/16 (the full permutation is never needed). */
  private readonly rev16: Uint16Array | Uint32Array;

  /** m: FFT size (power of two ≥ 8, m/2 > maxBin); cycles: fundamental cycles per window. */
  constructor(m: number, cycles: number, maxOrder: number) {
    this.cycles = cycles;
    this.maxOrder = maxOrder;
    this.maxBin = (maxOrder + 1) * cycles;
    if (m < 32 || m / 2 <= this.maxBin) throw new RangeError(`FFT size ${m} cannot hold bin ${this.maxBin}`);
    this.size = m;
    this.fft = new Fft(m);
    this.re = new Float64Array(m); this.im = new Float64Array(m);
    this.rev16 = m <= 0x10000 ? new Uint16Array(m >> 4) : new Uint32Array(m >> 4);
    for (let q = 0; q < m >> 4; q++) this.rev16[q] = this.fft.reversed(q);
    this.gainCorr = new Float64Array(this.maxBin + 1);
    // The split reads a bin's inputs only in the iteration that writes it (bins k and m/2 − k share
    // one: see split), reading before writing: the spectrum lives in re/im's first bins (8 KB saved).
    this.mu = this.re.subarray(0, this.maxBin + 1); this.mi = this.im.subarray(0, this.maxBin + 1);
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
  analyze(U: Samples, I: Samples, a: number, len: number): void {
    this.resample16(U, I, a, len / this.size);
    this.fft.passes(this.re, this.im, 16, this.size >> 1);
    this.split();
  }

  /** `analyze` cut into steps of bounded cost, for a host that must not block: see step(). */
  get steps(): number {
    return this.fft.plan(16, this.size >> 1).length + 3;
  }

  /**
   * Step k of `analyze` (0, 1: each half of the resampling, then each FFT pass, last: the split);
   * run k = 0..steps − 1 in order.
   */
  step(k: number, U: Samples, I: Samples, a: number, len: number): void {
    const plan = this.fft.plan(16, this.size >> 1), half = this.size >> 5;
    if (k === 0) this.resample16(U, I, a, len / this.size, 0, half);
    else if (k === 1) this.resample16(U, I, a, len / this.size, half, half * 2);
    else if (k <= plan.length + 1) {
      let h = 16;
      for (let q = 0; q < k - 2; q++) h *= plan[q];
      this.fft.pass(this.re, this.im, plan[k - 2], h);
    } else this.split();
  }

  /**
   * Linear-interpolation resampling of u and i from buffer position a, `step` samples apart, to m
   * points x_q = u_q + j·i_q, with the FFT's first four radix-2 stages fused in: the 16 points
   * z_e = x_{q + e·m/16} belong bit-reversed at r..r+15 (r = rev[q], q < m/16), where four DIT
   * stages leave their 16-point DFT in natural order, so that DFT (radix-4 × radix-4, twiddles
   * W₁₆) is stored there directly and each point is written once. t ≥ 0, so `t | 0` is floor(t).
   */
  resample16(U: Samples, I: Samples, a: number, step: number, from = 0, to = this.size >> 4): void {
    const re = this.re, im = this.im, rev = this.rev16, n16 = this.size >> 4;
    const c = Math.SQRT1_2;
    // W₁₆^p = kPc + j·kPs for the general twiddles p = 1, 3, 9.
    const k1c = Math.cos(Math.PI / 8), k1s = -Math.sin(Math.PI / 8), k3c = Math.cos((3 * Math.PI) / 8), k3s = -Math.sin((3 * Math.PI) / 8);
    const k9c = -k1c, k9s = -k1s;
    // The 16 streams' origins: point q + e·m/16 sits at o_e + q·step.
    const o = n16 * step;
    const o1 = a + o, o2 = a + 2 * o, o3 = a + 3 * o, o4 = a + 4 * o, o5 = a + 5 * o, o6 = a + 6 * o, o7 = a + 7 * o, o8 = a + 8 * o;
    const o9 = a + 9 * o, o10 = a + 10 * o, o11 = a + 11 * o, o12 = a + 12 * o, o13 = a + 13 * o, o14 = a + 14 * o, o15 = a + 15 * o;
    // Temporaries declared once: XS pays for block-scoped consts on every iteration.
    let t = 0, j = 0, d = 0, v = 0, r = 0, qs = 0, sr = 0, si = 0, dr = 0, di = 0, tr = 0, ti = 0, er = 0, ei = 0;
    let x0i = 0, x0r = 0, x10i = 0, x10r = 0, x11i = 0, x11r = 0, x12i = 0, x12r = 0, x13i = 0, x13r = 0, x14i = 0, x14r = 0, x15i = 0, x15r = 0, x1i = 0, x1r = 0, x2i = 0, x2r = 0, x3i = 0, x3r = 0, x4i = 0, x4r = 0, x5i = 0, x5r = 0, x6i = 0, x6r = 0, x7i = 0, x7r = 0, x8i = 0, x8r = 0, x9i = 0, x9r = 0, y00i = 0, y00r = 0, y01i = 0, y01r = 0, y02i = 0, y02r = 0, y03i = 0, y03r = 0, y10i = 0, y10r = 0, y11i = 0, y11r = 0, y12i = 0, y12r = 0, y13i = 0, y13r = 0, y20i = 0, y20r = 0, y21i = 0, y21r = 0, y22i = 0, y22r = 0, y23i = 0, y23r = 0, y30i = 0, y30r = 0, y31i = 0, y31r = 0, y32i = 0, y32r = 0, y33i = 0, y33r = 0, z0i = 0, z0r = 0, z10i = 0, z10r = 0, z11i = 0, z11r = 0, z12i = 0, z12r = 0, z13i = 0, z13r = 0, z14i = 0, z14r = 0, z15i = 0, z15r = 0, z1i = 0, z1r = 0, z2i = 0, z2r = 0, z3i = 0, z3r = 0, z4i = 0, z4r = 0, z5i = 0, z5r = 0, z6i = 0, z6r = 0, z7i = 0, z7r = 0, z8i = 0, z8r = 0, z9i = 0, z9r = 0;
    for (let q = from; q < to; q++) {
      qs = q * step;
      r = rev[q];
      t = a + qs; j = t | 0; d = t - j; v = U[j]; z0r = v + d * (U[j + 1] - v); v = I[j]; z0i = v + d * (I[j + 1] - v);
      t = o1 + qs; j = t | 0; d = t - j; v = U[j]; z1r = v + d * (U[j + 1] - v); v = I[j]; z1i = v + d * (I[j + 1] - v);
      t = o2 + qs; j = t | 0; d = t - j; v = U[j]; z2r = v + d * (U[j + 1] - v); v = I[j]; z2i = v + d * (I[j + 1] - v);
      t = o3 + qs; j = t | 0; d = t - j; v = U[j]; z3r = v + d * (U[j + 1] - v); v = I[j]; z3i = v + d * (I[j + 1] - v);
      t = o4 + qs; j = t | 0; d = t - j; v = U[j]; z4r = v + d * (U[j + 1] - v); v = I[j]; z4i = v + d * (I[j + 1] - v);
      t = o5 + qs; j = t | 0; d = t - j; v = U[j]; z5r = v + d * (U[j + 1] - v); v = I[j]; z5i = v + d * (I[j + 1] - v);
      t = o6 + qs; j = t | 0; d = t - j; v = U[j]; z6r = v + d * (U[j + 1] - v); v = I[j]; z6i = v + d * (I[j + 1] - v);
      t = o7 + qs; j = t | 0; d = t - j; v = U[j]; z7r = v + d * (U[j + 1] - v); v = I[j]; z7i = v + d * (I[j + 1] - v);
      t = o8 + qs; j = t | 0; d = t - j; v = U[j]; z8r = v + d * (U[j + 1] - v); v = I[j]; z8i = v + d * (I[j + 1] - v);
      t = o9 + qs; j = t | 0; d = t - j; v = U[j]; z9r = v + d * (U[j + 1] - v); v = I[j]; z9i = v + d * (I[j + 1] - v);
      t = o10 + qs; j = t | 0; d = t - j; v = U[j]; z10r = v + d * (U[j + 1] - v); v = I[j]; z10i = v + d * (I[j + 1] - v);
      t = o11 + qs; j = t | 0; d = t - j; v = U[j]; z11r = v + d * (U[j + 1] - v); v = I[j]; z11i = v + d * (I[j + 1] - v);
      t = o12 + qs; j = t | 0; d = t - j; v = U[j]; z12r = v + d * (U[j + 1] - v); v = I[j]; z12i = v + d * (I[j + 1] - v);
      t = o13 + qs; j = t | 0; d = t - j; v = U[j]; z13r = v + d * (U[j + 1] - v); v = I[j]; z13i = v + d * (I[j + 1] - v);
      t = o14 + qs; j = t | 0; d = t - j; v = U[j]; z14r = v + d * (U[j + 1] - v); v = I[j]; z14i = v + d * (I[j + 1] - v);
      t = o15 + qs; j = t | 0; d = t - j; v = U[j]; z15r = v + d * (U[j + 1] - v); v = I[j]; z15i = v + d * (I[j + 1] - v);
      sr = z0r + z8r; si = z0i + z8i; dr = z0r - z8r; di = z0i - z8i;
      tr = z4r + z12r; ti = z4i + z12i; er = z4r - z12r; ei = z4i - z12i;
      y00r = sr + tr; y00i = si + ti; y02r = sr - tr; y02i = si - ti;
      y01r = dr + ei; y01i = di - er; y03r = dr - ei; y03i = di + er;
      sr = z1r + z9r; si = z1i + z9i; dr = z1r - z9r; di = z1i - z9i;
      tr = z5r + z13r; ti = z5i + z13i; er = z5r - z13r; ei = z5i - z13i;
      y10r = sr + tr; y10i = si + ti; y12r = sr - tr; y12i = si - ti;
      y11r = dr + ei; y11i = di - er; y13r = dr - ei; y13i = di + er;
      sr = z2r + z10r; si = z2i + z10i; dr = z2r - z10r; di = z2i - z10i;
      tr = z6r + z14r; ti = z6i + z14i; er = z6r - z14r; ei = z6i - z14i;
      y20r = sr + tr; y20i = si + ti; y22r = sr - tr; y22i = si - ti;
      y21r = dr + ei; y21i = di - er; y23r = dr - ei; y23i = di + er;
      sr = z3r + z11r; si = z3i + z11i; dr = z3r - z11r; di = z3i - z11i;
      tr = z7r + z15r; ti = z7i + z15i; er = z7r - z15r; ei = z7i - z15i;
      y30r = sr + tr; y30i = si + ti; y32r = sr - tr; y32i = si - ti;
      y31r = dr + ei; y31i = di - er; y33r = dr - ei; y33i = di + er;
      tr = y11r; y11r = tr * k1c - y11i * k1s; y11i = tr * k1s + y11i * k1c;
      tr = y12r; y12r = (y12r + y12i) * c; y12i = (y12i - tr) * c;
      tr = y13r; y13r = tr * k3c - y13i * k3s; y13i = tr * k3s + y13i * k3c;
      tr = y21r; y21r = (y21r + y21i) * c; y21i = (y21i - tr) * c;
      tr = y22r; y22r = y22i; y22i = -tr;
      tr = y23r; y23r = (-y23r + y23i) * c; y23i = (-y23i - tr) * c;
      tr = y31r; y31r = tr * k3c - y31i * k3s; y31i = tr * k3s + y31i * k3c;
      tr = y32r; y32r = (-y32r + y32i) * c; y32i = (-y32i - tr) * c;
      tr = y33r; y33r = tr * k9c - y33i * k9s; y33i = tr * k9s + y33i * k9c;
      sr = y00r + y20r; si = y00i + y20i; dr = y00r - y20r; di = y00i - y20i;
      tr = y10r + y30r; ti = y10i + y30i; er = y10r - y30r; ei = y10i - y30i;
      x0r = sr + tr; x0i = si + ti; x8r = sr - tr; x8i = si - ti;
      x4r = dr + ei; x4i = di - er; x12r = dr - ei; x12i = di + er;
      re[r] = x0r; im[r] = x0i;
      re[r + 4] = x4r; im[r + 4] = x4i;
      re[r + 8] = x8r; im[r + 8] = x8i;
      re[r + 12] = x12r; im[r + 12] = x12i;
      sr = y01r + y21r; si = y01i + y21i; dr = y01r - y21r; di = y01i - y21i;
      tr = y11r + y31r; ti = y11i + y31i; er = y11r - y31r; ei = y11i - y31i;
      x1r = sr + tr; x1i = si + ti; x9r = sr - tr; x9i = si - ti;
      x5r = dr + ei; x5i = di - er; x13r = dr - ei; x13i = di + er;
      re[r + 1] = x1r; im[r + 1] = x1i;
      re[r + 5] = x5r; im[r + 5] = x5i;
      re[r + 9] = x9r; im[r + 9] = x9i;
      re[r + 13] = x13r; im[r + 13] = x13i;
      sr = y02r + y22r; si = y02i + y22i; dr = y02r - y22r; di = y02i - y22i;
      tr = y12r + y32r; ti = y12i + y32i; er = y12r - y32r; ei = y12i - y32i;
      x2r = sr + tr; x2i = si + ti; x10r = sr - tr; x10i = si - ti;
      x6r = dr + ei; x6i = di - er; x14r = dr - ei; x14i = di + er;
      re[r + 2] = x2r; im[r + 2] = x2i;
      re[r + 6] = x6r; im[r + 6] = x6i;
      re[r + 10] = x10r; im[r + 10] = x10i;
      re[r + 14] = x14r; im[r + 14] = x14i;
      sr = y03r + y23r; si = y03i + y23i; dr = y03r - y23r; di = y03i - y23i;
      tr = y13r + y33r; ti = y13i + y33i; er = y13r - y33r; ei = y13i - y33i;
      x3r = sr + tr; x3i = si + ti; x11r = sr - tr; x11i = si - ti;
      x7r = dr + ei; x7i = di - er; x15r = dr - ei; x15i = di + er;
      re[r + 3] = x3r; im[r + 3] = x3i;
      re[r + 7] = x7r; im[r + 7] = x7i;
      re[r + 11] = x11r; im[r + 11] = x11i;
      re[r + 15] = x15r; im[r + 15] = x15i;
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
    if (maxBin < h >> 1) {
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
    } else {
      // maxBin ≥ m/4 (a 1024-point snapshot): bins k and m/2 − k need the same four values. With
      // P = W^k·B_k and Q = conj(W^k)·B_{m/2−k}: X_k = A_k + P, X_{m/2+k} = A_k − P,
      // X_{m−k} = A_{m/2−k} + Q, X_{m/2−k} = A_{m/2−k} − Q. One pass over k ≤ m/4 forms both bins.
      const hh = h >> 1;
      let pr = 0, pi = 0, qr = 0, qi = 0, cr = 0, ci = 0, dr = 0, di = 0;
      for (let k = 0; k <= hh; k++) {
        wr = wc[k]; wi = ws[k];
        ar = re[k]; ai = im[k]; br = re[k + h]; bi = im[k + h];
        pr = wr * br - wi * bi; pi = wr * bi + wi * br;
        if (k === 0) { cr = ar; ci = ai; qr = pr; qi = pi; } // X_m is X_0
        else {
          cr = re[h - k]; ci = im[h - k]; dr = re[m - k]; di = im[m - k];
          qr = wr * dr + wi * di; qi = wr * di - wi * dr;
        }
        // Bin k: X_k and conj(X_{m−k}).
        xr = ar + pr; xi = ai + pi; yr = cr + qr; yi = -(ci + qi);
        ur = (xr + yr) * 0.5; uim = (xi + yi) * 0.5;
        ir = (xi - yi) * 0.5; iim = (yr - xr) * 0.5;
        g = gc[k]; gs = scale * g * g;
        mu[k] = (ur * ur + uim * uim) * gs;
        mi[k] = (ir * ir + iim * iim) * gs;
        if (k === c) { const f = this.fund; f[0] = ur * g; f[1] = uim * g; f[2] = ir * g; f[3] = iim * g; }
        // Bin m/2 − k: X_{m/2−k} and conj(X_{m/2+k}).
        const k2 = h - k;
        if (k === 0 || k === hh || k2 > maxBin) continue;
        xr = cr - qr; xi = ci - qi; yr = ar - pr; yi = -(ai - pi);
        ur = (xr + yr) * 0.5; uim = (xi + yi) * 0.5;
        ir = (xi - yi) * 0.5; iim = (yr - xr) * 0.5;
        g = gc[k2]; gs = scale * g * g;
        mu[k2] = (ur * ur + uim * uim) * gs;
        mi[k2] = (ir * ir + iim * iim) * gs;
      }
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
