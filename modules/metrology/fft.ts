/**
 * In-place radix-2 complex FFT with twiddles and the bit-reversal table
 * computed once at construction: nothing is allocated per transform.
 */
export class Fft {
  readonly size: number;
  readonly rev: Uint32Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(size: number) {
    if (size < 2 || (size & (size - 1)) !== 0) throw new RangeError(`FFT size must be a power of two: ${size}`);
    this.size = size;
    this.cos = new Float64Array(size >> 1);
    this.sin = new Float64Array(size >> 1);
    for (let k = 0; k < size >> 1; k++) {
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
    const n = this.size;
    const cs = this.cos;
    const sn = this.sin;
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >> 1;
      const step = n / len;
      for (let start = 0; start < n; start += len) {
        for (let j = 0, w = 0; j < half; j++, w += step) {
          const a = start + j;
          const b = a + half;
          const wr = cs[w];
          const wi = sn[w];
          const br = re[b];
          const bi = im[b];
          const tr = br * wr - bi * wi;
          const ti = br * wi + bi * wr;
          const ar = re[a];
          const ai = im[a];
          re[b] = ar - tr;
          im[b] = ai - ti;
          re[a] = ar + tr;
          im[a] = ai + ti;
        }
      }
    }
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
}
