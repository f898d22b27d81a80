/**
 * Symmetrical components of three fundamental voltage phasors (re, im):
 * writes negative- and zero-sequence unbalance in % into out[0], out[1].
 * Allocation-free (called every window).
 */
const C = -0.5, S = Math.sqrt(3) / 2; // a = 1∠120°

export function unbalanceInto(re: ArrayLike<number>, im: ArrayLike<number>, out: Float64Array): void {
  // a·V = (x c − y s, y c + x s); a²·V = (x c + y s, y c − x s)
  const bar = re[1] * C - im[1] * S, bai = im[1] * C + re[1] * S; // a Vb
  const bbr = re[1] * C + im[1] * S, bbi = im[1] * C - re[1] * S; // a² Vb
  const car = re[2] * C - im[2] * S, cai = im[2] * C + re[2] * S; // a Vc
  const cbr = re[2] * C + im[2] * S, cbi = im[2] * C - re[2] * S; // a² Vc
  const pos = Math.hypot(re[0] + bar + cbr, im[0] + bai + cbi);
  const neg = Math.hypot(re[0] + bbr + car, im[0] + bbi + cai);
  const zer = Math.hypot(re[0] + re[1] + re[2], im[0] + im[1] + im[2]);
  out[0] = pos > 0 ? (100 * neg) / pos : 0;
  out[1] = pos > 0 ? (100 * zer) / pos : 0;
}

export function unbalance(re: ArrayLike<number>, im: ArrayLike<number>): { negative: number; zero: number } {
  const out = new Float64Array(2);
  unbalanceInto(re, im, out);
  return { negative: out[0], zero: out[1] };
}
