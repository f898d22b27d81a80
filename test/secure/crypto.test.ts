import { describe, expect, it } from "vitest";
import { createCipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { sha256, Sha256 } from "../../modules/secure/sha256";
import { hmacSha256 } from "../../modules/secure/hmac";
import { Aes128 } from "../../modules/secure/aes128";
import { aesCmac, Cmac } from "../../modules/secure/cmac";
import { deriveKey } from "../../modules/secure/kdf";
import { fromHex, toHex, utf8Encode } from "../../modules/core/bytes";

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** Independent AES-CMAC built on node:crypto's AES-128-ECB (RFC 4493 §2.3/2.4). */
function nodeCmac(key: Uint8Array, msg: Uint8Array): Uint8Array {
  const enc = (block: Uint8Array): Uint8Array => {
    const c = createCipheriv("aes-128-ecb", key, null);
    c.setAutoPadding(false);
    return u8(Buffer.concat([c.update(block), c.final()]));
  };
  const dbl = (b: Uint8Array): Uint8Array => {
    const out = new Uint8Array(16);
    for (let i = 0; i < 16; i++) out[i] = ((b[i] << 1) | (i < 15 ? b[i + 1] >> 7 : 0)) & 255;
    if (b[0] & 0x80) out[15] ^= 0x87;
    return out;
  };
  const k1 = dbl(enc(new Uint8Array(16)));
  const k2 = dbl(k1);
  const n = Math.max(1, Math.ceil(msg.length / 16));
  const complete = msg.length > 0 && msg.length % 16 === 0;
  const last = new Uint8Array(16);
  const tail = msg.subarray((n - 1) * 16);
  last.set(tail);
  if (!complete) last[tail.length] = 0x80;
  for (let i = 0; i < 16; i++) last[i] ^= complete ? k1[i] : k2[i];
  let x: Uint8Array = new Uint8Array(16);
  for (let b = 0; b < n - 1; b++) {
    const y = new Uint8Array(16);
    for (let i = 0; i < 16; i++) y[i] = x[i] ^ msg[b * 16 + i];
    x = enc(y);
  }
  for (let i = 0; i < 16; i++) last[i] ^= x[i];
  return enc(last);
}

describe("SHA-256", () => {
  it("matches FIPS 180-4 examples", () => {
    expect(toHex(sha256(utf8Encode("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(toHex(sha256(new Uint8Array(0)))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(toHex(sha256(utf8Encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("agrees with node:crypto on random lengths, one-shot and incremental", () => {
    for (let n = 0; n < 300; n += 1 + (n >> 3)) {
      const data = u8(randomBytes(n));
      const want = createHash("sha256").update(data).digest("hex");
      expect(toHex(sha256(data))).toBe(want);
      const cut = n >> 1;
      expect(toHex(new Sha256().update(data.subarray(0, cut)).update(data.subarray(cut)).digest())).toBe(want);
    }
  });

  it("refuses to be used after digest", () => {
    const h = new Sha256();
    h.digest();
    expect(() => h.update(new Uint8Array(1))).toThrow(/after digest/);
  });
});

describe("HMAC-SHA-256", () => {
  it("matches RFC 4231 test cases 1, 2, 6", () => {
    expect(toHex(hmacSha256(new Uint8Array(20).fill(0x0b), utf8Encode("Hi There")))).toBe(
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    );
    expect(toHex(hmacSha256(utf8Encode("Jefe"), utf8Encode("what do ya want for nothing?")))).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
    // case 6: 131-byte key (longer than a block, hashed first)
    expect(toHex(hmacSha256(new Uint8Array(131).fill(0xaa), utf8Encode("Test Using Larger Than Block-Size Key - Hash Key First")))).toBe(
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    );
  });

  it("agrees with node:crypto on random keys and messages", () => {
    for (let i = 0; i < 60; i++) {
      const key = u8(randomBytes((i * 7) % 150));
      const msg = u8(randomBytes((i * 13) % 200));
      expect(toHex(hmacSha256(key, msg))).toBe(createHmac("sha256", key).update(msg).digest("hex"));
    }
  });
});

describe("AES-128", () => {
  it("matches FIPS 197 appendix C.1", () => {
    const aes = new Aes128(fromHex("000102030405060708090a0b0c0d0e0f"));
    expect(toHex(aes.encryptBlock(fromHex("00112233445566778899aabbccddeeff")))).toBe("69c4e0d86a7b0430d8cdb78070b4c55a");
  });

  it("agrees with node:crypto AES-128-ECB on random keys and blocks, in place too", () => {
    for (let i = 0; i < 100; i++) {
      const key = u8(randomBytes(16));
      const block = u8(randomBytes(16));
      const c = createCipheriv("aes-128-ecb", key, null);
      c.setAutoPadding(false);
      const want = Buffer.concat([c.update(block), c.final()]).toString("hex");
      const buf = new Uint8Array(40);
      buf.set(block, 7);
      new Aes128(key).encryptBlock(buf, buf, 7, 7);
      expect(toHex(buf.subarray(7, 23))).toBe(want);
    }
  });

  it("rejects keys that are not 16 bytes", () => {
    expect(() => new Aes128(new Uint8Array(15))).toThrow(/16 bytes/);
    expect(() => new Aes128(new Uint8Array(32))).toThrow(/16 bytes/);
  });
});

describe("AES-CMAC", () => {
  const key = fromHex("2b7e151628aed2a6abf7158809cf4f3c");
  const m64 = fromHex(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
  );

  it("matches RFC 4493 examples 1-4", () => {
    expect(toHex(aesCmac(key, new Uint8Array(0)))).toBe("bb1d6929e95937287fa37d129b756746");
    expect(toHex(aesCmac(key, m64.subarray(0, 16)))).toBe("070a16b46b4d4144f79bdd9dd04a287c");
    expect(toHex(aesCmac(key, m64.subarray(0, 40)))).toBe("dfa66747de9ae63030ca32611497c827");
    expect(toHex(aesCmac(key, m64))).toBe("51f0bebf7e3b9d92fc49741779363cfe");
  });

  it("agrees with an independent CMAC over node:crypto on random inputs", () => {
    for (let i = 0; i < 80; i++) {
      const k = u8(randomBytes(16));
      const m = u8(randomBytes(i % 70));
      const c = new Cmac(k);
      expect(toHex(c.mac(m))).toBe(toHex(nodeCmac(k, m)));
      expect(toHex(c.mac(m))).toBe(toHex(nodeCmac(k, m))); // reusable state
    }
  });
});

describe("deriveKey (SP 800-108 counter mode, CMAC PRF)", () => {
  it("equals CMAC(KI, 0x01 ‖ label ‖ 0x00 ‖ context ‖ 0x0080) for one block", () => {
    const ki = u8(randomBytes(16));
    const input = Buffer.concat([Buffer.from([1]), Buffer.from("can-node"), Buffer.from([0]), Buffer.from("slave-7"), Buffer.from([0x00, 0x80])]);
    expect(toHex(deriveKey(ki, "can-node", "slave-7"))).toBe(toHex(nodeCmac(ki, u8(input))));
  });

  it("chains blocks with the counter for longer outputs", () => {
    const ki = u8(randomBytes(16));
    const out = deriveKey(ki, "x", "y", 40);
    expect(out.length).toBe(40);
    for (let i = 1; i <= 3; i++) {
      const input = Buffer.concat([Buffer.from([i]), Buffer.from("x"), Buffer.from([0]), Buffer.from("y"), Buffer.from([0x01, 0x40])]);
      expect(toHex(out.subarray((i - 1) * 16, Math.min(40, i * 16)))).toBe(toHex(nodeCmac(ki, u8(input))).slice(0, (Math.min(40, i * 16) - (i - 1) * 16) * 2));
    }
  });

  it("gives different keys for different nodes and labels", () => {
    const ki = u8(randomBytes(16));
    const a = toHex(deriveKey(ki, "can-node", "1"));
    expect(toHex(deriveKey(ki, "can-node", "2"))).not.toBe(a);
    expect(toHex(deriveKey(ki, "can-nodf", "1"))).not.toBe(a);
  });

  it("rejects bad lengths and keys", () => {
    expect(() => deriveKey(new Uint8Array(16), "a", "b", 0)).toThrow(RangeError);
    expect(() => deriveKey(new Uint8Array(8), "a", "b")).toThrow(/16 bytes/);
  });
});
