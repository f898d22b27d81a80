/**
 * The reference paper's combined voltage/current transducer and 12-bit ADC
 * (REFERENCES §1): ±460√2 V and ±30√2 A map onto 0–3 V, 1.5 V at zero input,
 * sampled by a 12-bit converter with a 3 V reference. Values beyond the range
 * clip at code 0 or 4095, as the real front end would.
 */
export const ADC_BITS = 12;
export const ADC_MAX = (1 << ADC_BITS) - 1; // 4095
export const ADC_VREF = 3;
export const ZERO_VOLTS = 1.5;
export const VOLTAGE_PEAK = 460 * Math.SQRT2;
export const CURRENT_PEAK = 30 * Math.SQRT2;

export interface Channel {
  /** Input that gives full scale (the transducer's peak). */
  peak: number;
}

export const VOLTAGE_CHANNEL: Channel = Object.freeze({ peak: VOLTAGE_PEAK });
export const CURRENT_CHANNEL: Channel = Object.freeze({ peak: CURRENT_PEAK });

/** Transducer output (V) → 12-bit code, clipped. */
export function toCode(value: number, channel: Channel): number {
  const volts = ZERO_VOLTS + (ZERO_VOLTS * value) / channel.peak;
  const code = Math.round((volts / ADC_VREF) * ADC_MAX);
  return code < 0 ? 0 : code > ADC_MAX ? ADC_MAX : code;
}

/** 12-bit code → the input value it stands for (what firmware computes). */
export function fromCode(code: number, channel: Channel): number {
  const volts = (code * ADC_VREF) / ADC_MAX;
  return ((volts - ZERO_VOLTS) / ZERO_VOLTS) * channel.peak;
}

/** One quantisation step of a channel in input units (0.318 V, 20.7 mA). */
export function lsb(channel: Channel): number {
  return ((ADC_VREF / ADC_MAX) * channel.peak) / ZERO_VOLTS;
}
