/**
 * Retained widgets with dirty tracking: each setter compares the new model
 * with the drawn one and only then marks the widget dirty, so DisplayApp.render
 * redraws just the rectangles whose content changed (a changing number touches
 * its label's rectangle, never the screen).
 */
import type { Canvas, Color, Rect } from "./canvas";
import { drawText, textWidth, type Font } from "./font";

export interface Theme {
  bg: Color; panel: Color; panelHi: Color; text: Color; dim: Color; accent: Color;
  ok: Color; warn: Color; bad: Color; grid: Color; small: Font; medium: Font; big: Font;
}

export abstract class Widget {
  dirty = true;
  onTap?: () => void;
  onLong?: () => void;
  constructor(public r: Rect) {}
  abstract draw(c: Canvas, t: Theme): void;
}

export type Align = "left" | "center" | "right";

export class Label extends Widget {
  private text = "";
  private color: Color = 0;
  constructor(r: Rect, private font: (t: Theme) => Font, private align: Align = "left", private bg?: (t: Theme) => Color) { super(r); }
  set(text: string, color: Color): void {
    if (text === this.text && color === this.color) return;
    this.text = text;
    this.color = color;
    this.dirty = true;
  }
  draw(c: Canvas, t: Theme): void {
    const f = this.font(t);
    c.fillRectangle(this.bg ? this.bg(t) : t.bg, this.r.x, this.r.y, this.r.w, this.r.h);
    const w = Math.min(textWidth(this.text, f), this.r.w);
    const x = this.align === "left" ? this.r.x : this.align === "right" ? this.r.x + this.r.w - w : this.r.x + ((this.r.w - w) >> 1);
    drawText(c, this.text, f, this.color, x, this.r.y + ((this.r.h - f.lineHeight) >> 1), this.r.w);
  }
}

export class Button extends Widget {
  private text = "";
  private fill: Color = 0;
  constructor(r: Rect, private font: (t: Theme) => Font) { super(r); }
  set(text: string, fill: Color): void {
    if (text === this.text && fill === this.fill) return;
    this.text = text;
    this.fill = fill;
    this.dirty = true;
  }
  draw(c: Canvas, t: Theme): void {
    const { x, y, w, h } = this.r;
    c.fillRectangle(t.bg, x, y, w, h);
    c.fillRectangle(this.fill, x + 1, y + 1, w - 2, h - 2); // 1-px inset reads as a rounded key
    c.fillRectangle(this.fill, x + 2, y, w - 4, h);
    const f = this.font(t);
    const tw = Math.min(textWidth(this.text, f), w - 2);
    drawText(c, this.text, f, t.text, x + ((w - tw) >> 1), y + ((h - f.lineHeight) >> 1), w - 2);
  }
}

/** A status light. */
export class Dot extends Widget {
  private color: Color | undefined;
  set(color: Color): void {
    if (color === this.color) return;
    this.color = color;
    this.dirty = true;
  }
  draw(c: Canvas): void {
    c.fillRectangle(this.color ?? 0, this.r.x, this.r.y, this.r.w, this.r.h);
  }
}

/** An on/off switch: a track with a knob, green when on. */
export class Switch extends Widget {
  private on: boolean | undefined;
  set(on: boolean): void {
    if (on === this.on) return;
    this.on = on;
    this.dirty = true;
  }
  draw(c: Canvas, t: Theme): void {
    const { x, y, w, h } = this.r;
    c.fillRectangle(t.panel, x, y, w, h);
    const th = Math.min(h - 4, 22);
    const ty = y + ((h - th) >> 1);
    c.fillRectangle(this.on ? t.ok : t.grid, x + 2, ty, w - 4, th);
    const k = th - 4;
    c.fillRectangle(t.text, this.on ? x + w - 4 - k : x + 4, ty + 2, k, k);
  }
}

/** Bars over a baseline; values may be negative (export), drawn below it. */
export class BarGraph extends Widget {
  private values: number[] = [];
  private colors: Color[] = [];
  private highlight = -1;
  set(values: number[], colors: Color[], highlight = -1): void {
    if (highlight === this.highlight && sameNumbers(values, this.values) && sameNumbers(colors, this.colors)) return;
    this.values = values.slice();
    this.colors = colors.slice();
    this.highlight = highlight;
    this.dirty = true;
  }
  draw(c: Canvas, t: Theme): void {
    const { x, y, w, h } = this.r;
    c.fillRectangle(t.panel, x, y, w, h);
    const n = this.values.length;
    if (!n) return;
    const max = Math.max(1e-9, ...this.values.map((v) => (Number.isFinite(v) ? v : 0)));
    const min = Math.min(0, ...this.values.map((v) => (Number.isFinite(v) ? v : 0)));
    const span = max - min;
    const base = y + 2 + Math.round(((h - 4) * max) / span);
    c.fillRectangle(t.grid, x, base, w, 1);
    const bw = w / n;
    for (let i = 0; i < n; i++) {
      const v = this.values[i];
      if (!Number.isFinite(v)) continue;
      const bh = Math.round(((h - 4) * Math.abs(v)) / span);
      const bx = Math.round(x + i * bw + 1);
      const bwi = Math.max(1, Math.round(bw) - 2);
      const col = this.colors[i] ?? this.colors[0] ?? t.accent;
      if (v >= 0) c.fillRectangle(col, bx, base - bh, bwi, bh);
      else c.fillRectangle(col, bx, base + 1, bwi, bh);
      if (i === this.highlight) c.blendRectangle(t.text, 64, bx - 1, y, bwi + 2, h);
    }
  }
}

