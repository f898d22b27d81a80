/**
 * The touch display: screens built from retained widgets over the Household
 * interface. `render()` draws a whole screen only when the screen changes;
 * otherwise it redraws each dirty widget inside its own begin/end rectangle.
 * Touch: tap (hit-tested on widgets), long press (load details dialog), swipe
 * left/right (next/previous screen); or raw pointer down/move/up events.
 * Layouts: 320×240 and 480×320 landscape (one row of tabs), 240×320 portrait
 * (the lin build; two rows of tabs) — the same tab names at every size.
 */
import type { Clock } from "../core/clock";
import { HOUR } from "../core/clock";
import type { Household, HouseholdSnapshot, PriceSlot } from "../core/household";
import { CODES } from "../core/obis";
import { clockTime, dayName, localDayStart, money, price, signed, watts } from "../core/present";
import { STANDARD_TASKS, TASK_CAN, TASK_HTTP, TASK_MEASURE, TASK_UI } from "../core/scheduler";
import { niceScale, timeTicks } from "../core/ticks";
import { contains, type Canvas, type Rect } from "./canvas";
import type { Font } from "./font";
import { SANS_16 } from "./fonts/sans-16";
import { SANS_20 } from "./fonts/sans-20";
import { SANS_28 } from "./fonts/sans-28";
import { DIGITS_52 } from "./fonts/digits-52";
import { textWidth, wrapText } from "./font";
import { BarGraph, Button, Dialog, Label, LineGraph, Pair, Switch, type Axes, type Theme, type Widget } from "./widgets";

// Constant tables frozen: a preloaded module's unfrozen table is copied from flash to RAM at start-up (xsl "not frozen").
export const SCREENS = Object.freeze(["home", "power", "energy", "loads", "prices", "quality", "alarms"] as const);
export type ScreenName = (typeof SCREENS)[number];
/** One set of tab names, short enough for 240 px. */
export const TAB_LABELS = Object.freeze(["Now", "Day", "kWh", "Load", "Price", "PQ", "Alert"]);
const TASK_TITLES: Readonly<Record<string, string>> = Object.freeze({ [TASK_CAN]: "CAN", [TASK_HTTP]: "Web", [TASK_MEASURE]: "Measure", [TASK_UI]: "Display" });
const TITLES: Readonly<Record<ScreenName, string>> = Object.freeze({ home: "xsmeter", power: "Power today", energy: "Energy today", loads: "Loads", prices: "Prices & bill", quality: "Power quality", alarms: "Alarms" });
const DAY = 24 * HOUR;

export type TouchKind = "tap" | "long" | "swipe-left" | "swipe-right";

export interface DisplayOptions {
  width: number;
  height: number;
  /** Press duration that counts as a long press (ms). */
  longPressMs?: number;
  /** Local time = UTC + this (minutes), for the clock, the day and the axes. */
  utcOffsetMin?: number;
}

export class DisplayApp {
  readonly theme: Theme;
  private screen: ScreenName = "home";
  private widgets: Widget[] = [];
  private update: (s: HouseholdSnapshot) => void = () => {};
  private full = true;
  private dialog: Dialog | undefined;
  private down: { x: number; y: number; t: number } | undefined;
  private readonly s: number;
  private readonly portrait: boolean;
  private readonly off: number;

  constructor(private readonly canvas: Canvas, private readonly household: Household, private readonly clock: Clock, private readonly options: DisplayOptions) {
    const c = (r: number, g: number, b: number) => canvas.makeColor(r, g, b);
    const large = options.width >= 480;
    this.s = Math.min(options.width / 320, options.height / 240);
    this.portrait = options.height > options.width;
    this.off = options.utcOffsetMin ?? 0;
    this.theme = {
      bg: c(12, 20, 34), panel: c(24, 36, 56), panelHi: c(38, 54, 80), text: c(240, 244, 250), dim: c(140, 156, 180),
      accent: c(64, 156, 255), ok: c(52, 199, 120), warn: c(255, 184, 48), bad: c(240, 72, 72), grid: c(52, 66, 90),
      small: large ? SANS_20 : SANS_16, medium: large ? SANS_28 : SANS_20, big: DIGITS_52,
    };
    this.show("home");
  }

  get current(): ScreenName {
    return this.screen;
  }

  show(name: ScreenName): void {
    this.screen = name;
    this.dialog = undefined;
    this.build();
    this.full = true;
  }

