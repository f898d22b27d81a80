import { RealClock } from "../../modules/core/real-clock";

/** The Clock port on Node's wall time and timers (the board passes Date.now and Timer instead). */
export function nodeClock(now: () => number = () => Date.now()): RealClock {
  return new RealClock({
    now,
    start: (delayMs, callback) => setTimeout(callback, delayMs),
    stop: (handle) => clearTimeout(handle as NodeJS.Timeout),
  });
}