/** A polyline over a grid; gaps (NaN) break the line. */
export class LineGraph extends Widget {
  private values: number[] = [];
  private color: Color = 0;
  set(values: number[], color: Color): void {
    if (color === this.color && sameNumbers(values, this.values)) return;
    this.values = values.slice();
    this.color = color;
    this.dirty = true;
  }
  draw(c: Canvas, t: Theme): void {
    const { x, y, w, h } = this.r;
    c.fillRectangle(t.panel, x, y, w, h);
    for (let i = 1; i < 4; i++) c.fillRectangle(t.grid, x, y + Math.round((h * i) / 4), w, 1);
    for (let i = 1; i < 6; i++) c.fillRectangle(t.grid, x + Math.round((w * i) / 6), y, 1, h);
    const v = this.values;
    const finite = v.filter(Number.isFinite);
    if (finite.length < 2) return;
    const max = Math.max(...finite, 0);
    const min = Math.min(...finite, 0);
    const span = max - min || 1;
    const py = (val: number) => y + 2 + Math.round(((h - 5) * (max - val)) / span);
    if (min < 0) c.fillRectangle(t.dim, x, py(0), w, 1);
    for (let i = 1; i < v.length; i++) {
      if (!Number.isFinite(v[i - 1]) || !Number.isFinite(v[i])) continue;
      const x0 = x + Math.round(((i - 1) * (w - 1)) / (v.length - 1));
      const x1 = x + Math.round((i * (w - 1)) / (v.length - 1));
      drawLine(c, this.color, x0, py(v[i - 1]), x1, py(v[i]), 2);
      // area under the curve, faint, so the profile reads at a glance
      const top = Math.min(py(v[i]), py(0));
      c.blendRectangle(this.color, 48, x0, top, Math.max(1, x1 - x0), Math.abs(py(0) - py(v[i])));
    }
  }
}

/** A modal box with a title, a message and up to two buttons. */
export class Dialog extends Widget {
  title = "";
  message = "";
  readonly buttons: Button[];
  constructor(r: Rect, font: (t: Theme) => Font, labels: string[]) {
    super(r);
    const bh = Math.round(r.h / 4);
    const bw = Math.round((r.w - 30) / labels.length);
    this.buttons = labels.map((_, i) => new Button({ x: r.x + 10 + i * (bw + 10), y: r.y + r.h - bh - 8, w: bw - 10 + (labels.length === 1 ? 10 : 0), h: bh }, font));
  }
  draw(c: Canvas, t: Theme): void {
    const { x, y, w, h } = this.r;
    c.fillRectangle(t.accent, x, y, w, h);
    c.fillRectangle(t.panelHi, x + 2, y + 2, w - 4, h - 4);
    drawText(c, this.title, t.medium, t.text, x + 10, y + 6, w - 20);
    drawText(c, this.message, t.small, t.text, x + 10, y + 8 + t.medium.lineHeight, w - 20);
    for (const b of this.buttons) b.draw(c, t);
  }
}

/** A line of `thickness` pixels from rectangles (Poco has no line primitive). */
export function drawLine(c: Canvas, color: Color, x0: number, y0: number, x1: number, y1: number, thickness = 1): void {
  const dx = Math.abs(x1 - x0);
  const dy = Math.abs(y1 - y0);
  if (dx >= dy) {
    // one vertical run per column, spanning the rows the segment crosses there
    const sx = x1 >= x0 ? 1 : -1;
    let prev = y0;
    for (let i = 0; i <= dx; i++) {
      const yy = dx === 0 ? y0 : Math.round(y0 + ((y1 - y0) * i) / dx);
      const top = Math.min(prev, yy);
      c.fillRectangle(color, x0 + i * sx, top, thickness, Math.abs(yy - prev) + thickness);
      prev = yy;
    }
  } else {
    const sy = y1 >= y0 ? 1 : -1;
    for (let i = 0; i <= dy; i++) {
      const xx = Math.round(x0 + ((x1 - x0) * i) / dy);
      c.fillRectangle(color, xx, y0 + i * sy, thickness, thickness);
    }
  }
}

function sameNumbers(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}
