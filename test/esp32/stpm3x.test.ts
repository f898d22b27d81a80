import { describe, expect, it } from "vitest";
import { EnergyAccumulator, Stpm3x, StpmCrcError, type StpmReadings } from "../../hosts/esp32/stpm3x";
import { STPM, stpmCrc8 } from "../../hosts/esp32/stpm3x-registers";
import { FakeStpm3x } from "./fakes/fake-stpm3x";

const scales = { vRms: 0.0354, iRms: 0.00104, power: 0.00036, energy: 1e-6, vSample: 2e-5, iSample: 1e-6 };
const blank = (): StpmReadings => ({ vRms: 0, iRms: 0, activePower: 0, reactivePower: 0, apparentPower: 0, activeEnergyRaw: 0, reactiveEnergyRaw: 0 });

function chipWith(values: Record<number, number>): { chip: FakeStpm3x; stpm: Stpm3x } {
  const chip = new FakeStpm3x();
  Object.assign(chip.live, values);
  return { chip, stpm: new Stpm3x(chip, scales) };
}

describe("STPM3x driver against a fake chip", () => {
  it("computes the frame CRC-8 the way the chip checks it", () => {
    // CRC-8/0x07 check value of "123456789" is 0xF4 (the standard catalogue value).
    const check = new TextEncoder().encode("123456789");
    expect(FakeStpm3x.crc8(check, 9)).toBe(0xf4);
    // The driver's table-driven CRC agrees with the fake's bitwise one on the check value and random frames.
    expect(stpmCrc8(check, 9)).toBe(0xf4);
    let seed = 5;
    const frame = new Uint8Array(5);
    for (let k = 0; k < 2000; k++) {
      for (let j = 0; j < 5; j++) frame[j] = (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
      expect(stpmCrc8(frame, 4)).toBe(FakeStpm3x.crc8(frame, 4));
    }
  });

  it("writes half-words and reads registers back through two-frame reads", () => {
    const { chip, stpm } = chipWith({});
    stpm.writeRegister(STPM.DSP_CR1, 0x12345678);
    expect(chip.regs[STPM.DSP_CR1 / 2]).toBe(0x12345678);
    expect(stpm.readRegister(STPM.DSP_CR1)).toBe(0x12345678);
    expect(chip.badFrames).toBe(0);
  });

  it("reads nothing new until latched, then RMS, power and energy of the same instant", () => {
    const v = 6497, i = 4807; // raw LSBs
    const p = -123456; // export: negative active power
    const { chip, stpm } = chipWith({
      [STPM.RMS1]: (i << 15) | v,
      [STPM.PH1_ACTIVE_POWER]: p & 0x1fffffff,
      [STPM.PH1_REACTIVE_POWER]: 5000,
      [STPM.PH1_APPARENT_POWER]: 130000,
      [STPM.PH1_ACTIVE_ENERGY]: 0xfffffff0,
      [STPM.PH1_REACTIVE_ENERGY]: 77,
    });
    expect(stpm.readRegister(STPM.RMS1)).toBe(0); // not latched yet
    const r = stpm.readChannel1(blank());
    expect(chip.latches).toBe(1);
    expect(r.vRms).toBeCloseTo(v * scales.vRms, 12);
    expect(r.iRms).toBeCloseTo(i * scales.iRms, 12);
    expect(r.activePower).toBeCloseTo(p * scales.power, 9);
    expect(r.reactivePower).toBeCloseTo(5000 * scales.power, 9);
    expect(r.apparentPower).toBeCloseTo(130000 * scales.power, 9);
    expect(r.activeEnergyRaw).toBe(0xfffffff0);
    expect(r.reactiveEnergyRaw).toBe(77);
    // latch bits clear themselves
    expect(stpm.readRegister(STPM.DSP_CR3) & (3 << 17)).toBe(0);
  });

  it("reads signed 24-bit instantaneous samples for the waveform path", () => {
    const { chip, stpm } = chipWith({ [STPM.V1_DATA]: (-1000000) & 0xffffff, [STPM.C1_DATA]: 300000 });
    const vs = new Float64Array(4), cs = new Float64Array(4);
    stpm.sample(vs, cs, 2);
    expect(vs[2]).toBeCloseTo(-1000000 * scales.vSample, 12);
    expect(cs[2]).toBeCloseTo(300000 * scales.iSample, 12);
    chip.live[STPM.V1_DATA] = 42;
    stpm.sample(vs, cs, 3);
    expect(vs[3]).toBeCloseTo(42 * scales.vSample, 12);
  });

  it("retries an answer with a bad CRC and then succeeds", () => {
    const { chip, stpm } = chipWith({});
    stpm.writeRegister(STPM.DSP_CR2, 0xabcd0123);
    chip.corruptAnswers = 1;
    expect(stpm.readRegister(STPM.DSP_CR2)).toBe(0xabcd0123);
    expect(stpm.crcErrors).toBe(1);
  });

  it("throws a clear error when every answer is corrupt", () => {
    const { chip, stpm } = chipWith({});
    chip.corruptAnswers = 100;
    expect(() => stpm.readRegister(STPM.DSP_CR1)).toThrow(StpmCrcError);
    expect(stpm.crcErrors).toBe(3);
  });

  it("the chip discards a frame with a bad CRC, and a write that did not take is caught by read-back", () => {
    const chip = new FakeStpm3x();
    const torn = { transfer: (b: Uint8Array) => { if (b[1] === STPM.DSP_CR2) b[4] ^= 1; chip.transfer(b); }, flush() {} };
    const stpm = new Stpm3x(torn, scales);
    expect(() => stpm.writeRegister(STPM.DSP_CR2, 0x55)).toThrow(/reads 0x0 after writing 0x55/);
    expect(chip.badFrames).toBe(1);
  });

  it("refuses writes to read-only data registers", () => {
    const { chip, stpm } = chipWith({});
    stpm.writeHalf(STPM.RMS1, 0x1234);
    expect(chip.regs[STPM.RMS1 / 2]).toBe(0);
  });

  it("accumulates the wrapping energy counter", () => {
    const acc = new EnergyAccumulator(0.5);
    acc.update(0xfffffff0);
    expect(acc.update(0x00000010)).toBe(0x20 * 0.5);
  });
});
