// Firmware updates on the board, into the ESP32's own app partitions: a real
// ESP32 boots only from ota_0/ota_1 (the bootloader reads otadata), so the
// image's firmware goes there through embedded:update (ota-writer.ts), not into
// OtaSlots on a data partition, which no bootloader would start.
//
// The xsmeter image header (signed manifest: product, version, size, SHA-256 of
// the firmware) is checked here, as OtaSlots checks it, before one byte reaches
// the partition: Ed25519 signature, product, newer version, fits the partition.
// The updater steps the signature check from the clock (signatureCheck(), then
// begin(header, check)) so the main loop keeps polling CAN, drawing and keeping
// MQTT alive through the ~54 M computrons; begin without a check does it in one call.
// The firmware (an ESP-IDF app image) streams into the partition and through a
// native SHA-256 (Moddable's crypt Digest on the board — the TypeScript SHA-256
// would cost ≈273 M computrons per MiB); only when that digest equals the
// signed manifest's does `complete()` run (esp_ota_end: ESP-IDF checks the app
// image's own checksum and appended SHA-256, then esp_ota_set_boot_partition).
// At boot, the ESP-IDF bootloader verifies the app image itself (its appended
// hash; with Secure Boot its signature): nothing is hashed in JavaScript.
//
// Trial and rollback are ESP-IDF's (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE in
// hosts/esp32/sdkconfig): a new app boots in the "pending verify" state; the
// firmware confirms it (esp_ota_mark_app_valid_cancel_rollback) once its cloud
// session is up; if it resets before that, the bootloader boots the old app.
// No resume across a reboot: esp_ota_begin erases the partition, so a cut
// download starts again (within one boot the updater resumes by Range).
import { toHex } from "../../modules/core/bytes";
import { compareVersions, headerSigned, OtaError, parseHeader, type ImageHeader } from "../../modules/ota/image";
import { checkVouches, SignedHeaderCheck } from "../../modules/ota/header-check";
import type { UpdaterSlots } from "../../modules/ota/updater";

/** An open write into the next app partition (embedded:update). */
export interface AppPartitionSink {
  /** Appends bytes (sequential). */
  write(bytes: Uint8Array): void;
  /** Ends the write, lets ESP-IDF verify the app image, and makes the partition the boot one. */
  complete(): void;
  /** Drops the write; the boot partition stays as it was. */
  abort(): void;
}

/** A streaming SHA-256 (native on the board). */
export interface StreamDigest {
  write(bytes: Uint8Array): void;
  close(): Uint8Array;
}

export interface BoardOtaOptions {
  /** The utility's Ed25519 firmware key. */
  publicKey: Uint8Array;
  product?: string;
  /** The version this firmware was built as (mc/config xsmeter.firmwareVersion). */
  runningVersion: string;
  /** Bytes of the next app partition. */
  capacity: number;
  /** Opens the next app partition for `byteLength` bytes. */
  open(byteLength: number): AppPartitionSink;
  digest(): StreamDigest;
  /** ESP-IDF's state of the running app: true while it is "pending verify" (its first boot). */
  trial: boolean;
  /** esp_ota_mark_app_valid_cancel_rollback. */
  markValid(): void;
}

interface Download {
  header: ImageHeader;
  sink: AppPartitionSink;
  digest: StreamDigest;
  /** Image bytes taken so far (header included, as the updater counts). */
  at: number;
  total: number;
}

export class BoardOtaSlots implements UpdaterSlots {
  private trial: boolean;
  private dl?: Download;
  /** Images refused at finish (digest did not match the signed manifest). */
  refused = 0;

  constructor(private readonly o: BoardOtaOptions) {
    this.trial = o.trial;
  }

  get capacity(): number {
    return this.o.capacity;
  }

  get onTrial(): boolean {
    return this.trial;
  }

  runningVersion(): string {
    return this.o.runningVersion;
  }

  /** The running app confirms itself (after a trial boot): ESP-IDF cancels the rollback. */
  confirm(): void {
    if (!this.trial) return;
    this.o.markValid();
    this.trial = false;
  }

  /** The header's signature check in bounded steps under the utility's key (the updater steps it, then passes it to begin). */
  signatureCheck(headerBytes: Uint8Array): SignedHeaderCheck {
    return new SignedHeaderCheck(headerBytes, this.o.publicKey);
  }

  /**
   * Checks the signed header and opens the partition; returns the image offset to continue from.
   * `signed`, this header's passed stepped check, stands for the one-shot signature check.
   */
  begin(headerBytes: Uint8Array, signed?: SignedHeaderCheck): number {
    if (this.trial) throw new OtaError("the running image is on trial: an update can start once it has confirmed itself");
    const h = parseHeader(headerBytes);
    if (!checkVouches(signed, h, this.o.publicKey) && !headerSigned(h, this.o.publicKey)) throw new OtaError("forged image: the signature does not verify");
    const m = h.manifest;
    const product = this.o.product ?? "xsmeter";
    if (m.product !== product) throw new OtaError(`image is for ${m.product}, not ${product}`);
    if (m.size > this.o.capacity) throw new OtaError(`image of ${m.size} bytes does not fit a slot of ${this.o.capacity}`);
    if (compareVersions(m.version, this.o.runningVersion) <= 0) throw new OtaError(`downgrade refused: ${m.version} is not newer than ${this.o.runningVersion}`);
    this.drop();
    const sink = this.o.open(m.size); // erases the partition
    this.dl = { header: h, sink, digest: this.o.digest(), at: h.length, total: h.length + m.size };
    return h.length;
  }

  /** Image bytes at `offset` (must continue the download exactly). */
  write(offset: number, bytes: Uint8Array): void {
    const d = this.dl;
    if (!d) throw new OtaError("write before begin");
    if (offset !== d.at) throw new OtaError(`download out of order: expected offset ${d.at}, got ${offset}`);
    if (offset + bytes.length > d.total) throw new OtaError(`image longer than its manifest says (${d.total} bytes)`);
    try {
      d.sink.write(bytes);
    } catch (e) {
      this.drop();
      throw new OtaError(`app partition write failed: ${(e as Error).message}`);
    }
    d.digest.write(bytes);
    d.at += bytes.length;
  }

  /** The firmware's SHA-256 against the signed manifest, then ESP-IDF's own check and the boot switch. */
  finish(): void {
    const d = this.dl;
    if (!d) throw new OtaError("finish before begin");
    if (d.at < d.total) throw new OtaError(`truncated image: ${d.at} of ${d.total} bytes`);
    const sum = toHex(d.digest.close());
    if (sum !== d.header.manifest.sha256) {
      this.drop();
      this.refused++;
      throw new OtaError("corrupted image: SHA-256 of the firmware does not match its manifest");
    }
    this.dl = undefined;
    try {
      d.sink.complete();
    } catch (e) {
      throw new OtaError(`ESP-IDF refused the app image: ${(e as Error).message}`);
    }
  }

  private drop(): void {
    const d = this.dl;
    this.dl = undefined;
    try {
      d?.sink.abort();
    } catch {
      // already closed
    }
  }
}
