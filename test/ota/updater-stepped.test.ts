// The updater's stepped signature check (one bounded step per clock turn): other tasks
// run between the steps; a good image is accepted and a forged one refused as before;
// bytes that arrive during the check are held and written after it, and past the hold
// limit the link is dropped and resumed by Range from the exact byte; a cancel stops
// the steps; slots without a stepped check still work (one call). The slots (OtaSlots,
// the board's BoardOtaSlots) take a check only when it passed, is theirs and is for
// exactly the header they are given.
import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { buildImage, parseHeader } from "../../modules/ota/image";
import { OtaSlots } from "../../modules/ota/slots";
import { FirmwareUpdater, type UpdateReport, type UpdaterSlots } from "../../modules/ota/updater";
import type { ImageSource } from "../../modules/ota/image-source";
import { SignedHeaderCheck } from "../../modules/ota/header-check";
import { publicKeyFromSeed } from "../../modules/secure/ed25519";
import { BoardOtaSlots } from "../../hosts/esp32/board-ota";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";

const seed = new Uint8Array(randomBytes(32));
const pub = publicKeyFromSeed(seed);
const otherSeed = new Uint8Array(randomBytes(32));

function image(version: string, size = 30_000, key = seed): Uint8Array {
  const fw = new Uint8Array(randomBytes(size));
  return buildImage(fw, version, createHash("sha256").update(fw).digest("hex"), key);
}

function offerOf(img: Uint8Array) {
  const m = parseHeader(img).manifest;
  return { version: m.version, size: m.size, sha256: m.sha256, url: "http://utility.example/fw.xsota" };
}

/** Serves an image in `chunk`-byte pieces, one every `gapMs` (0: one per clock turn). */
class TurnSource implements ImageSource {
  readonly requests: number[] = [];
  constructor(private readonly img: Uint8Array, private readonly clock: VirtualClock, private readonly chunk = 1000, private readonly gapMs = 0) {}
  fetch(_url: string, from: number, onData: (c: Uint8Array) => void, done: (e?: string) => void) {
    this.requests.push(from);
    let at = from;
    let over = false;
    const step = () => {
      if (over) return;
      if (at >= this.img.length) {
        over = true;
        return done();
      }
      const next = Math.min(this.img.length, at + this.chunk);
      onData(this.img.subarray(at, next));
      at = next;
      this.clock.after(this.gapMs, step);
    };
    this.clock.after(this.gapMs, step);
    return {
      abort: () => {
        if (over) return;
        over = true;
        done("aborted");
      },
    };
  }
}

function device(source: (clock: VirtualClock) => ImageSource, wrap?: (s: OtaSlots) => UpdaterSlots) {
  const clock = new VirtualClock();
  const flash = new NorFlashSim({ size: 64 * 4096 });
  new OtaSlots(flash, pub).installFactory(image("1.0.0", 10_000));
  const slots = new OtaSlots(flash, pub);
  slots.boot();
  const reports: UpdateReport[] = [];
  let reboots = 0;
  const src = source(clock);
  const updater = new FirmwareUpdater({ slots: wrap ? wrap(slots) : slots, source: src, clock, report: (r) => reports.push({ ...r }), reboot: () => reboots++, retryMs: 50, maxRetries: 3 });
  return { clock, slots, updater, reports, src, reboots: () => reboots };
}

