// WindowSpectrum against the definitions, computed here: x_q by linear interpolation of u + j·i at
// a + q·len/m, X_k = Σ x_q e^(−2πikq/m), U_k = (X_k + X*_{m−k})/2, I_k = (X_k − X*_{m−k})/(2j),
// RMS² = 2|·|²/m² (DC: |·|²/m²). Covers the fused 16-point first stages, the radix-8/4 passes and
// both split paths (maxBin below and above m/4), with the gain correction set to 1.
import { describe, expect, it } from "vitest";
import { WindowSpectrum } from "../../modules/metrology/window-spectrum";

function signals(n: number, seed: number): [Float64Array, Float64Array] {
  const U = new Float64Array(n), I = new Float64Array(n);
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  for (let k = 0; k < n; k++) { U[k] = 300 * Math.sin(k * 0.0491) + 15 * Math.sin(k * 0.37) + 5 * rnd(); I[k] = 10 * Math.sin(k * 0.0491 - 0.4) + rnd(); }
  return [U, I];
}

function expected(U: Float64Array, I: Float64Array, a: number, len: number, m: number, maxBin: number) {
  const xr = new Float64Array(m), xi = new Float64Array(m);
  for (let q = 0; q < m; q++) {
    const t = a + (q * len) / m, j = Math.floor(t), d = t - j;
    xr[q] = U[j] + d * (U[j + 1] - U[j]);
    xi[q] = I[j] + d * (I[j + 1] - I[j]);
  }
  const X = (k: number): [number, number] => {
    let sr = 0, si = 0;
    for (let q = 0; q < m; q++) {
      const ang = (-2 * Math.PI * ((k * q) % m)) / m, c = Math.cos(ang), s = Math.sin(ang);
      sr += xr[q] * c - xi[q] * s; si += xr[q] * s + xi[q] * c;
    }
    return [sr, si];
  };
  const mu: number[] = [], mi: number[] = [];
  for (let k = 0; k <= maxBin; k++) {
    const [ar, ai] = X(k), [br, bi] = X((m - k) % m);
    const ur = (ar + br) / 2, ui = (ai - bi) / 2, ir = (ai + bi) / 2, ii = -(ar - br) / 2;
    const f = (k === 0 ? 1 : 2) / (m * m);
    mu.push((ur * ur + ui * ui) * f); mi.push((ir * ir + ii * ii) * f);
  }
  return { mu, mi };
}

describe("WindowSpectrum", () => {
  for (const [m, cycles, len] of [[2048, 10, 1281.37], [1024, 10, 1281.37], [2048, 12, 1069.9]] as const) {
    it(`m = ${m}, ${cycles} cycles (${(51 * cycles) < m / 4 ? "one bin per pass" : "paired bins"}): every bin to order 50 as defined`, () => {
      const [U, I] = signals(1400, m + cycles);
      const sp = new WindowSpectrum(m, cycles, 50);
      sp.gainCorr.fill(1);
      sp.analyze(U, I, 3.25, len);
      const want = expected(U, I, 3.25, len, m, sp.maxBin);
      const top = Math.max(...want.mu, ...want.mi);
      for (let k = 0; k <= sp.maxBin; k++) {
        expect(Math.abs(sp.mu[k] - want.mu[k]) / top, `u bin ${k}`).toBeLessThan(1e-12);
        expect(Math.abs(sp.mi[k] - want.mi[k]) / top, `i bin ${k}`).toBeLessThan(1e-12);
      }
    });
  }
  it("rejects an FFT too small for the last bin", () => {
    expect(() => new WindowSpectrum(1024, 12, 50)).toThrow(RangeError);
  });
});
