/**
 * A/B firmware slots on the Flash port, with the boot decision a bootloader
 * makes. Layout of the OTA partition:
 *
 *   sectors 0–1   state log: 64-byte records (below), newest valid (highest seq, good CRC) wins;
 *                 when one sector is full the other is erased and written, so a power
 *                 cut never leaves no valid state
 *   then          slot 0 and slot 1, equal halves: image header at 0, firmware after it
 *
 * An update is downloaded into the slot that is not running, checked (signature,
 * product, newer version, size, SHA-256), then marked pending. The next boot
 * tries it once; the new firmware must call `confirm()`, or the boot after that
 * rolls back to the old slot. Download progress is saved per flash sector, so a
 * download cut by a reboot or a dropped link resumes where it stopped.
 *
 * Verify once: Ed25519 costs ~54 M computrons in XS (20–35 s on an ESP32), so the
 * signature is checked when an image is written (installFactory, finish), and the
 * state log then records the slot's *mark*: 16 bytes of SHA-256 of its header
 * (which holds the signed manifest, itself holding the firmware's SHA-256) — an
 * HMAC-SHA-256 under `deviceKey` when the device has one (an eFuse key on the
 * board), so that even someone who can rewrite the state log cannot mint a mark.
 * A boot checks the mark and the firmware's SHA-256 against the manifest (or,
 * with bootCheck "crc32", the CRC-32 recorded in the mark): no signature. A slot
 * whose mark is missing (a v1 state log) or does not match gets the full check
 * once and is marked again if it passes; an image written to flash behind the
 * updater's back fails it and never boots. No update starts while the running
 * image is on trial: the other slot holds its confirmed fallback.
 *
 * State records, newest valid (highest seq, good CRC) wins:
 *   v2 (64 bytes) 0x50 | version 2 | seq u32 | active | pending | tries | dlSlot | dlTag[8] | dlBytes u32 |
 *                 mark0[16] | mark1[16] | 6 reserved | crc32 u32 (of bytes 0–59)
 *   v1 (32 bytes) 0x4F | seq u32 | active | pending | tries | dlSlot | dlTag[8] | dlBytes u32 | … | crc32 @28
 * v1 records are still read (no marks); new ones are always v2, in a freshly
 * erased sector when the newest record is v1.
 */
import type { Flash } from "../core/ports";
import { bytesEqual, concatBytes, constantTimeEqual, crc32, readU32LE, toHex, utf8Encode, writeU32LE } from "../core/bytes";
import { Sha256, sha256 } from "../secure/sha256";
import { hmacSha256 } from "../secure/hmac";
import { compareVersions, headerSigned, manifestTag, MAX_HEADER, OtaError, parseHeader, type ImageHeader } from "./image";
import { checkVouches, SignedHeaderCheck } from "./header-check";

const NONE = 0xff;
const V1 = 0x4f; // 'O'
const V1_SIZE = 32;
const V2 = 0x50; // 'P'
const V2_SIZE = 64;
const MARK = 16;
const MARK_LABEL = utf8Encode("xsmeter-ota-mark\u0000");

interface State {
  seq: number;
  active: number;
  pending: number;
  /** Boots of the pending slot so far (0: not tried yet). */
  tries: number;
  /** Slot being downloaded into, its image tag (hex of 8 bytes) and bytes written (header included). */
  dlSlot: number;
  dlTag: string;
  dlBytes: number;
  /** Per slot: the mark written after its image verified in full (empty: none). */
  marks: [Uint8Array, Uint8Array];
}

/** Where the newest state record sits, so the next one goes after it. */
interface Place {
  sector: number;
  end: number;
  v2: boolean;
}

export interface OtaCheckCounts {
  /** Full checks (Ed25519 signature + SHA-256): at write time, or once for an unmarked slot. */
  signatureChecks: number;
  /** Boot-time checks by mark + SHA-256 (no signature). */
  markChecks: number;
}

