// XS conformance: SHA-512, Ed25519 (RFC 8032 TEST 2) and an OTA image header
// verified inside XS; the probe is one Ed25519 verification alone.
import { fromHex, toHex, utf8Encode } from "../../../modules/core/bytes";
import { sha512 } from "../../../modules/secure/sha512";
import { publicKeyFromSeed, sign, verify } from "../../../modules/secure/ed25519";
import { buildImage, headerSigned, parseHeader } from "../../../modules/ota/image";

const SEED = fromHex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
const PUB = fromHex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
const MSG = fromHex("72");
const SIG = fromHex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");

export function run(): unknown {
  const pub = publicKeyFromSeed(SEED);
  const sig = sign(MSG, SEED);
  const bad = SIG.slice();
  bad[5] ^= 1;
  const image = buildImage(utf8Encode("firmware"), "1.2.3", "00".repeat(32), SEED);
  const header = parseHeader(image);
  return {
    sha512abc: toHex(sha512(utf8Encode("abc"))),
    pub: toHex(pub),
    pubMatchesRfc: toHex(pub) === toHex(PUB),
    sig: toHex(sig),
    valid: verify(MSG, SIG, PUB),
    forged: verify(MSG, bad, PUB),
    manifest: header.manifest,
    headerSigned: headerSigned(header, PUB),
  };
}

export const probes = {
  ed25519Verify(): unknown {
    return verify(MSG, SIG, PUB);
  },
  sha512Of1KiB(): unknown {
    return toHex(sha512(new Uint8Array(1024))).slice(0, 16);
  },
};
