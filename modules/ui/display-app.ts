/**
 * The touch display: screens built from retained widgets over the Household
 * interface. `render()` draws a whole screen only when the screen changes;
 * otherwise it redraws each dirty widget inside its own begin/end rectangle.
 * Touch: tap (hit-tested on widgets), long press (load details dialog), swipe
 * left/right (next/previous screen); or raw pointer down/move/up events.
 */
import type { Clock } from "../core/clock";
import { HOUR } from "../core/clock";
import type { Household, HouseholdSnapshot } from "../core/household";
import { CODES } from "../core/obis";
import { STANDARD_TASKS, TASK_CAN, TASK_HTTP, TASK_MEASURE, TASK_UI } from "../core/scheduler";
import { contains, type Canvas, type Rect } from "./canvas";
import { SANS_16 } from "./fonts/sans-16";
import { SANS_20 } from "./fonts/sans-20";
import { SANS_28 } from "./fonts/sans-28";
import { DIGITS_52 } from "./fonts/digits-52";
import { BarGraph, Button, Dialog, Dot, Label, LineGraph, Switch, type Theme, type Widget } from "./widgets";

// Constant tables frozen: a preloaded module's unfrozen table is copied from flash to RAM at start-up (xsl "not frozen").
export const SCREENS = Object.freeze(["home", "power", "energy", "loads", "prices", "quality", "alarms"] as const);
export type ScreenName = (typeof SCREENS)[number];
const TAB_LABELS = Object.freeze(["Home", "Power", "kWh", "Loads", "Price", "PQ", "Alarm"]);
const TAB_LABELS_SMALL = Object.freeze(["Main", "Pwr", "kWh", "Load", "Price", "PQ", "Alert"]);
const TASK_TITLES: Readonly<Record<string, string>> = Object.freeze({ [TASK_CAN]: "CAN manage", [TASK_HTTP]: "Web server", [TASK_MEASURE]: "Measure", [TASK_UI]: "User interface" });

export type TouchKind = "tap" | "long" | "swipe-left" | "swipe-right";

export interface DisplayOptions {
  width: number;
  height: number;
  /** Press duration that counts as a long press (ms). */
  longPressMs?: number;
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

  constructor(private readonly canvas: Canvas, private readonly household: Household, private readonly clock: Clock, private readonly options: DisplayOptions) {
    const c = (r: number, g: number, b: number) => canvas.makeColor(r, g, b);
    const large = options.width >= 480;
    this.s = options.width / 320;
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
    const hh = this.px(30);
    const tabH = this.px(30);
    this.widgets = [];
    const title = new Label({ x: this.px(8), y: 0, w: Math.round(W * 0.78), h: hh }, (th) => th.medium);
    const clock = new Label({ x: Math.round(W * 0.8), y: 0, w: Math.round(W * 0.2) - this.px(8), h: hh }, (th) => th.small, "right");
    const header = [title, clock];
    // tab bar: one button per screen, the current one highlighted
    const tabs: Button[] = SCREENS.map((name, i) => {
      const x0 = Math.round((i * W) / SCREENS.length);
      const b = new Button({ x: x0, y: H - tabH, w: Math.round(((i + 1) * W) / SCREENS.length) - x0, h: tabH }, (th) => th.small);
      b.set((W >= 480 ? TAB_LABELS : TAB_LABELS_SMALL)[i], name === this.screen ? t.accent : t.panel);
      b.onTap = () => this.show(name);
      return b;
    });
    this.widgets.push(...header, ...tabs);
    const body: Rect = { x: this.px(6), y: hh + this.px(2), w: W - this.px(12), h: H - hh - tabH - this.px(6) };
    const setHeader = (s: HouseholdSnapshot, text: string) => {
      title.set(text, t.text);
      clock.set(hhmm(s.t), t.dim);
    };
    const builders: Record<ScreenName, (b: Rect) => (s: HouseholdSnapshot) => void> = {
      home: (b) => this.home(b), power: (b) => this.power(b), energy: (b) => this.energy(b), loads: (b) => this.loads(b),
      prices: (b) => this.prices(b), quality: (b) => this.quality(b), alarms: (b) => this.alarms(b),
    };
    const titles: Record<ScreenName, string> = { home: "xsmeter", power: "Power, 24 hours", energy: "Energy per hour", loads: "Loads", prices: "Prices & bill", quality: "Power quality", alarms: "Alarms" };
    const fill = builders[this.screen](body);
    this.update = (s) => {
      setHeader(s, titles[this.screen]);
      fill(s);
    };
  }