const NO_MARK = new Uint8Array(0);

export interface OtaSlotsOptions {
  /**
   * A secret only this device holds (eFuse HMAC key on the board): the boot marks become
   * HMACs. Without it they are plain SHA-256 — they stop images written behind the updater's
   * back, not someone who can also rewrite the state log.
   */
  deviceKey?: Uint8Array;
  /**
   * How a boot re-reads the firmware: "sha256" (default) against the signed manifest — an
   * attacker writing flash cannot match it; or "crc32", recorded in the mark at the full
   * check — ~9× cheaper in XS (28 vs 260 computrons a byte) but it only catches corruption
   * (CRC-32 is easy to forge). With a native SHA-256 (the ESP32's engine) keep "sha256".
   */
  bootCheck?: "sha256" | "crc32";
}

export interface BootResult {
  slot: number;
  version: string;
  /** True when this boot tries a new image that has not confirmed itself yet. */
  trial: boolean;
  /** Why the boot did not run the pending image, if it did not. */
  note?: string;
}

export class OtaSlots {
  private state: State;
  private readonly slotSize: number;
  private readonly slotBase: number;
  private header?: ImageHeader; // of the download in progress
  private booted?: BootResult;
  private place?: Place;
  readonly checks: OtaCheckCounts = { signatureChecks: 0, markChecks: 0 };

  private readonly deviceKey?: Uint8Array;
  private readonly bootCheck: "sha256" | "crc32";

  constructor(private readonly flash: Flash, private readonly publicKey: Uint8Array, private readonly product = "xsmeter", options: OtaSlotsOptions = {}) {
    this.deviceKey = options.deviceKey;
    this.bootCheck = options.bootCheck ?? "sha256";
    const s = flash.sectorSize;
    const sectors = flash.size / s;
    if (sectors < 6) throw new RangeError("OTA partition needs at least 6 sectors");
    this.slotBase = 2 * s;
    this.slotSize = Math.floor((sectors - 2) / 2) * s;
    this.state = this.load() ?? { seq: 0, active: 0, pending: NONE, tries: 0, dlSlot: NONE, dlTag: "", dlBytes: 0, marks: [NO_MARK, NO_MARK] };
  }

  /** Bytes of firmware a slot can hold. */
  get capacity(): number {
    return this.slotSize - MAX_HEADER;
  }

  /** Writes an image into slot 0 and makes it the running one (the factory flash). */
  installFactory(image: Uint8Array): void {
    const h = this.checkHeader(image, false);
    if (image.length !== h.length + h.manifest.size) throw new OtaError("factory image has the wrong length");
    this.eraseSlot(0, image.length);
    this.programAt(this.slotBase, image);
    const mark = this.verifyFully(0, h);
    if (!mark) throw new OtaError("factory image does not verify");
    this.save({ ...this.state, active: 0, pending: NONE, tries: 0, dlSlot: NONE, dlTag: "", dlBytes: 0, marks: [mark, NO_MARK] });
  }

  /** The bootloader: picks the slot to run, counting trial boots and rolling back. */
  boot(): BootResult {
    const st = this.state;
    let note: string | undefined;
    if (st.pending !== NONE) {
      if (st.tries === 0 && this.slotBootable(st.pending)) {
        this.save({ ...this.state, tries: 1 }); // this.state: the check may have just marked the slot
        this.booted = { slot: st.pending, version: this.slotVersion(st.pending), trial: true };
        return this.booted;
      }
      note = st.tries > 0 ? "rolled back: the new image did not confirm itself" : "rolled back: the new image does not verify";
      this.save({ ...this.state, pending: NONE, tries: 0 });
    }
    let slot = this.state.active;
    if (!this.slotBootable(slot)) {
      const other = 1 - slot;
      if (!this.slotBootable(other)) throw new OtaError("no valid firmware in either slot");
      note = `slot ${slot} does not verify; running slot ${other}`;
      slot = other;
      this.save({ ...this.state, active: other });
    }
    this.booted = { slot, version: this.slotVersion(slot), trial: false, note };
    return this.booted;
  }

