// Thin: the Flash port over Moddable's "flash" module on a named partition of
// partitions.csv (the energy journal lives in "xsjournal").
import Flash from "flash";
import type { Flash as FlashPort } from "../../modules/core/ports";

export function openFlashPartition(name: string): FlashPort {
  const flash = new Flash(name);
  const sectorSize = flash.blockSize;
  return {
    size: flash.byteLength,
    sectorSize,
    pageSize: 256,
    read(offset, into) {
      into.set(new Uint8Array(flash.read(offset, into.length)));
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
