// The board's touch driver → the display's pointer events. Two driver shapes
// exist in the Moddable SDK: the ECMA-419 sensor (`sample()` → the points
// touching now, each with an id) and the older drivers (FT6206, GT911:
// `read(points)` filling a state per point: 0 none, 1 down, 2 moved, 3 up).
// Only the first point is followed (the display's gestures are one-finger).

/** Where the events go: modules/ui DisplayApp classifies them into tap, long press and swipe. */
export interface PointerTarget {
  pointerDown(x: number, y: number): void;
  pointerMove(x: number, y: number): void;
  pointerUp(x: number, y: number): void;
}

export interface TouchSample { x: number; y: number; id?: number }
/** ECMA-419 touch sensor (`device.sensor.Touch`). */
export interface TouchSensor { sample(): TouchSample[] | undefined }
/** The SDK's older touch drivers (`config.Touch` from mc/config's "touch" key, e.g. ft6206). */
export interface LegacyTouch { read(points: { state: number; x?: number; y?: number }[]): void }

export type Rotation = 0 | 90 | 180 | 270;

/**
 * Maps a raw touch point to display coordinates for the screen's rotation, as
 * the SDK's Piu setup does (width/height are the display's, after rotation),
 * then clamps it onto the display.
 */
export function mapTouch(x: number, y: number, rotation: Rotation, width: number, height: number): { x: number; y: number } {
  let mx = x, my = y;
  if (rotation === 90) { mx = y; my = height - x; }
  else if (rotation === 180) { mx = width - x; my = height - y; }
  else if (rotation === 270) { mx = width - y; my = x; }
  return { x: Math.min(width - 1, Math.max(0, mx)), y: Math.min(height - 1, Math.max(0, my)) };
}

export class TouchInput {
  private down = false;
  private x = 0;
  private y = 0;
  private readonly legacyPoints = [{ state: 0, x: 0, y: 0 }];

  constructor(private readonly target: PointerTarget, private readonly rotation: Rotation, private readonly width: number, private readonly height: number) {}

  /** One reading of the first finger: touching (at raw x, y) or not. */
  update(touching: boolean, rawX = 0, rawY = 0): void {
    if (!touching) {
      if (this.down) {
        this.down = false;
        this.target.pointerUp(this.x, this.y); // where the finger was last seen
      }
      return;
    }
    const p = mapTouch(rawX, rawY, this.rotation, this.width, this.height);
    if (!this.down) {
      this.down = true;
      this.x = p.x;
      this.y = p.y;
      this.target.pointerDown(p.x, p.y);
    } else if (p.x !== this.x || p.y !== this.y) {
      this.x = p.x;
      this.y = p.y;
      this.target.pointerMove(p.x, p.y);
    }
  }

  /** Polls an ECMA-419 sensor once. */
  pollSensor(sensor: TouchSensor): void {
    const points = sensor.sample();
    const first = points?.find((p) => (p.id ?? 0) === 0) ?? points?.[0];
    if (first) this.update(true, first.x, first.y);
    else this.update(false);
  }

  /** Polls an older SDK driver once. */
  pollLegacy(driver: LegacyTouch): void {
    const p = this.legacyPoints[0];
    driver.read(this.legacyPoints);
    if (p.state === 1 || p.state === 2) this.update(true, p.x ?? 0, p.y ?? 0);
    else this.update(false);
  }
}
