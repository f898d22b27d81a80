// XS conformance: the OTA boot check on a mark. A factory image (16 KiB of
// firmware) is installed on a RAM flash (verified once, in full), then each
// boot checks only the slot's mark and the firmware's SHA-256. The probes
// price one boot on the mark and the SHA-256 of 16 KiB alone (compare with
// ota-ed25519's ed25519Verify: the signature check the boot no longer does), and
// the same with bootCheck "crc32".
import { RamFlash } from "../../../modules/core/ram-flash";
import { crc32, fromHex, toHex } from "../../../modules/core/bytes";
import { sha256 } from "../../../modules/secure/sha256";
import { publicKeyFromSeed } from "../../../modules/secure/ed25519";
import { buildImage } from "../../../modules/ota/image";
import { OtaSlots } from "../../../modules/ota/slots";
import { countBoot } from "../../../modules/ota/boot-counter";

const SEED = fromHex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
const PUB = publicKeyFromSeed(SEED);
const FIRMWARE = new Uint8Array(16 * 1024).map((_, i) => (i * 131 + 7) & 255);


const flash = new RamFlash(12 * 4096);
const image = buildImage(FIRMWARE, "1.0.0", toHex(sha256(FIRMWARE)), SEED);
const installer = new OtaSlots(flash, PUB);
installer.installFactory(image);
const crcFlash = new RamFlash(12 * 4096);
new OtaSlots(crcFlash, PUB, "xsmeter", { bootCheck: "crc32" }).installFactory(image);
const counts: number[] = [];
const store = { get: (k: number) => (k === 1 ? counts[counts.length - 1] : undefined), set: (_k: number, v: number) => void counts.push(v) };

export function run(): unknown {
  const boots = [];
  for (let i = 0; i < 3; i++) {
    const slots = new OtaSlots(flash, PUB);
    const r = slots.boot();
    boots.push({ ...r, checks: slots.checks, boot: countBoot(store, 1) });
  }
  // a bit flipped in the firmware: the mark still matches the header, the SHA-256 does not
  const tampered = new RamFlash(12 * 4096);
  new OtaSlots(tampered, PUB).installFactory(image);
  tampered.program(2 * 4096 + image.length - 100, Uint8Array.of(0xfe));
  let refused = "";
  try {
    new OtaSlots(tampered, PUB).boot();
  } catch (e) {
    refused = (e as Error).message;
  }
  return { installChecks: installer.checks, boots, refused };
}

export const probes = {
  bootOnMark16KiB(): unknown {
    const slots = new OtaSlots(flash, PUB);
    return slots.boot().version;
  },
  bootOnCrcMark16KiB(): unknown {
    const slots = new OtaSlots(crcFlash, PUB, "xsmeter", { bootCheck: "crc32" });
    return [slots.boot().version, slots.checks.signatureChecks];
  },
  crc32Of16KiB(): unknown {
    return crc32(FIRMWARE);
  },
  sha256Of16KiB(): unknown {
    return toHex(sha256(FIRMWARE)).slice(0, 16);
  },
};
