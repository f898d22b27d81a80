// XS conformance: a whole firmware update inside XS — factory image, an offer,
// the image streamed in 1000-byte chunks from an in-memory source on a virtual
// clock with the link dropped at byte 5000 (resumed there), one Ed25519 check,
// reboot into the trial image, confirm; then a forged offer refused after its
// header. Engine-neutral: the same code the meter runs with HttpImageSource.
import { RamFlash } from "../../../modules/core/ram-flash";
import { fromHex, toHex } from "../../../modules/core/bytes";
import { VirtualClock } from "../../../modules/core/virtual-clock";
import { sha256 } from "../../../modules/secure/sha256";
import { publicKeyFromSeed } from "../../../modules/secure/ed25519";
import { buildImage, parseHeader } from "../../../modules/ota/image";
import { OtaSlots } from "../../../modules/ota/slots";
import { FirmwareUpdater, type UpdateReport } from "../../../modules/ota/updater";
import type { ImageSource } from "../../../modules/ota/image-source";

const SEED = fromHex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
const OTHER = fromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
const PUB = publicKeyFromSeed(SEED);


function firmware(n: number, salt: number): Uint8Array {
  return new Uint8Array(n).map((_, i) => (i * 37 + salt) & 255);
}

function image(version: string, seed: Uint8Array, salt: number): Uint8Array {
  const fw = firmware(12_000, salt);
  return buildImage(fw, version, toHex(sha256(fw)), seed);
}

const FACTORY = image("1.0.0", SEED, 1);
const NEXT = image("1.1.0", SEED, 2);
const FORGED = image("2.0.0", OTHER, 3);

class MemorySource implements ImageSource {
  readonly requests: number[] = [];
  cutAt = -1;
  constructor(private readonly clock: VirtualClock, private readonly images: Record<string, Uint8Array>) {}
  fetch(url: string, from: number, onData: (c: Uint8Array) => void, done: (e?: string) => void) {
    this.requests.push(from);
    const img = this.images[url];
    let at = from;
    let over = false;
    const end = (e?: string): void => {
      if (!over) {
        over = true;
        done(e);
      }
    };
    const step = (): void => {
      if (over) return;
      if (this.cutAt >= 0 && at >= this.cutAt) {
        this.cutAt = -1;
        return end("link dropped");
      }
      if (at >= img.length) return end();
      const next = Math.min(img.length, at + 1000, this.cutAt >= 0 ? this.cutAt : Infinity);
      onData(img.subarray(at, next));
      at = next;
      this.clock.after(1, step);
    };
    this.clock.after(1, step);
    return { abort: () => end("aborted") };
  }
}

function offer(img: Uint8Array, url: string) {
  const m = parseHeader(img).manifest;
  return { version: m.version, size: m.size, sha256: m.sha256, url };
}

export function run(): unknown {
  const flash = new RamFlash(12 * 4096);
  new OtaSlots(flash, PUB).installFactory(FACTORY);
  const clock = new VirtualClock(0);
  const source = new MemorySource(clock, { "http://u/next": NEXT, "http://u/forged": FORGED });
  let slots = new OtaSlots(flash, PUB);
  const boots = [slots.boot()];
  const reports: UpdateReport[] = [];
  let reboots = 0;
  const updater = new FirmwareUpdater({ slots, source, clock, report: (r) => reports.push({ ...r }), reboot: () => reboots++, retryMs: 10 });
  const refusedAtOnce = updater.offer(offer(FACTORY, "http://u/old"));
  source.cutAt = 5000;
  const accepted = updater.offer(offer(NEXT, "http://u/next"));
  clock.advance(100);
  const checksDuringUpdate = { ...slots.checks };
  slots = new OtaSlots(flash, PUB); // reboot
  boots.push(slots.boot());
  slots.confirm();
  const forgedReports: UpdateReport[] = [];
  const u2 = new FirmwareUpdater({ slots, source, clock, report: (r) => forgedReports.push({ ...r }), reboot: () => reboots++ });
  const forgedAccepted = u2.offer(offer(FORGED, "http://u/forged"));
  clock.advance(100);
  slots = new OtaSlots(flash, PUB);
  boots.push(slots.boot());
  return { refusedAtOnce, accepted, requests: source.requests, reports, checksDuringUpdate, reboots, boots, forgedAccepted, forgedReports, bootChecks: slots.checks };
}
