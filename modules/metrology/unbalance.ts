/** Symmetrical components of three fundamental voltage phasors (re, im): unbalance in %. */
export function unbalance(re: ArrayLike<number>, im: ArrayLike<number>): { negative: number; zero: number } {
  const c = -0.5, s = Math.sqrt(3) / 2; // a = 1∠120°
  // positive: (Va + a Vb + a² Vc)/3, negative: (Va + a² Vb + a Vc)/3, zero: (Va + Vb + Vc)/3
  const rot = (x: number, y: number, sign: number): [number, number] => [x * c - sign * y * s, y * c + sign * x * s];
  const [b1r, b1i] = rot(re[1], im[1], 1);
  const [c2r, c2i] = rot(re[2], im[2], -1);
  const [b2r, b2i] = rot(re[1], im[1], -1);
  const [c1r, c1i] = rot(re[2], im[2], 1);
  const pos = Math.hypot(re[0] + b1r + c2r, im[0] + b1i + c2i);
  const neg = Math.hypot(re[0] + b2r + c1r, im[0] + b2i + c1i);
  const zer = Math.hypot(re[0] + re[1] + re[2], im[0] + im[1] + im[2]);
  return pos > 0 ? { negative: (100 * neg) / pos, zero: (100 * zer) / pos } : { negative: 0, zero: 0 };
}
