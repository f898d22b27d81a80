// The stepped Ed25519 verifier: the RFC 8032 vectors at any step size, the same verdict
// as the one-shot verify and as node:crypto (OpenSSL) on random keys, messages and
// tampered signatures, rejection of non-canonical S and of bad public-key points
// (checked against the curve equation computed here with BigInt), bounded steps, and
// inputs copied so a caller reusing its buffers between steps changes nothing.
import { describe, expect, it } from "vitest";
import { createPublicKey, randomBytes, verify as nodeVerify } from "node:crypto";
import { DEFAULT_STEP_BUDGET, Ed25519Verification, publicKeyFromSeed, sign, verify } from "../../modules/secure/ed25519";
import { fromHex, toHex } from "../../modules/core/bytes";

const SPKI_PREFIX = "302a300506032b6570032100";
const nodeOk = (msg: Uint8Array, sig: Uint8Array, pk: Uint8Array): boolean => {
  try {
    return nodeVerify(null, msg, createPublicKey({ key: Buffer.from(SPKI_PREFIX + toHex(pk), "hex"), format: "der", type: "spki" }), sig);
  } catch {
    return false;
  }
};

/** Steps to the end; returns the verdict, the steps taken and the largest step's work. */
function stepped(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array, budget?: number) {
  const v = new Ed25519Verification(pk, msg, sig);
  let steps = 0;
  let largest = 0;
  for (;;) {
    const before = v.work;
    const done = v.step(budget);
    steps++;
    largest = Math.max(largest, v.work - before);
    if (done) break;
    expect(v.result()).toBe(false); // no verdict before the end
    if (steps > 100_000) throw new Error("does not finish");
  }
  return { ok: v.result(), steps, largest, work: v.work };
}

// RFC 8032 §7.1 TEST 1, 2, 3 and SHA(abc): public key, message, signature.
const RFC = [
  ["d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"],
  ["3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"],
  ["fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
    "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"],
  ["ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"],
] as const;

// the curve, independently: −x² + y² = 1 + d·x²·y² over p = 2^255 − 19
const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const modp = (a: bigint) => ((a % P) + P) % P;
function powp(b: bigint, e: bigint): bigint {
  let r = 1n;
  b = modp(b);
  for (; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
  return r;
}
const Dc = modp(-121665n * powp(121666n, P - 2n));
/** Is there an x with x² = (y² − 1)/(d·y² + 1)? (Euler's criterion) */
function yOnCurve(y: bigint): boolean {
  const u = modp(y * y - 1n), v = modp(Dc * y * y + 1n);
  const x2 = (u * powp(v, P - 2n)) % P;
  return x2 === 0n || powp(x2, (P - 1n) / 2n) === 1n;
}
const le32 = (n: bigint) => {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++) b[i] = Number((n >> BigInt(8 * i)) & 255n);
  return b;
};