  private label(r: Rect, font: "small" | "medium" | "big", align: "left" | "center" | "right" = "left", bg?: "panel"): Label {
    const l = new Label(r, (th) => th[font], align, bg ? (th) => th.panel : undefined);
    this.widgets.push(l);
    return l;
  }

  private panel(r: Rect): void {
    const p = new Label(r, (th) => th.small, "left", (th) => th.panel);
    this.widgets.push(p);
  }

  private home(b: Rect): (s: HouseholdSnapshot) => void {
    const t = this.theme;
    const bigH = t.big.lineHeight;
    const power = this.label({ x: b.x, y: b.y, w: Math.round(b.w * 0.6), h: bigH }, "big");
    const dir = this.label({ x: b.x + Math.round(b.w * 0.6), y: b.y + this.px(4), w: Math.round(b.w * 0.4), h: t.small.lineHeight }, "small", "right");
    const today = this.label({ x: b.x + Math.round(b.w * 0.6), y: b.y + this.px(4) + t.small.lineHeight, w: Math.round(b.w * 0.4), h: t.small.lineHeight }, "small", "right");
    const price = this.label({ x: b.x + Math.round(b.w * 0.6), y: b.y + this.px(4) + 2 * t.small.lineHeight, w: Math.round(b.w * 0.4), h: t.small.lineHeight }, "small", "right");
    const ty = b.y + Math.max(bigH, this.px(4) + 3 * t.small.lineHeight) + this.px(4);
    const th = Math.floor((b.y + b.h - ty) / 2) - this.px(3);
    const tw = Math.floor(b.w / 2) - this.px(3);
    const cells = STANDARD_TASKS.map((name, i) => {
      const r = { x: b.x + (i % 2) * (tw + this.px(6)), y: ty + Math.floor(i / 2) * (th + this.px(6)), w: tw, h: th };
      this.panel(r);
      const dot = new Dot({ x: r.x + this.px(6), y: r.y + this.px(8), w: this.px(10), h: this.px(10) });
      const nm = this.label({ x: r.x + this.px(20), y: r.y + this.px(2), w: r.w - this.px(24), h: t.small.lineHeight }, "small", "left", "panel");
      const st = this.label({ x: r.x + this.px(20), y: r.y + r.h - t.small.lineHeight - this.px(2), w: r.w - this.px(24), h: t.small.lineHeight }, "small", "left", "panel");
      this.widgets.push(dot);
      nm.onTap = st.onTap = () => this.show(name === TASK_MEASURE ? "quality" : name === TASK_CAN ? "alarms" : name === TASK_UI ? "loads" : "prices");
      return { name, dot, nm, st };
    });
    return (s) => {
      const net = s.loads.reduce((n, l) => n + l.powerW, 0);
      const kw = Math.abs(net) >= 1000;
      power.set(kw ? (net / 1000).toFixed(2) : String(Math.round(net)), net < 0 ? t.ok : t.text);
      dir.set(`${kw ? "kW" : "W"} ${net < 0 ? "exporting" : "importing"}`, net < 0 ? t.ok : t.dim);
      today.set(`${(s.energyTodayWh / 1000).toFixed(1)} kWh today`, t.dim);
      price.set(`${s.tariffNow.importMinorPerKWh} c/kWh`, t.warn);
      for (const cell of cells) {
        const st = s.tasks.find((x) => x.name === cell.name);
        const color = !st ? t.grid : !st.enabled ? t.dim : st.overruns > 0 ? t.warn : t.ok;
        cell.dot.set(color);
        cell.nm.set(TASK_TITLES[cell.name], t.text);
        cell.st.set(!st ? "not reported" : !st.enabled ? "disabled" : `${st.periodMs} ms, ${st.overruns} late`, st && st.overruns > 0 ? t.warn : t.dim);
      }
    };
  }