  /** Every string on the screen now, with its font and rectangle (after render()). */
  texts(): { text: string; font: Font; r: Rect }[] {
    const out = this.widgets.flatMap((w) => w.shown(this.theme));
    if (this.dialog) out.push(...this.dialog.shown(this.theme));
    return out;
  }

  /** Draws what changed since the last call: the whole screen after navigation, else dirty widgets only. */
  render(): void {
    const snap = this.household.snapshot();
    this.update(snap);
    const c = this.canvas;
    const t = this.theme;
    if (this.full) {
      c.begin(0, 0, this.options.width, this.options.height);
      c.fillRectangle(t.bg, 0, 0, this.options.width, this.options.height);
      for (const w of this.widgets) {
        w.draw(c, t);
        w.dirty = false;
      }
      if (this.dialog) {
        c.blendRectangle(t.bg, 150, 0, 0, this.options.width, this.options.height); // dim what is behind the modal
        this.drawDialog();
      }
      c.end();
      this.full = false;
      return;
    }
    for (const w of this.widgets) {
      if (!w.dirty) continue;
      w.dirty = false;
      if (this.dialog) continue; // hidden under the dialog; redrawn when it closes
      c.begin(w.r.x, w.r.y, w.r.w, w.r.h);
      w.draw(c, t);
      c.end();
    }
    if (this.dialog?.dirty) {
      c.begin(this.dialog.r.x, this.dialog.r.y, this.dialog.r.w, this.dialog.r.h);
      this.drawDialog();
      c.end();
    }
  }

  /** A touch gesture at (x, y). */
  touch(x: number, y: number, kind: TouchKind): void {
    if (kind === "swipe-left" || kind === "swipe-right") {
      const i = SCREENS.indexOf(this.screen);
      this.show(SCREENS[(i + (kind === "swipe-left" ? 1 : SCREENS.length - 1)) % SCREENS.length]);
      return;
    }
    const targets: Widget[] = this.dialog ? this.dialog.buttons : this.widgets;
    for (let i = targets.length - 1; i >= 0; i--) {
      const w = targets[i];
      if (!contains(w.r, x, y)) continue;
      const action = kind === "long" ? w.onLong ?? w.onTap : w.onTap;
      if (action) {
        action();
        return;
      }
    }
  }

  /** Raw pointer events (the board's touch driver): classified into tap, long press or swipe. */
  pointerDown(x: number, y: number): void {
    this.down = { x, y, t: this.clock.now() };
  }
  pointerMove(_x: number, _y: number): void {}
  pointerUp(x: number, y: number): void {
    const d = this.down;
    this.down = undefined;
    if (!d) return;
    const dx = x - d.x;
    if (Math.abs(dx) > 40 * this.s && Math.abs(dx) > Math.abs(y - d.y)) this.touch(d.x, d.y, dx < 0 ? "swipe-left" : "swipe-right");
    else this.touch(d.x, d.y, this.clock.now() - d.t >= (this.options.longPressMs ?? 600) ? "long" : "tap");
  }

  private drawDialog(): void {
    const d = this.dialog!;
    d.dirty = false;
    d.draw(this.canvas, this.theme);
  }

  private px(v: number): number {
    return Math.round(v * this.s);
  }

  // ---- screens ----------------------------------------------------------

  private build(): void {
    const W = this.options.width;
    const H = this.options.height;
    const t = this.theme;
    const lh = t.small.lineHeight;
    const hh = lh + this.px(8);
    const tabH = lh + this.px(8);
    const rows = this.portrait ? 2 : 1;
    this.widgets = [];
    const title = new Label({ x: this.px(6), y: 0, w: W - this.px(12) - t.small.lineHeight * 3, h: hh }, (th) => th.medium);
    const clock = new Label({ x: W - t.small.lineHeight * 3 - this.px(6), y: 0, w: t.small.lineHeight * 3, h: hh }, (th) => th.small, "right");
    // tab bar: one button per screen, the current one highlighted; in portrait 4 over 3
    const perRow = Math.ceil(SCREENS.length / rows);
    const tabs: Button[] = SCREENS.map((name, i) => {
      const row = Math.floor(i / perRow);
      const k = i % perRow;
      const n = row === rows - 1 ? SCREENS.length - perRow * (rows - 1) : perRow;
      const x0 = Math.round((k * W) / n);
      const b = new Button({ x: x0, y: H - tabH * (rows - row), w: Math.round(((k + 1) * W) / n) - x0, h: tabH }, (th) => th.small);
      b.set(TAB_LABELS[i], name === this.screen ? t.accent : t.panel);
      b.onTap = () => this.show(name);
      return b;
    });
    this.widgets.push(title, clock, ...tabs);
    const body: Rect = { x: this.px(6), y: hh + this.px(2), w: W - this.px(12), h: H - hh - tabH * rows - this.px(6) };
    const builders: Record<ScreenName, (b: Rect) => (s: HouseholdSnapshot) => void> = {
      home: (b) => this.home(b, title), power: (b) => this.power(b), energy: (b) => this.energy(b), loads: (b) => this.loads(b),
      prices: (b) => this.prices(b), quality: (b) => this.quality(b), alarms: (b) => this.alarms(b),
    };
    const fill = builders[this.screen](body);
    this.update = (s) => {
      if (this.screen !== "home") title.set(TITLES[this.screen], t.text);
      clock.set(clockTime(s.t, this.off), t.dim);
      fill(s);
    };
  }

