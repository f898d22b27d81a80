// OTA: signed images in A/B slots on a simulated NOR flash. Each bad image
// (corrupted, forged, truncated, older, other product) is rejected and the
// running firmware still boots; a new image must confirm itself or it is
// rolled back; a download cut by a power loss resumes where it stopped.
import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";
import { buildImage, compareVersions, OtaError, parseHeader } from "../../modules/ota/image";
import { OtaSlots } from "../../modules/ota/slots";
import { publicKeyFromSeed } from "../../modules/secure/ed25519";

const seed = new Uint8Array(randomBytes(32));
const pub = publicKeyFromSeed(seed);
const SIZE = 64 * 4096;

function image(version: string, size = 20_000, key = seed, product = "xsmeter"): { bytes: Uint8Array; firmware: Uint8Array } {
  const firmware = new Uint8Array(randomBytes(size));
  const hash = createHash("sha256").update(firmware).digest("hex");
  return { bytes: buildImage(firmware, version, hash, key, product), firmware };
}

function fresh() {
  const flash = new NorFlashSim({ size: SIZE });
  const factory = image("1.0.0");
  new OtaSlots(flash, pub).installFactory(factory.bytes);
  return { flash, factory };
}

/** Reboots the meter: a new OtaSlots object over the same flash, then the boot decision. */
function reboot(flash: NorFlashSim) {
  flash.reboot();
  const slots = new OtaSlots(flash, pub);
  return { slots, boot: slots.boot() };
}

function download(slots: OtaSlots, img: Uint8Array, chunk = 1000): void {
  let at = slots.begin(img.subarray(0, 1024));
  while (at < img.length) {
    const part = img.subarray(at, Math.min(img.length, at + chunk));
    slots.write(at, part);
    at += part.length;
  }
  slots.finish();
}

describe("OTA image", () => {
  it("carries a manifest whose size and SHA-256 are the firmware's", () => {
    const { bytes, firmware } = image("2.3.4", 5000);
    const h = parseHeader(bytes);
    expect(h.manifest).toEqual({ product: "xsmeter", version: "2.3.4", size: 5000, sha256: createHash("sha256").update(firmware).digest("hex") });
    expect(bytes.length).toBe(h.length + 5000);
    expect(compareVersions("1.10.0", "1.9.9")).toBeGreaterThan(0);
    expect(() => parseHeader(bytes.subarray(0, 20))).toThrow(/truncated/);
    expect(() => parseHeader(Uint8Array.of(1, 2, 3, 4, 5, 6, 7))).toThrow(/magic/);
  });
});

