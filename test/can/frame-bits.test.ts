import { describe, expect, it } from "vitest";
import { crc15, crc15Bytes, decodeFrameBits, encodeFrameBits, stuff, unstuff, worstCaseBits, bestCaseBits } from "../../modules/can/frame-bits";
import type { CanFrame } from "../../modules/can/can-port";
import { fromHex, utf8Encode } from "../../modules/core/bytes";

function parse(s: string): CanFrame {
  const [idHex, rest] = s.split("#");
  if (rest.startsWith("R")) return { id: parseInt(idHex, 16), extended: idHex.length > 3, rtr: true, dlc: rest.length > 1 ? +rest.slice(1) : 0, data: new Uint8Array(0) };
  const data = fromHex(rest);
  return { id: parseInt(idHex, 16), extended: idHex.length > 3, rtr: false, dlc: data.length, data };
}

/** Independent CRC: polynomial long division of (message · x^15) by x^15+x^14+x^10+x^8+x^7+x^4+x^3+1. */
function crcByDivision(bits: number[]): number {
  const m = [...bits, ...new Array(15).fill(0)];
  const poly = [1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]; // 0xC599 = x^15 + 0x4599
  for (let i = 0; i < bits.length; i++) if (m[i]) for (let k = 0; k < 16; k++) m[i + k] ^= poly[k];
  return m.slice(bits.length).reduce((a, b) => a * 2 + b, 0);
}

describe("CAN frame bits (REFERENCES §4)", () => {
  it("CRC-15 check value of '123456789' is 0x059E", () => {
    expect(crc15Bytes(utf8Encode("123456789"))).toBe(0x059e);
  });

  it.each([
    ["123#DEADBEEF", 0x4e6b, 2, 81],
    ["123#R", 0x1b9d, 1, 48],
    ["100#0102030405060708", 0x5409, 11, 122],
    ["02F#3C3C3C3C3C3C3C3C", 0x07df, 20, 131],
  ])("%s: CRC %d, %d stuff bits, %d bits with IFS", (text, crc, stuffBits, bits) => {
    const e = encodeFrameBits(parse(text));
    expect(e.crc).toBe(crc);
    expect(e.stuffBits).toBe(stuffBits);
    expect(e.bitsWithIfs).toBe(bits);
  });

  it("CRC agrees with polynomial division on random bit strings", () => {
    for (let n = 1; n < 120; n += 7) {
      const bits = Array.from({ length: n }, (_, i) => ((i * 2654435761) >>> 13) & 1);
      expect(crc15(bits)).toBe(crcByDivision(bits));
    }
  });

  it("never has six equal bits after stuffing, round-trips, and stays within the worst case", () => {
    for (let i = 0; i < 300; i++) {
      const dlc = i % 9;
      const data = new Uint8Array(dlc).map((_, k) => (i * 37 + k * 101) & 255 & (i % 3 ? 255 : 0));
      const f: CanFrame = { id: (i * 97) & 0x7ff, extended: false, rtr: false, dlc, data };
      const e = encodeFrameBits(f);
      expect(e.stuffed.join("")).not.toMatch(/000000|111111/);
      expect(decodeFrameBits(e.stuffed)).toEqual(f);
      expect(e.bitsWithIfs).toBeLessThanOrEqual(worstCaseBits(dlc));
      expect(e.bitsWithIfs).toBeGreaterThanOrEqual(bestCaseBits(dlc));
    }
    const ext: CanFrame = { id: 0x18daf110, extended: true, rtr: false, dlc: 2, data: new Uint8Array([1, 2]) };
    expect(decodeFrameBits(encodeFrameBits(ext).stuffed)).toEqual(ext);
  });

  it("rejects a flipped bit (CRC or stuff error) and six equal bits", () => {
    const e = encodeFrameBits(parse("123#DEADBEEF"));
    for (let i = 1; i < e.stuffed.length; i++) {
      const bad = e.stuffed.slice();
      bad[i] ^= 1;
      expect(() => decodeFrameBits(bad), `bit ${i}`).toThrow(/error/);
    }
    expect(() => unstuff([0, 0, 0, 0, 0, 0])).toThrow(/stuff error/);
    expect(unstuff(stuff([1, 1, 1, 1, 1, 1, 1, 0, 0]))).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0]);
  });
});
