import type { CanFrame } from "./can-port";

/**
 * A classic CAN frame at bit level (ISO 11898-1): the bit sequence from SOF
 * to the end of the CRC, CRC-15, bit stuffing and the frame's length on the
 * wire. The virtual bus times frames with it; the tests check REFERENCES §4.
 */

/** CRC-15/CAN over a bit sequence (0/1 per element), poly 0x4599, init 0. */
export function crc15(bits: ArrayLike<number>, length = bits.length): number {
  let reg = 0;
  for (let i = 0; i < length; i++) {
    const nxt = bits[i] ^ ((reg >> 14) & 1);
    reg = (reg << 1) & 0x7fff;
    if (nxt) reg ^= 0x4599;
  }
  return reg;
}

/** CRC-15 of bytes taken MSB first (for the "123456789" check value 0x059E). */
export function crc15Bytes(bytes: Uint8Array): number {
  const bits: number[] = [];
  for (let i = 0; i < bytes.length; i++) for (let b = 7; b >= 0; b--) bits.push((bytes[i] >> b) & 1);
  return crc15(bits);
}

function pushBits(out: number[], value: number, count: number): void {
  for (let b = count - 1; b >= 0; b--) out.push(Math.floor(value / 2 ** b) & 1);
}

/** Unstuffed bits SOF..data (the CRC's input). 0 = dominant, 1 = recessive. */
export function headerAndDataBits(frame: CanFrame): number[] {
  const bits: number[] = [0]; // SOF
  if (frame.extended) {
    pushBits(bits, frame.id >>> 18, 11); // base id
    bits.push(1, 1); // SRR, IDE
    pushBits(bits, frame.id & 0x3ffff, 18);
    bits.push(frame.rtr ? 1 : 0, 0, 0); // RTR, r1, r0
  } else {
    pushBits(bits, frame.id, 11);
    bits.push(frame.rtr ? 1 : 0, 0, 0); // RTR, IDE, r0
  }
  pushBits(bits, frame.dlc, 4);
  if (!frame.rtr) for (let i = 0; i < frame.data.length; i++) pushBits(bits, frame.data[i], 8);
  return bits;
}

/** Inserts a stuff bit after every run of five equal bits; returns the stuffed bits. */
export function stuff(bits: ArrayLike<number>): number[] {
  const out: number[] = [];
  let run = 0;
  let last = -1;
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    out.push(b);
    run = b === last ? run + 1 : 1;
    last = b;
    if (run === 5) {
      const s = 1 - b;
      out.push(s); // the stuff bit starts the next run
      last = s;
      run = 1;
    }
  }
  return out;
}

/** Removes stuff bits; throws on a stuff error (six equal bits). */
export function unstuff(bits: ArrayLike<number>): number[] {
  const out: number[] = [];
  let run = 0;
  let last = -1;
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    if (run === 5) {
      if (b === last) throw new Error(`stuff error at bit ${i}`);
      last = b;
      run = 1;
      continue;
    }
    out.push(b);
    run = b === last ? run + 1 : 1;
    last = b;
  }
  return out;
}

export interface FrameBits {
  /** CRC-15 of SOF..data. */
  crc: number;
  /** Stuffed bits SOF..CRC. */
  stuffed: number[];
  /** Number of stuff bits inserted. */
  stuffBits: number;
  /** Bits on the wire from SOF to the end of EOF (no interframe space). */
  frameBits: number;
  /** frameBits + 3 bits of interframe space. */
  bitsWithIfs: number;
}

/** Encodes a frame to its wire bits and lengths. */
export function encodeFrameBits(frame: CanFrame): FrameBits {
  const raw = headerAndDataBits(frame);
  const crc = crc15(raw);
  pushBits(raw, crc, 15);
  const stuffed = stuff(raw);
  const stuffBits = stuffed.length - raw.length;
  const frameBits = stuffed.length + 1 + 2 + 7; // CRC delimiter, ACK slot + delimiter, EOF
  return { crc, stuffed, stuffBits, frameBits, bitsWithIfs: frameBits + 3 };
}

/** Decodes stuffed bits SOF..CRC back to a frame; throws on stuff, form or CRC errors. */
export function decodeFrameBits(stuffed: ArrayLike<number>): CanFrame {
  const bits = unstuff(stuffed);
  let at = 0;
  const take = (n: number): number => {
    if (at + n > bits.length) throw new Error("form error: frame truncated");
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + bits[at++];
    return v;
  };
  if (take(1) !== 0) throw new Error("form error: SOF must be dominant");
  let id = take(11);
  let rtr = take(1);
  const ide = take(1);
  let extended = false;
  if (ide) {
    extended = true;
    id = id * 2 ** 18 + take(18);
    rtr = take(1);
    take(2);
  } else take(1);
  const dlc = take(4);
  if (dlc > 8) throw new Error(`form error: DLC ${dlc} > 8`);
  const data = new Uint8Array(rtr ? 0 : dlc);
  for (let i = 0; i < data.length; i++) data[i] = take(8);
  const end = at;
  const crc = take(15);
  if (crc15(bits, end) !== crc) throw new Error("CRC error");
  if (at !== bits.length) throw new Error("form error: bits after CRC");
  return { id, extended, rtr: rtr === 1, dlc, data };
}

/** Worst-case wire bits incl. IFS of a standard frame with s data bytes (§4). */
export function worstCaseBits(dataBytes: number, extended = false): number {
  if (extended) return 54 + 8 * dataBytes + 13 + Math.floor((53 + 8 * dataBytes) / 4);
  return 34 + 8 * dataBytes + 13 + Math.floor((33 + 8 * dataBytes) / 4);
}

/** Best-case (no stuffing) wire bits incl. IFS. */
export function bestCaseBits(dataBytes: number, extended = false): number {
  return (extended ? 67 : 47) + 8 * dataBytes;
}
