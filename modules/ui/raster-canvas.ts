/**
 * The Canvas port on an RGB565 framebuffer in memory, engine-neutral (the
 * host's panel, the XS conformance scenario, a board's offscreen buffer), with
 * counters of what each frame touched, so tests can prove dirty-rectangle
 * updates (pixels written, begin/end regions). Blending follows Poco on RGB565.
 */
import type { Bitmap, Canvas, Color, Rect } from "./canvas";
import { rgb565 } from "./canvas";

export class RasterCanvas implements Canvas {
  readonly pixels: Uint16Array;
  /** Pixels written since resetStats(). */
  pixelsWritten = 0;
  /** The rectangles passed to begin() since resetStats(). */
  regions: Rect[] = [];
  private clips: Rect[] = [];
  private drawing = false;

  constructor(readonly width: number, readonly height: number) {
    this.pixels = new Uint16Array(width * height);
  }

  makeColor(r: number, g: number, b: number): Color {
    return rgb565(r, g, b);
  }

  begin(x = 0, y = 0, width = this.width - x, height = this.height - y): void {
    if (this.drawing) throw new Error("Canvas: begin inside begin");
    this.drawing = true;
    const r = { x, y, w: width, h: height };
    this.regions.push(r);
    this.clips = [intersect(r, { x: 0, y: 0, w: this.width, h: this.height })];
  }

  end(): void {
    if (!this.drawing) throw new Error("Canvas: end without begin");
    this.drawing = false;
    this.clips = [];
  }

  clip(x?: number, y?: number, width?: number, height?: number): boolean {
    if (x === undefined) {
      if (this.clips.length > 1) this.clips.pop();
      return true;
    }
    const r = intersect(this.top(), { x, y: y ?? 0, w: width ?? 0, h: height ?? 0 });
    this.clips.push(r);
    return r.w > 0 && r.h > 0;
  }

  fillRectangle(color: Color, x: number, y: number, width: number, height: number): void {
    const r = intersect(this.top(), { x, y, w: width, h: height });
    for (let yy = r.y; yy < r.y + r.h; yy++) this.pixels.fill(color, yy * this.width + r.x, yy * this.width + r.x + r.w);
    this.pixelsWritten += Math.max(0, r.w) * Math.max(0, r.h);
  }

  blendRectangle(color: Color, blend: number, x: number, y: number, width: number, height: number): void {
    const r = intersect(this.top(), { x, y, w: width, h: height });
    for (let yy = r.y; yy < r.y + r.h; yy++) for (let xx = r.x; xx < r.x + r.w; xx++) this.blendPixel(yy * this.width + xx, color, blend);
    this.pixelsWritten += Math.max(0, r.w) * Math.max(0, r.h);
  }

  drawBitmap(bits: Bitmap, x: number, y: number, sx = 0, sy = 0, sw = bits.width, sh = bits.height): void {
    if (bits.format !== "rgb565") throw new Error("drawBitmap: rgb565 bitmaps only");
    const data = bits.data as Uint16Array;
    this.each(x, y, sx, sy, sw, sh, (i, bx, by) => {
      this.pixels[i] = data[by * bits.width + bx];
    });
  }

  drawMonochrome(bits: Bitmap, fore: Color | undefined, back: Color | undefined, x: number, y: number, sx = 0, sy = 0, sw = bits.width, sh = bits.height): void {
    const rowBytes = (bits.width + 7) >> 3;
    const data = bits.data as Uint8Array;
    this.each(x, y, sx, sy, sw, sh, (i, bx, by) => {
      const on = (data[by * rowBytes + (bx >> 3)] >> (7 - (bx & 7))) & 1;
      const c = on ? fore : back;
      if (c !== undefined) this.pixels[i] = c;
    });
  }

  drawGray(bits: Bitmap, color: Color, x: number, y: number, sx = 0, sy = 0, sw = bits.width, sh = bits.height, blend = 255): void {
    const rowBytes = (bits.width + 1) >> 1;
    const data = bits.data as Uint8Array;
    this.each(x, y, sx, sy, sw, sh, (i, bx, by) => {
      const b = data[by * rowBytes + (bx >> 1)];
      const v = bx & 1 ? b & 15 : b >> 4;
      if (v) this.blendPixel(i, color, Math.round((v * 17 * blend) / 255));
    });
  }

  /** Zeroes the touched-pixel counters. */
  resetStats(): void {
    this.pixelsWritten = 0;
    this.regions = [];
  }

  private top(): Rect {
    if (!this.drawing) throw new Error("Canvas: drawing outside begin/end");
    return this.clips[this.clips.length - 1];
  }

  private each(x: number, y: number, sx: number, sy: number, sw: number, sh: number, fn: (i: number, bx: number, by: number) => void): void {
    const r = intersect(this.top(), { x, y, w: sw, h: sh });
    for (let yy = r.y; yy < r.y + r.h; yy++) for (let xx = r.x; xx < r.x + r.w; xx++) fn(yy * this.width + xx, sx + xx - x, sy + yy - y);
    this.pixelsWritten += Math.max(0, r.w) * Math.max(0, r.h);
  }

  /** Blends in 5/6/5-bit channel space, as Poco does on an RGB565 target. */
  private blendPixel(i: number, color: Color, alpha: number): void {
    const d = this.pixels[i];
    const mix = (shift: number, mask: number) => {
      const a = (d >> shift) & mask;
      const b = (color >> shift) & mask;
      return ((a + (((b - a) * alpha + 127) / 255) | 0) & mask) << shift;
    };
    this.pixels[i] = mix(11, 31) | mix(5, 63) | mix(0, 31);
  }
}

function intersect(a: Rect, b: Rect): Rect {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  return { x, y, w: Math.max(0, Math.min(a.x + a.w, b.x + b.w) - x), h: Math.max(0, Math.min(a.y + a.h, b.y + b.h) - y) };
}
