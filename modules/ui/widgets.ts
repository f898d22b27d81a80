/**
 * Retained widgets with dirty tracking: each setter compares the new model
 * with the drawn one and only then marks the widget dirty, so DisplayApp.render
 * redraws just the rectangles whose content changed (a changing number touches
 * its label's rectangle, never the screen).
 */
import type { Canvas, Color, Rect } from "./canvas";
import { drawText, textWidth, wrapText, type Font } from "./font";

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
  /** The strings this widget prints and their fonts (for the glyph check and for tests). */
  shown(_t: Theme): { text: string; font: Font; r: Rect }[] {
    return [];
  }
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
  override shown(t: Theme) {
    return this.text ? [{ text: this.text, font: this.font(t), r: this.r }] : [];
  }
  draw(c: Canvas, t: Theme): void {
    const f = this.font(t);
    c.fillRectangle(this.bg ? this.bg(t) : t.bg, this.r.x, this.r.y, this.r.w, this.r.h);
    const w = Math.min(textWidth(this.text, f), this.r.w);
    const x = this.align === "left" ? this.r.x : this.align === "right" ? this.r.x + this.r.w - w : this.r.x + ((this.r.w - w) >> 1);
    drawText(c, this.text, f, this.color, x, this.r.y + ((this.r.h - f.lineHeight) >> 1), this.r.w);
  }
}