  private power(b: Rect): (s: HouseholdSnapshot) => void {
    const t = this.theme;
    const head = this.label({ x: b.x, y: b.y, w: b.w, h: t.medium.lineHeight }, "medium");
    const graph = new LineGraph({ x: b.x, y: b.y + t.medium.lineHeight, w: b.w, h: b.h - t.medium.lineHeight - t.small.lineHeight });
    this.widgets.push(graph);
    const axis = this.label({ x: b.x, y: b.y + b.h - t.small.lineHeight, w: b.w, h: t.small.lineHeight }, "small");
    return (s) => {
      const now = s.t;
      const pts = this.household.history("total", now - 24 * HOUR, now, 15 * 60_000);
      const w = pts.map((p) => p.w);
      const finite = w.filter(Number.isFinite);
      const peak = finite.length ? Math.max(0, ...finite) : 0;
      const exportPeak = finite.length ? Math.min(0, ...finite) : 0;
      head.set(exportPeak < 0 ? `Peak ${formatPower(peak)}, export ${formatPower(-exportPeak)}` : `Peak ${formatPower(peak)}`, t.text);
      graph.set(w, t.accent);
      axis.set(`${hhmm(now - 24 * HOUR)} yesterday    ...    ${hhmm(now)} now`, t.dim);
    };
  }

  private energy(b: Rect): (s: HouseholdSnapshot) => void {
    const t = this.theme;
    const head = this.label({ x: b.x, y: b.y, w: b.w, h: t.medium.lineHeight }, "medium");
    const bars = new BarGraph({ x: b.x, y: b.y + t.medium.lineHeight, w: b.w, h: b.h - t.medium.lineHeight - t.small.lineHeight });
    this.widgets.push(bars);
    const foot = this.label({ x: b.x, y: b.y + b.h - t.small.lineHeight, w: b.w, h: t.small.lineHeight }, "small");
    return (s) => {
      const pts = this.household.history("total", s.t - 24 * HOUR, s.t, HOUR);
      const kwh = pts.map((p) => (Number.isFinite(p.wh) ? Math.round(p.wh) / 1000 : NaN));
      bars.set(kwh, kwh.map((v) => (v < 0 ? t.ok : t.accent)));
      head.set(`${(s.energyTodayWh / 1000).toFixed(2)} kWh in, ${(s.exportTodayWh / 1000).toFixed(2)} out`, t.text);
      foot.set("last 24 h, per hour; green = export", t.dim);
    };
  }

  private loads(b: Rect): (s: HouseholdSnapshot) => void {
    const t = this.theme;
    const rowH = Math.floor(b.h / 6);
    const rows: { name: Label; power: Label; sw: Switch }[] = [];
    for (let i = 0; i < 6; i++) {
      const y = b.y + i * rowH;
      this.panel({ x: b.x, y, w: b.w, h: rowH - 2 });
      const name = this.label({ x: b.x + this.px(6), y, w: Math.round(b.w * 0.5), h: rowH - 2 }, "small", "left", "panel");
      const power = this.label({ x: b.x + Math.round(b.w * 0.5), y, w: Math.round(b.w * 0.27), h: rowH - 2 }, "small", "right", "panel");
      const sw = new Switch({ x: b.x + b.w - this.px(56), y, w: this.px(52), h: rowH - 2 });
      this.widgets.push(sw);
      rows.push({ name, power, sw });
    }
    return (s) => {
      rows.forEach((row, i) => {
        const l = s.loads[i];
        if (!l) {
          row.name.set("", t.text);
          row.power.set("", t.text);
          row.sw.onTap = undefined;
          return;
        }
        row.name.set(l.name, l.on ? t.text : t.dim);
        row.power.set(formatPower(l.powerW), l.powerW < 0 ? t.ok : t.text);
        row.sw.set(l.on);
        row.sw.onTap = () => {
          this.household.switchLoad(l.id, !l.on, "display");
        };
        row.sw.onLong = row.name.onLong = row.power.onLong = () => this.loadDialog(l.id);
        row.name.onTap = row.power.onTap = undefined;
      });
    };
  }

