import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { CODES, OBIS, ObisRegistry, formatObis, obisFromBytes, obisToBytes, parseObis } from "../../modules/core/obis";
import { bytesEqual, concatBytes, constantTimeEqual, crc32, fromHex, readU32BE, readU32LE, toHex, utf8Decode, utf8DecodeStrict, utf8Encode, writeU32BE, writeU32LE } from "../../modules/core/bytes";
import { flashPartition, type Flash } from "../../modules/core/ports";

describe("OBIS", () => {
  it("parses and formats codes, with and without F", () => {
    expect(parseObis("1-0:32.7.0")).toEqual({ a: 1, b: 0, c: 32, d: 7, e: 0, f: 255 });
    expect(formatObis(parseObis("0-0:96.7.21*255"))).toBe("0-0:96.7.21");
    expect(formatObis(parseObis("1-0:1.8.1*101"))).toBe("1-0:1.8.1*101");
    expect(toHex(obisToBytes("1-0:1.8.0"))).toBe("0100010800ff");
    expect(obisFromBytes(fromHex("0100200700ff"))).toBe("1-0:32.7.0");
  });

  it("rejects malformed codes with a clear error", () => {
    for (const bad of ["", "1-0:32.7", "1-0:32.7.0.1", "a-0:1.8.0", "1-0:300.7.0", "1-0:1.8.0*"]) {
      expect(() => parseObis(bad), bad).toThrow(/OBIS/);
    }
  });

  it("holds the quantities of REFERENCES §6 with their units", () => {
    const expectations: [string, string][] = [
      ["1-0:1.8.0", "Wh"], ["1-0:2.8.0", "Wh"], ["1-0:3.8.0", "varh"], ["1-0:4.8.0", "varh"],
      ["1-0:1.7.0", "W"], ["1-0:2.7.0", "W"], ["1-0:32.7.0", "V"], ["1-0:52.7.0", "V"], ["1-0:72.7.0", "V"],
      ["1-0:31.7.0", "A"], ["1-0:51.7.0", "A"], ["1-0:71.7.0", "A"], ["1-0:91.7.0", "A"], ["1-0:13.7.0", ""],
      ["1-0:33.7.0", ""], ["1-0:14.7.0", "Hz"], ["1-0:32.7.124", "%"], ["1-0:31.7.124", "%"],
      ["1-0:32.32.0", ""], ["1-0:32.36.0", ""], ["0-0:96.7.21", ""], ["0-0:96.7.9", ""], ["1-0:1.8.1", "Wh"], ["1-0:1.8.2", "Wh"],
    ];
    for (const [code, unit] of expectations) expect(OBIS.mustGet(code).unit, code).toBe(unit);
    for (const code of [...CODES.voltage, ...CODES.current, ...CODES.thdVoltage, ...CODES.signedPower]) expect(OBIS.get(code)).toBeDefined();
  });

  it("gives every quantity a unique id, key and code, and refuses duplicates", () => {
    const all = OBIS.all();
    expect(new Set(all.map((q) => q.id)).size).toBe(all.length);
    expect(new Set(all.map((q) => q.key)).size).toBe(all.length);
    const r = new ObisRegistry();
    r.register({ id: 1, code: "1-0:1.8.0", key: "a", name: "A", unit: "Wh", scale: 0, kind: "energy", phase: 0 });
    expect(() => r.register({ id: 2, code: "1-0:1.8.0*255", key: "b", name: "B", unit: "Wh", scale: 0, kind: "energy", phase: 0 })).toThrow(/twice/);
    expect(() => OBIS.mustGet("1-0:99.99.99")).toThrow(/unknown OBIS/);
  });

  it("scales values to and from integer raws", () => {
    expect(OBIS.toRaw("1-0:32.7.0", 230.456)).toBe(23046);
    expect(OBIS.fromRaw("1-0:32.7.0", 23046)).toBe(230.46);
    expect(OBIS.fromRaw("1-0:1.8.0", 12345)).toBe(12345);
  });
});

describe("bytes", () => {
  it("round-trips hex, integers and UTF-8", () => {
    const b = new Uint8Array(8);
    writeU32BE(b, 0, 0xdeadbeef);
    writeU32LE(b, 4, 0xdeadbeef);
    expect(toHex(b)).toBe("deadbeefefbeadde");
    expect(readU32BE(b, 0)).toBe(0xdeadbeef);
    expect(readU32LE(b, 4)).toBe(0xdeadbeef);
    expect(() => fromHex("abc")).toThrow(/hex/);
    for (const s of ["", "abc", "230 V ✓", "𝛑 ≈ 3.14", "ü€😀"]) {
      expect(toHex(utf8Encode(s))).toBe(Buffer.from(s, "utf8").toString("hex"));
      expect(utf8DecodeStrict(utf8Encode(s))).toBe(s);
    }
  });

  it("rejects invalid UTF-8 strictly and replaces it leniently", () => {
    for (const hex of ["c0af", "e080af", "eda080", "f4908080", "c2", "e282", "ff", "80"]) {
      expect(utf8DecodeStrict(fromHex(hex)), hex).toBeUndefined();
    }
    expect(utf8Decode(fromHex("61ff62"))).toBe("a\ufffdb");
  });

  it("computes CRC-32 like zlib", () => {
    expect(crc32(utf8Encode("123456789"))).toBe(0xcbf43926);
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 255);
    expect(crc32(data)).toBe(crc32(data.subarray(500), 0, 500, crc32(data.subarray(0, 500))));
  });

  it("compares and concatenates", () => {
    expect(bytesEqual(concatBytes(fromHex("01"), fromHex("0203")), fromHex("010203"))).toBe(true);
    expect(constantTimeEqual(fromHex("0102"), fromHex("0103"))).toBe(false);
    expect(constantTimeEqual(fromHex("0102"), fromHex("0102"))).toBe(true);
    expect(createHash("sha256").update(utf8Encode("x")).digest("hex")).toHaveLength(64);
  });
});

describe("flashPartition", () => {
  it("maps offsets and refuses access outside the partition", () => {
    const mem = new Uint8Array(4096 * 4).fill(0xff);
    const flash: Flash = {
      size: mem.length, sectorSize: 4096, pageSize: 256,
      read: (at, into) => into.set(mem.subarray(at, at + into.length)),
      program: (at, data) => data.forEach((v, i) => (mem[at + i] &= v)),
      eraseSector: (s) => mem.fill(0xff, s * 4096, (s + 1) * 4096),
    };
    const part = flashPartition(flash, 4096, 8192);
    part.program(0, Uint8Array.of(0x0f));
    expect(mem[4096]).toBe(0x0f);
    expect(() => part.program(8192, Uint8Array.of(0))).toThrow(/outside/);
    part.eraseSector(0);
    expect(mem[4096]).toBe(0xff);
    expect(() => flashPartition(flash, 100, 4096)).toThrow(/aligned/);
  });
});
