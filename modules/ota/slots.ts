/**
 * A/B firmware slots on the Flash port, with the boot decision a bootloader
 * makes. Layout of the OTA partition:
 *
 *   sectors 0–1   state log: 32-byte records, newest valid (highest seq, good CRC) wins;
 *                 when one sector is full the other is erased and written, so a power
 *                 cut never leaves no valid state
 *   then          slot 0 and slot 1, equal halves: image header at 0, firmware after it
 *
 * An update is downloaded into the slot that is not running, checked (signature,
 * product, newer version, size, SHA-256), then marked pending. The next boot
 * tries it once; the new firmware must call `confirm()`, or the boot after that
 * rolls back to the old slot. Download progress is saved per flash sector, so a
 * download cut by a reboot or a dropped link resumes where it stopped.
 */
import type { Flash } from "../core/ports";
import { crc32, readU32LE, toHex, writeU32LE } from "../core/bytes";
import { Sha256 } from "../secure/sha256";
import { compareVersions, headerSigned, manifestTag, MAX_HEADER, OtaError, parseHeader, type ImageHeader } from "./image";

const NONE = 0xff;
const RECORD = 32;

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

  constructor(private readonly flash: Flash, private readonly publicKey: Uint8Array, private readonly product = "xsmeter") {
    const s = flash.sectorSize;
    const sectors = flash.size / s;
    if (sectors < 6) throw new RangeError("OTA partition needs at least 6 sectors");
    this.slotBase = 2 * s;
    this.slotSize = Math.floor((sectors - 2) / 2) * s;
    this.state = this.load() ?? { seq: 0, active: 0, pending: NONE, tries: 0, dlSlot: NONE, dlTag: "", dlBytes: 0 };
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
    if (!this.slotValid(0)) throw new OtaError("factory image does not verify");
    this.save({ ...this.state, active: 0, pending: NONE, tries: 0, dlSlot: NONE, dlTag: "", dlBytes: 0 });
  }

  /** The bootloader: picks the slot to run, counting trial boots and rolling back. */
  boot(): BootResult {
    const st = this.state;
    let note: string | undefined;
    if (st.pending !== NONE) {
      if (st.tries === 0 && this.slotValid(st.pending)) {
        this.save({ ...st, tries: 1 });
        this.booted = { slot: st.pending, version: this.slotVersion(st.pending), trial: true };
        return this.booted;
      }
      note = st.tries > 0 ? "rolled back: the new image did not confirm itself" : "rolled back: the new image does not verify";
      this.save({ ...st, pending: NONE, tries: 0 });
    }
    let slot = this.state.active;
    if (!this.slotValid(slot)) {
      const other = 1 - slot;
      if (!this.slotValid(other)) throw new OtaError("no valid firmware in either slot");
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

  /** Version of the firmware that runs (or will run at the next plain boot). */
  runningVersion(): string {
    return this.booted ? this.booted.version : this.slotVersion(this.state.active);
  }

  /**
   * Starts (or resumes) a download from its header bytes. Returns the offset in the
   * image to continue from: 0 for a new download, more when resuming the same image.
   */
  begin(headerBytes: Uint8Array): number {
    const h = this.checkHeader(headerBytes, true);
    const target = 1 - this.runningSlot();
    this.header = h;
    const tag = manifestTag(h);
    if (this.state.dlSlot === target && this.state.dlTag === tag && this.state.dlBytes >= h.length) return this.state.dlBytes;
    this.eraseSlot(target, h.length);
    this.programAt(this.slotBase + target * this.slotSize, headerBytes.subarray(0, h.length));
    this.save({ ...this.state, pending: this.state.pending === target ? NONE : this.state.pending, dlSlot: target, dlTag: tag, dlBytes: h.length });
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
    if (!this.slotValid(slot)) {
      this.save({ ...st, dlSlot: NONE, dlTag: "", dlBytes: 0 });
      this.header = undefined;
      throw new OtaError("corrupted image: SHA-256 of the firmware does not match its manifest");
    }
    this.save({ ...st, pending: slot, tries: 0, dlSlot: NONE, dlTag: "", dlBytes: 0 });
    this.header = undefined;
  }

  /** Bytes of the download in progress (for a resume after reboot). */
  get downloaded(): number {
    return this.state.dlSlot === NONE ? 0 : this.state.dlBytes;
  }

  private runningSlot(): number {
    return this.booted ? this.booted.slot : this.state.active;
  }

  private checkHeader(bytes: Uint8Array, mustBeNewer: boolean): ImageHeader {
    const h = parseHeader(bytes);
    if (!headerSigned(h, this.publicKey)) throw new OtaError("forged image: the signature does not verify");
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

  /** Signature, product and SHA-256 of the whole firmware in a slot (what a secure bootloader checks). */
  private slotValid(slot: number): boolean {
    const h = this.readSlotHeader(slot);
    if (!h || !headerSigned(h, this.publicKey) || h.manifest.product !== this.product || h.manifest.size > this.capacity) return false;
    const hash = new Sha256();
    const chunk = new Uint8Array(this.flash.sectorSize);
    const start = this.slotBase + slot * this.slotSize + h.length;
    for (let done = 0; done < h.manifest.size; ) {
      const n = Math.min(chunk.length, h.manifest.size - done);
      const view = chunk.subarray(0, n);
      this.flash.read(start + done, view);
      hash.update(view);
      done += n;
    }
    return toHex(hash.digest()) === h.manifest.sha256;
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
    const r = new Uint8Array(RECORD);
    r[0] = 0x4f; // 'O'
    writeU32LE(r, 1, st.seq);
    r[5] = st.active;
    r[6] = st.pending;
    r[7] = st.tries;
    r[8] = st.dlSlot;
    for (let i = 0; i < 8; i++) r[9 + i] = st.dlTag ? parseInt(st.dlTag.substr(i * 2, 2), 16) : 0;
    writeU32LE(r, 17, st.dlBytes);
    writeU32LE(r, 28, crc32(r, 0, 28));
    return r;
  }

  private decode(r: Uint8Array): State | undefined {
    if (r[0] !== 0x4f || readU32LE(r, 28) !== crc32(r, 0, 28)) return undefined;
    const tag = r[8] === NONE ? "" : toHex(r.subarray(9, 17));
    return { seq: readU32LE(r, 1), active: r[5], pending: r[6], tries: r[7], dlSlot: r[8], dlTag: tag, dlBytes: readU32LE(r, 17) };
  }

  private load(): State | undefined {
    let best: State | undefined;
    const rec = new Uint8Array(RECORD);
    const per = this.flash.sectorSize / RECORD;
    for (let sec = 0; sec < 2; sec++) {
      for (let i = 0; i < per; i++) {
        this.flash.read(sec * this.flash.sectorSize + i * RECORD, rec);
        const st = this.decode(rec);
        if (st && (!best || st.seq > best.seq)) best = st;
      }
    }
    return best;
  }

  private save(next: State): void {
    next.seq = this.state.seq + 1;
    const s = this.flash.sectorSize;
    const per = s / RECORD;
    const rec = new Uint8Array(RECORD);
    // the free record after the newest one, in the newest one's sector; else the other sector, erased
    let where = -1;
    for (let sec = 0; sec < 2 && where < 0; sec++) {
      for (let i = 0; i < per; i++) {
        this.flash.read(sec * s + i * RECORD, rec);
        const st = this.decode(rec);
        if (st && st.seq === this.state.seq) {
          if (i + 1 < per) {
            this.flash.read(sec * s + (i + 1) * RECORD, rec);
            if (rec.every((b) => b === 0xff)) where = sec * s + (i + 1) * RECORD;
          }
          if (where < 0) {
            this.flash.eraseSector(1 - sec);
            where = (1 - sec) * s;
          }
          break;
        }
      }
    }
    if (where < 0) {
      // no state yet: start in sector 0
      this.flash.eraseSector(0);
      this.flash.eraseSector(1);
      where = 0;
    }
    this.programAt(where, this.encode(next));
    this.state = next;
  }
}
