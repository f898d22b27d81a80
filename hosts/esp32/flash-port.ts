// The Flash port over a Moddable "flash" object (hosts/esp32/flash-partition.ts opens one), apart
// from the SDK import so Node tests can give it a fake. Reads allocate nothing: Moddable's
// flash.read(offset, length) returns a fresh ArrayBuffer each call and the SDK has no read-into form,
// so reads copy from flash.map() (the partition memory-mapped through the cache, a read-only
// HostBuffer made once). ESP-IDF flushes the cache of mapped pages after each erase/write through
// the main flash chip (spi_flash_check_and_flush_cache), so a read after a program sees the new bytes.
import type { Flash as FlashPort } from "../../modules/core/ports";

/** What this port uses of Moddable's Flash class (hosts/esp32/types/moddable.d.ts). */
export interface ModdableFlash {
  erase(sector: number): void;
  write(offset: number, byteLength: number, buffer: Uint8Array): void;
  map(): ArrayBufferLike;
  readonly byteLength: number;
  readonly blockSize: number;
}

export function flashPort(flash: ModdableFlash): FlashPort {
  const size = flash.byteLength;
  let mapped: Uint8Array | undefined; // made on the first read: mapping takes MMU pages
  return {
    size,
    sectorSize: flash.blockSize,
    pageSize: 256,
    read(offset, into) {
      if (!(offset >= 0 && offset + into.length <= size)) throw new RangeError(`flash read ${offset}+${into.length} outside ${size}`);
      const m = (mapped ??= new Uint8Array(flash.map()));
      for (let i = 0; i < into.length; i++) into[i] = m[offset + i];
    },
    program(offset, data) {
      if ((offset % 256) + data.length > 256) throw new RangeError("flash program crosses a page");
      flash.write(offset, data.length, data);
    },
    eraseSector(sector) {
      flash.erase(sector);
    },
  };
}
