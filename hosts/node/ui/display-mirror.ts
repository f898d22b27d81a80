/**
 * The display for the host: a DisplayApp on a FramebufferCanvas, rendered on
 * demand. `createDisplayMirror` is what the web server's `display` option takes
 * (GET /display.png, POST /display/touch); `demoDisplay` gives the
 * deterministic household used by `xsmeter ui render` and the golden tests.
 */
import { en50160Cell } from "../../../modules/metrology/events";
import type { Clock } from "../../../modules/core/clock";
import { HOUR } from "../../../modules/core/clock";
import type { Household, HouseholdSnapshot } from "../../../modules/core/household";
import { Scheduler, TASK_CAN, TASK_HTTP, TASK_MEASURE, TASK_UI } from "../../../modules/core/scheduler";
import { VirtualClock } from "../../../modules/core/virtual-clock";
import { DemoHousehold } from "../../../modules/app/demo-household";
import { DisplayApp, type TouchKind } from "../../../modules/ui/display-app";
import { FramebufferCanvas } from "./framebuffer";

export interface DisplayMirror {
  readonly app: DisplayApp;
  readonly canvas: FramebufferCanvas;
  /** Renders what changed and returns the whole screen as PNG. */
  png(): Uint8Array;
  touch(x: number, y: number, kind: TouchKind): void;
}

/** The panels the display is laid out for: the board's two landscape ones and the lin build's portrait one. */
export const DISPLAY_SIZES = Object.freeze(["320x240", "480x320", "240x320"]);

export function parseSize(text: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/.exec(text);
  if (!m) throw new Error(`bad size ${JSON.stringify(text)} (want e.g. 320x240)`);
  if (!DISPLAY_SIZES.includes(text)) throw new Error(`size must be one of ${DISPLAY_SIZES.join(", ")}`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

export function createDisplayMirror(household: Household, clock: Clock, size: { width: number; height: number } = { width: 320, height: 240 }, utcOffsetMin = 0): DisplayMirror {
  const canvas = new FramebufferCanvas(size.width, size.height);
  const app = new DisplayApp(canvas, household, clock, { ...size, utcOffsetMin });
  // The PNG is encoded again only when a render actually drew something.
  let cached: Uint8Array | undefined;
  const render = () => {
    canvas.resetStats();
    app.render();
    if (canvas.regions.length) cached = undefined;
  };
  return {
    app,
    canvas,
    png() {
      render();
      if (!cached) cached = canvas.toPng();
      return cached;
    },
    touch(x, y, kind) {
      app.touch(x, y, kind);
      render();
    },
  };
}

/** The fixed date of every deterministic display picture. */
export const DEMO_START = Date.UTC(2026, 5, 21, 0, 0);

export interface DemoDisplaySetup {
  clock: VirtualClock;
  demo: DemoHousehold;
  household: Household;
}

/**
 * DemoHousehold advanced to 18:30 on DEMO_START's day, with the four standard
 * tasks run by a real Scheduler (their stats shown on the home screen) and,
 * when `withAlarms`, a few sample alarms and events so those screens have content.
 */
export function demoDisplay(withAlarms = true): DemoDisplaySetup {
  const clock = new VirtualClock(DEMO_START);
  const demo = new DemoHousehold(clock);
  const scheduler = new Scheduler(clock);
  scheduler.add({ name: TASK_MEASURE, periodMs: 200, priority: 40, run: () => 12 });
  scheduler.add({ name: TASK_CAN, periodMs: 1000, priority: 30, run: () => 8 });
  scheduler.add({ name: TASK_HTTP, periodMs: 500, priority: 10, run: () => 3 });
  scheduler.add({ name: TASK_UI, periodMs: 100, priority: 20, run: () => 6 });
  scheduler.start();
  clock.every(60_000, () => demo.tick());
  clock.runUntil(DEMO_START + 18.5 * HOUR);
  const t = clock.now();
  const extra = (s: HouseholdSnapshot): HouseholdSnapshot => {
    const out = { ...s, tasks: scheduler.stats() };
    if (!withAlarms) return out;
    out.events = [
      // the cells as the aggregator computes them (EN 50160, of 230 V)
      { type: "dip", meterId: 2, meters: [2], phase: 1, start: t - 3 * HOUR, durationMs: 120, extremeV: 161, cell: en50160Cell("dip", 161 / 230, 0.12) },
      { type: "swell", meterId: 1, meters: [1], phase: 1, start: t - 2 * HOUR, durationMs: 40, extremeV: 262, cell: en50160Cell("swell", 262 / 230, 0.04) },
    ];
    out.alarms = [
      { t: t - 3 * HOUR, kind: "dip", message: "meter 2 L1 161 V for 120 ms", meterId: 2 },
      { t: t - 2 * HOUR, kind: "swell", message: "meter 1 L1 262 V for 40 ms", meterId: 1 },
      { t: t - HOUR, kind: "auth", message: "bad CMAC from node 3 (frame dropped)", meterId: 3 },
      { t: t - 20 * 60_000, kind: "interruption", message: "meter 4 off for 1.2 s", meterId: 4 },
    ];
    out.bus = { ...s.bus, cycles: 1110, framesOk: 8874, authFailures: 1 };
    return out;
  };
  const household: Household = {
    snapshot: () => extra(demo.store.snapshot()),
    now: () => clock.now(),
    energy: (from, to, step) => demo.store.energy(from, to, step),
    history: (series, from, to, step) => demo.store.history(series, from, to, step),
    switchLoad: (id, on, actor) => demo.store.switchLoad(id, on, actor),
    scheduleLoad: (id, d, deadline, actor) => demo.store.scheduleLoad(id, d, deadline, actor),
    onChange: (l) => demo.store.onChange(l),
  };
  return { clock, demo, household };
}
