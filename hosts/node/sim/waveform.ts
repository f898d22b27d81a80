import type { Grid } from "./grid";
import type { LoadModel } from "./loads";
import { Prng } from "./prng";
import { CURRENT_CHANNEL, fromCode, toCode, VOLTAGE_CHANNEL } from "./transducer";
import type { World } from "./world";

/**
 * Samples of one slave's node: the grid voltage (fundamental, harmonics,
 * frequency drift, dips/swells, noise) and the sum of its loads' currents
 * (each load's fundamental at its displacement angle plus its harmonics),
 * passed through the reference transducer's 12-bit quantisation. Blocks are
 * written into the caller's preallocated arrays; nothing is allocated per
 * sample. The phase accumulates sample by sample, so blocks join seamlessly.
 */
export interface WaveformOptions {
  sampleRate: number;
  /** Additive noise before the ADC, RMS (V and A). */
  noiseV?: number;
  noiseA?: number;
  /** false: skip the 12-bit quantisation (ideal samples). */
  quantise?: boolean;
}

const MAX_ORDER = 64;

export class WaveformGenerator {
  readonly sampleRate: number;
  private theta = 0;
  private readonly rng: Prng;
  private readonly noiseV: number;
  private readonly noiseA: number;
  private readonly quantise: boolean;
  // Current spectrum per harmonic order: peak amplitude and phase (refreshed per block).
  private readonly iAmp = new Float64Array(MAX_ORDER);
  private readonly iPhase = new Float64Array(MAX_ORDER);
  private readonly orders = new Int32Array(MAX_ORDER);
  private orderCount = 0;

  constructor(
    private readonly world: World,
    readonly meterId: number,
    options: WaveformOptions,
  ) {
    this.sampleRate = options.sampleRate;
    this.noiseV = options.noiseV ?? 0.15;
    this.noiseA = options.noiseA ?? 0.004;
    this.quantise = options.quantise ?? true;
    this.rng = new Prng(world.seed, `waveform/${meterId}`);
  }

  /**
   * Fills `v` and `i` (V, A as the firmware reads them back from the ADC codes)
   * with `count` samples starting at t0 (ms). `vCode`/`iCode` receive the raw codes.
   */
  fill(t0: number, count: number, v: Float64Array, i: Float64Array, vCode?: Uint16Array, iCode?: Uint16Array): void {
    const grid = this.world.grid;
    this.refreshCurrentSpectrum(grid);
    const vPeak = Math.SQRT2 * this.world.meterPower(this.meterId).v;
    const dTheta = (2 * Math.PI * grid.frequencyHz) / this.sampleRate;
    const msPerSample = 1000 / this.sampleRate;
    const harmonics = grid.harmonics;
    for (let n = 0; n < count; n++) {
      const theta = this.theta;
      const env = grid.envelope(t0 + n * msPerSample);
      let vs = Math.sin(theta);
      for (let k = 0; k < harmonics.length; k++) vs += harmonics[k].ratio * Math.sin(harmonics[k].order * theta + harmonics[k].phase);
      let is = 0;
      for (let k = 0; k < this.orderCount; k++) {
        const h = this.orders[k];
        is += this.iAmp[h] * Math.sin(h * theta + this.iPhase[h]);
      }
      // Constant-impedance loads: current follows the voltage through a dip.
      let vv = vPeak * env * vs + this.noiseV * this.rng.gauss();
      let ii = env * is + this.noiseA * this.rng.gauss();
      if (this.quantise) {
        const vc = toCode(vv, VOLTAGE_CHANNEL);
        const ic = toCode(ii, CURRENT_CHANNEL);
        if (vCode) vCode[n] = vc;
        if (iCode) iCode[n] = ic;
        vv = fromCode(vc, VOLTAGE_CHANNEL);
        ii = fromCode(ic, CURRENT_CHANNEL);
      }
      v[n] = vv;
      i[n] = ii;
      this.theta = theta + dTheta;
      if (this.theta > 2 * Math.PI) this.theta -= 2 * Math.PI;
    }
  }

  /** Sums the loads of this meter into one current spectrum (complex per order). */
  private refreshCurrentSpectrum(grid: Grid): void {
    const re = new Float64Array(MAX_ORDER);
    const im = new Float64Array(MAX_ORDER);
    const vRms = this.world.meterPower(this.meterId).v;
    for (const load of this.world.loads) if (load.spec.meterId === this.meterId) addLoad(load, vRms, re, im);
    this.orderCount = 0;
    for (let h = 1; h < MAX_ORDER; h++) {
      const amp = Math.hypot(re[h], im[h]);
      if (amp === 0) continue;
      this.iAmp[h] = amp;
      this.iPhase[h] = Math.atan2(im[h], re[h]);
      this.orders[this.orderCount++] = h;
    }
    void grid;
  }
}

function addLoad(load: LoadModel, vRms: number, re: Float64Array, im: Float64Array): void {
  const p = load.powerW;
  if (p === 0) return;
  const i1 = (Math.SQRT2 * Math.abs(p)) / (vRms * load.dpf);
  // Current lags the voltage by φ = acos(dpf); an exporting load is turned by π.
  const angle = -Math.acos(Math.min(1, load.dpf)) + (p < 0 ? Math.PI : 0);
  re[1] += i1 * Math.cos(angle);
  im[1] += i1 * Math.sin(angle);
  for (const h of load.harmonics) {
    if (h.order >= MAX_ORDER) continue;
    const a = h.order * angle + h.phase;
    re[h.order] += i1 * h.ratio * Math.cos(a);
    im[h.order] += i1 * h.ratio * Math.sin(a);
  }
}