  /** The running firmware confirms itself after a trial boot: it becomes the active slot. */
  confirm(): void {
    if (!this.booted) throw new OtaError("confirm before boot");
    if (!this.booted.trial) return;
    this.save({ ...this.state, active: this.booted.slot, pending: NONE, tries: 0 });
    this.booted = { ...this.booted, trial: false };
  }

  /** True between a trial boot and `confirm()`. */
  get onTrial(): boolean {
    return this.booted?.trial === true;
  }

  /** Reads firmware bytes (after the image header) of the slot that runs. */
  readFirmware(offset: number, into: Uint8Array): void {
    const slot = this.runningSlot();
    const h = this.readSlotHeader(slot);
    if (!h) throw new OtaError(`slot ${slot} holds no image`);
    if (offset < 0 || offset + into.length > h.manifest.size) throw new RangeError(`firmware bytes ${offset}+${into.length} outside ${h.manifest.size}`);
    this.flash.read(this.slotBase + slot * this.slotSize + h.length + offset, into);
  }

  /** Version of the firmware that runs (or will run at the next plain boot). */
  runningVersion(): string {
    return this.booted ? this.booted.version : this.slotVersion(this.state.active);
  }

  /**
   * Starts (or resumes) a download from its header bytes. Returns the offset in the
   * image to continue from: 0 for a new download, more when resuming the same image.
   * `signed`: this header's stepped signature check (from `signatureCheck`), done and
   * passed, stands for the one-shot check, which would block the caller for ~54 M computrons.
   */
  begin(headerBytes: Uint8Array, signed?: SignedHeaderCheck): number {
    // the other slot holds the last confirmed image: the fallback if this trial fails
    if (this.onTrial) throw new OtaError("the running image is on trial: an update can start once it has confirmed itself");
    const h = this.checkHeader(headerBytes, true, signed);
    const target = 1 - this.runningSlot();
    this.header = h;
    const tag = manifestTag(h);
    if (this.state.dlSlot === target && this.state.dlTag === tag && this.state.dlBytes >= h.length) return this.state.dlBytes;
    this.eraseSlot(target, h.length);
    this.programAt(this.slotBase + target * this.slotSize, headerBytes.subarray(0, h.length));
    this.save({ ...this.state, pending: this.state.pending === target ? NONE : this.state.pending, dlSlot: target, dlTag: tag, dlBytes: h.length, marks: withMark(this.state.marks, target, NO_MARK) });
    return h.length;
  }

  /** Writes image bytes at `offset` (must continue the download exactly). */
  write(offset: number, bytes: Uint8Array): void {
    const h = this.header;
    const st = this.state;
    if (!h || st.dlSlot === NONE) throw new OtaError("write before begin");
    if (offset !== st.dlBytes) throw new OtaError(`download out of order: expected offset ${st.dlBytes}, got ${offset}`);
    const total = h.length + h.manifest.size;
    if (offset + bytes.length > total) throw new OtaError(`image longer than its manifest says (${total} bytes)`);
    const base = this.slotBase + st.dlSlot * this.slotSize;
    const s = this.flash.sectorSize;
    // erase each sector the first time the download reaches into it
    const firstNew = Math.ceil((base + offset) / s);
    const lastTouched = Math.floor((base + offset + bytes.length - 1) / s);
    for (let sec = firstNew; sec <= lastTouched; sec++) this.flash.eraseSector(sec);
    this.programAt(base + offset, bytes);
    const end = offset + bytes.length;
    this.state.dlBytes = end;
    // progress saved when a sector completes or the image ends: at most one sector is re-sent after a cut
    if (Math.floor((base + end) / s) !== Math.floor((base + offset) / s) || end === total) this.save({ ...this.state });
  }