describe("FirmwareUpdater: the stepped signature check", () => {
  it("checks a good image in bounded steps with another task running between them, then accepts it", () => {
    const img = image("1.1.0");
    const d = device((c) => new TurnSource(img, c, 1000, 1));
    const before = d.slots.checks.signatureChecks;
    // a main-loop task that wants a turn as often as it can get one
    const seen: number[] = [];
    const tick = () => {
      seen.push(d.updater.signatureSteps);
      if (d.reports.length === 0 && seen.length < 10_000) d.clock.after(0, tick);
    };
    expect(d.updater.offer(offerOf(img)).ok).toBe(true);
    d.clock.after(1, tick); // from when the first chunk (with the header) has come
    d.clock.advance(200);
    expect(d.reports.at(-1)).toMatchObject({ phase: "verified", version: "1.1.0", bytes: img.length });
    expect(d.reboots()).toBe(1);
    expect(d.slots.checks.signatureChecks - before).toBe(1); // still one signature check per update
    const steps = d.updater.signatureSteps;
    expect(steps).toBeGreaterThan(100); // ~54 M computrons in steps of ≤ ~0.26 M
    // the task ran between every two steps: it saw every step count from 0 to the last
    const distinct = new Set(seen);
    for (let k = 0; k <= steps; k++) expect(distinct.has(k), `after step ${k}`).toBe(true);
  });

  it("refuses a forged image after its steps: nothing reaches the slot", () => {
    const img = image("1.1.0", 30_000, otherSeed);
    const d = device((c) => new TurnSource(img, c, 1000, 1));
    expect(d.updater.offer(offerOf(img)).ok).toBe(true);
    d.clock.advance(200);
    expect(d.reports.map((r) => r.phase)).toEqual(["failed"]);
    expect(d.reports[0].error).toMatch(/forged image: the signature does not verify/);
    expect(d.updater.signatureSteps).toBeGreaterThan(100);
    expect(d.slots.downloaded).toBe(0);
    expect(d.reboots()).toBe(0);
    expect(d.updater.busy).toBe(false);
    expect(d.src instanceof TurnSource && d.src.requests).toEqual([0]);
  });

  it("holds what arrives during the check and writes it after: a small image in one request", () => {
    const img = image("1.1.0", 8_000); // all of it arrives (one chunk a turn) before the check ends
    const d = device((c) => new TurnSource(img, c, 1000, 0));
    d.updater.offer(offerOf(img));
    d.clock.advance(100);
    expect(d.reports.at(-1)).toMatchObject({ phase: "verified", bytes: img.length, requests: 1 });
    expect((d.src as TurnSource).requests).toEqual([0]);
  });

  it("past 16 KiB held, drops the link and resumes it after the check from the exact byte", () => {
    const img = image("1.1.0", 60_000);
    const headLen = parseHeader(img).length;
    const d = device((c) => new TurnSource(img, c, 1000, 0));
    d.updater.offer(offerOf(img));
    d.clock.advance(100);
    const requests = (d.src as TurnSource).requests;
    expect(requests.length).toBe(2);
    expect(requests[0]).toBe(0);
    // the first chunk carried the header and 1000 − headLen bytes; 16 KiB more were held
    expect(requests[1]).toBe(1000 + 16 * 1024);
    expect(requests[1]).toBeGreaterThan(headLen);
    expect(d.reports.at(-1)).toMatchObject({ phase: "verified", bytes: img.length, requests: 2 }); // SHA-256 of the firmware matched
    expect(d.reboots()).toBe(1);
  });

  it("stops stepping on cancel, and a new offer starts afresh", () => {
    const img = image("1.1.0");
    const d = device((c) => new TurnSource(img, c, 1000, 1));
    d.updater.offer(offerOf(img));
    let cancelledAt = -1;
    let turns = 0;
    const watch = () => {
      if (d.updater.signatureSteps >= 20) {
        cancelledAt = d.updater.signatureSteps;
        d.updater.cancel();
      } else if (++turns < 10_000) d.clock.after(0, watch);
    };
    d.clock.after(1, watch); // from when the first chunk (with the header) has come
    d.clock.advance(100);
    expect(cancelledAt).toBe(20);
    expect(d.updater.signatureSteps).toBe(20);
    expect(d.updater.busy).toBe(false);
    expect(d.slots.downloaded).toBe(0);
    expect(d.reports).toEqual([]);
    expect(d.updater.offer(offerOf(img)).ok).toBe(true);
    d.clock.advance(200);
    expect(d.reports.at(-1)).toMatchObject({ phase: "verified" });
  });

  it("still works with slots that have no stepped check (one call in begin)", () => {
    const img = image("1.1.0");
    const forged = image("1.1.0", 30_000, otherSeed);
    const plain = (s: OtaSlots): UpdaterSlots => ({
      get onTrial() { return s.onTrial; },
      get capacity() { return s.capacity; },
      runningVersion: () => s.runningVersion(),
      begin: (h) => s.begin(h),
      write: (o, b) => s.write(o, b),
      finish: () => s.finish(),
    });
    const d = device((c) => new TurnSource(img, c, 1000, 1), plain);
    d.updater.offer(offerOf(img));
    d.clock.advance(200);
    expect(d.reports.at(-1)).toMatchObject({ phase: "verified" });
    expect(d.updater.signatureSteps).toBe(0);
    const f = device((c) => new TurnSource(forged, c, 1000, 1), plain);
    f.updater.offer(offerOf(forged));
    f.clock.advance(200);
    expect(f.reports.at(-1)!.error).toMatch(/forged/);
  });
});

describe("the slots take a stepped check only when it vouches for that header", () => {
  const finish = (c: SignedHeaderCheck) => {
    while (!c.step());
    return c;
  };
  const good = image("1.1.0", 5_000);
  const forged = image("1.1.0", 5_000, otherSeed);
  const goodHead = good.subarray(0, parseHeader(good).length);
  const forgedHead = forged.subarray(0, parseHeader(forged).length);
  const lookalike = { passed: true, done: true, vouchesFor: () => true, header: parseHeader(forgedHead) } as unknown as SignedHeaderCheck;

  function otaSlots(key = pub) {
    const flash = new NorFlashSim({ size: 64 * 4096 });
    new OtaSlots(flash, pub).installFactory(image("1.0.0", 10_000));
    const s = new OtaSlots(flash, key);
    s.boot();
    return s;
  }
  function boardSlots(key = pub) {
    return new BoardOtaSlots({
      publicKey: key, runningVersion: "1.0.0", capacity: 1 << 20, trial: false, markValid: () => undefined,
      open: () => ({ write: () => undefined, complete: () => undefined, abort: () => undefined }),
      digest: () => ({ write: () => undefined, close: () => new Uint8Array(32) }),
    });
  }

  for (const [name, make] of [["OtaSlots", otaSlots], ["BoardOtaSlots", boardSlots]] as const) {
    it(`${name}: a passed check of the header begins it; a forged header is refused whatever check comes with it`, () => {
      const s = make();
      const goodCheck = finish(s.signatureCheck(goodHead));
      expect(goodCheck.passed).toBe(true);
      const forgedCheck = finish(s.signatureCheck(forgedHead));
      expect(forgedCheck.passed).toBe(false);
      expect(() => s.begin(forgedHead, forgedCheck)).toThrow(/forged/);
      expect(() => s.begin(forgedHead, goodCheck)).toThrow(/forged/); // a check of another header
      expect(() => s.begin(forgedHead, lookalike)).toThrow(/forged/); // not a real check
      // a check that passed under another key (a device that trusts the forger) is not ours
      const foreign = make(publicKeyFromSeed(otherSeed));
      const foreignCheck = finish(foreign.signatureCheck(forgedHead));
      expect(foreignCheck.passed).toBe(true);
      expect(() => s.begin(forgedHead, foreignCheck)).toThrow(/forged/);
      // an unfinished check of the good header: begin checks it in one call instead
      expect(s.begin(goodHead, s.signatureCheck(goodHead))).toBe(goodHead.length);
      expect(make().begin(goodHead, goodCheck)).toBe(goodHead.length);
    });
  }
});
