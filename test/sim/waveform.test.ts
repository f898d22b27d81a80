import { describe, expect, it } from "vitest";
import { Prng } from "../../hosts/node/sim/prng";
import { CURRENT_CHANNEL, CURRENT_PEAK, fromCode, lsb, toCode, VOLTAGE_CHANNEL, VOLTAGE_PEAK } from "../../hosts/node/sim/transducer";
import { WaveformGenerator } from "../../hosts/node/sim/waveform";
import { World } from "../../hosts/node/sim/world";
import { PriceFeed, SLOT_MS } from "../../hosts/node/sim/price-feed";
import { Weather } from "../../hosts/node/sim/weather";
import { DAY, HOUR } from "../../modules/core/clock";

describe("the reference transducer and 12-bit ADC", () => {
  it("maps zero to 1.5 V and ±full scale to 0..3 V, clipping beyond", () => {
    // 1.5 V of 3 V on 4095 steps: code 2047.5 rounds to 2048.
    expect(toCode(0, VOLTAGE_CHANNEL)).toBe(Math.round(4095 / 2));
    expect(toCode(VOLTAGE_PEAK, VOLTAGE_CHANNEL)).toBe(4095);
    expect(toCode(-VOLTAGE_PEAK, VOLTAGE_CHANNEL)).toBe(0);
    expect(toCode(2 * CURRENT_PEAK, CURRENT_CHANNEL)).toBe(4095);
    expect(toCode(-1e9, CURRENT_CHANNEL)).toBe(0);
    expect(lsb(VOLTAGE_CHANNEL)).toBeCloseTo((2 * 460 * Math.SQRT2) / 4095, 9);
    expect(lsb(CURRENT_CHANNEL)).toBeCloseTo((2 * 30 * Math.SQRT2) / 4095, 9);
    for (const v of [-600, -325.27, -1, 0, 0.1, 17, 230, 325.27, 640]) {
      expect(Math.abs(fromCode(toCode(v, VOLTAGE_CHANNEL), VOLTAGE_CHANNEL) - v)).toBeLessThanOrEqual(lsb(VOLTAGE_CHANNEL) / 2 + 1e-9);
    }
  });
});

describe("the waveform generator", () => {
  it("gives the supply's RMS voltage with its harmonics, and the loads' power, through the ADC", () => {
    const t0 = Date.UTC(2026, 2, 20, 12);
    const world = new World({ seed: 5, slaves: 4 });
    world.step(t0);
    const fs = 6400;
    const n = fs; // one second = 50 whole cycles at 50 Hz ± drift: close enough for RMS
    const gen = new WaveformGenerator(world, 2, { sampleRate: fs });
    const v = new Float64Array(n);
    const i = new Float64Array(n);
    const vc = new Uint16Array(n);
    gen.fill(t0, n, v, i, vc);
    let vv = 0;
    let p = 0;
    for (let k = 0; k < n; k++) {
      vv += v[k] * v[k];
      p += v[k] * i[k];
      expect(vc[k]).toBeLessThanOrEqual(4095);
      expect(v[k]).toBeCloseTo(fromCode(vc[k], VOLTAGE_CHANNEL), 9);
    }
    const mp = world.meterPower(2);
    const thd2 = world.grid.harmonics.reduce((s, h) => s + h.ratio * h.ratio, 0);
    expect(Math.sqrt(vv / n)).toBeCloseTo(mp.v * Math.sqrt(1 + thd2), 0);
    // Active power from samples within 1 % (+ a few W of quantisation) of the load model.
    expect(Math.abs(p / n - mp.p)).toBeLessThan(0.01 * Math.abs(mp.p) + 5);
  });

  it("applies dips: the RMS over a dip falls to the event's residual level", () => {
    const t0 = Date.UTC(2026, 2, 20, 3);
    const world = new World({ seed: 1, slaves: 1, grid: { dipsPerDay: 0, swellsPerDay: 0, interruptionsPerDay: 0 } });
    world.grid.addEvent({ type: "dip", start: t0 + 200, durationMs: 400, level: 0.5 });
    world.step(t0);
    const fs = 5000;
    const gen = new WaveformGenerator(world, 1, { sampleRate: fs, noiseV: 0 });
    const v = new Float64Array(fs);
    const i = new Float64Array(fs);
    gen.fill(t0, fs, v, i);
    const rms = (a: number, b: number): number => {
      let s = 0;
      for (let k = a; k < b; k++) s += v[k] * v[k];
      return Math.sqrt(s / (b - a));
    };
    const before = rms(0, 1000); // 0..200 ms, ten cycles
    const during = rms(1000, 3000); // 200..600 ms
    expect(during / before).toBeCloseTo(0.5, 2);
  });
});

describe("the seeded world", () => {
  it("PRNG streams are reproducible and independent", () => {
    const a = new Prng(42, "x");
    const b = new Prng(42, "x");
    const c = new Prng(42, "y");
    const sa = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.nextU32())).not.toEqual(sa);
    let sum = 0;
    for (let k = 0; k < 10000; k++) sum += a.next();
    expect(sum / 10000).toBeGreaterThan(0.48);
    expect(sum / 10000).toBeLessThan(0.52);
  });

  it("publishes 96 quarter-hour prices a day, tomorrow's from noon", () => {
    const prices = new PriceFeed(7, new Weather(7));
    const day = Date.UTC(2026, 5, 21);
    expect(prices.published(day + 11 * HOUR)).toHaveLength(96);
    const afternoon = prices.published(day + 13 * HOUR);
    expect(afternoon).toHaveLength(192);
    expect(afternoon[96].start).toBe(day + DAY);
    for (let k = 1; k < 96; k++) expect(afternoon[k].start - afternoon[k - 1].start).toBe(SLOT_MS);
    // A summer day: midday cheaper than the evening peak.
    const at = (h: number): number => prices.slotAt(day + h * HOUR).importMinorPerKWh;
    expect(at(13)).toBeLessThan(at(19));
  });

  it("the PV exports by day only and the fridge cycles", () => {
    const world = new World({ seed: 9, slaves: 4 });
    const day = Date.UTC(2026, 5, 21);
    let pvNight = 0;
    let pvNoon = 0;
    let fridgeOn = 0;
    for (let s = 0; s < DAY / 1000; s += 1) {
      const t = day + s * 1000;
      world.step(t);
      const h = s / 3600;
      const pv = world.load("pv")!.powerW;
      if (h < 2) pvNight = Math.min(pvNight, pv);
      if (h > 11 && h < 13) pvNoon = Math.min(pvNoon, pv);
      if (world.load("fridge")!.powerW > 50) fridgeOn++;
    }
    expect(pvNight).toBe(0);
    expect(pvNoon).toBeLessThan(-500);
    expect(fridgeOn / (DAY / 1000)).toBeGreaterThan(0.2);
    expect(fridgeOn / (DAY / 1000)).toBeLessThan(0.6);
  });
});