  private loadDialog(id: string): void {
    const W = this.options.width;
    const H = this.options.height;
    const d = new Dialog({ x: Math.round(W * 0.08), y: Math.round(H * 0.2), w: Math.round(W * 0.84), h: Math.round(H * 0.55) }, (th) => th.small, ["Run in 2 h", "Close"]);
    const l = this.household.snapshot().loads.find((x) => x.id === id);
    if (!l) return;
    d.title = l.name;
    d.message = `${l.kind}, priority ${l.priority}, ${l.on ? "on" : "off"}, ${formatPower(l.powerW)}`;
    d.buttons[0].set("Run in 2 h", this.theme.accent);
    d.buttons[1].set("Close", this.theme.panel);
    d.buttons[0].onTap = () => {
      // the household's clock (virtual in a --speed run), not the display's own
      const hh = this.household;
      const now = hh.now ? hh.now() : hh.snapshot().t;
      const r = hh.scheduleLoad(id, 2 * HOUR, now + 4 * HOUR, "display");
      d.message = r.ok ? `scheduled to start ${hhmm(r.startAt ?? now)}` : `refused: ${r.error}`;
      d.buttons[0].onTap = undefined;
      d.dirty = true;
    };
    d.buttons[1].onTap = () => {
      this.dialog = undefined;
      this.full = true;
    };
    this.dialog = d;
    this.full = true;
  }

  private prices(b: Rect): (s: HouseholdSnapshot) => void {
    const t = this.theme;
    const gh = Math.round(b.h * 0.48);
    const head = this.label({ x: b.x, y: b.y, w: b.w, h: t.small.lineHeight }, "small");
    const bars = new BarGraph({ x: b.x, y: b.y + t.small.lineHeight, w: b.w, h: gh });
    this.widgets.push(bars);
    const lines: Label[] = [];
    const ly = b.y + t.small.lineHeight + gh + this.px(4);
    const n = Math.max(1, Math.floor((b.y + b.h - ly) / t.small.lineHeight) - 1);
    for (let i = 0; i < n; i++) lines.push(this.label({ x: b.x, y: ly + i * t.small.lineHeight, w: b.w, h: t.small.lineHeight }, "small"));
    const total = this.label({ x: b.x, y: ly + n * t.small.lineHeight, w: b.w, h: t.small.lineHeight }, "small");
    return (s) => {
      const hour = Math.floor((s.t % (24 * HOUR)) / HOUR);
      const v = s.prices.map((p) => p.importMinorPerKWh);
      bars.set(v, s.prices.map((p) => (p.renewableShare > 0.5 ? t.ok : p.importMinorPerKWh >= 35 ? t.bad : t.warn)), hour);
      head.set(`now ${s.tariffNow.importMinorPerKWh} c/kWh, min ${Math.min(...v)}, max ${Math.max(...v)}`, t.dim);
      lines.forEach((l, i) => {
        const line = s.bill.lines[i];
        l.set(line ? `${line.label}${line.quantity !== undefined ? ` ${line.quantity} ${line.unit ?? ""}` : ""}: ${money(line.amountMinor, s.bill.currency)}` : "", t.text);
      });
      total.set(`Total ${money(s.bill.totalMinor, s.bill.currency)}${s.bill.forecastMonthMinor ? ` · month ~ ${money(s.bill.forecastMonthMinor, s.bill.currency)}` : ""}`, t.accent);
    };
  }

