/**
 * Harmonics and THD of waveform snapshots: the board path's only spectral work.
 *
 * On the board the STPM3x measures RMS, power and energy in hardware every
 * window; JavaScript cannot afford an FFT per phase per window (REFERENCES §11),
 * so a host captures now and then a block of at least one window (10 cycles at
 * 50 Hz, 12 at 60 Hz) of one phase's instantaneous u/i samples and this class
 * analyses it with the reference pipeline's own spectral code (WindowSpectrum):
 * the block is resampled over exactly `cycles` periods of the frequency the
 * chip measured, so no crossing search runs on it. What it keeps per phase —
 * THD, fundamental-to-total RMS ratios, the fundamental's displacement angle,
 * IEC 61000-4-7 harmonics — is applied by BoardMetrology to the chip's
 * per-window RMS and power until the phase's next snapshot.
 */
import { WindowSpectrum, newHarmonics, type Harmonics, type Samples } from "./window-spectrum";

export interface SnapshotConfig {
  phases: number;
  /** Sample rate of the snapshots (S/s). */
  sampleRate: number;
  nominalFrequency: 50 | 60;
  /** Minimum FFT size; raised until m/2 > the last bin and (imageGuard) m ≥ 1.5 × samples per window. */
  fftSize?: number;
  /**
   * Default true, as in the meter: m ≥ 1.5 N keeps linear interpolation's images (bin k at ±N mod m)
   * above the last order. False allows m < 1.5 N, e.g. 1280 samples → 1024 points: the images then
   * shift by N − m bins (256 = 25.6 orders), onto interharmonic bins only, and the analysis costs half.
   */
  imageGuard?: boolean;
  /** Highest harmonic order (default 50) and the THD's (default 40). */
  maxOrder?: number;
  thdOrder?: number;
}

export class SnapshotAnalyzer {
  readonly phases: number;
  readonly cycles: number;
  readonly fs: number;
  readonly fftSize: number;
  readonly thdOrder: number;
  /** Per phase, from its last snapshot (see `at`). */
  readonly harmonics: Harmonics;
  /** THD of u and i, % of the fundamental, orders 2..thdOrder. */
  readonly thdu: Float64Array; readonly thdi: Float64Array;
  /** Fundamental RMS over in-band RMS (orders 0..maxOrder + 1), u and i: 1 for a pure sine. */
  readonly u1Ratio: Float64Array; readonly i1Ratio: Float64Array;
  /** cos and sin of the fundamental's displacement angle (positive when the current lags). */
  readonly cos1: Float64Array; readonly sin1: Float64Array;
  /** Time of each phase's last snapshot (s, the caller's clock), −1 before its first. */
  readonly at: Float64Array;
  private readonly spectrum: WindowSpectrum;
  // The begun analysis, in fields rather than an object so a snapshot allocates nothing (next < 0: none).
  private jobPhase = 0; private jobLen = 0; private jobT = 0; private jobNext = -1;
  private jobU: Samples | undefined; private jobI: Samples | undefined;

  constructor(config: SnapshotConfig) {
    const ph = (this.phases = config.phases);
    this.fs = config.sampleRate;
    this.cycles = config.nominalFrequency === 60 ? 12 : 10;
    const maxOrder = config.maxOrder ?? 50;
    this.thdOrder = config.thdOrder ?? 40;
    const maxBin = (maxOrder + 1) * this.cycles;
    let m = Math.max(1024, config.fftSize ?? 1024);
    // Linear interpolation leaves images of bin k at ±N (mod m); m ≥ 1.5 N keeps them above the last order.
    const guard = config.imageGuard ?? true;
    while (m / 2 <= maxBin || (guard && m < (1.5 * this.fs * this.cycles) / config.nominalFrequency)) m *= 2;
    this.fftSize = m;
    this.spectrum = new WindowSpectrum(m, this.cycles, maxOrder);
    this.harmonics = newHarmonics(ph, maxOrder);
    const f = () => new Float64Array(ph);
    this.thdu = f(); this.thdi = f(); this.u1Ratio = f(); this.i1Ratio = f(); this.cos1 = f(); this.sin1 = f();
    this.at = f().fill(-1);
    this.u1Ratio.fill(1); this.i1Ratio.fill(1); this.cos1.fill(1);
  }

