// Ed25519 and SHA-512: RFC 8032 / FIPS 180-4 vectors, and a cross-check with
// node:crypto (OpenSSL) on random keys and messages, both ways.
import { describe, expect, it } from "vitest";
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { sha512 } from "../../modules/secure/sha512";
import { publicKeyFromSeed, sign, verify } from "../../modules/secure/ed25519";
import { fromHex, toHex } from "../../modules/core/bytes";

const PKCS8_PREFIX = "302e020100300506032b657004220420";
const SPKI_PREFIX = "302a300506032b6570032100";

function nodeKey(seed: Uint8Array) {
  return createPrivateKey({ key: Buffer.from(PKCS8_PREFIX + toHex(seed), "hex"), format: "der", type: "pkcs8" });
}
function nodePublic(seed: Uint8Array): Uint8Array {
  const der = createPublicKey(nodeKey(seed)).export({ format: "der", type: "spki" });
  return new Uint8Array(der.subarray(der.length - 32));
}
function nodePublicKey(pk: Uint8Array) {
  return createPublicKey({ key: Buffer.from(SPKI_PREFIX + toHex(pk), "hex"), format: "der", type: "spki" });
}

describe("sha512", () => {
  it("matches FIPS 180-4 'abc' and node:crypto on lengths around the block edges", () => {
    expect(toHex(sha512(new TextEncoder().encode("abc")))).toBe(
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    );
    for (const n of [0, 1, 55, 111, 112, 113, 127, 128, 129, 239, 240, 255, 256, 1000, 4097]) {
      const data = randomBytes(n);
      expect(toHex(sha512(new Uint8Array(data))), `length ${n}`).toBe(createHash("sha512").update(data).digest("hex"));
    }
  });
});

// RFC 8032 §7.1 TEST 1, 2, 3 and TEST SHA(abc).
const RFC = [
  ["9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"],
  ["4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"],
  ["c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7", "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
    "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"],
  ["833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42", "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"],
] as const;

describe("ed25519", () => {
  it("reproduces the RFC 8032 test vectors (and so does node:crypto)", () => {
    for (const [sk, pk, msg, sig] of RFC) {
      const seed = fromHex(sk);
      const m = fromHex(msg);
      expect(toHex(publicKeyFromSeed(seed))).toBe(pk);
      expect(toHex(nodePublic(seed))).toBe(pk);
      expect(toHex(sign(m, seed))).toBe(sig);
      expect(verify(m, fromHex(sig), fromHex(pk))).toBe(true);
    }
  });

  it("agrees with node:crypto on random keys and messages, both ways", () => {
    for (let k = 0; k < 12; k++) {
      const seed = new Uint8Array(randomBytes(32));
      const msg = new Uint8Array(randomBytes(k * 37));
      const pk = publicKeyFromSeed(seed);
      expect(toHex(pk)).toBe(toHex(nodePublic(seed)));
      const ours = sign(msg, seed);
      const theirs = new Uint8Array(nodeSign(null, msg, nodeKey(seed)));
      expect(toHex(ours)).toBe(toHex(theirs)); // Ed25519 is deterministic
      expect(nodeVerify(null, msg, nodePublicKey(pk), ours)).toBe(true);
      expect(verify(msg, theirs, pk)).toBe(true);
    }
  });

  it("rejects forged, altered, truncated and non-canonical signatures", () => {
    const seed = new Uint8Array(randomBytes(32));
    const pk = publicKeyFromSeed(seed);
    const msg = new TextEncoder().encode("firmware 1.2.3");
    const sig = sign(msg, seed);
    // every single-bit flip of the signature, the message and the key
    for (let bit = 0; bit < 512; bit += 7) {
      const s = sig.slice();
      s[bit >> 3] ^= 1 << (bit & 7);
      expect(verify(msg, s, pk)).toBe(nodeVerify(null, msg, nodePublicKey(pk), s));
      expect(verify(msg, s, pk)).toBe(false);
    }
    const m2 = msg.slice();
    m2[3] ^= 1;
    expect(verify(m2, sig, pk)).toBe(false);
    const otherPk = publicKeyFromSeed(new Uint8Array(randomBytes(32)));
    expect(verify(msg, sig, otherPk)).toBe(false);
    expect(verify(msg, sig.subarray(0, 63), pk)).toBe(false);
    expect(verify(msg, sig, pk.subarray(0, 31))).toBe(false);
    // S + L encodes the same scalar: valid in the group, rejected as non-canonical (RFC 8032 §5.1.7)
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let S = 0n;
    for (let i = 31; i >= 0; i--) S = (S << 8n) | BigInt(sig[32 + i]);
    const SL = S + L;
    if (SL < 2n ** 256n) {
      const s = sig.slice();
      for (let i = 0; i < 32; i++) s[32 + i] = Number((SL >> BigInt(8 * i)) & 255n);
      expect(verify(msg, s, pk)).toBe(false);
    }
    // a public key with y >= p
    const badPk = fromHex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    expect(verify(msg, sig, badPk)).toBe(false);
  });
});
