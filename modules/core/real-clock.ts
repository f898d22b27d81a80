import type { Clock, TimerId } from "./clock";

/**
 * The primitives a host gives the real clock: wall time and one-shot timers.
 * hosts/node passes Date.now/setTimeout; hosts/esp32 passes Date.now/Timer.set.
 */
export interface TimerPrimitives {
  now(): number;
  start(delayMs: number, callback: () => void): unknown;
  stop(handle: unknown): void;
}

/**
 * A Clock on real time. Periodic timers are re-armed against their ideal due
 * time rather than "now + period", so a late callback does not make the whole
 * schedule drift (the scheduler counts the lateness as an overrun instead).
 */
export class RealClock implements Clock {
  private nextId = 1;
  private handles = new Map<TimerId, unknown>();

  constructor(private readonly host: TimerPrimitives) {}

  now(): number {
    return this.host.now();
  }

  after(delayMs: number, callback: () => void): TimerId {
    const id = this.nextId++;
    this.handles.set(
      id,
      this.host.start(delayMs, () => {
        this.handles.delete(id);
        callback();
      }),
    );
    return id;
  }

  every(periodMs: number, callback: () => void): TimerId {
    if (!(periodMs > 0)) throw new RangeError("every: period must be > 0");
    const id = this.nextId++;
    let due = this.host.now() + periodMs;
    const arm = (): void => {
      const delay = Math.max(0, due - this.host.now());
      this.handles.set(
        id,
        this.host.start(delay, () => {
          if (!this.handles.has(id)) return;
          due += periodMs;
          if (due < this.host.now()) due = this.host.now() + periodMs; // skip missed ticks
          arm();
          callback();
        }),
      );
    };
    arm();
    return id;
  }

  cancel(id: TimerId): void {
    const handle = this.handles.get(id);
    if (handle === undefined) return;
    this.handles.delete(id);
    this.host.stop(handle);
  }
}
