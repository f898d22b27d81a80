// The radix-4 FFT against a direct DFT computed here from the definition X_k = Σ x_n e^(−2πikn/N).
import { describe, expect, it } from "vitest";
import { Fft } from "../../modules/metrology/fft";

function dft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length, outRe = new Float64Array(n), outIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let sr = 0, si = 0;
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * ((k * j) % n)) / n;
      sr += re[j] * Math.cos(a) - im[j] * Math.sin(a);
      si += re[j] * Math.sin(a) + im[j] * Math.cos(a);
    }
    outRe[k] = sr; outIm[k] = si;
  }
  return [outRe, outIm];
}

function random(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  return out;
}

describe("Fft (radix-4 passes, one radix-2 pass for odd powers of two)", () => {
  for (const n of [2, 4, 8, 16, 32, 128, 512, 2048]) {
    it(`matches the direct DFT for N = ${n}`, () => {
      const re = random(n, n), im = random(n, n + 7);
      const [er, ei] = dft(re, im);
      new Fft(n).transform(re, im);
      let err = 0, mag = 0;
      for (let k = 0; k < n; k++) { err = Math.max(err, Math.hypot(re[k] - er[k], im[k] - ei[k])); mag = Math.max(mag, Math.hypot(er[k], ei[k])); }
      expect(err / mag).toBeLessThan(1e-12);
    });
  }
  it("passes(1, to) leaves the to-point DFT of each block (bit-reversed within the block)", () => {
    const n = 64, to = 16, rev16 = new Fft(to).rev, fft = new Fft(n);
    const re = random(n, 3), im = random(n, 4);
    const want: [Float64Array, Float64Array][] = [];
    for (let b = 0; b < n; b += to) {
      const xr = new Float64Array(to), xi = new Float64Array(to);
      for (let q = 0; q < to; q++) { xr[q] = re[b + rev16[q]]; xi[q] = im[b + rev16[q]]; }
      want.push(dft(xr, xi));
    }
    fft.passes(re, im, 1, to);
    for (let k = 0; k < n; k++) {
      const [wr, wi] = want[Math.floor(k / to)];
      expect(re[k]).toBeCloseTo(wr[k % to], 12); expect(im[k]).toBeCloseTo(wi[k % to], 12);
    }
  });
  it("rejects a size that is not a power of two", () => {
    expect(() => new Fft(96)).toThrow(RangeError);
  });
});
