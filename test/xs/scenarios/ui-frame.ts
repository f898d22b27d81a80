// XS conformance: the touch display renders its home screen (320x240 RGB565) on
// a DemoHousehold, then one dirty-rectangle update; returns framebuffer checksums.
import { VirtualClock } from "../../../modules/core/virtual-clock";
import { MINUTE } from "../../../modules/core/clock";
import { crc32 } from "../../../modules/core/bytes";
import { DemoHousehold } from "../../../modules/app/demo-household";
import { DisplayApp } from "../../../modules/ui/display-app";
import { RasterCanvas } from "../../../modules/ui/raster-canvas";

function setup() {
  const clock = new VirtualClock(Date.UTC(2026, 5, 21, 12, 0));
  const demo = new DemoHousehold(clock);
  demo.tick();
  const canvas = new RasterCanvas(320, 240);
  const app = new DisplayApp(canvas, demo.store, clock, { width: 320, height: 240 });
  return { clock, demo, canvas, app };
}

function sum(canvas: RasterCanvas): string {
  return crc32(new Uint8Array(canvas.pixels.buffer)).toString(16);
}

export function run(): unknown {
  const { clock, demo, canvas, app } = setup();
  app.render();
  const full = sum(canvas);
  const fullPixels = canvas.pixelsWritten;
  canvas.resetStats();
  clock.advance(10 * MINUTE);
  demo.tick();
  app.render();
  return { full, fullPixels, update: sum(canvas), updatePixels: canvas.pixelsWritten, regions: canvas.regions.length };
}

const probe = setup();

/** A canvas that only counts calls: what the app itself costs when Poco (native C) does the pixels. */
class CallCounter extends RasterCanvas {
  calls = 0;
  override fillRectangle(): void { this.calls++; }
  override blendRectangle(): void { this.calls++; }
  override drawGray(): void { this.calls++; }
}
const logicClock = new VirtualClock(Date.UTC(2026, 5, 21, 12, 0));
const logicDemo = new DemoHousehold(logicClock);
logicDemo.tick();
const counter = new CallCounter(320, 240);
const logicApp = new DisplayApp(counter, logicDemo.store, logicClock, { width: 320, height: 240 });
export const probes = {
  /** One full frame of the home screen (navigation redraw). */
  fullFrame(): unknown {
    probe.app.show("home");
    probe.app.render();
    return probe.canvas.pixelsWritten;
  },
  /** The app's own work for a full frame, pixels left to native Poco (as on the board). */
  fullFrameCallsOnly(): unknown {
    logicApp.show("home");
    logicApp.render();
    return counter.calls;
  },
  /** The app's own work for a one-minute update, pixels left to native Poco. */
  dirtyUpdateCallsOnly(): unknown {
    logicClock.advance(MINUTE);
    logicDemo.tick();
    logicApp.render();
    return counter.calls;
  },
  /** One update after the clock moved a minute: only changed labels are drawn. */
  dirtyUpdate(): unknown {
    probe.clock.advance(MINUTE);
    probe.demo.tick();
    probe.canvas.resetStats();
    probe.app.render();
    return probe.canvas.pixelsWritten;
  },
};
