// A fake STPM32/33/34 behind SPI, after the datasheet: 5-byte frames
// [read addr, write addr, data LSB, data MSB, CRC-8], the answer to the
// previous frame's read address shifted out in the same transfer, half-word
// writes, read-only data registers that change only when latched.
import type { SpiTransport } from "../../../hosts/esp32/spi-transport";

const DATA_FIRST = 0x2e; // data registers (samples, RMS, power, energy) start here
const LAST = 0x8a;

export interface LiveValues {
  /** Raw register contents as the DSP keeps computing them (test sets them). */
  [address: number]: number;
}

export class FakeStpm3x implements SpiTransport {
  readonly regs = new Uint32Array(LAST / 2 + 1);
  /** What the DSP computes right now; copied into the data registers on a latch. */
  readonly live: LiveValues = {};
  private pendingRead = 0xff;
  badFrames = 0;
  latches = 0;
  /** Corrupts the CRC of the next n register answers (a noisy line). */
  corruptAnswers = 0;
  transfers = 0;
  /**
   * The DSP's instantaneous samples (raw 24-bit voltage and current codes) for the k-th latch: each
   * latch moves V1_DATA/C1_DATA on to the next sample of this signal (undefined: they stay 0).
   */
  waveform?: (k: number) => [v: number, c: number];
  private sampleIndex = 0;

  constructor() {
    this.regs[0x24 / 2] = 0x00000001; // US_REG1 (row 18): CRC_EN after reset
    this.regs[0x04 / 2] = 0x000004e0; // DSP_CR3 reset value
    // DSP_CR5..CR8 reset value: calibrators CHVx/CHCx = 0x800 (unity), swell thresholds 0x3FF
    for (const a of [0x08, 0x0a, 0x0c, 0x0e]) this.regs[a / 2] = 0x003ff800;
  }

  /** A calibrator's gain: 0.875 + CHx / 2^14 (written here from the datasheet, not the driver). */
  private gain(address: number): number {
    return 0.875 + (this.regs[address / 2] & 0xfff) / 16384;
  }

  static crc8(bytes: Uint8Array, n: number): number {
    // Written independently of the driver: table-free, polynomial 0x07 via long division of the bit string.
    let reg = 0;
    for (let i = 0; i < n; i++) {
      for (let bit = 7; bit >= 0; bit--) {
        const top = (reg >> 7) & 1;
        const inBit = (bytes[i] >> bit) & 1;
        reg = (reg << 1) & 0xff;
        if (top ^ inBit) reg ^= 0x07;
      }
    }
    return reg;
  }

  transfer(buffer: Uint8Array): void {
    this.transfers++;
    if (buffer.length !== 5) throw new Error(`fake STPM3x: frame of ${buffer.length} bytes`);
    const crcOn = (this.regs[0x24 / 2] & 1) !== 0;
    const command = buffer.slice();
    // Shift out the answer to the previous read request.
    const answer = this.pendingRead === 0xff ? 0xffffffff : this.readAddress(this.pendingRead);
    buffer[0] = answer & 0xff;
    buffer[1] = (answer >>> 8) & 0xff;
    buffer[2] = (answer >>> 16) & 0xff;
    buffer[3] = answer >>> 24;
    buffer[4] = FakeStpm3x.crc8(buffer, 4);
    if (this.corruptAnswers > 0 && this.pendingRead !== 0xff) {
      this.corruptAnswers--;
      buffer[4] ^= 0x10;
    }
    if (crcOn && FakeStpm3x.crc8(command, 4) !== command[4]) {
      this.badFrames++; // the chip discards a frame with a bad CRC
      this.pendingRead = 0xff;
      return;
    }
    this.pendingRead = command[0];
    if (command[1] !== 0xff) this.writeHalf(command[1], command[2] | (command[3] << 8));
  }

  flush(): void {}

  private readAddress(address: number): number {
    if (address > LAST + 1) return 0;
    return this.regs[address >> 1];
  }

  private writeHalf(address: number, value: number): void {
    if (address >= DATA_FIRST || address > LAST + 1) return; // data registers are read-only
    const i = address >> 1;
    const old = this.regs[i];
    let next = address & 1 ? (old & 0xffff) | (value << 16) : (old & 0xffff0000) | value;
    next >>>= 0;
    // DSP_CR3 bits 21/22: SW_LATCH1/2 (datasheet DS10272)
    if (i === 0x04 / 2 && next & ((1 << 21) | (1 << 22))) {
      this.latch();
      next &= ~((1 << 21) | (1 << 22)); // latch bits clear themselves
      next >>>= 0;
    }
    this.regs[i] = next;
  }

  /**
   * The DSP computes from the calibrated signals: the live values are what it
   * gives at unity calibration, scaled here by channel 1's calibrators (RMS
   * by each, power and energy by both) as they are latched.
   */
  private latch(): void {
    this.latches++;
    if (this.waveform) {
      const [v, c] = this.waveform(this.sampleIndex++);
      this.regs[0x30 / 2] = (Math.round(v) & 0xffffff) >>> 0; // V1_DATA, 24-bit two's complement
      this.regs[0x32 / 2] = (Math.round(c) & 0xffffff) >>> 0; // C1_DATA
    }
    const kv = this.gain(0x08), kc = this.gain(0x0a);
    for (const key of Object.keys(this.live)) {
      const a = Number(key);
      let v = this.live[a] >>> 0;
      if (a === 0x48) v = ((Math.round((v >>> 15) * kc) << 15) | Math.min(0x7fff, Math.round((v & 0x7fff) * kv))) >>> 0;
      else if (a >= 0x5c && a <= 0x62) v = (Math.round(((v << 3) >> 3) * kv * kc) & 0x1fffffff) >>> 0; // 29-bit signed powers
      else if (a >= 0x54 && a <= 0x5a) v = Math.round(v * kv * kc) >>> 0;
      this.regs[a >> 1] = v;
    }
  }
}
