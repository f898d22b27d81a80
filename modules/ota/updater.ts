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
 *
 * The header's Ed25519 check costs ~54 M computrons in XS (20–35 s on an ESP32):
 * when the slots offer a stepped check (`signatureCheck`), the updater runs it one
 * bounded step per clock turn (`clock.after(0)`, ≤ ~0.26 M computrons a step), so the
 * main loop's other tasks run in between; bytes that arrive meanwhile wait in a
 * small buffer, and past it the link is dropped and resumed by Range afterwards.
 */
import type { Clock, TimerId } from "../core/clock";
import type { ActionResult } from "../core/household";
import { readU16BE } from "../core/bytes";
import { compareVersions, OtaError, parseHeader, parseVersion, MAX_HEADER } from "./image";
import type { ImageFetch, ImageSource } from "./image-source";
import type { OtaSlots } from "./slots";
import type { SignedHeaderCheck } from "./header-check";

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

/**
 * What the updater needs of the slots: OtaSlots here and in the sim, the board's app partitions
 * (hosts/esp32/board-ota.ts) there. Without `signatureCheck`, `begin` checks the signature in one call.
 */
export type UpdaterSlots = Pick<OtaSlots, "onTrial" | "runningVersion" | "capacity" | "begin" | "write" | "finish"> & Partial<Pick<OtaSlots, "signatureCheck">>;

/** Image bytes held while the signature is checked; past this the link is dropped and resumed after. */
const MAX_HELD = 16 * 1024;

/** A header whose signature is being checked step by step, and what the link did meanwhile. */
interface Verifying {
  check: SignedHeaderCheck;
  /** The header and the bytes after it that came with it. */
  head: Uint8Array;
  held: Uint8Array[];
  heldBytes: number;
  /** Set when the transfer ended during the check: its error ("" when it ended normally). */
  linkEnded?: string;
}

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
  private job?: { offer: FirmwareOfferInfo; at: number; total: number; requests: number; retries: number; fetch?: ImageFetch; timer?: TimerId; head?: Uint8Array; tenths: number; verifying?: Verifying };
  /** Steps of stepped signature checks so far (each one clock turn). */
  signatureSteps = 0;

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
      if (j.verifying) return this.hold(j, j.verifying, chunk);
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
    j.head = undefined;
    const slots = this.o.slots;
    if (slots.signatureCheck) {
      // the signature in steps, one per clock turn: the main loop runs in between
      j.verifying = { check: slots.signatureCheck(head.subarray(0, h.length)), head, held: [], heldBytes: 0 };
      j.timer = this.o.clock.after(0, () => this.verifyStep(j));
      return;
    }
    this.started(j, head, h.length, slots.begin(head.subarray(0, h.length))); // signature (in one call), product, newer version
  }

  /** Keeps bytes that come while the signature is checked; drops the link when too many come. */
  private hold(j: NonNullable<FirmwareUpdater["job"]>, v: Verifying, chunk: Uint8Array): void {
    if (v.linkEnded !== undefined) return;
    const take = Math.min(chunk.length, MAX_HELD - v.heldBytes);
    if (take > 0) {
      v.held.push(chunk.slice(0, take));
      v.heldBytes += take;
    }
    if (take < chunk.length) {
      v.linkEnded = "aborted"; // first: the abort's callback finds it paused; resumed after the check
      const f = j.fetch;
      j.fetch = undefined;
      f?.abort();
    }
  }

  /** One bounded step of the header's signature check; the next on the next clock turn. */
  private verifyStep(j: NonNullable<FirmwareUpdater["job"]>): void {
    j.timer = undefined;
    const v = j.verifying;
    if (this.job !== j || !v) return;
    this.signatureSteps++;
    if (!v.check.step()) {
      j.timer = this.o.clock.after(0, () => this.verifyStep(j));
      return;
    }
    j.verifying = undefined;
    try {
      if (!v.check.passed) throw new OtaError("forged image: the signature does not verify");
      const length = v.check.header.length;
      const inStream = this.started(j, v.head, length, this.o.slots.begin(v.head.subarray(0, length), v.check)); // product, newer version
      if (!inStream) {
        // the slots hold more of this image: a live link was aborted (its callback resumes);
        // an ended one is resumed here
        if (v.linkEnded !== undefined) this.ended("aborted");
        return;
      }
      for (const c of v.held) {
        this.o.slots.write(j.at, c);
        j.at += c.length;
      }
      this.progress(j);
    } catch (e) {
      return this.fail(e);
    }
    // the transfer ended (or was paused) during the check: carry on as if it ended now
    if (v.linkEnded !== undefined) this.ended(v.linkEnded === "" ? undefined : v.linkEnded);
  }

  /**
   * The slots began (or resume) the image: writes what came after the header and returns true,
   * or (they hold more of it already) aborts the link to ask from where they stopped and returns false.
   */
  private started(j: NonNullable<FirmwareUpdater["job"]>, head: Uint8Array, length: number, resumeAt: number): boolean {
    const inStream = resumeAt === length;
    if (resumeAt === length) {
      j.at = length;
      const rest = head.subarray(length);
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
    this.o.report({ phase: "downloading", version: j.offer.version, bytes: j.at, total: j.total, requests: j.requests });
    return inStream;
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
    if (j.verifying) {
      // decided once the signature check is done
      if (j.verifying.linkEnded === undefined) j.verifying.linkEnded = error ?? "";
      return;
    }
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
