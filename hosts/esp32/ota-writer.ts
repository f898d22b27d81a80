// Thin: writes a verified firmware image into the next OTA slot through
// embedded:update (the A/B slots ota_0/ota_1 of partitions.csv). The image's
// signature is checked by modules/ota before complete() switches the boot slot.
import FlashStorage from "embedded:storage/flash";
import Update from "embedded:update";

export interface OtaSink {
  write(bytes: Uint8Array, offset: number): void;
  /** Marks the new slot bootable (after the signature check). */
  complete(): void;
  abort(): void;
}

export function openOta(byteLength: number): OtaSink {
  const partition = FlashStorage.open({ path: "nextota", mode: "r+" });
  const updater = Update.open({ partition, mode: "w", byteLength });
  return {
    write: (bytes, offset) => updater.write(bytes, offset),
    complete: () => updater.complete(),
    abort: () => updater.close(),
  };
}
