/**
 * In-place complex FFT (decimation in time, input in bit-reversed order) built
 * for an interpreter: XS pays per bytecode and per typed-array element access,
 * not per flop, so each sweep over the data does several radix-2 stages at once
 * — radix-8 passes (three stages: 16 loads and 16 stores per 8 points instead of
 * 48 and 48), radix-4 for what is left — the twiddles of a butterfly column are
 * loaded once and reused across its blocks, and nothing is allocated per transform.
 *
 * A radix-4 pass combines four adjacent DFTs of h points (x0..x3, at offsets
 * 0, h, 2h, 3h of a 4h block) with w = W_{4h}^j:
 *   t1 = w²·x1, t2 = w·x2, t3 = w³·x3
 *   y0 = (x0 + t1) + (t2 + t3),  y2 = (x0 + t1) − (t2 + t3)
 *   y1 = (x0 − t1) − i(t2 − t3), y3 = (x0 − t1) + i(t2 − t3)
 * which is exactly two bit-reversed radix-2 stages (h, then 2h) merged; the
 * radix-8 pass is the same idea over three stages (see radix8).
 *
 * The meter fuses the first radix-4 pass into its resampling and the last
 * radix-2 stage into its spectrum split (window-spectrum.ts), and calls
 * `passes` for the middle ones.
 */
export class Fft {
  readonly size: number;
  readonly bits: number;
  /** W_N^k = cos[k] + i·sin[k] = e^(−2πik/N) for k < N/2; W^(k+N/2) = −W^k gives the rest. */
  readonly cos: Float64Array;
  readonly sin: Float64Array;
  private readonly plans = new Map<number, number[]>();
  private revTable: Uint32Array | undefined;

  constructor(size: number) {
    if (size < 2 || (size & (size - 1)) !== 0) throw new RangeError(`FFT size must be a power of two: ${size}`);
    this.size = size;
    let bits = 0;
    while (1 << bits < size) bits++;
    this.bits = bits;
    // Half a period of twiddles (16 KB for 2048 points): memory matters on a board without PSRAM.
    this.cos = new Float64Array(size >> 1 || 1);
    this.sin = new Float64Array(size >> 1 || 1);
    for (let k = 0; k < size >> 1; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = -Math.sin((2 * Math.PI * k) / size);
    }
  }

  /** q with its log2(size) bits reversed: the position where input sample q belongs. */
  reversed(q: number): number {
    let r = 0;
    for (let b = 0; b < this.bits; b++) if (q & (1 << b)) r |= 1 << (this.bits - 1 - b);
    return r;
  }

