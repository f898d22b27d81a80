// Verify once, boot on a mark: the Ed25519 signature is checked when an image is
// written; boots check the slot's mark and the firmware's SHA-256 only. A forged
// image written straight to flash (behind the updater's back) never boots; with a
// device key not even a forged state log helps. A state log written by the v1
// firmware (no marks) is verified in full once, then marked. And the boot
// counter: strictly increasing across reboots, also with a power cut at any byte.
import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { crc32 as zcrc32 } from "node:zlib";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";
import { buildImage } from "../../modules/ota/image";
import { OtaSlots } from "../../modules/ota/slots";
import { countBoot } from "../../modules/ota/boot-counter";
import { FlashCounterStore } from "../../modules/secure/counter-store";
import { publicKeyFromSeed } from "../../modules/secure/ed25519";

const seed = new Uint8Array(randomBytes(32));
const pub = publicKeyFromSeed(seed);
const attacker = new Uint8Array(randomBytes(32));
const SIZE = 64 * 4096;
const SLOT0 = 2 * 4096;
const SLOT_SIZE = 31 * 4096;

function image(version: string, key = seed, size = 12_000): Uint8Array {
  const firmware = new Uint8Array(randomBytes(size));
  return buildImage(firmware, version, createHash("sha256").update(firmware).digest("hex"), key);
}

function download(slots: OtaSlots, img: Uint8Array): void {
  let at = slots.begin(img.subarray(0, 1024));
  for (; at < img.length; at += 1000) slots.write(at, img.subarray(at, Math.min(img.length, at + 1000)));
  slots.finish();
}

/** Writes bytes straight into the partition (a programmer clip on the flash chip). */
function writeRaw(flash: NorFlashSim, at: number, bytes: Uint8Array): void {
  for (let s = Math.floor(at / 4096); s * 4096 < at + bytes.length; s++) flash.eraseSector(s);
  for (let i = 0; i < bytes.length; ) {
    const n = Math.min(256 - ((at + i) % 256), bytes.length - i);
    flash.program(at + i, bytes.subarray(i, i + n));
    i += n;
  }
}

function boot(flash: NorFlashSim, deviceKey?: Uint8Array) {
  flash.reboot();
  const slots = new OtaSlots(flash, pub, "xsmeter", { deviceKey });
  return { slots, result: slots.boot() };
}

