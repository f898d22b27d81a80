import type { SpiTransport } from "./spi-transport";
import { CAL_MASK, DSP_CR3_SW_LATCH1, DSP_CR3_SW_LATCH2, STPM, calibratorCode, stpmCrc8 } from "./stpm3x-registers";

/** Full-scale factors of one board's front end (from its shunt, divider and the datasheet's formulas). */
export interface StpmScales {
  /** Volts per LSB of the 15-bit voltage RMS. */
  vRms: number;
  /** Amps per LSB of the 17-bit current RMS. */
  iRms: number;
  /** Watts per LSB of the 29-bit power registers. */
  power: number;
  /** Watt-hours per LSB of the 32-bit energy registers. */
  energy: number;
  /** Volts / amps per LSB of the 24-bit instantaneous samples. */
  vSample: number;
  iSample: number;
}

export class StpmCrcError extends Error {}

/** Readings of one channel after a latch. */
export interface StpmReadings {
  vRms: number;
  iRms: number;
  activePower: number;
  reactivePower: number;
  apparentPower: number;
  /** Raw 32-bit energy counters (they wrap; see EnergyAccumulator). */
  activeEnergyRaw: number;
  reactiveEnergyRaw: number;
}

const signExtend = (value: number, bits: number): number => (value << (32 - bits)) >> (32 - bits);

/**
 * STPM32/33/34 over SPI. Each 5-byte frame is [read address, write address,
 * data LSB, data MSB, CRC]; what comes back in the same transfer is the 32-bit
 * register asked for by the PREVIOUS frame (LSB first) and its CRC. So a read
 * is two frames: one naming the address, one (a no-op) clocking the answer out.
 * One preallocated frame: nothing is allocated per read.
 */
export class Stpm3x {
  private readonly frame = new Uint8Array(5);
  private readonly view = new DataView(this.frame.buffer);
  crcErrors = 0;

  constructor(
    private readonly spi: SpiTransport,
    private readonly scales: StpmScales,
    private readonly retries = 2,
  ) {}

  /** Reads a 32-bit register; retries a frame whose CRC fails, then throws. */
  readRegister(address: number): number {
    for (let attempt = 0; ; attempt++) {
      this.exchange(address, STPM.NONE, 0);
      this.exchange(STPM.NONE, STPM.NONE, 0);
      if (stpmCrc8(this.frame, 4) === this.frame[4]) return this.view.getUint32(0, true);
      this.crcErrors++;
      if (attempt >= this.retries) throw new StpmCrcError(`STPM3x: CRC error reading 0x${address.toString(16)}`);
    }
  }

  /** Writes one 16-bit half-word (the chip writes registers in halves). */
  writeHalf(address: number, value: number): void {
    this.exchange(STPM.NONE, address, value & 0xffff);
  }

  /** Writes a 32-bit register as two halves and reads it back to confirm. */
  writeRegister(address: number, value: number): void {
    this.writeHalf(address, value);
    this.writeHalf(address + 1, value >>> 16);
    const back = this.readRegister(address);
    if (back !== value >>> 0) throw new Error(`STPM3x: register 0x${address.toString(16)} reads 0x${back.toString(16)} after writing 0x${(value >>> 0).toString(16)}`);
  }

  /**
   * Sets channel 1's voltage and current calibrators (DSP_CR5 CHV1, DSP_CR6
   * CHC1) to the gains given, keeping the threshold bits that share those
   * registers; each write is read back. Gains outside 0.875..1.125 throw a
   * RangeError before anything is written.
   */
  calibrateChannel1(voltageGain: number, currentGain: number): { chv: number; chc: number } {
    const chv = calibratorCode(voltageGain);
    const chc = calibratorCode(currentGain);
    this.writeRegister(STPM.DSP_CR5, ((this.readRegister(STPM.DSP_CR5) & ~CAL_MASK) | chv) >>> 0);
    this.writeRegister(STPM.DSP_CR6, ((this.readRegister(STPM.DSP_CR6) & ~CAL_MASK) | chc) >>> 0);
    return { chv, chc };
  }

  /** Latches both channels' data registers at once (software latch), so RMS, power and energy belong to the same instant. */
  latch(): void {
    const cr3 = this.readRegister(STPM.DSP_CR3);
    this.writeHalf(STPM.DSP_CR3 + 1, ((cr3 | DSP_CR3_SW_LATCH1 | DSP_CR3_SW_LATCH2) >>> 16) & 0xffff);
  }

  /** Latches, then reads channel 1 (voltage and current 1). */
  readChannel1(into: StpmReadings): StpmReadings {
    this.latch();
    const rms = this.readRegister(STPM.RMS1);
    const s = this.scales;
    into.vRms = (rms & 0x7fff) * s.vRms;
    into.iRms = (rms >>> 15) * s.iRms;
    into.activePower = signExtend(this.readRegister(STPM.PH1_ACTIVE_POWER), 29) * s.power;
    into.reactivePower = signExtend(this.readRegister(STPM.PH1_REACTIVE_POWER), 29) * s.power;
    into.apparentPower = signExtend(this.readRegister(STPM.PH1_APPARENT_POWER), 29) * s.power;
    into.activeEnergyRaw = this.readRegister(STPM.PH1_ACTIVE_ENERGY);
    into.reactiveEnergyRaw = this.readRegister(STPM.PH1_REACTIVE_ENERGY);
    return into;
  }

  /**
   * Reads one instantaneous voltage/current pair of channel 1 into the
   * waveform buffers at `index` (for harmonics on snapshots; the chip does RMS itself).
   */
  sample(voltages: Float64Array, currents: Float64Array, index: number): void {
    this.latch();
    voltages[index] = signExtend(this.readRegister(STPM.V1_DATA), 24) * this.scales.vSample;
    currents[index] = signExtend(this.readRegister(STPM.C1_DATA), 24) * this.scales.iSample;
  }

  private exchange(readAddress: number, writeAddress: number, data: number): void {
    const f = this.frame;
    f[0] = readAddress;
    f[1] = writeAddress;
    f[2] = data & 0xff;
    f[3] = data >>> 8;
    f[4] = stpmCrc8(f, 4);
    this.spi.transfer(f);
    this.spi.flush(true);
  }
}

/**
 * Turns the wrapping 32-bit energy counter into a running total in Wh,
 * as long as it is read at least once per wrap.
 */
export class EnergyAccumulator {
  private last: number | undefined;
  totalWh = 0;
  constructor(private readonly whPerLsb: number) {}
  update(raw: number): number {
    if (this.last !== undefined) this.totalWh += ((raw - this.last) | 0) * this.whPerLsb;
    this.last = raw >>> 0;
    return this.totalWh;
  }
}