  private label(r: Rect, font: "small" | "medium" | "big", align: "left" | "center" | "right" = "left", bg?: "panel"): Label {
    const l = new Label(r, (th) => th[font], align, bg ? (th) => th.panel : undefined);
    this.widgets.push(l);
    return l;
  }

  private panel(r: Rect): void {
    this.widgets.push(new Label(r, (th) => th.small, "left", (th) => th.panel));
  }

  /** A row: name on the left, value on the right, never cut (the name gives way). */
  private row(x: number, y: number, w: number, h: number): Pair {
    const p = new Pair({ x, y, w, h }, (th) => th.small);
    this.widgets.push(p);
    return p;
  }

  /**
   * A row whose value changes often: a name label and a value label as wide as
   * `sample` (the widest value it may show), so a new value redraws only its own
   * rectangle and is never cut.
   */
  private splitRow(x: number, y: number, w: number, h: number, sample: string): { set(name: string, nc: number, value: string, vc: number): void } {
    const vw = Math.min(w - 20, textWidth(sample, this.theme.small) + 4);
    const name = this.label({ x, y, w: w - vw - 4, h }, "small");
    const value = this.label({ x: x + w - vw, y, w: vw, h }, "small", "right");
    return { set: (n, nc, v, vc) => (name.set(n, nc), value.set(v, vc)) };
  }

  /** Fills `labels` with `parts` wrapped to their width, one part after the other; what does not fit is left out. */
  private wrapped(labels: Label[], parts: readonly [string, number][]): void {
    const lines: [string, number][] = [];
    const w = labels[0].r.w;
    for (const [text, color] of parts) {
      // phrases joined by " · " stay whole when they fit a line ("interruptions 0" is not split)
      let line = "";
      for (const phrase of text.split(" · ")) {
        const next = line ? `${line} · ${phrase}` : phrase;
        if (line && textWidth(next, this.theme.small) > w) {
          lines.push([line, color]);
          line = phrase;
        } else line = next;
      }
      for (const l of wrapText(line, this.theme.small, w)) lines.push([l, color]);
    }
    labels.forEach((l, i) => l.set(lines[i]?.[0] ?? "", lines[i]?.[1] ?? this.theme.dim));
  }

