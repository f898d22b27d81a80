// XS conformance: the same synthetic three-phase signal (harmonics, a dip) gives the same records on
// Node and XS. Values are rounded to 9 significant digits because Math.sin/sqrt in the signal
// generator and FFT twiddles may differ by an ulp between engines' libm.
import { MeterPipeline } from "../../../modules/metrology/meter";
import { fitGainOffset } from "../../../modules/metrology/calibration";

const FS = 6400;
const r9 = (x: number) => Number(x.toPrecision(9));

function signal(seconds: number): Float64Array {
  const n = FS * seconds;
  const out = new Float64Array(n * 6);
  const w = (2 * Math.PI * 50.02) / FS;
  for (let k = 0; k < n; k++) {
    for (let p = 0; p < 3; p++) {
      const ph = (-2 * Math.PI * p) / 3;
      const env = p === 1 && k >= 2560 && k < 3200 ? 0.7 : 1;
      const x = w * k + ph;
      out[(k * 3 + p) * 2] = env * 325.27 * (Math.sin(x) + 0.05 * Math.sin(5 * x) + 0.03 * Math.sin(7 * x + 0.3));
      out[(k * 3 + p) * 2 + 1] = 14.14 * (Math.sin(x - 0.4) + 0.2 * Math.sin(3 * x));
    }
  }
  return out;
}

export function run(): unknown {
  const windows: unknown[] = [];
  const events: unknown[] = [];
  const m = new MeterPipeline({ phases: 3, sampleRate: FS, nominalVoltage: 230, nominalFrequency: 50 }, {
    onWindow: (w) => windows.push([r9(w.t), r9(w.f), w.u.map(r9), w.i.map(r9), w.p.map(r9), w.q1.map(r9), w.thdu.map(r9), w.thdi.map(r9), r9(w.u2), w.flagged]),
    onEvent: (e) => events.push([e.type, e.phase, r9(e.start), r9(e.duration), r9(e.extreme), e.cell]),
  });
  const data = signal(1.2);
  for (let k = 0; k < FS * 1.2; k += 320) m.push(data, 320, k * 6);
  const cal = fitGainOffset([{ raw: 100, reference: 230 }, { raw: 200, reference: 460.5 }, { raw: 300, reference: 690 }]);
  return { windows, events, energy: Array.from(m.energy.importWh, r9), cal: [r9(cal.gain), r9(cal.offset)] };
}

const probeMeter = new MeterPipeline({ phases: 3, sampleRate: FS, nominalVoltage: 230, nominalFrequency: 50 });
const probeData = signal(0.2);

export const probes = {
  /** 0.2 s of three-phase signal at 6.4 kS/s (one window's worth of samples and its analysis). */
  pushOneWindow(): unknown {
    probeMeter.push(probeData, FS * 0.2);
    return r9(probeMeter.seconds);
  },
};
