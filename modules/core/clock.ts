/**
 * The Clock port: the only way code in modules/ learns the time or waits.
 *
 * Times are milliseconds since the Unix epoch (UTC), as a double, so a virtual
 * clock can start at any calendar date and IEC 61000-4-30 10-min intervals can be
 * aligned to it. Timer callbacks never run re-entrantly inside `after`/`every`.
 */
export type TimerId = number;

export interface Clock {
  /** Current time in ms since the Unix epoch (UTC). */
  now(): number;
  /** Runs `callback` once, `delayMs` from now. */
  after(delayMs: number, callback: () => void): TimerId;
  /** Runs `callback` every `periodMs`, first after one period. */
  every(periodMs: number, callback: () => void): TimerId;
  /** Cancels a timer; unknown or already-fired ids are ignored. */
  cancel(id: TimerId): void;
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
