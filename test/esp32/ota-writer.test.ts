// ota-writer.ts (the board side of board-ota.ts) against fakes of Moddable's
// embedded:update, embedded:storage/flash, crypt's Digest and our board-native:
// the partition "nextota" is sized and opened for the firmware's length, the
// bytes of each chunk (even a view into a larger buffer) reach both the update
// and the digest, and complete() switches only after the digest matched.
import { describe, expect, it, vi } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { buildImage, parseHeader } from "../../modules/ota/image";
import { publicKeyFromSeed } from "../../modules/secure/ed25519";

const log: string[] = [];
const written: number[] = [];
let pending = true;
vi.mock("embedded:storage/flash", () => ({
  default: { open: (o: { path: string; mode: string }) => ({ path: o.path, status: () => ({ size: 0x180000 }), close: () => void log.push(`close ${o.path}`) }) },
}));
vi.mock("embedded:update", () => ({
  default: {
    open: (o: { partition: { path: string }; byteLength: number }) => {
      log.push(`open ${o.partition.path} ${o.byteLength}`);
      written.length = 0;
      return {
        write: (b: Uint8Array, offset?: number) => { expect(offset).toBeUndefined(); for (const x of b) written.push(x); },
        complete: () => void log.push("complete"),
        close: () => void log.push("abort"),
      };
    },
  },
}));
vi.mock("crypt", () => ({
  Digest: class {
    private h = createHash("sha256");
    constructor(type: string) { expect(type).toBe("SHA256"); }
    write(m: ArrayBuffer) { expect(m).toBeInstanceOf(ArrayBuffer); this.h.update(new Uint8Array(m)); }
    close() { const d = this.h.digest(); return d.buffer.slice(d.byteOffset, d.byteOffset + d.length); }
  },
}));
vi.mock("board-native", () => ({ pendingVerify: () => pending, markValid: () => { log.push("valid"); pending = false; } }));

// A computed path: ota-writer.ts imports Moddable modules the host's tsc must not follow.
const writer = "../../hosts/esp32/ota-writer";
type Slots = { capacity: number; onTrial: boolean; confirm(): void; begin(h: Uint8Array): number; write(at: number, b: Uint8Array): void; finish(): void };
const { openBoardOta } = (await import(/* @vite-ignore */ writer)) as { openBoardOta(key: Uint8Array, version: string): Slots };

describe("ota-writer on Moddable's embedded:update (faked)", () => {
  it("sizes nextota, streams chunk views whole into update and digest, completes on a match", () => {
    const seed = new Uint8Array(randomBytes(32));
    const slots = openBoardOta(publicKeyFromSeed(seed), "1.0.0");
    expect(slots.capacity).toBe(0x180000);
    expect(slots.onTrial).toBe(true);
    slots.confirm();
    expect(slots.onTrial).toBe(false);
    const fw = new Uint8Array(randomBytes(10_000));
    const img = buildImage(fw, "1.0.1", createHash("sha256").update(fw).digest("hex"), seed);
    const n = parseHeader(img).length;
    slots.begin(img.subarray(0, n));
    // chunks as views into one larger buffer, at odd offsets
    for (let at = n; at < img.length; at += 777) slots.write(at, img.subarray(at, Math.min(img.length, at + 777)));
    slots.finish();
    expect(Buffer.from(written).equals(Buffer.from(fw))).toBe(true);
    expect(log).toEqual(["close nextota", "valid", `open nextota ${fw.length}`, "complete"]);
  });
});