  /** Samples a snapshot must hold to cover one window at frequency f (Hz). */
  samplesFor(f: number): number {
    return Math.ceil((this.cycles * this.fs) / f) + 1;
  }

  /**
   * Analyses `n` samples of phase `phase` (u in V, i in A, same instants) taken at `t` (s), over
   * exactly `cycles` periods of frequency f from the first sample.
   */
  analyze(phase: number, u: Samples, i: Samples, n: number, f: number, t: number): void {
    this.begin(phase, u, i, n, f, t);
    while (!this.step());
  }

  /**
   * Starts the same analysis in steps (each half of the resampling, each FFT pass, the split and
   * results: each ≤ ≈0.18 M computrons for 2048 points), so a board can spread a snapshot over
   * several turns of its scheduler instead of blocking for the whole ≈0.8 M. u and i must stay
   * untouched until step() returns true; the phase's results change only then.
   */
  begin(phase: number, u: Samples, i: Samples, n: number, f: number, t: number): void {
    if (phase < 0 || phase >= this.phases) throw new RangeError(`phase ${phase} out of 0..${this.phases - 1}`);
    const len = (this.cycles * this.fs) / f;
    if (!(len >= 8) || len + 1 > n || n > u.length || n > i.length) {
      throw new RangeError(`snapshot of ${n} samples cannot hold ${this.cycles} cycles at ${f} Hz (needs ${this.samplesFor(f)})`);
    }
    this.spectrum.setLength(len);
    this.jobPhase = phase; this.jobU = u; this.jobI = i; this.jobLen = len; this.jobT = t; this.jobNext = 0;
  }

  /** True while a begun analysis has steps left. */
  get busy(): boolean {
    return this.jobNext >= 0;
  }

  /** Runs the next step of the begun analysis; true when it is finished (or none was begun). */
  step(): boolean {
    if (this.jobNext < 0) return true;
    const sp = this.spectrum;
    sp.step(this.jobNext++, this.jobU!, this.jobI!, 0, this.jobLen);
    if (this.jobNext < sp.steps) return false;
    this.jobNext = -1;
    this.jobU = this.jobI = undefined;
    this.finish(this.jobPhase, this.jobT);
    return true;
  }

  /** Harmonics, THD, ratios and angle of phase p from the finished spectrum. */
  private finish(phase: number, t: number): void {
    const sp = this.spectrum;
    sp.harmonicsInto(this.harmonics, phase);
    const mu = sp.mu, mi = sp.mi, c = this.cycles;
    let su = 0, si = 0;
    for (let k = 0; k <= sp.maxBin; k++) { su += mu[k]; si += mi[k]; }
    let hu = 0, hi = 0;
    for (let h = 2; h <= this.thdOrder; h++) { hu += mu[h * c]; hi += mi[h * c]; }
    const u1 = mu[c], i1 = mi[c];
    this.thdu[phase] = u1 > 0 ? 100 * Math.sqrt(hu / u1) : 0;
    this.thdi[phase] = i1 > 0 ? 100 * Math.sqrt(hi / i1) : 0;
    this.u1Ratio[phase] = su > 0 ? Math.sqrt(u1 / su) : 1;
    this.i1Ratio[phase] = si > 0 ? Math.sqrt(i1 / si) : 1;
    // U1·conj(I1): angle θu − θi, positive when the current lags (as in the meter).
    const fu = sp.fund;
    const cr = fu[0] * fu[2] + fu[1] * fu[3], ci = fu[1] * fu[2] - fu[0] * fu[3];
    const cm = Math.sqrt(cr * cr + ci * ci);
    this.cos1[phase] = cm > 0 ? cr / cm : 1;
    this.sin1[phase] = cm > 0 ? ci / cm : 0;
    this.at[phase] = t;
  }
}
