/**
 * In-place complex FFT (decimation in time, input in bit-reversed order) built
 * for an interpreter: XS pays per bytecode and per typed-array element access,
 * not per flop, so the passes are radix-4 (two radix-2 stages per sweep over the
 * data: 8 loads and 8 stores per 4 points instead of 16 and 16), the twiddles
 * of a butterfly column are loaded once and reused across its blocks, and
 * nothing is allocated per transform.
 *
 * A radix-4 pass combines four adjacent DFTs of h points (x0..x3, at offsets
 * 0, h, 2h, 3h of a 4h block) with w = W_{4h}^j:
 *   t1 = w²·x1, t2 = w·x2, t3 = w³·x3
 *   y0 = (x0 + t1) + (t2 + t3),  y2 = (x0 + t1) − (t2 + t3)
 *   y1 = (x0 − t1) − i(t2 − t3), y3 = (x0 − t1) + i(t2 − t3)
 * which is exactly two bit-reversed radix-2 stages (h, then 2h) merged.
 *
 * The meter fuses the first pass into its resampling and the last radix-2
 * stage into its spectrum split (see MeterPipeline), and calls `passes` for
 * the middle ones.
 */
export class Fft {
  readonly size: number;
  /** Bit-reversal permutation: the input sample q belongs at position rev[q]. */
  readonly rev: Uint32Array;
  /** W_N^k = cos[k] + i·sin[k] = e^(−2πik/N), k < N (a radix-4 pass reaches index 3N/4). */
  readonly cos: Float64Array;
  readonly sin: Float64Array;

  constructor(size: number) {
    if (size < 2 || (size & (size - 1)) !== 0) throw new RangeError(`FFT size must be a power of two: ${size}`);
    this.size = size;
    this.cos = new Float64Array(size);
    this.sin = new Float64Array(size);
    for (let k = 0; k < size; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = -Math.sin((2 * Math.PI * k) / size);
    }
    this.rev = new Uint32Array(size);
    let bits = 0;
    while (1 << bits < size) bits++;
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) if (i & (1 << b)) r |= 1 << (bits - 1 - b);
      this.rev[i] = r;
    }
  }

  /** Transforms re/im whose inputs were written at bit-reversed positions (see `rev`). */
  transformBitReversed(re: Float64Array, im: Float64Array): void {
    this.passes(re, im, 1, this.size);
  }

  /** Transforms naturally ordered re/im in place. */
  transform(re: Float64Array, im: Float64Array): void {
    const rev = this.rev;
    for (let i = 0; i < this.size; i++) {
      const j = rev[i];
      if (j > i) {
        let t = re[i]; re[i] = re[j]; re[j] = t;
        t = im[i]; im[i] = im[j]; im[j] = t;
      }
    }
    this.transformBitReversed(re, im);
  }

  /**
   * Combines the adjacent DFTs of `from` points held in re/im (bit-reversed DIT
   * order) into DFTs of `to` points (both powers of two, from ≤ to ≤ size):
   * one radix-2 pass when log2(to/from) is odd, then radix-4 passes.
   */
  passes(re: Float64Array, im: Float64Array, from: number, to: number): void {
    let h = from;
    let ratio = to / from;
    while (ratio >= 4) ratio /= 4;
    if (ratio === 2) { this.radix2(re, im, h); h *= 2; }
    for (; h < to; h *= 4) this.radix4(re, im, h);
  }

  /** One radix-2 stage: blocks of 2h from pairs of h-point DFTs. */
  private radix2(re: Float64Array, im: Float64Array, h: number): void {
    const n = this.size, cs = this.cos, sn = this.sin;
    const tw = n / (2 * h), len = 2 * h;
    for (let j = 0; j < h; j++) {
      const wr = cs[j * tw], wi = sn[j * tw];
      for (let a = j; a < n; a += len) {
        const b = a + h;
        const br = re[b], bi = im[b];
        const tr = br * wr - bi * wi, ti = br * wi + bi * wr;
        const ar = re[a], ai = im[a];
        re[b] = ar - tr; im[b] = ai - ti;
        re[a] = ar + tr; im[a] = ai + ti;
      }
    }
  }

  /** One radix-4 pass: blocks of 4h from four h-point DFTs (see the header for the butterfly). */
  private radix4(re: Float64Array, im: Float64Array, h: number): void {
    const n = this.size, cs = this.cos, sn = this.sin;
    const tw = n / (4 * h), len = 4 * h;
    // Temporaries declared once outside the loops: XS spends ~10 % more on block-scoped consts per iteration.
    let i0 = 0, i1 = 0, i2 = 0, i3 = 0, xr = 0, xi = 0, t1r = 0, t1i = 0, t2r = 0, t2i = 0, t3r = 0, t3i = 0;
    let ar = 0, ai = 0, br = 0, bi = 0, cr = 0, ci = 0, dr = 0, di = 0;
    for (let j = 0; j < h; j++) {
      // One butterfly column: its three twiddles are loaded once for all its blocks.
      const k1 = j * tw;
      const w1r = cs[k1], w1i = sn[k1], w2r = cs[2 * k1], w2i = sn[2 * k1], w3r = cs[3 * k1], w3i = sn[3 * k1];
      for (i0 = j; i0 < n; i0 += len) {
        i1 = i0 + h; i2 = i1 + h; i3 = i2 + h;
        xr = re[i1]; xi = im[i1];
        t1r = xr * w2r - xi * w2i; t1i = xr * w2i + xi * w2r;
        xr = re[i2]; xi = im[i2];
        t2r = xr * w1r - xi * w1i; t2i = xr * w1i + xi * w1r;
        xr = re[i3]; xi = im[i3];
        t3r = xr * w3r - xi * w3i; t3i = xr * w3i + xi * w3r;
        xr = re[i0]; xi = im[i0];
        ar = xr + t1r; ai = xi + t1i; br = xr - t1r; bi = xi - t1i;
        cr = t2r + t3r; ci = t2i + t3i; dr = t2r - t3r; di = t2i - t3i;
        re[i0] = ar + cr; im[i0] = ai + ci;
        re[i2] = ar - cr; im[i2] = ai - ci;
        re[i1] = br + di; im[i1] = bi - dr; // (x0 − t1) − i(t2 − t3)
        re[i3] = br - di; im[i3] = bi + dr; // (x0 − t1) + i(t2 − t3)
      }
    }
  }
}
