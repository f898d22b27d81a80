// XS conformance: the OBIS registry — parse, format, scale and the 6-byte logical name.
import { OBIS, CODES, formatObis, obisFromBytes, obisToBytes, parseObis } from "../../../modules/core/obis";
import { toHex, utf8DecodeStrict, utf8Encode, crc32 } from "../../../modules/core/bytes";

export function run(): unknown {
  const all = OBIS.all();
  const rows = all.map((q) => [q.id, q.code, q.key, q.unit, q.scale, toHex(obisToBytes(q.code))]);
  const roundTrip = all.every((q) => obisFromBytes(obisToBytes(q.code)) === q.code && formatObis(parseObis(q.code)) === q.code);
  const raw = OBIS.toRaw(CODES.voltage[0], 230.456);
  const text = "U₁ = 230 V ✓ 𝛑";
  return {
    count: all.length,
    rows,
    roundTrip,
    raw,
    back: OBIS.fromRaw(CODES.voltage[0], raw),
    utf8: toHex(utf8Encode(text)),
    decoded: utf8DecodeStrict(utf8Encode(text)) === text,
    crc: crc32(utf8Encode("123456789")).toString(16),
  };
}

export const probes = {
  lookup100(): unknown {
    let n = 0;
    for (let i = 0; i < 100; i++) if (OBIS.get("1-0:32.7.0")) n++;
    return n;
  },
};