describe("Ed25519Verification (stepped)", () => {
  it("verifies the RFC 8032 vectors at any step size, and refuses them edited", () => {
    for (const [pk, msg, sig] of RFC) {
      for (const budget of [1, 5, DEFAULT_STEP_BUDGET, 200, Infinity]) {
        const r = stepped(fromHex(pk), fromHex(msg), fromHex(sig), budget);
        expect(r.ok, `budget ${budget}`).toBe(true);
        if (budget === Infinity) expect(r.steps).toBe(1);
      }
      const edited = fromHex(sig);
      edited[40] ^= 0x10;
      expect(stepped(fromHex(pk), fromHex(msg), edited).ok).toBe(false);
      const m = new Uint8Array([...fromHex(msg), 0]);
      expect(stepped(fromHex(pk), m, fromHex(sig)).ok).toBe(false);
    }
  });

  it("gives the one-shot verdict and node:crypto's on random keys, messages and tampered signatures", () => {
    for (let k = 0; k < 6; k++) {
      const seed = new Uint8Array(randomBytes(32));
      const pk = publicKeyFromSeed(seed);
      const msg = new Uint8Array(randomBytes(k * 61)); // 0 … 305 bytes: up to 3 hash blocks
      const sig = sign(msg, seed);
      const bad = sig.slice();
      const bit = randomBytes(2).readUInt16LE() % 512;
      bad[bit >> 3] ^= 1 << (bit & 7);
      for (const s of [sig, bad]) {
        const r = stepped(pk, msg, s);
        expect(r.ok).toBe(verify(msg, s, pk));
        expect(r.ok).toBe(nodeOk(msg, s, pk));
      }
      expect(stepped(pk, msg, sig).ok).toBe(true);
      expect(stepped(pk, msg, bad).ok).toBe(false);
    }
  });

  it("bounds every step: at most the budget (or one indivisible piece, ≤ 18, when the budget is smaller)", () => {
    const seed = new Uint8Array(randomBytes(32));
    const msg = new Uint8Array(randomBytes(200));
    const r = stepped(publicKeyFromSeed(seed), msg, sign(msg, seed));
    expect(r.ok).toBe(true);
    expect(r.largest).toBeLessThanOrEqual(DEFAULT_STEP_BUDGET);
    expect(r.work).toBeGreaterThan(3000); // a 253-bit double-scalar multiplication and two exponentiations
    expect(r.steps).toBeGreaterThanOrEqual(Math.ceil(r.work / DEFAULT_STEP_BUDGET));
    const tiny = stepped(publicKeyFromSeed(seed), msg, sign(msg, seed), 1);
    expect(tiny.ok).toBe(true);
    expect(tiny.largest).toBeLessThanOrEqual(18); // a ladder bit with an addition: doubling + addition
  });

  it("refuses a non-canonical S (S + L) at once, though it is the same scalar", () => {
    const seed = new Uint8Array(randomBytes(32));
    const pk = publicKeyFromSeed(seed);
    const msg = new TextEncoder().encode("xsmeter 2.0.0");
    for (let k = 0; k < 8; k++) {
      const sig = sign(new Uint8Array([...msg, k]), seed);
      let S = 0n;
      for (let i = 31; i >= 0; i--) S = (S << 8n) | BigInt(sig[32 + i]);
      if (S + L >= 2n ** 256n) continue;
      const s = sig.slice();
      s.set(le32(S + L), 32);
      const v = new Ed25519Verification(pk, new Uint8Array([...msg, k]), s);
      expect(v.done).toBe(true); // refused in the constructor: no steps spent
      expect(v.result()).toBe(false);
      expect(nodeOk(new Uint8Array([...msg, k]), s, pk)).toBe(false);
      return;
    }
    throw new Error("no S with S + L < 2^256 in 8 tries");
  });

  it("refuses public keys that are not points: y ≥ p, y off the curve, x = 0 with the sign bit", () => {
    const seed = new Uint8Array(randomBytes(32));
    const msg = new TextEncoder().encode("manifest");
    const sig = sign(msg, seed);
    // y = p (≡ 0, which is on the curve, but not canonical)
    expect(stepped(le32(P), msg, sig).ok).toBe(false);
    // the first few y values that have no x, found from the curve equation here
    let found = 0;
    for (let y = 2n; found < 3; y++) {
      if (yOnCurve(y)) continue;
      found++;
      expect(stepped(le32(y), msg, sig).ok, `y = ${y}`).toBe(false);
      expect(nodeOk(msg, sig, le32(y))).toBe(false);
    }
    // y = 1 is the point (0, 1): "−0" (sign bit set) is not a valid encoding
    const negZero = le32(1n);
    negZero[31] |= 0x80;
    expect(stepped(negZero, msg, sig).ok).toBe(false);
    // wrong lengths
    expect(stepped(publicKeyFromSeed(seed).subarray(0, 31), msg, sig).ok).toBe(false);
    expect(stepped(publicKeyFromSeed(seed), msg, sig.subarray(0, 63)).ok).toBe(false);
  });

  it("copies its inputs: reusing the caller's buffers between steps changes nothing", () => {
    const seed = new Uint8Array(randomBytes(32));
    const pk = publicKeyFromSeed(seed);
    const msg = new Uint8Array(randomBytes(100));
    const sig = sign(msg, seed);
    const v = new Ed25519Verification(pk, msg, sig);
    v.step();
    msg.fill(0);
    sig.fill(0);
    pk.fill(0);
    while (!v.step());
    expect(v.result()).toBe(true);
    const work = v.work;
    expect(v.step()).toBe(true); // done stays done, at no cost
    expect(v.work).toBe(work);
  });
});
