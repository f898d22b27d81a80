// XS conformance: CAN frame at bit level — CRC-15, stuffing, lengths (REFERENCES §4 vectors) and decode.
import { crc15Bytes, decodeFrameBits, encodeFrameBits } from "../../../modules/can/frame-bits";
import type { CanFrame } from "../../../modules/can/can-port";
import { fromHex, utf8Encode } from "../../../modules/core/bytes";

const VECTORS: CanFrame[] = [
  { id: 0x123, extended: false, rtr: false, dlc: 4, data: fromHex("DEADBEEF") },
  { id: 0x123, extended: false, rtr: true, dlc: 0, data: new Uint8Array(0) },
  { id: 0x100, extended: false, rtr: false, dlc: 8, data: fromHex("0102030405060708") },
  { id: 0x02f, extended: false, rtr: false, dlc: 8, data: fromHex("3C3C3C3C3C3C3C3C") },
  { id: 0x18daf110, extended: true, rtr: false, dlc: 2, data: fromHex("0102") },
];

export function run(): unknown {
  return {
    check: crc15Bytes(utf8Encode("123456789")),
    frames: VECTORS.map((f) => {
      const e = encodeFrameBits(f);
      const back = decodeFrameBits(e.stuffed);
      return { crc: e.crc, stuff: e.stuffBits, bits: e.bitsWithIfs, wire: e.stuffed.join(""), roundTrip: back.id === f.id && back.dlc === f.dlc };
    }),
  };
}

export const probes = {
  encode8(): unknown {
    return encodeFrameBits(VECTORS[2]).bitsWithIfs;
  },
};