  /** Home: power now, import and export today, today's cost, price now and the cheapest hour coming; the tasks' health in the title. */
  private home(b: Rect, title: Label): (s: HouseholdSnapshot) => void {
    const t = this.theme;
    const bigH = t.big.lineHeight;
    const lh = t.small.lineHeight;
    const bigW = this.portrait ? b.w : Math.round(b.w * 0.56);
    const power = this.label({ x: b.x, y: b.y, w: bigW, h: bigH }, "big");
    // beside the big digits (landscape) or under them (portrait): the unit and direction, then the price now
    const side = this.portrait ? { x: b.x, y: b.y + bigH - this.px(6), w: b.w } : { x: b.x + bigW, y: b.y + this.px(8), w: b.w - bigW };
    const dir = this.label({ x: side.x, y: side.y, w: side.w, h: lh }, "small", this.portrait ? "left" : "right");
    const rowsY = this.portrait ? side.y + lh + this.px(4) : b.y + bigH;
    const gap = Math.max(0, Math.min(this.px(3), Math.floor((b.y + b.h - rowsY) / 5) - lh));
    const at = (i: number) => rowsY + i * (lh + gap);
    const samples = ["\u221288.8 c/kWh", "8888.88 kWh", "8888.88 kWh", "\u2212€8888.88"];
    const k = this.portrait ? 1 : 0;
    const nowP = this.portrait ? this.splitRow(b.x, at(0), b.w, lh, samples[0]) : this.splitRow(side.x, side.y + lh, side.w, lh, samples[0]);
    const [imp, exp, cost] = [1, 2, 3].map((i) => this.splitRow(b.x, at(i - 1 + k), b.w, lh, samples[i]));
    // the cheapest hour changes once an hour at most: one row-wide pair (its name may be long)
    const best1 = this.row(b.x, at(3 + k), b.w, lh);
    const best2 = this.row(b.x, at(4 + k), b.w, lh);
    return (s) => {
      const net = s.loads.reduce((n, l) => n + l.powerW, 0);
      const kw = Math.abs(net) >= 1000;
      power.set(kw ? (net / 1000).toFixed(2) : String(Math.round(net)), net < 0 ? t.ok : t.text);
      dir.set(`${kw ? "kW" : "W"} ${net < 0 ? "exporting" : "importing"}`, net < 0 ? t.ok : t.dim);
      nowP.set(this.portrait ? "Price now" : "now", t.dim, price(s.tariffNow.importMinorPerKWh), t.warn);
      imp.set("Imported today", t.dim, kwhText(s.energyTodayWh), t.text);
      exp.set("Exported today", t.dim, kwhText(s.exportTodayWh), t.ok);
      cost.set(isToday(s.bill.from, s.t, this.off) ? "Cost today" : `Bill since ${dayName(s.bill.from, s.t, this.off)}`, t.dim, money(s.bill.totalMinor, s.bill.currency), t.text);
      const best = cheapest(s.prices, s.t);
      const at = best ? Math.max(best.start, s.t) : 0; // the day of the cheapest hour (today while it runs)
      const name = best ? `Cheapest ${dayName(at, s.t, this.off)}` : "Cheapest hour";
      const value = best ? cheapestWhen(best, s.t, this.off) : "no prices yet";
      if (this.portrait) {
        best1.set(name, t.dim, "", t.dim);
        best2.set("", t.dim, value, best ? t.ok : t.dim);
      } else best1.set(name, t.dim, value, best ? t.ok : t.dim);
      if (!this.portrait) best2.set("", t.dim, "", t.dim);
      const late = STANDARD_TASKS.filter((name) => (s.tasks.find((x) => x.name === name)?.overruns ?? 0) > 0);
      title.set(!s.tasks.length ? "xsmeter" : late.length ? `Late: ${late.map((n) => TASK_TITLES[n]).join(", ")}` : "Tasks on time", late.length ? t.warn : t.text);
    };
  }

  /** Value and time axes for a chart of `values` over [t0, t1] with `n` time ticks at most. */
  private axes(lo: number, hi: number, unit: string, t0: number, t1: number, ticks: number, height: number): Axes {
    // as many value ticks as the chart's height holds without the labels touching
    const sc = niceScale(lo, hi, Math.max(1, Math.min(4, Math.floor(height / (1.7 * this.theme.small.lineHeight)))));
    const x = timeTicks(t0, t1, this.off, ticks).map((tt) => ({ f: (tt - t0) / (t1 - t0), text: clockTime(tt, this.off) === "00:00" && tt === t1 ? "24" : clockTime(tt, this.off).slice(0, 2) }));
    // the top tick carries the unit
    const y = sc.ticks.map((v, i) => ({ v, text: `${signed(v, Math.max(0, -Math.floor(Math.log10(sc.step) + 1e-9)))}${i === sc.ticks.length - 1 ? ` ${unit}` : ""}` }));
    return { min: sc.min, max: sc.max, y, x };
  }

  private power(b: Rect): (s: HouseholdSnapshot) => void {
    const t = this.theme;
    const head = this.label({ x: b.x, y: b.y, w: b.w, h: t.small.lineHeight }, "small");
    const graph = new LineGraph({ x: b.x, y: b.y + t.small.lineHeight, w: b.w, h: b.h - t.small.lineHeight });
    this.widgets.push(graph);
    return (s) => {
      const t0 = localDayStart(s.t, this.off);
      const pts = this.household.history("total", t0, t0 + DAY, 15 * 60_000);
      const w = pts.map((p) => (p.t <= s.t ? p.w : NaN));
      const finite = w.filter(Number.isFinite);
      const peak = finite.length ? Math.max(0, ...finite) : 0;
      const low = finite.length ? Math.min(0, ...finite) : 0;
      const kw = Math.max(peak, -low) >= 2000;
      const k = kw ? 1000 : 1;
      head.set(finite.length ? `Peak ${watts(peak)}${low < 0 ? ` · export ${watts(-low)}` : ""}` : "not measured yet", finite.length ? t.text : t.dim);
      graph.set(w.map((v) => v / k), t.accent, this.axes(low / k, peak / k, kw ? "kW" : "W", t0, t0 + DAY, this.portrait ? 4 : 6, graph.r.h));
    };
  }

