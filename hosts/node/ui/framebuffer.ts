/**
 * The host's display panel: the engine-neutral RGB565 RasterCanvas plus PNG
 * output (the web page's /display.png, `xsmeter ui render`, golden tests).
 */
import { RasterCanvas } from "../../../modules/ui/raster-canvas";
import { encodePngRgb565 } from "./png";

export class FramebufferCanvas extends RasterCanvas {
  toPng(): Uint8Array {
    return encodePngRgb565(this.pixels, this.width, this.height);
  }
}
