// XS conformance: AES-128, AES-CMAC (RFC 4493), SHA-256, HMAC-SHA-256 (RFC 4231), KDF.
import { Aes128 } from "../../../modules/secure/aes128";
import { aesCmac, Cmac } from "../../../modules/secure/cmac";
import { sha256 } from "../../../modules/secure/sha256";
import { hmacSha256 } from "../../../modules/secure/hmac";
import { deriveKey } from "../../../modules/secure/kdf";
import { fromHex, toHex, utf8Encode } from "../../../modules/core/bytes";

const KEY = fromHex("2b7e151628aed2a6abf7158809cf4f3c");
const M = fromHex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");

export function run(): unknown {
  return {
    aes: toHex(new Aes128(fromHex("000102030405060708090a0b0c0d0e0f")).encryptBlock(fromHex("00112233445566778899aabbccddeeff"))),
    cmac: [0, 16, 40, 64].map((n) => toHex(aesCmac(KEY, M.subarray(0, n)))),
    sha: toHex(sha256(utf8Encode("abc"))),
    hmac: toHex(hmacSha256(new Uint8Array(20).fill(0x0b), utf8Encode("Hi There"))),
    kdf: toHex(deriveKey(KEY, "xsmeter-can-node", "node-1")),
  };
}

const cmac = new Cmac(KEY);
const block10 = new Uint8Array(10);
const out = new Uint8Array(16);
export const probes = {
  cmac10bytes(): unknown {
    return cmac.mac(block10, out)[0];
  },
  sha256_64bytes(): unknown {
    return sha256(M)[0];
  },
};