  /** Checks the downloaded image and marks it to be tried at the next boot. */
  finish(): void {
    const h = this.header;
    const st = this.state;
    if (!h || st.dlSlot === NONE) throw new OtaError("finish before begin");
    const total = h.length + h.manifest.size;
    if (st.dlBytes < total) throw new OtaError(`truncated image: ${st.dlBytes} of ${total} bytes`);
    const slot = st.dlSlot;
    const mark = this.verifyFully(slot, h);
    if (!mark) {
      this.save({ ...st, dlSlot: NONE, dlTag: "", dlBytes: 0 });
      this.header = undefined;
      throw new OtaError("corrupted image: SHA-256 of the firmware does not match its manifest");
    }
    // the one signature check of this image: from now on boots check its mark
    this.save({ ...st, pending: slot, tries: 0, dlSlot: NONE, dlTag: "", dlBytes: 0, marks: withMark(st.marks, slot, mark) });
    this.header = undefined;
  }

  /** Bytes of the download in progress (for a resume after reboot). */
  get downloaded(): number {
    return this.state.dlSlot === NONE ? 0 : this.state.dlBytes;
  }

  private runningSlot(): number {
    return this.booted ? this.booted.slot : this.state.active;
  }

  /** The signature check of an image header in bounded steps, under this device's key, for `begin` (see header-check.ts). */
  signatureCheck(headerBytes: Uint8Array): SignedHeaderCheck {
    return new SignedHeaderCheck(headerBytes, this.publicKey);
  }

  private checkHeader(bytes: Uint8Array, mustBeNewer: boolean, signed?: SignedHeaderCheck): ImageHeader {
    const h = parseHeader(bytes);
    this.checks.signatureChecks++; // a passed stepped check (the updater's) or the one-shot one here
    if (!checkVouches(signed, h, this.publicKey) && !headerSigned(h, this.publicKey)) throw new OtaError("forged image: the signature does not verify");
    if (h.manifest.product !== this.product) throw new OtaError(`image is for ${h.manifest.product}, not ${this.product}`);
    if (h.manifest.size > this.capacity) throw new OtaError(`image of ${h.manifest.size} bytes does not fit a slot of ${this.capacity}`);
    if (mustBeNewer) {
      const running = this.runningVersion();
      if (compareVersions(h.manifest.version, running) <= 0) throw new OtaError(`downgrade refused: ${h.manifest.version} is not newer than ${running}`);
    }
    return h;
  }

  private readSlotHeader(slot: number): ImageHeader | undefined {
    const buf = new Uint8Array(MAX_HEADER);
    this.flash.read(this.slotBase + slot * this.slotSize, buf);
    try {
      return parseHeader(buf);
    } catch {
      return undefined;
    }
  }

  private slotVersion(slot: number): string {
    const h = this.readSlotHeader(slot);
    if (!h) throw new OtaError(`slot ${slot} holds no image`);
    return h.manifest.version;
  }

  /**
   * Signature, product and SHA-256 of the whole firmware in a slot (what a secure bootloader
   * checks); returns the slot's mark when all hold.
   */
  private verifyFully(slot: number, verified?: ImageHeader): Uint8Array | undefined {
    const h = this.readSlotHeader(slot);
    if (!h) return undefined;
    // the header begin() verified, byte for byte still in flash: its signature holds (one check per update)
    const same = verified !== undefined && bytesEqual(h.manifestBytes, verified.manifestBytes) && bytesEqual(h.signature, verified.signature);
    if (!same) {
      this.checks.signatureChecks++;
      if (!headerSigned(h, this.publicKey)) return undefined;
    }
    if (h.manifest.product !== this.product || h.manifest.size > this.capacity) return undefined;
    const r = this.readFirmwareSums(slot, h, true, this.bootCheck === "crc32");
    return r.sha256 === h.manifest.sha256 ? this.markOf(h, r.crc32) : undefined;
  }

