/**
 * The Canvas port on the board: every call forwards one to one to Moddable's
 * commodetto/Poco (which drives the SPI panel, ILI9341 320x240 or ILI9488
 * 480x320, in RGB565LE). Our Bitmaps wrap into commodetto Bitmaps once
 * (cached), so font atlases in flash are drawn with Poco's own drawGray.
 *
 *   import { PocoCanvas } from "poco-canvas";
 *   const canvas = new PocoCanvas(new Poco(screen));
 *   const app = new DisplayApp(canvas, household, clock, { width: canvas.width, height: canvas.height });
 */
import Poco from "commodetto/Poco";
import CBitmap from "commodetto/Bitmap";
import type { Bitmap, Canvas, Color } from "../../modules/ui/canvas";

type PocoRenderer = {
  width: number;
  height: number;
  makeColor(r: number, g: number, b: number): number;
  begin(x?: number, y?: number, w?: number, h?: number): void;
  end(): void;
  clip(x?: number, y?: number, w?: number, h?: number): boolean | undefined;
  fillRectangle(c: number, x: number, y: number, w: number, h: number): void;
  blendRectangle(c: number, blend: number, x: number, y: number, w: number, h: number): void;
  drawBitmap(b: unknown, x: number, y: number, sx?: number, sy?: number, sw?: number, sh?: number): void;
  drawMonochrome(b: unknown, fore: number | undefined, back: number | undefined, x: number, y: number, sx?: number, sy?: number, sw?: number, sh?: number): void;
  drawGray(b: unknown, c: number, x: number, y: number, sx?: number, sy?: number, sw?: number, sh?: number, blend?: number): void;
};

const FORMAT: Readonly<Record<Bitmap["format"], number>> = Object.freeze({
  gray16: (CBitmap as { Gray16: number }).Gray16,
  monochrome: (CBitmap as { Monochrome: number }).Monochrome,
  rgb565: (CBitmap as { RGB565LE: number }).RGB565LE,
});

export class PocoCanvas implements Canvas {
  // A Map, not a WeakMap: the font atlases are preloaded (in flash), and XS cannot take an object in
  // flash as a WeakMap key ("key: read-only"). The bitmaps drawn are a handful of module constants.
  private bitmaps = new Map<Bitmap, unknown>();
  readonly width: number;
  readonly height: number;

  constructor(private readonly poco: PocoRenderer = new (Poco as unknown as new (out: unknown) => PocoRenderer)((globalThis as { screen?: unknown }).screen)) {
    this.width = poco.width;
    this.height = poco.height;
  }

  makeColor(r: number, g: number, b: number): Color {
    return this.poco.makeColor(r, g, b);
  }
  begin(x?: number, y?: number, width?: number, height?: number): void {
    if (x === undefined) this.poco.begin();
    else this.poco.begin(x, y, width, height);
  }
  end(): void {
    this.poco.end();
  }
  clip(x?: number, y?: number, width?: number, height?: number): boolean {
    return (x === undefined ? this.poco.clip() : this.poco.clip(x, y, width, height)) !== false;
  }
  fillRectangle(color: Color, x: number, y: number, width: number, height: number): void {
    this.poco.fillRectangle(color, x, y, width, height);
  }
  blendRectangle(color: Color, blend: number, x: number, y: number, width: number, height: number): void {
    this.poco.blendRectangle(color, blend, x, y, width, height);
  }
  drawBitmap(bits: Bitmap, x: number, y: number, sx?: number, sy?: number, sw?: number, sh?: number): void {
    this.poco.drawBitmap(this.wrap(bits), x, y, sx, sy, sw, sh);
  }
  drawMonochrome(bits: Bitmap, fore: Color | undefined, back: Color | undefined, x: number, y: number, sx?: number, sy?: number, sw?: number, sh?: number): void {
    this.poco.drawMonochrome(this.wrap(bits), fore, back, x, y, sx, sy, sw, sh);
  }
  drawGray(bits: Bitmap, color: Color, x: number, y: number, sx?: number, sy?: number, sw?: number, sh?: number, blend?: number): void {
    this.poco.drawGray(this.wrap(bits), color, x, y, sx, sy, sw, sh, blend);
  }

  /** A commodetto Bitmap over the same bytes (no copy), made once per bitmap. */
  private wrap(bits: Bitmap): unknown {
    let b = this.bitmaps.get(bits);
    if (!b) {
      const data = bits.data;
      b = new (CBitmap as unknown as new (w: number, h: number, f: number, buf: ArrayBufferLike, off: number) => unknown)(bits.width, bits.height, FORMAT[bits.format], data.buffer, data.byteOffset);
      this.bitmaps.set(bits, b);
    }
    return b;
  }
}
