// The board's CMAC AES adapter (hosts/esp32/crypt-aes.ts) over a stand-in for Moddable's crypt
// BlockCipher with its calling convention (ArrayBuffers in and out, as modCrypt.c's
// xsmcToArrayBuffer needs) and node:crypto's AES-128-ECB inside: RFC 4493 tags come out, the
// CMAC's blocks go straight through without copies, and odd views still work.
import { describe, expect, it } from "vitest";
import { cryptAes } from "../../hosts/esp32/crypt-aes";
import { NodeCryptCipher } from "./fakes/node-crypt-cipher";
import { aesCmac, Cmac } from "../../modules/secure/cmac";
import { typescriptAes } from "../../modules/secure/block-cipher";
import { fromHex, toHex } from "../../modules/core/bytes";

const native = cryptAes(NodeCryptCipher);

const KEY = fromHex("2b7e151628aed2a6abf7158809cf4f3c");
const M = fromHex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");

describe("CryptAes (the board's native AES behind the BlockCipher port)", () => {
  it("gives RFC 4493's tags", () => {
    expect(toHex(aesCmac(KEY, new Uint8Array(0), native))).toBe("bb1d6929e95937287fa37d129b756746");
    expect(toHex(aesCmac(KEY, M.subarray(0, 16), native))).toBe("070a16b46b4d4144f79bdd9dd04a287c");
    expect(toHex(aesCmac(KEY, M.subarray(0, 40), native))).toBe("dfa66747de9ae63030ca32611497c827");
    expect(toHex(aesCmac(KEY, M, native))).toBe("51f0bebf7e3b9d92fc49741779363cfe");
  });

  it("a CAN frame's CMAC is one native call per block, the buffers passed as they are", () => {
    const mac = new Cmac(KEY, native);
    const tag = new Uint8Array(16);
    const before = NodeCryptCipher.calls;
    mac.mac(new Uint8Array(10), tag);
    expect(NodeCryptCipher.calls - before).toBe(1);
    expect(toHex(tag)).toBe(toHex(new Cmac(KEY).mac(new Uint8Array(10))));
  });

  it("in place and at an offset (through its scratch buffers) it matches the TypeScript AES", () => {
    const key = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
    const ref = new Uint8Array(16), block = Uint8Array.from({ length: 16 }, (_, i) => 255 - i);
    typescriptAes(key).encryptBlock(block, ref);
    const inPlace = block.slice();
    native(key).encryptBlock(inPlace, inPlace);
    expect(toHex(inPlace)).toBe(toHex(ref));
    const big = new Uint8Array(40);
    big.set(block, 3);
    native(key).encryptBlock(big.subarray(3, 19), big.subarray(20, 36));
    expect(toHex(big.subarray(20, 36))).toBe(toHex(ref));
    expect(toHex(big.subarray(3, 19))).toBe(toHex(block)); // the source is left as it was
  });

  it("refuses a key that is not 16 bytes, as the TypeScript AES does", () => {
    expect(() => native(new Uint8Array(15))).toThrow(/16 bytes/);
    expect(() => native(new Uint8Array(32))).toThrow(/16 bytes/);
  });
});
