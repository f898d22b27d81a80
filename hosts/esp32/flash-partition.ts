// Thin: the Flash port over Moddable's "flash" module on a named partition of
// partitions.csv (the energy journal lives in "xsjournal"); the port itself is flash-port.ts.
import Flash from "flash";
import type { Flash as FlashPort } from "../../modules/core/ports";
import { flashPort } from "./flash-port";

export function openFlashPartition(name: string): FlashPort {
  return flashPort(new Flash(name));
}
