/**
 * Glyphs the display prints that Moddable's Open Sans BMFonts do not carry,
 * built from glyphs they do carry, the way a type designer would start:
 *   "·" U+00B7  the full stop, raised to the middle of the x-height
 *   "–" U+2013  the hyphen stretched to the width of "n"
 *   "−" U+2212  the hyphen stretched to the width of "+", on the bar of "+"
 *   "€" U+20AC  "C" with two bars of the hyphen's weight across it
 *   "°" U+00B0  "o" at half size, on the cap height
 * A font module written by font-gen.ts goes in, the same module with these
 * glyphs appended to its strip atlas comes out (glyphs already present stay).
 *
 *   xsmeter ui font-derive modules/ui/fonts/sans-16.ts   (rewrites the file)
 */
import { fromHex, toHex } from "../../../modules/core/bytes";

const STRIDE = 7;
export const DERIVED = "·–−€°";

interface Glyph {
  code: number;
  w: number;
  xoff: number;
  adv: number;
  row: number;
  rows: number;
  /** rows × w ink levels 0..15. */
  ink: Uint8Array;
}

interface Parsed {
  head: string;
  glyphs: Glyph[];
  atlasHeight: number;
  tail: string;
}

function parse(text: string): Parsed {
  const m = /^([\s\S]*?)  atlasWidth: (\d+),\n  atlasHeight: (\d+),\n  glyphs: \[([^\]]*)\],\n  atlas:\n([\s\S]*?),\n(\}\);\n?)$/.exec(text);
  if (!m) throw new Error("font-derive: not a module written by font-gen.ts");
  const width = Number(m[2]);
  const height = Number(m[3]);
  const table = m[4].split(",").map(Number);
  const atlas = fromHex(m[5].replace(/[\s"+]/g, ""));
  const rowBytes = (width + 1) >> 1;
  const glyphs: Glyph[] = [];
  for (let i = 0; i < table.length; i += STRIDE) {
    const [code, sx, w, xoff, adv, row, rows] = table.slice(i, i + STRIDE);
    const ink = new Uint8Array(w * rows);
    for (let y = 0; y < rows; y++) for (let x = 0; x < w; x++) {
      const ax = sx + x;
      const b = atlas[(row + y) * rowBytes + (ax >> 1)];
      ink[y * w + x] = ax & 1 ? b & 15 : b >> 4;
    }
    glyphs.push({ code, w, xoff, adv, row, rows, ink });
  }
  return { head: m[1], glyphs, atlasHeight: height, tail: m[6] };
}

function write(p: Parsed): string {
  const glyphs = [...p.glyphs].sort((a, b) => a.code - b.code);
  const width = glyphs.reduce((n, g) => n + g.w, 0);
  const rowBytes = (width + 1) >> 1;
  const atlas = new Uint8Array(rowBytes * p.atlasHeight);
  const table: number[] = [];
  let sx = 0;
  for (const g of glyphs) {
    for (let y = 0; y < g.rows; y++) for (let x = 0; x < g.w; x++) {
      const v = g.ink[y * g.w + x];
      const ax = sx + x;
      atlas[(g.row + y) * rowBytes + (ax >> 1)] |= ax & 1 ? v : v << 4;
    }
    table.push(g.code, sx, g.w, g.xoff, g.adv, g.row, g.rows);
    sx += g.w;
  }
  const hex = toHex(atlas);
  const lines: string[] = [];
  for (let i = 0; i < hex.length; i += 120) lines.push(`  "${hex.slice(i, i + 120)}"`);
  return `${p.head}  atlasWidth: ${width},\n  atlasHeight: ${p.atlasHeight},\n  glyphs: [${table.join(",")}],\n  atlas:\n${lines.join(" +\n")},\n${p.tail}`;
}

/** A copy of g with its ink resized to w × rows by nearest columns/rows from the middle (strokes keep their weight). */
function stretch(g: Glyph, w: number): Glyph {
  const ink = new Uint8Array(w * g.rows);
  for (let y = 0; y < g.rows; y++) for (let x = 0; x < w; x++) {
    // ends as in the source, the middle column repeated
    const mid = g.w >> 1;
    const sxp = x < mid ? x : x >= w - (g.w - mid) ? x - (w - g.w) : mid;
    ink[y * w + x] = g.ink[y * g.w + sxp];
  }
  return { ...g, w, ink };
}

function half(g: Glyph): Glyph {
  const w = Math.max(1, Math.ceil(g.w / 2));
  const rows = Math.max(1, Math.ceil(g.rows / 2));
  const ink = new Uint8Array(w * rows);
  for (let y = 0; y < rows; y++) for (let x = 0; x < w; x++) {
    let s = 0;
    for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) {
      const yy = 2 * y + dy;
      const xx = 2 * x + dx;
      if (yy < g.rows && xx < g.w) s = Math.max(s, g.ink[yy * g.w + xx]);
    }
    ink[y * w + x] = s;
  }
  return { ...g, w, rows, ink };
}

export function deriveGlyphs(text: string): string {
  const p = parse(text);
  const by = (ch: string) => p.glyphs.find((g) => g.code === ch.codePointAt(0));
  const has = (ch: string) => !!by(ch);
  const need = (ch: string) => {
    const g = by(ch);
    if (!g) throw new Error(`font-derive: the font has no "${ch}" to derive from`);
    return g;
  };
  const add = (ch: string, g: Glyph) => {
    if (!has(ch)) p.glyphs.push({ ...g, code: ch.codePointAt(0)! });
  };
  const dot = need(".");
  const x = need("x");
  const hyphen = need("-");
  const plus = need("+");
  const n = need("n");
  const C = need("C");
  const o = need("o");
  const H = need("H");
  // middle dot: the full stop centred on the x-height
  add("·", { ...dot, row: Math.round(x.row + x.rows / 2 - dot.rows / 2) });
  // en dash: the hyphen as wide as "n"'s ink, same height
  const en = stretch(hyphen, Math.max(hyphen.w, n.w));
  add("–", { ...en, xoff: n.xoff, adv: n.adv });
  // minus: as wide as "+", on its bar
  const minus = stretch(hyphen, plus.w);
  add("−", { ...minus, xoff: plus.xoff, adv: plus.adv, row: Math.round(plus.row + plus.rows / 2 - hyphen.rows / 2) });
  // euro: "C" moved right by a bar's overhang, two hyphen-weight bars across its middle
  const over = Math.max(1, Math.round(C.w / 5));
  const w = C.w + over;
  const ink = new Uint8Array(w * C.rows);
  for (let y = 0; y < C.rows; y++) for (let xx = 0; xx < C.w; xx++) ink[y * w + xx + over] = C.ink[y * C.w + xx];
  const bar = Math.max(1, hyphen.rows);
  const len = Math.round(w * 0.72);
  for (const at of [0.38, 0.58]) {
    const y0 = Math.round(C.rows * at - bar / 2);
    for (let y = y0; y < y0 + bar; y++) for (let xx = 0; xx < len; xx++) if (y >= 0 && y < C.rows) ink[y * w + xx] = Math.max(ink[y * w + xx], hyphen.ink[Math.min(hyphen.rows - 1, y - y0) * hyphen.w + Math.min(hyphen.w - 1, 1)]);
  }
  add("€", { ...C, w, xoff: C.xoff - 1, adv: C.adv + over - 1, ink });
  // degree: "o" at half size on the cap height
  const deg = half(o);
  add("°", { ...deg, xoff: o.xoff, adv: deg.w + 2 * Math.max(1, o.xoff), row: H.row });
  return write(p);
}
