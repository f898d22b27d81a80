// The CMAC's AES behind the BlockCipher port: RFC 4493's test vectors (REFERENCES §5) come out the
// same through the TypeScript AES (the host's and the reference) and through a second, independent
// AES (node:crypto's AES-128-ECB) put behind the same port; the CAN authenticator takes the port.
import { describe, expect, it } from "vitest";
import { createCipheriv } from "node:crypto";
import { typescriptAes, type BlockCipher, type BlockCipherFactory } from "../../modules/secure/block-cipher";
import { aesCmac, Cmac } from "../../modules/secure/cmac";
import { FrameAuthenticator } from "../../modules/can/authenticator";
import { fromHex, toHex } from "../../modules/core/bytes";

/** node:crypto's AES-128-ECB as a BlockCipher: an AES that shares no code with modules/secure/aes128. */
const nodeAes: BlockCipherFactory = (key) => ({
  encryptBlock(src, dst) {
    const c = createCipheriv("aes-128-ecb", key, null);
    c.setAutoPadding(false);
    dst.set(Buffer.concat([c.update(src.subarray(0, 16)), c.final()]));
  },
});

/** Counts the blocks a CMAC asks of its cipher and whether any came in place. */
function counting(inner: BlockCipherFactory): { factory: BlockCipherFactory; blocks: number; inPlace: number } {
  const c = { blocks: 0, inPlace: 0, factory: (key: Uint8Array): BlockCipher => {
    const aes = inner(key);
    return { encryptBlock(src, dst) { c.blocks++; if (src === dst) c.inPlace++; aes.encryptBlock(src, dst); } };
  } };
  return c;
}

const KEY = fromHex("2b7e151628aed2a6abf7158809cf4f3c");
const M = fromHex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
// RFC 4493 §4, examples 1–4 (the empty one is REFERENCES §5's)
const RFC4493: [number, string][] = [
  [0, "bb1d6929e95937287fa37d129b756746"],
  [16, "070a16b46b4d4144f79bdd9dd04a287c"],
  [40, "dfa66747de9ae63030ca32611497c827"],
  [64, "51f0bebf7e3b9d92fc49741779363cfe"],
];

describe("BlockCipher port", () => {
  for (const [name, cipher] of [["TypeScript AES", typescriptAes], ["node:crypto AES", nodeAes]] as const) {
    it(`RFC 4493 AES-CMAC vectors through the port with the ${name}`, () => {
      for (const [n, tag] of RFC4493) expect(toHex(aesCmac(KEY, M.subarray(0, n), cipher))).toBe(tag);
    });
  }

  it("the FIPS 197 C.1 block through the port", () => {
    const out = new Uint8Array(16);
    typescriptAes(fromHex("000102030405060708090a0b0c0d0e0f")).encryptBlock(fromHex("00112233445566778899aabbccddeeff"), out);
    expect(toHex(out)).toBe("69c4e0d86a7b0430d8cdb78070b4c55a");
  });

  it("a reused Cmac asks one block per 16 bytes (+ the subkey block at setup) and never encrypts in place", () => {
    const c = counting(typescriptAes);
    const mac = new Cmac(KEY, c.factory);
    expect(c.blocks).toBe(1); // L = AES(0) for the subkeys
    c.inPlace = 0;
    for (const [n, tag] of RFC4493) {
      const before = c.blocks;
      expect(toHex(mac.mac(M.subarray(0, n)))).toBe(tag);
      expect(c.blocks - before).toBe(Math.max(1, Math.ceil(n / 16)));
    }
    expect(c.inPlace).toBe(0); // a native cipher may then take the buffers as they are
  });

  it("the CAN authenticator gives the same quantity, sync and request tags with either AES", () => {
    const nodeKey = Uint8Array.from({ length: 16 }, (_, i) => (i * 31 + 5) & 255);
    const ts = new FrameAuthenticator(nodeKey), other = new FrameAuthenticator(nodeKey, nodeAes);
    const payload = Uint8Array.of(0x12, 0x34, 0x56, 0x78);
    for (const f of [0, 1, 0xffffffff, 2 ** 32 + 5, 2 ** 52 + 3]) {
      expect(toHex(other.quantityTag(0x123, payload, f))).toBe(toHex(ts.quantityTag(0x123, payload, f)));
      expect(toHex(other.syncTag(7, f, Math.floor(f / 2)))).toBe(toHex(ts.syncTag(7, f, Math.floor(f / 2))));
      expect(toHex(other.requestTag(7, f))).toBe(toHex(ts.requestTag(7, f)));
    }
    // and a frame sealed with one checks with the other; a flipped bit does not
    const data = new Uint8Array(8);
    data.set(payload);
    ts.sealQuantity(0x123, data, 99);
    expect(other.checkQuantity(0x123, data, 99)).toBe(true);
    data[6] ^= 1;
    expect(other.checkQuantity(0x123, data, 99)).toBe(false);
  });

  it("a wrong cipher behind the port gives wrong tags (the vectors can fail)", () => {
    const broken: BlockCipherFactory = (key) => {
      const aes = typescriptAes(key);
      return { encryptBlock(src, dst) { aes.encryptBlock(src, dst); dst[15] ^= 1; } };
    };
    expect(toHex(aesCmac(KEY, new Uint8Array(0), broken))).not.toBe(RFC4493[0][1]);
  });
});