  /**
   * The boot check: the slot's mark (written after a full check) and the firmware re-read
   * (SHA-256 against the marked manifest, or the marked CRC-32) — no signature. A slot whose
   * mark is missing (a v1 state log) or does not match (a header changed behind the
   * updater's back, or another bootCheck) gets the full check instead — a forged image fails
   * it — and is marked again when it passes.
   */
  private slotBootable(slot: number): boolean {
    const mark = this.state.marks[slot];
    const h = this.readSlotHeader(slot);
    if (!h) return false;
    if (mark.length === MARK) {
      this.checks.markChecks++;
      const crc = this.bootCheck === "crc32";
      const r = this.readFirmwareSums(slot, h, !crc, crc);
      // a matching mark with the wrong SHA-256: the firmware changed under a marked header (a full check would fail too)
      if (constantTimeEqual(this.markOf(h, r.crc32), mark)) return crc || r.sha256 === h.manifest.sha256;
    }
    const m = this.verifyFully(slot);
    if (m) this.save({ ...this.state, marks: withMark(this.state.marks, slot, m) });
    return m !== undefined;
  }

  /** 16 bytes of SHA-256 (or HMAC under the device key) over the image header (and the firmware's CRC-32). */
  private markOf(h: ImageHeader, crc?: number): Uint8Array {
    const tail = new Uint8Array(5);
    tail[0] = crc === undefined ? 1 : 2; // which boot check the mark is for
    if (crc !== undefined) writeU32LE(tail, 1, crc);
    const head = concatBytes(MARK_LABEL, h.manifestBytes, h.signature, tail);
    return (this.deviceKey ? hmacSha256(this.deviceKey, head) : sha256(head)).slice(0, MARK);
  }

  /** One pass over a slot's firmware: its SHA-256 (hex) and/or CRC-32. */
  private readFirmwareSums(slot: number, h: ImageHeader, wantSha: boolean, wantCrc: boolean): { sha256?: string; crc32?: number } {
    const hash = wantSha ? new Sha256() : undefined;
    let crc = 0;
    const chunk = new Uint8Array(this.flash.sectorSize);
    const start = this.slotBase + slot * this.slotSize + h.length;
    for (let done = 0; done < h.manifest.size; ) {
      const n = Math.min(chunk.length, h.manifest.size - done);
      const view = chunk.subarray(0, n);
      this.flash.read(start + done, view);
      hash?.update(view);
      if (wantCrc) crc = crc32(view, 0, n, crc);
      done += n;
    }
    return { sha256: hash ? toHex(hash.digest()) : undefined, crc32: wantCrc ? crc : undefined };
  }

  private eraseSlot(slot: number, bytes: number): void {
    const s = this.flash.sectorSize;
    const first = (this.slotBase + slot * this.slotSize) / s;
    const count = Math.max(1, Math.ceil(bytes / s));
    for (let i = 0; i < count; i++) this.flash.eraseSector(first + i);
  }

  private programAt(at: number, data: Uint8Array): void {
    const page = this.flash.pageSize;
    let i = 0;
    while (i < data.length) {
      const n = Math.min(page - ((at + i) % page), data.length - i);
      this.flash.program(at + i, data.subarray(i, i + n));
      i += n;
    }
  }

  // ---- state log ----

  private encode(st: State): Uint8Array {
    const r = new Uint8Array(V2_SIZE);
    r[0] = V2;
    r[1] = 2;
    writeU32LE(r, 2, st.seq);
    r[6] = st.active;
    r[7] = st.pending;
    r[8] = st.tries;
    r[9] = st.dlSlot;
    for (let i = 0; i < 8; i++) r[10 + i] = st.dlTag ? parseInt(st.dlTag.substr(i * 2, 2), 16) : 0;
    writeU32LE(r, 18, st.dlBytes);
    // an absent mark is all 0xff (erased), which no SHA-256 prefix is assumed to be
    for (let k = 0; k < 2; k++) {
      if (st.marks[k].length) r.set(st.marks[k], 22 + k * MARK);
      else r.fill(0xff, 22 + k * MARK, 22 + (k + 1) * MARK);
    }
    writeU32LE(r, 60, crc32(r, 0, 60));
    return r;
  }

