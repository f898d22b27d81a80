/**
 * Takes a firmware offer from the utility (cmd/firmware: version, size and
 * SHA-256 of the firmware as in the signed manifest, and the image's URL),
 * downloads the image into the inactive slot through an ImageSource, resumes
 * after a dropped link from the last byte written, lets OtaSlots check it
 * (signature, product, newer version, SHA-256; the one Ed25519 check of this
 * image) and asks for a reboot into it. The offer is only a hint: nothing but
 * the signed image decides, so a forged, older or corrupt image is refused and
 * the running firmware carries on. After a reboot mid-download, an offer of
 * the same image resumes where the slots stopped (they know it by its tag).
 */
import type { Clock, TimerId } from "../core/clock";
import type { ActionResult } from "../core/household";
import { readU16BE } from "../core/bytes";
import { compareVersions, OtaError, parseHeader, parseVersion, MAX_HEADER } from "./image";
import type { ImageFetch, ImageSource } from "./image-source";
import type { OtaSlots } from "./slots";

export interface FirmwareOfferInfo {
  version: string;
  url: string;
  /** Firmware bytes (the manifest's size, not counting the image header). */
  size: number;
  /** SHA-256 of the firmware, hex (the manifest's). */
  sha256: string;
}

export type UpdatePhase = "downloading" | "verified" | "failed";

export interface UpdateReport {
  phase: UpdatePhase;
  version: string;
  /** Image bytes in the slot so far. */
  bytes: number;
  total?: number;
  /** Connections used (1 + resumptions). */
  requests: number;
  error?: string;
}

/** What the updater needs of the slots: OtaSlots here and in the sim, the board's app partitions (hosts/esp32/board-ota.ts) there. */
export type UpdaterSlots = Pick<OtaSlots, "onTrial" | "runningVersion" | "capacity" | "begin" | "write" | "finish">;

export interface UpdaterOptions {
  slots: UpdaterSlots;
  source: ImageSource;
  clock: Clock;
  /** Progress and outcome (the sim publishes it on xsmeter/<node>/firmware). */
  report(r: UpdateReport): void;
  /** Called once the image verified: reboot into it (the boot tries it, the firmware confirms). */
  reboot(): void;
  /** Resumptions after a broken transfer before giving up (default 5), and the pause before each. */
  maxRetries?: number;
  retryMs?: number;
}

export class FirmwareUpdater {
  private job?: { offer: FirmwareOfferInfo; at: number; total: number; requests: number; retries: number; fetch?: ImageFetch; timer?: TimerId; head?: Uint8Array; tenths: number };

  constructor(private readonly o: UpdaterOptions) {}

  get busy(): boolean {
    return this.job !== undefined;
  }

