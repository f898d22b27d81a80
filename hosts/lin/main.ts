// The application in Moddable's desktop simulator (mcsim), in the role the manifest's
// `xsmeter.role` names (hosts/lin/lin-roles.ts): the aggregator with simulated slaves and its
// display, or one slave polled by a master, on a simulated CAN bus, with simulated samples.
import config from "mc/config";
import Timer from "timer";
import { RealClock } from "../../modules/core/real-clock";
import type { Clock } from "../../modules/core/clock";
import type { AggregatorApp } from "../../modules/app/aggregator-app";
import { DisplayApp } from "../../modules/ui/display-app";
import { PocoCanvas } from "../esp32/poco-canvas";
import { linConfig, startLinRole } from "./lin-roles";

function simClock(): Clock {
  return new RealClock({
    now: () => Date.now(),
    start: (delay, callback) => Timer.set(() => callback(), delay),
    stop: (handle) => Timer.clear(handle as ReturnType<typeof Timer.set>),
  });
}

/** The simulator's screen: the board's PocoCanvas + DisplayApp; mouse clicks arrive as the screen's touch events. */
type SimScreen = { width: number; height: number; context?: object };
function startDisplay(app: AggregatorApp, clock: Clock): DisplayApp | undefined {
  const screen = (globalThis as { screen?: SimScreen }).screen;
  if (!screen) return undefined;
  const canvas = new PocoCanvas();
  const display = new DisplayApp(canvas, app.store, clock, { width: canvas.width, height: canvas.height });
  screen.context = {
    onTouchBegan: (_id: number, x: number, y: number) => display.pointerDown(x, y),
    onTouchMoved: (_id: number, x: number, y: number) => display.pointerMove(x, y),
    onTouchEnded: (_id: number, x: number, y: number) => display.pointerUp(x, y),
  };
  trace(`xsmeter: display ${canvas.width}x${canvas.height} on the simulator's screen (Poco), touch by mouse\n`);
  return display;
}

export default function main(): void {
  const cfg = linConfig(config.xsmeter);
  const clock = simClock();
  const log = (line: string) => trace(line);
  const run = startLinRole(clock, cfg, log, (app) => startDisplay(app, clock));
  Timer.repeat(() => trace(run.status()), 5000);
}