  private decodeV2(r: Uint8Array): State | undefined {
    if (r[0] !== V2 || r[1] !== 2 || readU32LE(r, 60) !== crc32(r, 0, 60)) return undefined;
    const tag = r[9] === NONE ? "" : toHex(r.subarray(10, 18));
    const mark = (k: number): Uint8Array => {
      const m = r.slice(22 + k * MARK, 22 + (k + 1) * MARK);
      return m.every((b) => b === 0xff) ? NO_MARK : m;
    };
    return { seq: readU32LE(r, 2), active: r[6], pending: r[7], tries: r[8], dlSlot: r[9], dlTag: tag, dlBytes: readU32LE(r, 18), marks: [mark(0), mark(1)] };
  }

  private decodeV1(r: Uint8Array): State | undefined {
    if (r[0] !== V1 || readU32LE(r, 28) !== crc32(r, 0, 28)) return undefined;
    const tag = r[8] === NONE ? "" : toHex(r.subarray(9, 17));
    return { seq: readU32LE(r, 1), active: r[5], pending: r[6], tries: r[7], dlSlot: r[8], dlTag: tag, dlBytes: readU32LE(r, 17), marks: [NO_MARK, NO_MARK] };
  }

  /** Scans both log sectors (32-byte steps; v2 records take two) for the newest valid state. */
  private load(): State | undefined {
    let best: State | undefined;
    const s = this.flash.sectorSize;
    const rec = new Uint8Array(V2_SIZE);
    for (let sec = 0; sec < 2; sec++) {
      for (let at = 0; at + V1_SIZE <= s; ) {
        const v2 = at + V2_SIZE <= s;
        const r = v2 ? rec : rec.subarray(0, V1_SIZE);
        this.flash.read(sec * s + at, r);
        const size = r[0] === V2 ? V2_SIZE : V1_SIZE;
        const st = r[0] === V2 && v2 ? this.decodeV2(rec) : r[0] === V1 ? this.decodeV1(r) : undefined;
        if (st && (!best || st.seq > best.seq)) {
          best = st;
          this.place = { sector: sec, end: at + size, v2: size === V2_SIZE };
        }
        at += size;
      }
    }
    return best;
  }

  private save(next: State): void {
    next.seq = this.state.seq + 1;
    const s = this.flash.sectorSize;
    let where = -1;
    const p = this.place;
    if (p && p.v2 && p.end + V2_SIZE <= s) {
      // the next record goes right after the newest, if that space is still erased
      const probe = new Uint8Array(V2_SIZE);
      this.flash.read(p.sector * s + p.end, probe);
      if (probe.every((b) => b === 0xff)) where = p.sector * s + p.end;
    }
    if (where < 0 && p) {
      // sector full, a torn record in the way, or a v1 sector: erase the other one and start there
      this.flash.eraseSector(1 - p.sector);
      where = (1 - p.sector) * s;
    }
    if (where < 0) {
      // no state yet: start in sector 0
      this.flash.eraseSector(0);
      this.flash.eraseSector(1);
      where = 0;
    }
    this.programAt(where, this.encode(next));
    this.state = next;
    this.place = { sector: Math.floor(where / s), end: (where % s) + V2_SIZE, v2: true };
  }
}

function withMark(marks: [Uint8Array, Uint8Array], slot: number, mark: Uint8Array): [Uint8Array, Uint8Array] {
  return slot === 0 ? [mark, marks[1]] : [marks[0], mark];
}