describe("A/B slots", () => {
  it("installs a newer image, tries it once, and keeps it when it confirms itself", () => {
    const { flash } = fresh();
    let { slots, boot } = reboot(flash);
    expect(boot).toMatchObject({ slot: 0, version: "1.0.0", trial: false });
    download(slots, image("1.1.0").bytes);
    ({ slots, boot } = reboot(flash));
    expect(boot).toMatchObject({ slot: 1, version: "1.1.0", trial: true });
    slots.confirm();
    ({ slots, boot } = reboot(flash));
    expect(boot).toMatchObject({ slot: 1, version: "1.1.0", trial: false });
    // and the next update goes to the other slot
    download(slots, image("1.2.0").bytes);
    ({ slots, boot } = reboot(flash));
    expect(boot).toMatchObject({ slot: 0, version: "1.2.0", trial: true });
  });

  it("rolls back when the new image does not confirm itself", () => {
    const { flash } = fresh();
    let { slots, boot } = reboot(flash);
    download(slots, image("1.1.0").bytes);
    ({ boot } = reboot(flash));
    expect(boot.trial).toBe(true);
    // it crashes before confirm(): the watchdog reboots
    ({ slots, boot } = reboot(flash));
    expect(boot).toMatchObject({ slot: 0, version: "1.0.0", trial: false });
    expect(boot.note).toMatch(/did not confirm/);
    ({ boot } = reboot(flash));
    expect(boot).toMatchObject({ slot: 0, version: "1.0.0", trial: false });
  });

  it("rejects corrupted, forged, truncated, older, equal and foreign images; the running one keeps booting", () => {
    const { flash } = fresh();
    const { slots } = reboot(flash);
    const corrupt = image("1.1.0").bytes.slice();
    corrupt[corrupt.length - 100] ^= 0x40;
    expect(() => download(slots, corrupt)).toThrow(/corrupted/);
    const forged = image("1.1.0", 20_000, new Uint8Array(randomBytes(32))).bytes;
    expect(() => download(slots, forged)).toThrow(/forged/);
    const tampered = image("1.1.0").bytes.slice();
    tampered[20] ^= 1; // inside the signed manifest
    expect(() => download(slots, tampered)).toThrow(OtaError);
    const truncated = image("1.1.0").bytes;
    const s2 = new OtaSlots(flash, pub);
    s2.boot();
    const at = s2.begin(truncated.subarray(0, 1024));
    s2.write(at, truncated.subarray(at, truncated.length - 10));
    expect(() => s2.finish()).toThrow(/truncated/);
    expect(() => download(s2, image("0.9.0").bytes)).toThrow(/downgrade/);
    expect(() => download(s2, image("1.0.0").bytes)).toThrow(/downgrade/);
    expect(() => download(s2, image("2.0.0", 100, seed, "other").bytes)).toThrow(/for other/);
    expect(() => download(s2, image("2.0.0", 300_000).bytes)).toThrow(/does not fit/);
    for (let i = 0; i < 2; i++) expect(reboot(flash).boot).toMatchObject({ slot: 0, version: "1.0.0", trial: false });
  });

  it("refuses a downgrade after an upgrade was confirmed", () => {
    const { flash } = fresh();
    let { slots } = reboot(flash);
    download(slots, image("1.5.0").bytes);
    ({ slots } = reboot(flash));
    slots.confirm();
    ({ slots } = reboot(flash));
    expect(() => download(slots, image("1.4.9").bytes)).toThrow(/downgrade refused: 1.4.9 is not newer than 1.5.0/);
  });

  it("resumes a download cut by a power loss, and the result verifies", () => {
    const { flash } = fresh();
    let { slots } = reboot(flash);
    const img = image("1.1.0", 50_000).bytes;
    let at = slots.begin(img.subarray(0, 1024));
    flash.cutAfterBytes(23_456);
    expect(() => {
      for (;;) {
        const part = img.subarray(at, Math.min(img.length, at + 700));
        slots.write(at, part);
        at += part.length;
      }
    }).toThrow(PowerCut);
    ({ slots } = reboot(flash));
    const resumeAt = slots.downloaded;
    expect(resumeAt).toBeGreaterThan(4096);
    expect(resumeAt).toBeLessThanOrEqual(at);
    expect(slots.begin(img.subarray(0, 1024))).toBe(resumeAt);
    for (let off = resumeAt; off < img.length; ) {
      const part = img.subarray(off, Math.min(img.length, off + 700));
      slots.write(off, part);
      off += part.length;
    }
    slots.finish();
    expect(reboot(flash).boot).toMatchObject({ slot: 1, version: "1.1.0", trial: true });
  });

  it("survives a power cut at any point of an update: it boots the old or the new image, never nothing", () => {
    const img = image("1.1.0", 9000).bytes;
    for (const cut of [0, 1, 31, 500, 4100, 9000, 12_000, 13_500, 14_000]) {
      const { flash } = fresh();
      const { slots } = reboot(flash);
      flash.cutAfterBytes(cut);
      try {
        download(slots, img, 512);
      } catch (e) {
        expect(e).toBeInstanceOf(PowerCut);
      }
      const { boot } = reboot(flash);
      expect(["1.0.0", "1.1.0"], `cut at ${cut}`).toContain(boot.version);
    }
  });

  it("refuses writes out of order", () => {
    const { flash } = fresh();
    const { slots } = reboot(flash);
    const img = image("1.1.0").bytes;
    const at = slots.begin(img.subarray(0, 1024));
    expect(() => slots.write(at + 10, img.subarray(at + 10, at + 20))).toThrow(/out of order/);
  });
});
