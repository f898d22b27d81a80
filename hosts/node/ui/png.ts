/**
 * A small PNG codec for the display's framebuffer: the encoder writes 8-bit RGB
 * (what an RGB565 panel can show, expanded), the decoder reads the common
 * non-interlaced formats (gray, RGB, palette, gray+alpha, RGBA at 8 bits, and
 * 1/2/4-bit gray or palette) so golden snapshots and font atlases can be read
 * back. Chunks are checked with the CRC-32 of modules/core/bytes.ts.
 */
import { deflateSync, inflateSync } from "node:zlib";
import { crc32, readU32BE, writeU32BE } from "../../../modules/core/bytes";

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

export interface DecodedPng {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel, row-major. */
  rgba: Uint8Array;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  writeU32BE(out, 0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  writeU32BE(out, 8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** Expands RGB565 to 8 bits per channel the way panels and Poco do (replicating high bits). */
export function rgb565ToRgb(c: number): [number, number, number] {
  const r = (c >> 11) & 31;
  const g = (c >> 5) & 63;
  const b = c & 31;
  return [(r << 3) | (r >> 2), (g << 2) | (g >> 4), (b << 3) | (b >> 2)];
}

/** Encodes RGB565 pixels as an 8-bit RGB PNG (filter 0 per row, deterministic output). */
export function encodePngRgb565(pixels: Uint16Array, width: number, height: number): Uint8Array {
  if (pixels.length !== width * height) throw new RangeError("encodePng: pixel count does not match size");
  const stride = 1 + width * 3;
  const raw = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    let o = y * stride + 1; // raw[y*stride] = 0: filter "none"
    for (let x = 0; x < width; x++) {
      const c = pixels[y * width + x];
      const r = (c >> 11) & 31;
      const g = (c >> 5) & 63;
      const b = c & 31;
      raw[o++] = (r << 3) | (r >> 2); // same expansion as rgb565ToRgb, inlined for speed
      raw[o++] = (g << 2) | (g >> 4);
      raw[o++] = (b << 3) | (b >> 2);
    }
  }
  const ihdr = new Uint8Array(13);
  writeU32BE(ihdr, 0, width);
  writeU32BE(ihdr, 4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  const idat = new Uint8Array(deflateSync(raw, { level: 6 }));
  const parts = [SIGNATURE, chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", new Uint8Array(0))];
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undoes the per-row filters in place; `bpp` is bytes per complete pixel (at least 1). */
function unfilter(data: Uint8Array, height: number, rowBytes: number, bpp: number): Uint8Array {
  const out = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) {
    const type = data[y * (rowBytes + 1)];
    const src = y * (rowBytes + 1) + 1;
    const dst = y * rowBytes;
    for (let i = 0; i < rowBytes; i++) {
      const x = data[src + i];
      const a = i >= bpp ? out[dst + i - bpp] : 0;
      const b = y > 0 ? out[dst - rowBytes + i] : 0;
      const c = i >= bpp && y > 0 ? out[dst - rowBytes + i - bpp] : 0;
      let v: number;
      switch (type) {
        case 0: v = x; break;
        case 1: v = x + a; break;
        case 2: v = x + b; break;
        case 3: v = x + ((a + b) >> 1); break;
        case 4: v = x + paeth(a, b, c); break;
        default: throw new Error(`PNG: bad filter type ${type} on row ${y}`);
      }
      out[dst + i] = v & 255;
    }
  }
  return out;
}

/** Decodes a PNG into RGBA; throws a clear error on anything malformed or unsupported. */
export function decodePng(png: Uint8Array): DecodedPng {
  if (png.length < 8 || SIGNATURE.some((b, i) => png[i] !== b)) throw new Error("PNG: bad signature");
  let at = 8;
  let width = 0, height = 0, depth = 0, colour = -1, interlace = 0;
  let palette: Uint8Array | undefined;
  let trns: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (at < png.length) {
    if (at + 12 > png.length) throw new Error("PNG: truncated chunk header");
    const len = readU32BE(png, at);
    const type = String.fromCharCode(png[at + 4], png[at + 5], png[at + 6], png[at + 7]);
    if (at + 12 + len > png.length) throw new Error(`PNG: truncated ${type} chunk`);
    const data = png.subarray(at + 8, at + 8 + len);
    if (crc32(png, at + 4, at + 8 + len) !== readU32BE(png, at + 8 + len)) throw new Error(`PNG: CRC mismatch in ${type}`);
    at += 12 + len;
    if (type === "IHDR") {
      width = readU32BE(data, 0);
      height = readU32BE(data, 4);
      depth = data[8];
      colour = data[9];
      interlace = data[12];
    } else if (type === "PLTE") palette = data;
    else if (type === "tRNS") trns = data;
    else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") {
      ended = true;
      break;
    }
  }
  if (!ended) throw new Error("PNG: missing IEND (truncated file)");
  if (colour < 0 || width === 0 || height === 0) throw new Error("PNG: missing or empty IHDR");
  if (interlace) throw new Error("PNG: interlaced images are not supported");
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colour];
  if (!channels) throw new Error(`PNG: bad colour type ${colour}`);
  if (depth !== 8 && !(depth < 8 && (colour === 0 || colour === 3))) throw new Error(`PNG: bit depth ${depth} with colour type ${colour} not supported`);
  const joined = Buffer.concat(idat);
  const rowBytes = Math.ceil((width * channels * depth) / 8);
  let inflated: Uint8Array;
  try {
    inflated = new Uint8Array(inflateSync(joined));
  } catch (e) {
    throw new Error(`PNG: corrupt image data (${(e as Error).message})`);
  }
  if (inflated.length < (rowBytes + 1) * height) throw new Error("PNG: image data too short");
  const rows = unfilter(inflated, height, rowBytes, Math.max(1, (channels * depth) >> 3));
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      const r = y * rowBytes;
      if (depth < 8) {
        const bit = x * depth;
        const v = (rows[r + (bit >> 3)] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
        if (colour === 3) setPalette(rgba, o, v, palette, trns);
        else {
          const g = Math.round((v * 255) / ((1 << depth) - 1));
          rgba.set([g, g, g, 255], o);
        }
        continue;
      }
      const i = r + x * channels;
      switch (colour) {
        case 0: rgba.set([rows[i], rows[i], rows[i], 255], o); break;
        case 2: rgba.set([rows[i], rows[i + 1], rows[i + 2], 255], o); break;
        case 3: setPalette(rgba, o, rows[i], palette, trns); break;
        case 4: rgba.set([rows[i], rows[i], rows[i], rows[i + 1]], o); break;
        case 6: rgba.set([rows[i], rows[i + 1], rows[i + 2], rows[i + 3]], o); break;
      }
    }
  }
  return { width, height, rgba };
}

function setPalette(rgba: Uint8Array, o: number, v: number, palette: Uint8Array | undefined, trns: Uint8Array | undefined): void {
  if (!palette || v * 3 + 2 >= palette.length) throw new Error(`PNG: palette index ${v} out of range`);
  rgba.set([palette[v * 3], palette[v * 3 + 1], palette[v * 3 + 2], trns && v < trns.length ? trns[v] : 255], o);
}