describe("verify once, boot on a mark", () => {
  it("checks the signature when an image is written, never at boot", () => {
    const flash = new NorFlashSim({ size: SIZE });
    const installer = new OtaSlots(flash, pub);
    installer.installFactory(image("1.0.0"));
    expect(installer.checks.signatureChecks).toBe(1);
    let { slots, result } = boot(flash);
    expect(result).toMatchObject({ slot: 0, version: "1.0.0" });
    expect(slots.checks).toEqual({ signatureChecks: 0, markChecks: 1 });
    download(slots, image("1.1.0"));
    expect(slots.checks.signatureChecks).toBe(1); // begin's header check; finish finds the same header in flash
    ({ slots, result } = boot(flash));
    expect(result).toMatchObject({ slot: 1, version: "1.1.0", trial: true });
    expect(slots.checks.signatureChecks).toBe(0);
    slots.confirm();
    for (let i = 0; i < 3; i++) {
      ({ slots, result } = boot(flash));
      expect(result).toMatchObject({ slot: 1, version: "1.1.0", trial: false });
      expect(slots.checks.signatureChecks).toBe(0);
    }
  });

  it("starts no update while the running image is on trial (its fallback sits in the other slot)", () => {
    const flash = new NorFlashSim({ size: SIZE });
    new OtaSlots(flash, pub).installFactory(image("1.0.0"));
    let { slots } = boot(flash);
    download(slots, image("1.1.0"));
    ({ slots } = boot(flash));
    expect(slots.onTrial).toBe(true);
    const next = image("1.2.0");
    expect(() => slots.begin(next.subarray(0, 1024))).toThrow(/on trial/);
    slots.confirm();
    expect(slots.onTrial).toBe(false);
    download(slots, next);
    expect(boot(flash).result).toMatchObject({ version: "1.2.0", slot: 0, trial: true });
  });

  it("never boots a forged image written straight to flash over the running slot", () => {
    const flash = new NorFlashSim({ size: SIZE });
    new OtaSlots(flash, pub).installFactory(image("1.0.0"));
    let { slots } = boot(flash);
    download(slots, image("1.1.0"));
    ({ slots } = boot(flash));
    slots.confirm();
    writeRaw(flash, SLOT0 + SLOT_SIZE, image("9.9.9", attacker)); // slot 1, the running one
    const r = boot(flash).result;
    expect(r).toMatchObject({ slot: 0, version: "1.0.0", trial: false });
    expect(r.note).toMatch(/slot 1 does not verify/);
    // firmware bytes changed under a genuine header: the SHA-256 check catches it
    const flash2 = new NorFlashSim({ size: SIZE });
    const good = image("1.0.0");
    new OtaSlots(flash2, pub).installFactory(good);
    const tampered = good.slice();
    tampered[good.length - 12_000 + 5000] ^= 0x01; // one bit of the firmware, header untouched
    writeRaw(flash2, SLOT0, tampered);
    expect(() => boot(flash2)).toThrow(/no valid firmware/);
  });

  it("with a device key, even a forged state log cannot make a forged image boot", () => {
    const deviceKey = new Uint8Array(randomBytes(32));
    const flash = new NorFlashSim({ size: SIZE });
    new OtaSlots(flash, pub, "xsmeter", { deviceKey }).installFactory(image("1.0.0"));
    boot(flash, deviceKey);
    // The attacker runs our own updater code with their key: it writes a well-formed state
    // log marking their image pending, marked under a key they chose.
    const evil = new OtaSlots(flash, publicKeyFromSeed(attacker), "xsmeter", { deviceKey: new Uint8Array(32) });
    download(evil, image("2.0.0", attacker));
    const r = boot(flash, deviceKey).result;
    expect(r).toMatchObject({ slot: 0, version: "1.0.0", trial: false });
    expect(r.note).toMatch(/does not verify/);
    // Without a device key the mark is a plain hash: whoever rewrites the state log can mint
    // one (the documented limit; the board should give a device key).
    const flash2 = new NorFlashSim({ size: SIZE });
    new OtaSlots(flash2, pub).installFactory(image("1.0.0"));
    boot(flash2);
    download(new OtaSlots(flash2, publicKeyFromSeed(attacker)), image("2.0.0", attacker));
    expect(boot(flash2).result.version).toBe("2.0.0");
  });

  it("bootCheck crc32: boots on the CRC-32 in the mark, catches a flipped bit, and a changed setting costs one full check", () => {
    const flash = new NorFlashSim({ size: SIZE });
    const good = image("1.0.0");
    new OtaSlots(flash, pub, "xsmeter", { bootCheck: "crc32" }).installFactory(good);
    flash.reboot();
    let slots = new OtaSlots(flash, pub, "xsmeter", { bootCheck: "crc32" });
    expect(slots.boot().version).toBe("1.0.0");
    expect(slots.checks).toEqual({ signatureChecks: 0, markChecks: 1 });
    // the same flash booted by a build with the SHA-256 check: the mark is for another check → one full check, re-marked
    flash.reboot();
    slots = new OtaSlots(flash, pub);
    expect(slots.boot().version).toBe("1.0.0");
    expect(slots.checks).toEqual({ signatureChecks: 1, markChecks: 1 });
    flash.reboot();
    slots = new OtaSlots(flash, pub);
    slots.boot();
    expect(slots.checks).toEqual({ signatureChecks: 0, markChecks: 1 });
    // a flipped firmware bit under the crc32 check: CRC differs → full check → SHA-256 fails → nothing boots
    const flash2 = new NorFlashSim({ size: SIZE });
    new OtaSlots(flash2, pub, "xsmeter", { bootCheck: "crc32" }).installFactory(good);
    const tampered = good.slice();
    tampered[good.length - 3000] ^= 0x80;
    writeRaw(flash2, SLOT0, tampered);
    flash2.reboot();
    expect(() => new OtaSlots(flash2, pub, "xsmeter", { bootCheck: "crc32" }).boot()).toThrow(/no valid firmware/);
  });

  it("reads a v1 state log: an unmarked slot is verified in full once, then marked; a forged one is refused", () => {
    for (const forged of [false, true]) {
      const flash = new NorFlashSim({ size: SIZE });
      writeRaw(flash, SLOT0, image("1.0.0", forged ? attacker : seed));
      // the v1 record: 'O' | seq u32 | active 0 | pending ff | tries 0 | dlSlot ff | tag 0×8 | dlBytes 0 | … | crc32 @28
      const rec = new Uint8Array(32);
      rec[0] = 0x4f;
      new DataView(rec.buffer).setUint32(1, 5, true);
      rec[6] = 0xff;
      rec[8] = 0xff;
      new DataView(rec.buffer).setUint32(28, zcrc32(rec.subarray(0, 28)), true);
      writeRaw(flash, 0, rec);
      if (forged) {
        expect(() => boot(flash)).toThrow(/no valid firmware/);
        continue;
      }
      let { slots, result } = boot(flash);
      expect(result).toMatchObject({ slot: 0, version: "1.0.0" });
      expect(slots.checks).toEqual({ signatureChecks: 1, markChecks: 0 });
      ({ slots, result } = boot(flash));
      expect(slots.checks).toEqual({ signatureChecks: 0, markChecks: 1 });
      download(slots, image("1.1.0")); // and updates work on from the migrated log
      expect(boot(flash).result).toMatchObject({ slot: 1, version: "1.1.0", trial: true });
    }
  });
});

describe("boot counter", () => {
  it("counts 1, 2, 3… across reboots", () => {
    const flash = new NorFlashSim({ size: 2 * 4096 });
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      flash.reboot();
      seen.push(countBoot(new FlashCounterStore(flash)));
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it("stays strictly increasing over completed boots with a power cut at any byte of start-up", () => {
    const flash = new NorFlashSim({ size: 2 * 4096 });
    const completed: number[] = [];
    // enough boots to make the store compact into its other sector a few times
    for (let i = 0; i < 700; i++) {
      flash.reboot();
      if (i % 3 === 1) flash.cutAfterBytes(i % 17);
      try {
        completed.push(countBoot(new FlashCounterStore(flash)));
      } catch (e) {
        expect(e).toBeInstanceOf(PowerCut);
      }
      flash.disarm();
    }
    expect(completed.length).toBeGreaterThan(400);
    for (let i = 1; i < completed.length; i++) expect(completed[i]).toBeGreaterThan(completed[i - 1]);
  });
});