  /** Checks the offer against what runs, then starts the download; the result goes to cmd/result. */
  offer(f: FirmwareOfferInfo): ActionResult {
    try {
      parseVersion(f.version);
    } catch (e) {
      return { ok: false, error: `firmware: ${(e as Error).message}` };
    }
    if (this.job) return { ok: false, error: `firmware: an update to ${this.job.offer.version} is in progress` };
    if (this.o.slots.onTrial) return { ok: false, error: "firmware: the running image is on trial; offer again once it has confirmed itself" };
    const running = this.o.slots.runningVersion();
    if (compareVersions(f.version, running) <= 0) return { ok: false, error: `firmware: downgrade refused: ${f.version} is not newer than ${running}` };
    if (!Number.isSafeInteger(f.size) || f.size <= 0 || f.size > this.o.slots.capacity) return { ok: false, error: `firmware: size ${f.size} does not fit a slot of ${this.o.slots.capacity} bytes` };
    if (!/^[0-9a-f]{64}$/.test(f.sha256)) return { ok: false, error: "firmware: sha256 must be 64 lower-case hex digits" };
    if (!/^http:\/\//.test(f.url)) return { ok: false, error: "firmware: url must be http:// (the image is signed; TLS is the socket's business)" };
    this.job = { offer: f, at: 0, total: 0, requests: 0, retries: 0, head: new Uint8Array(0), tenths: 0 };
    this.request(0);
    return { ok: true };
  }

  /** Stops a download (the slot keeps what it has, for a later resume). */
  cancel(): void {
    const j = this.job;
    if (!j) return;
    this.job = undefined; // first: the abort's callback must find no job to resume
    j.fetch?.abort();
    if (j.timer !== undefined) this.o.clock.cancel(j.timer);
  }

  private request(from: number): void {
    const j = this.job!;
    j.requests++;
    j.at = from;
    j.fetch = this.o.source.fetch(j.offer.url, from, (chunk) => this.data(chunk), (error) => this.ended(error));
  }

  private data(chunk: Uint8Array): void {
    const j = this.job;
    if (!j) return;
    try {
      if (j.head) return this.header(chunk);
      this.o.slots.write(j.at, chunk);
      j.at += chunk.length;
      this.progress(j);
    } catch (e) {
      this.fail(e);
    }
  }

  /** Collects the image header, checks it matches the offer, and lets the slots begin (or resume). */
  private header(chunk: Uint8Array): void {
    const j = this.job!;
    const head = new Uint8Array(j.head!.length + chunk.length);
    head.set(j.head!);
    head.set(chunk, j.head!.length);
    j.head = head;
    if (head.length < 7) return;
    const need = 7 + readU16BE(head, 5) + 64;
    if (need > MAX_HEADER) throw new OtaError("image header too long");
    if (head.length < need) return;
    const h = parseHeader(head);
    const m = h.manifest;
    if (m.version !== j.offer.version || m.size !== j.offer.size || m.sha256 !== j.offer.sha256) {
      throw new OtaError(`the image's manifest (${m.version}, ${m.size} bytes, ${m.sha256.slice(0, 12)}…) does not match the offer`);
    }
    j.total = h.length + m.size;
    const resumeAt = this.o.slots.begin(head.subarray(0, h.length)); // signature, product, newer version
    j.head = undefined;
    if (resumeAt === h.length) {
      j.at = h.length;
      const rest = head.subarray(h.length);
      if (rest.length) {
        this.o.slots.write(j.at, rest);
        j.at += rest.length;
      }
    } else {
      // the slots hold more of this image already (a reboot cut the last download): ask from
      // there (the abort's callback resumes at j.at, so set it first)
      j.at = resumeAt;
      j.fetch?.abort();
    }
    this.o.report({ phase: "downloading", version: m.version, bytes: j.at, total: j.total, requests: j.requests });
  }

  /** A "downloading" report at each further tenth of the image (not per chunk: the uplink is precious). */
  private progress(j: NonNullable<FirmwareUpdater["job"]>): void {
    const tenths = Math.floor((10 * j.at) / j.total);
    if (tenths <= j.tenths || j.at >= j.total) return;
    j.tenths = tenths;
    this.o.report({ phase: "downloading", version: j.offer.version, bytes: j.at, total: j.total, requests: j.requests });
  }

  private ended(error?: string): void {
    const j = this.job;
    if (!j) return;
    j.fetch = undefined;
    if (!j.head && j.at === j.total && j.total > 0) {
      try {
        this.o.slots.finish();
      } catch (e) {
        return this.fail(e);
      }
      this.job = undefined;
      this.o.report({ phase: "verified", version: j.offer.version, bytes: j.at, total: j.total, requests: j.requests });
      this.o.reboot();
      return;
    }
    if (!j.head && j.at > 0 && j.at < j.total && error === "aborted") return this.request(j.at); // resume at the slots' offset
    if (j.retries >= (this.o.maxRetries ?? 5)) return this.fail(new OtaError(`download failed after ${j.requests} requests: ${error ?? "the image ended early"}`));
    j.retries++;
    // resume from the last byte written (the whole request again while the header is incomplete)
    const from = j.head ? 0 : j.at;
    if (j.head) j.head = new Uint8Array(0);
    j.timer = this.o.clock.after(this.o.retryMs ?? 1000, () => {
      j.timer = undefined;
      if (this.job === j) this.request(from);
    });
  }

  private fail(e: unknown): void {
    const j = this.job;
    if (!j) return;
    this.job = undefined; // first: the abort's callback must find no job to resume
    j.fetch?.abort();
    if (j.timer !== undefined) this.o.clock.cancel(j.timer);
    const error = e instanceof Error ? e.message : String(e);
    this.o.report({ phase: "failed", version: j.offer.version, bytes: j.at, total: j.total || undefined, requests: j.requests, error });
  }
}
