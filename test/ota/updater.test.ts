// The firmware updater on a virtual clock with an in-memory image source, and the
// HTTP Range source against the utility's firmware server: offers checked before
// anything is fetched; a power cut mid-download, then a reboot and the same offer
// again, resumes from the slots' last saved sector; a manifest that does not match
// the offer, a source that keeps failing, HTTP errors and a server that ignores
// Range are refused with a clear error.
import { afterAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { buildImage, parseHeader } from "../../modules/ota/image";
import { OtaSlots } from "../../modules/ota/slots";
import { FirmwareUpdater, type UpdateReport } from "../../modules/ota/updater";
import type { ImageSource } from "../../modules/ota/image-source";
import { HttpImageSource, parseHttpUrl } from "../../modules/ota/http-source";
import { publicKeyFromSeed } from "../../modules/secure/ed25519";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { startFirmwareServer, type FirmwareServer } from "../../hosts/node/sim/firmware-server";
import { nodeClock } from "../../hosts/node/node-clock";

const seed = new Uint8Array(randomBytes(32));
const pub = publicKeyFromSeed(seed);

function image(version: string, size = 30_000): Uint8Array {
  const fw = new Uint8Array(randomBytes(size));
  return buildImage(fw, version, createHash("sha256").update(fw).digest("hex"), seed);
}

function offerOf(img: Uint8Array, url = "http://utility.example/fw.xsota") {
  const m = parseHeader(img).manifest;
  return { version: m.version, size: m.size, sha256: m.sha256, url };
}

/** Serves an image in 1000-byte chunks, one per virtual ms; can drop the link at an offset or always. */
class FakeSource implements ImageSource {
  readonly requests: number[] = [];
  cutAt?: number;
  failAlways = false;
  constructor(private readonly img: Uint8Array, private readonly clock: VirtualClock) {}
  fetch(_url: string, from: number, onData: (c: Uint8Array) => void, done: (e?: string) => void) {
    this.requests.push(from);
    let at = from;
    let over = false;
    const end = (e?: string) => {
      if (!over) {
        over = true;
        done(e);
      }
    };
    const step = () => {
      if (over) return;
      if (this.failAlways) return end("connection refused");
      if (this.cutAt !== undefined && at >= this.cutAt) {
        this.cutAt = undefined;
        return end("connection reset");
      }
      if (at >= this.img.length) return end();
      const next = Math.min(this.img.length, at + 1000, this.cutAt ?? Infinity);
      onData(this.img.subarray(at, next));
      at = next;
      this.clock.after(1, step);
    };
    this.clock.after(1, step);
    return { abort: () => end("aborted") };
  }
}

function device(flash: NorFlashSim, clock: VirtualClock, source: ImageSource) {
  const slots = new OtaSlots(flash, pub);
  slots.boot();
  const reports: UpdateReport[] = [];
  let reboots = 0;
  const updater = new FirmwareUpdater({ slots, source, clock, report: (r) => reports.push(r), reboot: () => reboots++, retryMs: 50, maxRetries: 3 });
  return { slots, updater, reports, reboots: () => reboots };
}

describe("FirmwareUpdater", () => {
  it("checks the offer before fetching anything", () => {
    const clock = new VirtualClock();
    const flash = new NorFlashSim({ size: 64 * 4096 });
    new OtaSlots(flash, pub).installFactory(image("1.0.0"));
    const src = new FakeSource(image("1.1.0"), clock);
    const { updater } = device(flash, clock, src);
    const good = offerOf(image("1.1.0"));
    expect(updater.offer({ ...good, version: "1.1" }).error).toMatch(/bad version/);
    expect(updater.offer({ ...good, version: "1.0.0" }).error).toMatch(/downgrade refused/);
    expect(updater.offer({ ...good, size: 0 }).error).toMatch(/size 0 does not fit/);
    expect(updater.offer({ ...good, size: 10_000_000 }).error).toMatch(/does not fit a slot/);
    expect(updater.offer({ ...good, sha256: "ABC" }).error).toMatch(/sha256 must be 64/);
    expect(updater.offer({ ...good, url: "ftp://x/y" }).error).toMatch(/url must be http/);
    expect(src.requests).toEqual([]);
    expect(updater.offer(good).ok).toBe(true);
    expect(updater.offer(good).error).toMatch(/in progress/);
  });

  it("resumes after a power cut and a reboot from the slots' last saved sector", () => {
    const clock = new VirtualClock();
    const flash = new NorFlashSim({ size: 64 * 4096 });
    new OtaSlots(flash, pub).installFactory(image("1.0.0"));
    const img = image("1.1.0", 60_000);
    const first = device(flash, clock, new FakeSource(img, clock));
    expect(first.updater.offer(offerOf(img)).ok).toBe(true);
    flash.cutAfterBytes(35_000); // the power goes mid-download
    clock.advance(200);
    expect(first.reports.at(-1)).toMatchObject({ phase: "failed" });
    expect(first.reports.at(-1)!.error).toMatch(/power/i);
    expect(first.reboots()).toBe(0);

    flash.reboot();
    const src = new FakeSource(img, clock);
    const second = device(flash, clock, src);
    const saved = second.slots.downloaded;
    expect(saved).toBeGreaterThan(4096);
    expect(second.updater.offer(offerOf(img)).ok).toBe(true); // the utility offers it again
    clock.advance(200);
    expect(src.requests[0]).toBe(0); // the header, to know which image this is
    expect(src.requests[1]).toBe(saved); // then on from the saved sector, not from the start
    expect(second.reports.at(-1)).toMatchObject({ phase: "verified", version: "1.1.0", bytes: img.length });
    expect(second.reboots()).toBe(1);
    flash.reboot();
    const trial = device(flash, clock, new FakeSource(img, clock));
    expect(trial.slots.runningVersion()).toBe("1.1.0");
    expect(trial.slots.onTrial).toBe(true);
    // no update on top of an unconfirmed one: the confirmed image in the other slot is the fallback
    expect(trial.updater.offer(offerOf(image("1.2.0"))).error).toMatch(/on trial/);
  });

  it("resumes a dropped link within a boot from the exact byte", () => {
    const clock = new VirtualClock();
    const flash = new NorFlashSim({ size: 64 * 4096 });
    new OtaSlots(flash, pub).installFactory(image("1.0.0"));
    const img = image("1.1.0", 40_000);
    const src = new FakeSource(img, clock);
    src.cutAt = 12_345;
    const d = device(flash, clock, src);
    d.updater.offer(offerOf(img));
    clock.advance(500);
    expect(src.requests).toEqual([0, 12_345]);
    expect(d.reports.at(-1)).toMatchObject({ phase: "verified", requests: 2 });
    // progress: one report per further tenth of the image, not per chunk
    const progress = d.reports.filter((r) => r.phase === "downloading").map((r) => Math.floor((10 * r.bytes) / r.total!));
    expect(progress).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("refuses an image whose manifest does not match the offer, and gives up on a dead source", () => {
    const clock = new VirtualClock();
    const flash = new NorFlashSim({ size: 64 * 4096 });
    new OtaSlots(flash, pub).installFactory(image("1.0.0"));
    const img = image("1.1.0");
    const d = device(flash, clock, new FakeSource(img, clock));
    d.updater.offer({ ...offerOf(img), sha256: "ab".repeat(32) });
    clock.advance(100);
    expect(d.reports.at(-1)!.error).toMatch(/does not match the offer/);
    const dead = new FakeSource(img, clock);
    dead.failAlways = true;
    const d2 = device(flash, clock, dead);
    d2.updater.offer(offerOf(img));
    clock.advance(2000);
    expect(dead.requests.length).toBe(4);
    expect(d2.reports.at(-1)).toMatchObject({ phase: "failed" });
    expect(d2.reports.at(-1)!.error).toMatch(/download failed after 4 requests: connection refused/);
    expect(d2.updater.busy).toBe(false);
  });
});

describe("HttpImageSource", () => {
  let server: FirmwareServer | undefined;
  let plain: ReturnType<typeof createServer> | undefined;
  afterAll(async () => {
    await server?.close();
    await new Promise((r) => (plain ? plain.close(r) : r(undefined)));
  });

  const get = (src: HttpImageSource, url: string, from: number) =>
    new Promise<{ bytes: Uint8Array; error?: string }>((resolve) => {
      const parts: Uint8Array[] = [];
      src.fetch(url, from, (c) => parts.push(c.slice()), (error) => resolve({ bytes: new Uint8Array(Buffer.concat(parts)), error }));
    });

  it("fetches from an offset with Range, reports HTTP errors, a cut and a server without Range", async () => {
    server = await startFirmwareServer(0);
    const img = new Uint8Array(randomBytes(50_000));
    const url = server.add("a.xsota", img);
    const src = new HttpImageSource(new NodeNetwork(), nodeClock());
    const whole = await get(src, url, 0);
    expect(whole.error).toBeUndefined();
    expect(Buffer.compare(whole.bytes, img)).toBe(0);
    const tail = await get(src, url, 12_345);
    expect(Buffer.compare(tail.bytes, img.subarray(12_345))).toBe(0);
    expect((await get(src, `${server.url}/firmware/none`, 0)).error).toBe("HTTP 404 for the image");
    expect((await get(src, url, 60_000)).error).toMatch(/range not satisfiable/);
    server.cutNextAfter(10_000);
    const cut = await get(src, url, 0);
    expect(cut.error).toMatch(/connection closed after 10000 of 50000 bytes/);
    expect(cut.bytes.length).toBe(10_000);
    expect((await get(src, "https://x/y", 0)).error).toMatch(/not an http:\/\/ URL/);
    expect(parseHttpUrl("http://h:8080/a/b?c")).toEqual({ host: "h", port: 8080, path: "/a/b?c" });

    // a server that sends the head and 100 bytes, then nothing: the stall timer ends it
    const slow = createServer((_req, res) => {
      res.writeHead(206, { "content-length": "1000", "content-range": "bytes 0-999/1000" });
      res.write(Buffer.alloc(100));
    });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", () => r()));
    const stalled = await get(new HttpImageSource(new NodeNetwork(), nodeClock(), 300), `http://127.0.0.1:${(slow.address() as AddressInfo).port}/x`, 0);
    expect(stalled.error).toMatch(/download stalled: nothing for 300 ms/);
    expect(stalled.bytes.length).toBe(100);
    slow.closeAllConnections();
    slow.close();

    plain = createServer((_req, res) => res.writeHead(200, { "content-length": "5" }).end("hello"));
    await new Promise<void>((r) => plain!.listen(0, "127.0.0.1", () => r()));
    const p = (plain.address() as AddressInfo).port;
    expect((await get(src, `http://127.0.0.1:${p}/x`, 100)).error).toMatch(/ignores Range requests: cannot resume/);
  });
});
