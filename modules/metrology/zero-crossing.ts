/**
 * Zero-crossing synchronisation: hysteresis arms the detector only after the
 * signal went below −h, so noise around zero cannot make a second crossing;
 * the exact (fractional) position comes from a least-squares line through the
 * 2R samples around the sign change (the paper's regression), which averages
 * out quantisation and noise.
 */
export class ZeroCrossingDetector {
  private armed = false;
  private prev = 0;
  /** Global index of the first positive sample of a pending crossing, −1 if none. */
  pending = -1;

  constructor(readonly hysteresis: number, readonly halfPoints: number) {}

  /** Feeds sample `x` at global index `g`; returns true when a crossing is pending at `this.pending`. */
  step(x: number, g: number): void {
    if (!this.armed) {
      if (x < -this.hysteresis) this.armed = true;
    } else if (this.prev <= 0 && x > 0 && this.pending < 0) {
      this.pending = g;
      this.armed = false;
    }
    this.prev = x;
  }

  /**
   * Fractional position of the pending crossing, from buffer `buf` where global
   * index g is at buf[g − base]; valid once halfPoints − 1 samples followed it.
   */
  locate(buf: Float64Array, base: number, available: number): number {
    const k = this.pending - base;
    const r = this.halfPoints;
    let lo = k - r;
    let hi = k + r - 1;
    if (lo < 0) lo = 0;
    if (hi > available - 1) hi = available - 1;
    let sx = 0, sy = 0, sxx = 0, sxy = 0;
    const n = hi - lo + 1;
    for (let j = lo; j <= hi; j++) {
      const x = j - k;
      const y = buf[j];
      sx += x; sy += y; sxx += x * x; sxy += x * y;
    }
    const den = n * sxx - sx * sx;
    const slope = den !== 0 ? (n * sxy - sx * sy) / den : 0;
    let pos: number;
    if (slope > 0) {
      const icpt = (sy - slope * sx) / n;
      pos = -icpt / slope;
      if (pos < -1 || pos > 0) pos = linear(buf[k - 1], buf[k]);
    } else {
      pos = linear(buf[k - 1], buf[k]);
    }
    this.pending = -1;
    return base + k + pos;
  }
}

/** Crossing between samples a (at −1) and b (at 0) by linear interpolation: in [−1, 0]. */
function linear(a: number, b: number): number {
  const d = b - a;
  return d > 0 ? -b / d : 0;
}
