/**
 * The Canvas port: the display's drawing surface, modelled method for method on
 * Moddable's commodetto/Poco so hosts/esp32/poco-canvas.ts forwards each call
 * unchanged. Colours are RGB565 numbers from `makeColor`. Drawing happens only
 * between `begin(x, y, w, h)` and `end()`, and only inside that rectangle
 * (intersected with any `clip`): on the board `end()` sends exactly that
 * rectangle to the panel, which is what makes dirty-rectangle updates cheap.
 *
 * Lines and text are not primitives of Poco either: modules/ui/draw.ts builds
 * them from rectangles and Gray16 glyph bitmaps (see font.ts).
 */
export type Color = number;

/** Poco's Bitmap, reduced to what the UI uses. */
export interface Bitmap {
  readonly width: number;
  readonly height: number;
  /** "gray16": 4 bits per pixel, high nybble left, 0 = no ink, 15 = full colour.
   *  "monochrome": 1 bit per pixel, high bit left. "rgb565": one Uint16 per pixel. */
  readonly format: "gray16" | "monochrome" | "rgb565";
  /** Packed rows; rows are padded to whole bytes (gray16, monochrome). */
  readonly data: Uint8Array | Uint16Array;
}

export interface Canvas {
  readonly width: number;
  readonly height: number;
  /** 8-bit channels to the panel's RGB565. */
  makeColor(r: number, g: number, b: number): Color;
  /** Starts drawing into (x, y, w, h), the whole screen when omitted. */
  begin(x?: number, y?: number, width?: number, height?: number): void;
  /** Ends the frame: the host sends the begun rectangle to the panel. */
  end(): void;
  /** Pushes a clip rectangle intersected with the current one; `clip()` pops. Returns false if empty. */
  clip(x?: number, y?: number, width?: number, height?: number): boolean;
  fillRectangle(color: Color, x: number, y: number, width: number, height: number): void;
  /** Blends `color` over what is there; `blend` 0 (none) .. 255 (opaque). */
  blendRectangle(color: Color, blend: number, x: number, y: number, width: number, height: number): void;
  /** Draws an rgb565 bitmap, or the source rectangle (sx, sy, sw, sh) of it. */
  drawBitmap(bits: Bitmap, x: number, y: number, sx?: number, sy?: number, sw?: number, sh?: number): void;
  /** Draws a 1-bit bitmap: set bits in `fore`, clear bits in `back` (either may be undefined = transparent). */
  drawMonochrome(bits: Bitmap, fore: Color | undefined, back: Color | undefined, x: number, y: number, sx?: number, sy?: number, sw?: number, sh?: number): void;
  /** Draws a gray16 bitmap as coverage of `color` (anti-aliased text), optionally faded by `blend`. */
  drawGray(bits: Bitmap, color: Color, x: number, y: number, sx?: number, sy?: number, sw?: number, sh?: number, blend?: number): void;
}

/** RGB565 from 8-bit channels, as Poco's makeColor. */
export function rgb565(r: number, g: number, b: number): Color {
  return ((r & 0xf8) << 8) | ((g & 0xfc) << 3) | (b >> 3);
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export function rect(x: number, y: number, w: number, h: number): Rect {
  return { x, y, w, h };
}

export function contains(r: Rect, x: number, y: number): boolean {
  return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h;
}

/** The smallest rectangle holding both; an empty rectangle (w or h ≤ 0) is ignored. */
export function union(a: Rect | undefined, b: Rect): Rect {
  if (!a || a.w <= 0 || a.h <= 0) return { ...b };
  if (b.w <= 0 || b.h <= 0) return { ...a };
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}

export function intersects(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}
