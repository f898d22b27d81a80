/**
 * The power-quality events the aggregator sees in its slaves' answers: each
 * answer carries the meter's cumulative dip / swell / interruption counts (and
 * its latest event); a count that grew since the meter's previous answer is that
 * many new events, listed for the page and raised as alarms. A meter's first
 * answer only sets what was seen (its lifetime's events are not news).
 */
import type { Alarm, PqEventView } from "../core/household";
import type { MeterReadings } from "./readings";

export class PqEventLog {
  /** Every event seen, oldest first. */
  readonly events: PqEventView[] = [];
  private readonly seen = new Map<number, { dips: number; swells: number; interruptions: number }>();

  constructor(private readonly alarm: (a: Alarm) => void) {}

  /** Meter `id` answered `r` at `now`: its new events, each listed and raised. */
  track(id: number, r: MeterReadings, now: number): void {
    const seen = this.seen.get(id) ?? { dips: r.dips, swells: r.swells, interruptions: r.interruptions };
    const report = (type: PqEventView["type"], n: number): void => {
      for (let k = 0; k < n; k++) {
        const e = r.lastEvent && r.lastEvent.type === type ? r.lastEvent : undefined;
        this.events.push({ type, meterId: id, phase: 1, start: e ? e.start : now, durationMs: e ? e.durationMs : 0, extremeV: e ? e.extremeV : 0, cell: "" });
        this.alarm({ t: now, kind: type, message: e ? `${type} to ${e.extremeV} V for ${e.durationMs} ms at meter ${id}` : `${type} seen by meter ${id}`, meterId: id });
      }
    };
    report("dip", r.dips - seen.dips);
    report("swell", r.swells - seen.swells);
    report("interruption", r.interruptions - seen.interruptions);
    this.seen.set(id, { dips: r.dips, swells: r.swells, interruptions: r.interruptions });
  }
}