  /** The whole bit-reversal permutation, built on first use (`transform` needs it; the meter does not). */
  get rev(): Uint32Array {
    if (!this.revTable) {
      const t = new Uint32Array(this.size);
      for (let i = 0; i < this.size; i++) t[i] = this.reversed(i);
      this.revTable = t;
    }
    return this.revTable;
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
   * radix-8 passes (three stages per sweep), then radix-4 ones for the one or
   * two stages left over (radix-2 only when a single stage is all there is).
   */
  passes(re: Float64Array, im: Float64Array, from: number, to: number): void {
    const radices = this.plan(from, to);
    let h = from;
    for (let k = 0; k < radices.length; k++) { this.pass(re, im, radices[k], h); h *= radices[k]; }
  }

  /**
   * The radices of `passes(from, to)` in order (pass k works on blocks of from × the product of the
   * radices before it): radix 8 while at least three stages remain, 4 for two (or 4, 4 for four), 2
   * only when a single stage is all there is. Cached per (from, to): nothing allocated per transform.
   */
  plan(from: number, to: number): readonly number[] {
    const key = from * 0x1000000 + to; // a number: no string built per transform
    let radices = this.plans.get(key);
    if (!radices) {
      let stages = 0;
      while (from << stages < to) stages++;
      let eights = Math.floor(stages / 3), fours = 0, twos = 0;
      if (stages % 3 === 2) fours = 1;
      else if (stages % 3 === 1) { if (eights > 0) { eights--; fours = 2; } else twos = 1; }
      radices = [...new Array<number>(eights).fill(8), ...new Array<number>(fours).fill(4), ...new Array<number>(twos).fill(2)];
      this.plans.set(key, radices);
    }
    return radices;
  }

  /** One pass of radix 2, 4 or 8 over blocks of h points (a step of `passes`, for callers that spread the work). */
  pass(re: Float64Array, im: Float64Array, radix: number, h: number): void {
    if (radix === 8) this.radix8(re, im, h);
    else if (radix === 4) this.radix4(re, im, h);
    else this.radix2(re, im, h);
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
    const n = this.size, nh = n >> 1, cs = this.cos, sn = this.sin;
    const tw = n / (4 * h), len = 4 * h;
    // Temporaries declared once outside the loops: XS spends ~10 % more on block-scoped consts per iteration.
    let i0 = 0, i1 = 0, i2 = 0, i3 = 0, xr = 0, xi = 0, t1r = 0, t1i = 0, t2r = 0, t2i = 0, t3r = 0, t3i = 0;
    let ar = 0, ai = 0, br = 0, bi = 0, cr = 0, ci = 0, dr = 0, di = 0;
    for (let j = 0; j < h; j++) {
      // One butterfly column: its three twiddles are loaded once for all its blocks.
      const k1 = j * tw, k3 = 3 * k1; // k1 < N/4: only 3·k1 can pass N/2
      const w1r = cs[k1], w1i = sn[k1], w2r = cs[2 * k1], w2i = sn[2 * k1];
      const w3r = k3 < nh ? cs[k3] : -cs[k3 - nh], w3i = k3 < nh ? sn[k3] : -sn[k3 - nh];
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

  /**
   * One radix-8 pass: blocks of 8h from eight h-point DFTs. Sub-DFT s (at offset s·h) holds the
   * samples of residue e = rev3(s), so output j + k·h = Σₑ W₈^(ke) · zₑ with zₑ = W_{8h}^(je) · X_s[j]:
   * an 8-point DFT of the twiddled z, done as two 4-point DFTs (even, odd e) and one radix-2 stage.
   */
  private radix8(re: Float64Array, im: Float64Array, h: number): void {
    const n = this.size, nh = n >> 1, cs = this.cos, sn = this.sin, c = Math.SQRT1_2;
    const tw = n / (8 * h), len = 8 * h;
    let p0 = 0, p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0, p6 = 0, p7 = 0, xr = 0, xi = 0;
    let z0r = 0, z0i = 0, z1r = 0, z1i = 0, z2r = 0, z2i = 0, z3r = 0, z3i = 0, z4r = 0, z4i = 0, z5r = 0, z5i = 0, z6r = 0, z6i = 0, z7r = 0, z7i = 0;
    let sr = 0, si = 0, dr = 0, di = 0, tr = 0, ti = 0, qr = 0, qi = 0;
    let e0r = 0, e0i = 0, e1r = 0, e1i = 0, e2r = 0, e2i = 0, e3r = 0, e3i = 0;
    let o0r = 0, o0i = 0, o1r = 0, o1i = 0, o2r = 0, o2i = 0, o3r = 0, o3i = 0;
    for (let j = 0; j < h; j++) {
      const k1 = j * tw, k5 = 5 * k1, k6 = 6 * k1, k7 = 7 * k1; // k1 < N/8: only 5..7·k1 can pass N/2
      const w1r = cs[k1], w1i = sn[k1], w2r = cs[2 * k1], w2i = sn[2 * k1], w3r = cs[3 * k1], w3i = sn[3 * k1];
      const w4r = cs[4 * k1], w4i = sn[4 * k1];
      const w5r = k5 < nh ? cs[k5] : -cs[k5 - nh], w5i = k5 < nh ? sn[k5] : -sn[k5 - nh];
      const w6r = k6 < nh ? cs[k6] : -cs[k6 - nh], w6i = k6 < nh ? sn[k6] : -sn[k6 - nh];
      const w7r = k7 < nh ? cs[k7] : -cs[k7 - nh], w7i = k7 < nh ? sn[k7] : -sn[k7 - nh];
      for (p0 = j; p0 < n; p0 += len) {
        p1 = p0 + h; p2 = p1 + h; p3 = p2 + h; p4 = p3 + h; p5 = p4 + h; p6 = p5 + h; p7 = p6 + h;
        z0r = re[p0]; z0i = im[p0];
        xr = re[p4]; xi = im[p4]; z1r = xr * w1r - xi * w1i; z1i = xr * w1i + xi * w1r;
        xr = re[p2]; xi = im[p2]; z2r = xr * w2r - xi * w2i; z2i = xr * w2i + xi * w2r;
        xr = re[p6]; xi = im[p6]; z3r = xr * w3r - xi * w3i; z3i = xr * w3i + xi * w3r;
        xr = re[p1]; xi = im[p1]; z4r = xr * w4r - xi * w4i; z4i = xr * w4i + xi * w4r;
        xr = re[p5]; xi = im[p5]; z5r = xr * w5r - xi * w5i; z5i = xr * w5i + xi * w5r;
        xr = re[p3]; xi = im[p3]; z6r = xr * w6r - xi * w6i; z6i = xr * w6i + xi * w6r;
        xr = re[p7]; xi = im[p7]; z7r = xr * w7r - xi * w7i; z7i = xr * w7i + xi * w7r;
        // E = DFT4(z0, z2, z4, z6)
        sr = z0r + z4r; si = z0i + z4i; dr = z0r - z4r; di = z0i - z4i;
        tr = z2r + z6r; ti = z2i + z6i; qr = z2r - z6r; qi = z2i - z6i;
        e0r = sr + tr; e0i = si + ti; e2r = sr - tr; e2i = si - ti;
        e1r = dr + qi; e1i = di - qr; e3r = dr - qi; e3i = di + qr;
        // O = DFT4(z1, z3, z5, z7)
        sr = z1r + z5r; si = z1i + z5i; dr = z1r - z5r; di = z1i - z5i;
        tr = z3r + z7r; ti = z3i + z7i; qr = z3r - z7r; qi = z3i - z7i;
        o0r = sr + tr; o0i = si + ti; o2r = sr - tr; o2i = si - ti;
        o1r = dr + qi; o1i = di - qr; o3r = dr - qi; o3i = di + qr;
        // Y_k = E_k + W₈^k·O_k, Y_{k+4} = E_k − W₈^k·O_k (W₈ = √½(1 − i), W₈² = −i, W₈³ = −√½(1 + i))
        re[p0] = e0r + o0r; im[p0] = e0i + o0i; re[p4] = e0r - o0r; im[p4] = e0i - o0i;
        tr = (o1r + o1i) * c; ti = (o1i - o1r) * c;
        re[p1] = e1r + tr; im[p1] = e1i + ti; re[p5] = e1r - tr; im[p5] = e1i - ti;
        re[p2] = e2r + o2i; im[p2] = e2i - o2r; re[p6] = e2r - o2i; im[p6] = e2i + o2r;
        tr = (o3i - o3r) * c; ti = -(o3r + o3i) * c;
        re[p3] = e3r + tr; im[p3] = e3i + ti; re[p7] = e3r - tr; im[p7] = e3i - ti;
      }
    }
  }
}
