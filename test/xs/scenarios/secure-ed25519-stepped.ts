// XS conformance: the stepped Ed25519 verifier gives the one-shot verdicts (RFC 8032
// TEST 1–3 and SHA(abc), edited signatures and messages, S + L, bad key points) in
// XS as on Node. Probes, in this order on one engine: `oneStep` is ONE step at the
// default budget (the first, of a fresh verification of an OTA-sized message),
// `remainingSteps` the other steps of that verification, `oneShot` the whole
// verification in one call. bench/ed25519-steps.ts meters every step in XS alone.
import { fromHex, utf8Encode } from "../../../modules/core/bytes";
import { DEFAULT_STEP_BUDGET, Ed25519Verification, sign, verify } from "../../../modules/secure/ed25519";

const VECTORS = [
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

const SEED = fromHex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
const PUB = fromHex(VECTORS[1][0]);
// an OTA header's signed bytes are about this long (domain label + manifest JSON)
const MANIFEST = utf8Encode(`xsmeter-ota-v1\u0000{"product":"xsmeter","version":"1.4.2","size":1234567,"sha256":"${"ab".repeat(32)}"}`);
const MANIFEST_SIG = sign(MANIFEST, SEED);

function stepped(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array, budget = DEFAULT_STEP_BUDGET): { ok: boolean; steps: number; work: number } {
  const v = new Ed25519Verification(pk, msg, sig);
  let steps = 1;
  while (!v.step(budget)) steps++;
  return { ok: v.result(), steps, work: v.work };
}

export function run(): unknown {
  const rfc = VECTORS.map(([pk, msg, sig]) => {
    const edited = fromHex(sig);
    edited[33] ^= 4;
    return {
      stepped: stepped(fromHex(pk), fromHex(msg), fromHex(sig)),
      oneShot: verify(fromHex(msg), fromHex(sig), fromHex(pk)),
      bigSteps: stepped(fromHex(pk), fromHex(msg), fromHex(sig), 500).ok,
      edited: stepped(fromHex(pk), fromHex(msg), edited).ok,
    };
  });
  // S + L for TEST 2 (its S is small enough): the same scalar, not canonical
  const sPlusL = fromHex(VECTORS[1][2]);
  const L = [0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10];
  let c = 0;
  for (let i = 0; i < 32; i++) {
    const v = sPlusL[32 + i] + L[i] + c;
    sPlusL[32 + i] = v & 255;
    c = v >> 8;
  }
  const yP = new Uint8Array(32).fill(0xff);
  yP[0] = 0xed;
  yP[31] = 0x7f; // y = p
  const noX = new Uint8Array(32);
  noX[0] = 2; // y = 2: (y² − 1)/(d·y² + 1) is not a square mod p
  const manifest = stepped(PUB, MANIFEST, MANIFEST_SIG);
  const forgedManifest = MANIFEST.slice();
  forgedManifest[40] ^= 1;
  return {
    rfc,
    nonCanonicalS: { carry: c, stepped: stepped(PUB, fromHex(VECTORS[1][1]), sPlusL).ok },
    keyYisP: stepped(yP, MANIFEST, MANIFEST_SIG).ok,
    keyOffCurve: stepped(noX, MANIFEST, MANIFEST_SIG).ok,
    manifest,
    forgedManifest: stepped(PUB, forgedManifest, MANIFEST_SIG).ok,
    defaultBudget: DEFAULT_STEP_BUDGET,
  };
}

let pending: Ed25519Verification | undefined;

/** Starts a verification of the OTA-sized manifest, or of a signed message of `bytes` bytes (for the probes and the bench). */
export function start(bytes?: number): boolean {
  if (bytes === undefined) pending = new Ed25519Verification(PUB, MANIFEST, MANIFEST_SIG);
  else {
    const msg = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i++) msg[i] = (i * 131 + 7) & 255;
    pending = new Ed25519Verification(PUB, msg, sign(msg, SEED));
  }
  return pending.done;
}

/** One step (at the default budget unless told); the work it did (field multiplications) and whether it finished. */
export function stepOnce(budget = DEFAULT_STEP_BUDGET): { work: number; done: boolean; ok: boolean } {
  const v = pending!;
  const before = v.work;
  const done = v.step(budget);
  return { work: v.work - before, done, ok: v.result() };
}

export const probes = {
  oneStep(): unknown {
    start();
    return stepOnce();
  },
  remainingSteps(): unknown {
    let steps = 0;
    while (!pending!.step()) steps++;
    return { steps: steps + 1, ok: pending!.result(), work: pending!.work };
  },
  oneShot(): unknown {
    return verify(MANIFEST, MANIFEST_SIG, PUB);
  },
};
