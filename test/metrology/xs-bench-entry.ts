// Bundled into XS by bench/metrology.ts: a 3-phase meter fed one second of signal per call.
import { MeterPipeline } from "../../modules/metrology/meter";

const FS = 6400;
let meter: MeterPipeline | undefined;
let data: Float64Array | undefined;
let windows = 0;

export function setup(): number {
  data = new Float64Array(FS * 6);
  const w = (2 * Math.PI * 50) / FS;
  for (let k = 0; k < FS; k++) for (let p = 0; p < 3; p++) {
    const x = w * k - (2 * Math.PI * p) / 3;
    data[(k * 3 + p) * 2] = 325 * (Math.sin(x) + 0.05 * Math.sin(5 * x));
    data[(k * 3 + p) * 2 + 1] = 14 * Math.sin(x - 0.4);
  }
  meter = new MeterPipeline({ phases: 3, sampleRate: FS, nominalVoltage: 230, nominalFrequency: 50 }, { onWindow: () => { windows++; } });
  return meter.fftSize;
}

/** Pushes one second of three-phase signal in 20 ms blocks; returns windows so far. */
export function second(): number {
  for (let k = 0; k < FS; k += 128) meter!.push(data!, 128, k * 6);
  return windows;
}