  private energy(b: Rect): (s: HouseholdSnapshot) => void {
    const t = this.theme;
    const head = this.label({ x: b.x, y: b.y, w: b.w, h: t.small.lineHeight }, "small");
    const bars = new BarGraph({ x: b.x, y: b.y + t.small.lineHeight, w: b.w, h: b.h - t.small.lineHeight });
    this.widgets.push(bars);
    return (s) => {
      // from the booking (the meters' counters per price slot) where the household books: its day is the
      // bill's (UTC) day, so the bars add up to "In … · out …" above them; else the history's hours of the local day
      const hh = this.household;
      const t0 = hh.energy ? s.t - (s.t % DAY) : localDayStart(s.t, this.off);
      const kwh = hh.energy
        ? hh.energy(t0, t0 + DAY, HOUR).map((b) => (b.slots > 0 || b.importWh > 0 || b.exportWh > 0 ? Math.round(b.importWh - b.exportWh) / 1000 : NaN))
        : hh.history("total", t0, t0 + DAY, HOUR).map((p) => (p.t <= s.t && Number.isFinite(p.wh) ? Math.round(p.wh) / 1000 : NaN));
      const finite = kwh.filter(Number.isFinite);
      bars.set(kwh, kwh.map((v) => (v < 0 ? t.ok : t.accent)), -1, this.axes(Math.min(0, ...finite), Math.max(0.1, ...finite), "kWh", t0, t0 + DAY, this.portrait ? 4 : 6, bars.r.h));
      head.set(`In ${kwhText(s.energyTodayWh)} · out ${kwhText(s.exportTodayWh)}`, t.text);
    };
  }

  private loads(b: Rect): (s: HouseholdSnapshot) => void {
    const t = this.theme;
    const rowH = Math.max(t.small.lineHeight + this.px(6), Math.floor(b.h / 6));
    const n = Math.max(1, Math.floor(b.h / rowH));
    const rows: { name: Label; power: Label; sw: Switch }[] = [];
    const swW = this.px(52);
    for (let i = 0; i < n; i++) {
      const y = b.y + i * rowH;
      this.panel({ x: b.x, y, w: b.w, h: rowH - 2 });
      // the power column as wide as the widest reading ("−8.88 kW"), the name gets the rest
      const pw = textWidth("−8.88 kW", t.small) + this.px(4);
      const name = this.label({ x: b.x + this.px(6), y, w: b.w - swW - pw - this.px(12), h: rowH - 2 }, "small", "left", "panel");
      const power = this.label({ x: b.x + b.w - swW - pw - this.px(6), y, w: pw, h: rowH - 2 }, "small", "right", "panel");
      const sw = new Switch({ x: b.x + b.w - swW - this.px(2), y, w: swW, h: rowH - 2 });
      this.widgets.push(sw);
      rows.push({ name, power, sw });
    }
    return (s) => {
      rows.forEach((row, i) => {
        const l = s.loads[i];
        row.sw.onTap = row.sw.onLong = row.name.onLong = row.power.onLong = undefined;
        if (!l) {
          row.name.set("", t.text);
          row.power.set("", t.text);
          row.sw.set(undefined, "");
          return;
        }
        row.name.set(l.name, l.on ? t.text : t.dim);
        row.power.set(watts(l.powerW), l.powerW < 0 ? t.ok : t.text);
        row.name.onLong = row.power.onLong = () => this.loadDialog(l.id);
        // a fixed load (the fridge) and a generator (the PV) are not the household's to switch: no toggle, a word instead
        if (l.kind === "fixed" || l.kind === "generator") return row.sw.set(undefined, l.kind === "fixed" ? "fixed" : "PV");
        row.sw.set(l.on);
        row.sw.onTap = () => {
          this.household.switchLoad(l.id, !l.on, "display");
        };
        row.sw.onLong = () => this.loadDialog(l.id);
      });
    };
  }