/** A name on the left and a value on the right in one row; the value is never cut (the name gives way). */
export class Pair extends Widget {
  private label = "";
  private value = "";
  private nameColor: Color = 0;
  private valueColor: Color = 0;
  constructor(r: Rect, private font: (t: Theme) => Font) { super(r); }
  set(name: string, nameColor: Color, value: string, valueColor: Color): void {
    if (name === this.label && value === this.value && nameColor === this.nameColor && valueColor === this.valueColor) return;
    this.label = name;
    this.value = value;
    this.nameColor = nameColor;
    this.valueColor = valueColor;
    this.dirty = true;
  }
  override shown(t: Theme) {
    return [this.label, this.value].filter(Boolean).map((text) => ({ text, font: this.font(t), r: this.r }));
  }
  draw(c: Canvas, t: Theme): void {
    const f = this.font(t);
    const { x, y, w, h } = this.r;
    c.fillRectangle(t.bg, x, y, w, h);
    const vw = Math.min(textWidth(this.value, f), w);
    const ty = y + ((h - f.lineHeight) >> 1);
    drawText(c, this.value, f, this.valueColor, x + w - vw, ty, w);
    if (this.label) drawText(c, this.label, f, this.nameColor, x, ty, Math.max(0, w - vw - 6));
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
  override shown(t: Theme) {
    return this.text ? [{ text: this.text, font: this.font(t), r: this.r }] : [];
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

/** An on/off switch: a track with a knob, green when on; or, for a load the household does not switch, a word in its place. */
export class Switch extends Widget {
  private on: boolean | undefined;
  private word = "";
  set(on: boolean | undefined, word = ""): void {
    if (on === this.on && word === this.word) return;
    this.on = on;
    this.word = word;
    this.dirty = true;
  }
  override shown(t: Theme) {
    return this.on === undefined && this.word ? [{ text: this.word, font: t.small, r: this.r }] : [];
  }
  draw(c: Canvas, t: Theme): void {
    const { x, y, w, h } = this.r;
    c.fillRectangle(t.panel, x, y, w, h);
    if (this.on === undefined) {
      const tw = Math.min(textWidth(this.word, t.small), w);
      drawText(c, this.word, t.small, t.dim, x + ((w - tw) >> 1), y + ((h - t.small.lineHeight) >> 1), w);
      return;
    }
    const th = Math.min(h - 4, 22);
    const ty = y + ((h - th) >> 1);
    c.fillRectangle(this.on ? t.ok : t.grid, x + 2, ty, w - 4, th);
    const k = th - 4;
    c.fillRectangle(t.text, this.on ? x + w - 4 - k : x + 4, ty + 2, k, k);
  }
}

/** A chart's axes: value ticks (with labels) and time ticks at fractions of the width. */
export interface Axes {
  min: number;
  max: number;
  y: readonly { v: number; text: string }[];
  x: readonly { f: number; text: string }[];
}

const NO_AXES: Axes = Object.freeze({ min: 0, max: 1, y: Object.freeze([]), x: Object.freeze([]) });

function sameAxes(a: Axes, b: Axes): boolean {
  if (a.min !== b.min || a.max !== b.max || a.y.length !== b.y.length || a.x.length !== b.x.length) return false;
  for (let i = 0; i < a.y.length; i++) if (a.y[i].v !== b.y[i].v || a.y[i].text !== b.y[i].text) return false;
  for (let i = 0; i < a.x.length; i++) if (a.x[i].f !== b.x[i].f || a.x[i].text !== b.x[i].text) return false;
  return true;
}

/**
 * Draws the panel, the value labels on the left with their grid lines and the
 * time labels underneath (the first and last kept inside), and returns the
 * plot rectangle and the value → row mapping.
 */
function drawAxes(c: Canvas, t: Theme, r: Rect, a: Axes): { plot: Rect; py: (v: number) => number } {
  c.fillRectangle(t.panel, r.x, r.y, r.w, r.h);
  const f = t.small;
  let gutter = 0;
  for (const tick of a.y) gutter = Math.max(gutter, textWidth(tick.text, f));
  gutter = gutter ? gutter + 6 : 2;
  const bottom = a.x.length ? f.lineHeight : 2;
  const half = f.lineHeight >> 1;
  const plot = { x: r.x + gutter, y: r.y + half, w: r.w - gutter - 4, h: r.h - half - bottom - 2 };
  const span = a.max - a.min || 1;
  const py = (v: number) => plot.y + Math.round(((plot.h - 1) * (a.max - v)) / span);
  for (const tick of a.y) {
    const y = py(tick.v);
    c.fillRectangle(tick.v === 0 ? t.dim : t.grid, plot.x, y, plot.w, 1);
    const w = textWidth(tick.text, f);
    drawText(c, tick.text, f, t.dim, plot.x - 4 - w, Math.max(r.y, Math.min(r.y + r.h - f.lineHeight, y - half)));
  }
  for (const tick of a.x) {
    const x = plot.x + Math.round(tick.f * (plot.w - 1));
    c.fillRectangle(t.grid, x, plot.y, 1, plot.h);
    const w = textWidth(tick.text, f);
    const lx = Math.max(r.x, Math.min(r.x + r.w - w - 1, x - (w >> 1)));
    drawText(c, tick.text, f, t.dim, lx, plot.y + plot.h + 1);
  }
  return { plot, py };
}

function axesShown(a: Axes, t: Theme, r: Rect) {
  return [...a.y, ...a.x].map((tick) => ({ text: tick.text, font: t.small, r }));
}

/** Bars over a baseline; values may be negative (export), drawn below it. */
export class BarGraph extends Widget {
  private values: number[] = [];
  private colors: Color[] = [];
  private highlight = -1;
  private axes: Axes = NO_AXES;
  set(values: number[], colors: Color[], highlight = -1, axes: Axes = NO_AXES): void {
    if (highlight === this.highlight && sameNumbers(values, this.values) && sameNumbers(colors, this.colors) && sameAxes(axes, this.axes)) return;
    this.values = values.slice();
    this.colors = colors.slice();
    this.highlight = highlight;
    this.axes = axes;
    this.dirty = true;
  }
  override shown(t: Theme) {
    return axesShown(this.axes, t, this.r);
  }
  draw(c: Canvas, t: Theme): void {
    const n = this.values.length;
    let a = this.axes;
    if (a === NO_AXES) {
      const max = Math.max(1e-9, ...this.values.map((v) => (Number.isFinite(v) ? v : 0)));
      const min = Math.min(0, ...this.values.map((v) => (Number.isFinite(v) ? v : 0)));
      a = { min, max, y: [], x: [] };
    }
    const { plot, py } = drawAxes(c, t, this.r, a);
    if (!n) return;
    const base = py(0);
    const bw = plot.w / n;
    for (let i = 0; i < n; i++) {
      const v = this.values[i];
      if (!Number.isFinite(v)) continue;
      const y = py(v);
      const bx = Math.round(plot.x + i * bw + 1);
      const bwi = Math.max(1, Math.round(bw) - 2);
      const col = this.colors[i] ?? this.colors[0] ?? t.accent;
      if (v >= 0) c.fillRectangle(col, bx, y, bwi, Math.max(1, base - y));
      else c.fillRectangle(col, bx, base + 1, bwi, Math.max(1, y - base));
      if (i === this.highlight) c.blendRectangle(t.text, 64, bx - 1, plot.y, bwi + 2, plot.h);
    }
  }
}

/** A polyline over a grid; gaps (NaN) break the line. */
export class LineGraph extends Widget {
  private values: number[] = [];
  private color: Color = 0;
  private axes: Axes = NO_AXES;
  set(values: number[], color: Color, axes: Axes = NO_AXES): void {
    if (color === this.color && sameNumbers(values, this.values) && sameAxes(axes, this.axes)) return;
    this.values = values.slice();
    this.color = color;
    this.axes = axes;
    this.dirty = true;
  }
  override shown(t: Theme) {
    return axesShown(this.axes, t, this.r);
  }
  draw(c: Canvas, t: Theme): void {
    const v = this.values;
    const finite = v.filter(Number.isFinite);
    let a = this.axes;
    if (a === NO_AXES) a = { min: Math.min(0, ...finite), max: Math.max(1e-9, ...finite), y: [], x: [] };
    const { plot, py } = drawAxes(c, t, this.r, a);
    if (finite.length < 2) return;
    const x = plot.x;
    const w = plot.w;
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
  override shown(t: Theme) {
    return [{ text: this.title, font: t.medium, r: this.r }, ...wrapText(this.message, t.small, this.r.w - 20).map((text) => ({ text, font: t.small, r: this.r })), ...this.buttons.flatMap((b) => b.shown(t))];
  }
  draw(c: Canvas, t: Theme): void {
    const { x, y, w, h } = this.r;
    c.fillRectangle(t.accent, x, y, w, h);
    c.fillRectangle(t.panelHi, x + 2, y + 2, w - 4, h - 4);
    drawText(c, this.title, t.medium, t.text, x + 10, y + 6, w - 20);
    // the message wrapped on words, as many lines as fit above the buttons
    const lines = wrapText(this.message, t.small, w - 20);
    const room = Math.max(1, Math.floor((this.buttons[0].r.y - (y + 8 + t.medium.lineHeight)) / t.small.lineHeight));
    lines.slice(0, room).forEach((line, i) => drawText(c, line, t.small, t.text, x + 10, y + 8 + t.medium.lineHeight + i * t.small.lineHeight, w - 20));
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