  private quality(b: Rect): (s: HouseholdSnapshot) => void {
    const t = this.theme;
    const rowH = t.small.lineHeight + this.px(4);
    // columns: meter, voltage, frequency, THD-U, THD-I (right-aligned numbers)
    const cols = [0, 0.08, 0.36, 0.66, 0.84, 1].map((f) => b.x + Math.round(b.w * f));
    const cell = (row: number, col: number, bg: boolean) =>
      this.label({ x: cols[col], y: b.y + row * rowH, w: cols[col + 1] - cols[col] - this.px(4), h: rowH - 2 }, "small", col === 0 ? "left" : "right", bg ? "panel" : undefined);
    for (let i = 0; i < 4; i++) this.panel({ x: b.x, y: b.y + (i + 1) * rowH, w: b.w, h: rowH - 2 });
    const head = [0, 1, 2, 3, 4].map((c) => cell(0, c, false));
    const rows = [0, 1, 2, 3].map((i) => [0, 1, 2, 3, 4].map((c) => cell(i + 1, c, true)));
    const ev = this.label({ x: b.x, y: b.y + 5 * rowH + this.px(4), w: b.w, h: rowH }, "small");
    return (s) => {
      ["#", "U", "f", "THD-U", "THD-I"].forEach((h, i) => head[i].set(h, t.dim));
      rows.forEach((r, i) => {
        const m = s.meters[i];
        const q = s.quality.find((x) => x.meterId === m?.id);
        if (!m) return r.forEach((l) => l.set("", t.text));
        const u = m.values[CODES.voltage[0]] ?? NaN;
        const color = !m.online ? t.dim : !(u > 207 && u < 253) ? t.bad : t.text;
        r[0].set(String(m.id), t.dim);
        r[1].set(`${u.toFixed(1)} V`, color);
        // "n/a" where the meter did not measure it (the API's null / empty, with its reason)
        const num = (x: number | null | undefined, digits: number, unit: string): string => (x === null || x === undefined || !Number.isFinite(x) ? "n/a" : `${x.toFixed(digits)} ${unit}`);
        r[2].set(num(q?.frequencyHz, 2, "Hz"), color);
        r[3].set(num(q?.thdVoltagePct[0], 1, "%"), (q?.thdVoltagePct[0] ?? 0) > 8 ? t.bad : color);
        r[4].set(num(q?.thdCurrentPct[0], 1, "%"), color);
      });
      const dips = s.events.filter((e) => e.type === "dip").length;
      const swells = s.events.filter((e) => e.type === "swell").length;
      const ints = s.events.filter((e) => e.type === "interruption").length;
      ev.set(`Events: ${dips} dips, ${swells} swells, ${ints} interruptions`, dips + swells + ints ? t.warn : t.ok);
    };
  }

  private alarms(b: Rect): (s: HouseholdSnapshot) => void {
    const t = this.theme;
    const rowH = t.small.lineHeight + this.px(4);
    const bus = this.label({ x: b.x, y: b.y, w: b.w, h: rowH }, "small");
    const n = Math.floor((b.h - rowH) / rowH);
    const rows: Label[] = [];
    for (let i = 0; i < n; i++) rows.push(this.label({ x: b.x, y: b.y + (i + 1) * rowH, w: b.w, h: rowH - 2 }, "small", "left", "panel"));
    return (s) => {
      bus.set(`CAN ${s.bus.framesOk} ok, ${s.bus.authFailures} auth fail, ${s.bus.missing.length} missing`, s.bus.authFailures ? t.bad : t.dim);
      const list = s.alarms.slice(-n).reverse();
      rows.forEach((r, i) => {
        const a = list[i];
        if (!a) return r.set(i === 0 ? "No alarms" : "", t.ok);
        r.set(`${hhmm(a.t)}  ${a.kind}: ${a.message}`, a.kind === "auth" || a.kind === "interruption" ? t.bad : t.warn);
      });
    };
  }
}

export function formatPower(w: number): string {
  if (!Number.isFinite(w)) return "-";
  const a = Math.abs(w);
  return a >= 1000 ? `${(w / 1000).toFixed(2)} kW` : `${Math.round(w)} W`;
}

function hhmm(t: number): string {
  const d = new Date(t);
  const p = (n: number) => (n < 10 ? "0" : "") + n;
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

function money(minor: number, currency: string): string {
  const sign = minor < 0 ? "-" : "";
  const a = Math.abs(minor);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, "0")} ${currency}`;
}