  /** A message over the current screen until closed (e.g. the web page's setup code at first use). */
  showNotice(title: string, message: string): void {
    const W = this.options.width;
    const H = this.options.height;
    const d = new Dialog({ x: Math.round(W * 0.08), y: Math.round(H * 0.2), w: Math.round(W * 0.84), h: Math.round(H * 0.55) }, (th) => th.small, ["Close"]);
    d.title = title;
    d.message = message;
    d.buttons[0].set("Close", this.theme.panel);
    d.buttons[0].onTap = () => {
      this.dialog = undefined;
      this.full = true;
    };
    this.dialog = d;
    this.full = true;
  }

  private loadDialog(id: string): void {
    const W = this.options.width;
    const H = this.options.height;
    const l = this.household.snapshot().loads.find((x) => x.id === id);
    if (!l) return;
    const canPlan = l.kind === "deferrable";
    const d = new Dialog({ x: Math.round(W * 0.06), y: Math.round(H * 0.18), w: Math.round(W * 0.88), h: Math.round(H * 0.6) }, (th) => th.small, canPlan ? ["Plan 2 h", "Close"] : ["Close"]);
    d.title = l.name;
    d.message = `${l.kind === "deferrable" ? "can wait for cheap hours" : l.kind === "fixed" ? "always on" : l.kind === "generator" ? "generator" : "switchable"}, ${l.on ? "on" : "off"}, ${watts(l.powerW)}`;
    const close = d.buttons[d.buttons.length - 1];
    close.set("Close", this.theme.panel);
    close.onTap = () => {
      this.dialog = undefined;
      this.full = true;
    };
    if (canPlan) {
      const plan = d.buttons[0];
      plan.set("Plan 2 h", this.theme.accent);
      plan.onTap = () => {
        // the household's clock (virtual in a --speed run), not the display's own
        const hh = this.household;
        const now = hh.now ? hh.now() : hh.snapshot().t;
        const r = hh.scheduleLoad(id, 2 * HOUR, now + 8 * HOUR, "display");
        d.message = r.ok ? `planned: 2 h in the cheapest hours before ${clockTime(now + 8 * HOUR, this.off)}${r.startAt !== undefined ? `, from ${clockTime(r.startAt, this.off)}` : ""}` : `refused: ${r.error}`;
        plan.onTap = undefined;
        d.dirty = true;
      };
    }
    this.dialog = d;
    this.full = true;
  }

  private prices(b: Rect): (s: HouseholdSnapshot) => void {
    const t = this.theme;
    const lh = t.small.lineHeight;
    const gh = Math.round(b.h * (this.portrait ? 0.5 : 0.46));
    const head = this.label({ x: b.x, y: b.y, w: b.w, h: lh }, "small");
    const bars = new BarGraph({ x: b.x, y: b.y + lh, w: b.w, h: gh });
    this.widgets.push(bars);
    const ly = b.y + lh + gh + this.px(3);
    const n = Math.max(1, Math.floor((b.y + b.h - ly) / lh));
    const rows = Array.from({ length: n }, (_, i) => this.row(b.x, ly + i * lh, b.w, lh));
    return (s) => {
      const t0 = localDayStart(s.t, this.off);
      const today = s.prices.filter((p) => p.start >= t0 && p.start < t0 + DAY).sort((a, c) => a.start - c.start);
      const v = today.map((p) => p.importMinorPerKWh);
      const nowIdx = today.findIndex((p) => s.t >= p.start && s.t < p.start + p.durationMs);
      // bars at their times: one per slot, the axis over the local day
      const slotsPerDay = today.length ? Math.round(DAY / today[0].durationMs) : 24;
      const series: number[] = new Array(slotsPerDay).fill(NaN);
      const colors: number[] = new Array(slotsPerDay).fill(t.warn);
      const cheap = cheapSet(s.prices, s.t);
      let hi = -1;
      today.forEach((p) => {
        const k = Math.floor((p.start - t0) / p.durationMs);
        if (k < 0 || k >= slotsPerDay) return;
        series[k] = p.importMinorPerKWh;
        colors[k] = cheap.has(p.start) ? t.ok : p.importMinorPerKWh >= 35 ? t.bad : t.warn;
        if (p === today[nowIdx]) hi = k;
      });
      bars.set(series, colors, hi, this.axes(Math.min(0, ...v), Math.max(1, ...v), "c", t0, t0 + DAY, this.portrait ? 4 : 6, bars.r.h));
      head.set(v.length ? `Now ${price(s.tariffNow.importMinorPerKWh)}${this.portrait ? "" : " · green = cheap"}` : "no prices known yet", t.dim);
      const lines: [string, string, number][] = [];
      const best = cheapest(s.prices, s.t);
      if (best) lines.push([`Cheapest ${dayName(Math.max(best.start, s.t), s.t, this.off)}`, cheapestWhen(best, s.t, this.off), t.ok]);
      for (const line of s.bill.lines) lines.push([line.label, money(line.amountMinor, s.bill.currency), t.text]);
      lines.push([isToday(s.bill.from, s.t, this.off) ? "Today's bill" : `Bill since ${dayName(s.bill.from, s.t, this.off)}`, money(s.bill.totalMinor, s.bill.currency), t.accent]);
      lines.push(["This month", s.bill.to - s.bill.from >= DAY && s.bill.forecastMonthMinor ? `about ${money(s.bill.forecastMonthMinor, s.bill.currency)}` : "not enough data", t.dim]);
      // the total and the forecast are the last rows, whatever the number of bill lines
      const shown = lines.length <= rows.length ? lines : [...lines.slice(0, rows.length - 2), ...lines.slice(-2)];
      rows.forEach((r, i) => {
        const line = shown[i];
        r.set(line ? line[0] : "", t.dim, line ? line[1] : "", line ? line[2] : t.text);
      });
    };
  }

  private quality(b: Rect): (s: HouseholdSnapshot) => void {
    const t = this.theme;
    const rowH = t.small.lineHeight + this.px(4);
    // columns: meter, voltage, frequency, THD-U (and THD-I where there is room); right-aligned numbers
    const fr = this.portrait ? [0, 0.12, 0.46, 0.78, 1] : [0, 0.08, 0.36, 0.66, 0.84, 1];
    const ncol = fr.length - 1;
    const cols = fr.map((f) => b.x + Math.round(b.w * f));
    const nrow = Math.max(1, Math.min(4, Math.floor(b.h / rowH) - 3));
    const cell = (row: number, col: number, bg: boolean) =>
      this.label({ x: cols[col], y: b.y + row * rowH, w: cols[col + 1] - cols[col] - this.px(4), h: rowH - 2 }, "small", col === 0 ? "left" : "right", bg ? "panel" : undefined);
    for (let i = 0; i < nrow; i++) this.panel({ x: b.x, y: b.y + (i + 1) * rowH, w: b.w, h: rowH - 2 });
    const idx = Array.from({ length: ncol }, (_, i) => i);
    const head = idx.map((c) => cell(0, c, false));
    const rows = Array.from({ length: nrow }, (_, i) => idx.map((c) => cell(i + 1, c, true)));
    const ev1 = this.label({ x: b.x, y: b.y + (nrow + 1) * rowH + this.px(2), w: b.w, h: rowH }, "small");
    const ev2 = this.label({ x: b.x, y: b.y + (nrow + 2) * rowH + this.px(2), w: b.w, h: rowH }, "small");
    return (s) => {
      (this.portrait ? ["#", "U", "f", "THD"] : ["#", "U", "f", "THD U", "THD I"]).forEach((h, i) => head[i].set(h, t.dim));
      rows.forEach((r, i) => {
        const m = s.meters[i];
        const q = s.quality.find((x) => x.meterId === m?.id);
        if (!m) return r.forEach((l) => l.set("", t.text));
        const u = m.values[CODES.voltage[0]] ?? NaN;
        const color = !m.online || m.stale ? t.dim : !(u > 207 && u < 253) ? t.bad : t.text;
        // "!" in the warning colour: the values are stale (a CAN lock-out; the alarm says why)
        r[0].set(m.stale ? `${m.id}!` : String(m.id), m.stale ? t.warn : t.dim);
        // "–" where the meter did not measure it (the API's null / NaN; the footer says what "–" means)
        const num = (x: number | null | undefined, digits: number, unit: string): string => (x === null || x === undefined || !Number.isFinite(x) ? "–" : `${x.toFixed(digits)} ${unit}`);
        const thdU = q?.thdVoltagePct[0];
        r[1].set(num(u, 1, "V"), color);
        r[2].set(num(q?.frequencyHz, 2, "Hz"), color);
        r[3].set(num(thdU, 1, "%"), (thdU ?? 0) > 8 ? t.bad : color);
        if (ncol > 4) r[4].set(num(q?.thdCurrentPct[0], 1, "%"), color);
      });
      const count = (k: string) => s.events.filter((e) => e.type === k).length;
      const [dips, swells, ints] = [count("dip"), count("swell"), count("interruption")];
      this.wrapped([ev1, ev2], [[`Dips ${dips} · swells ${swells} · interruptions ${ints}`, dips + swells + ints ? t.warn : t.ok], [s.meters.length > nrow ? `${s.meters.length - nrow} more meters on the web page` : "– = not measured", t.dim]]);
    };
  }

  private alarms(b: Rect): (s: HouseholdSnapshot) => void {
    const t = this.theme;
    const lh = t.small.lineHeight;
    // the bus and the tasks, wrapped over two lines (three in portrait)
    const headN = this.portrait ? 3 : 2;
    const head = Array.from({ length: headN }, (_, i) => this.label({ x: b.x, y: b.y + i * lh, w: b.w, h: lh }, "small"));
    // each alarm: time and kind, then its message wrapped over two lines
    const itemH = 3 * lh + this.px(3);
    const top = b.y + headN * lh + this.px(2);
    const n = Math.max(1, Math.floor((b.y + b.h - top) / itemH));
    const items: { head: Label; msg: Label[] }[] = [];
    for (let i = 0; i < n; i++) {
      const y = top + i * itemH;
      this.panel({ x: b.x, y, w: b.w, h: itemH - this.px(2) });
      const row = (k: number) => this.label({ x: b.x + this.px(4), y: y + k * lh, w: b.w - this.px(8), h: lh }, "small", "left", "panel");
      items.push({ head: row(0), msg: [row(1), row(2)] });
    }
    return (s) => {
      const late = s.tasks.filter((x) => x.overruns > 0);
      this.wrapped(head, [
        [`CAN ${s.bus.framesOk} ok · ${s.bus.authFailures} auth fail · ${s.bus.missing.length} missing`, s.bus.authFailures ? t.bad : t.dim],
        [!s.tasks.length ? "Tasks not reported" : late.length ? `Late: ${late.map((x) => `${TASK_TITLES[x.name] ?? x.name} ${x.overruns}×`).join(", ")}` : `Tasks on time (${s.tasks.length})`, late.length ? t.warn : t.dim],
      ]);
      const list = s.alarms.slice(-n).reverse();
      items.forEach((it, i) => {
        const a = list[i];
        if (!a) {
          it.head.set(i === 0 ? (s.alarms.length ? "" : "No alarms") : "", t.ok);
          it.msg.forEach((m) => m.set("", t.dim));
          return;
        }
        const day = dayName(a.t, s.t, this.off);
        it.head.set(`${day === "today" ? "" : `${day} `}${clockTime(a.t, this.off)} · ${a.kind}${s.alarms.length > n && i === n - 1 ? ` (+${s.alarms.length - n} older)` : ""}`, a.kind === "auth" || a.kind === "interruption" ? t.bad : t.warn);
        this.wrapped(it.msg, [[a.message, t.text]]);
      });
    };
  }
}

/** "18.3 c/kWh at 02:00", or "… now" while it is the slot running (so the row does not change every minute). */
function cheapestWhen(best: PriceSlot, now: number, offsetMin: number): string {
  return `${price(best.importMinorPerKWh)} ${best.start <= now ? "now" : `at ${clockTime(best.start, offsetMin)}`}`;
}

function kwhText(wh: number): string {
  return Number.isFinite(wh) ? `${(wh / 1000).toFixed(2)} kWh` : "not measured";
}

function isToday(from: number, now: number, offsetMin: number): boolean {
  return from >= localDayStart(now, offsetMin) - 60_000 && now - from <= DAY;
}

function cheapest(slots: readonly PriceSlot[], now: number): PriceSlot | undefined {
  let best: PriceSlot | undefined;
  for (const p of slots) if (p.start + p.durationMs > now && (!best || p.importMinorPerKWh < best.importMinorPerKWh)) best = p;
  return best;
}

/** The cheapest quarter of the coming slots (as the web page's price chart marks them). */
function cheapSet(slots: readonly PriceSlot[], now: number): Set<number> {
  const coming = slots.filter((p) => p.start + p.durationMs > now).sort((a, b) => a.importMinorPerKWh - b.importMinorPerKWh);
  return new Set(coming.slice(0, Math.ceil(coming.length / 4)).map((p) => p.start));
}
