/**
 * The last 24 h of each meter's 10-min aggregates, kept by the web app from
 * the snapshots it sees (the household hands over only the latest one), for
 * the voltage, frequency and THD trends. 144 small records per meter at most;
 * one is added every 10 minutes, none per sample. Lost at a restart.
 */
import type { PqAggregate } from "../../core/household";

export const TREND_CAPACITY = 144;

export class PqTrend {
  private byMeter = new Map<number, PqAggregate[]>();

  /** Takes each aggregate newer than the last one held for its meter. */
  take(list: readonly PqAggregate[] | undefined): void {
    if (!list) return;
    for (const a of list) {
      let held = this.byMeter.get(a.meterId);
      if (!held) this.byMeter.set(a.meterId, (held = []));
      if (held.length && held[held.length - 1].end >= a.end) continue;
      held.push(a);
      if (held.length > TREND_CAPACITY) held.shift();
    }
  }

  meters(): number[] {
    return [...this.byMeter.keys()].sort((a, b) => a - b);
  }

  of(meterId: number): readonly PqAggregate[] {
    return this.byMeter.get(meterId) ?? [];
  }
}

/** The mean over the phases a meter has (finite values only); NaN when none. */
export function phaseMean(xs: readonly number[]): number {
  let s = 0;
  let n = 0;
  for (const x of xs) if (Number.isFinite(x)) (s += x), n++;
  return n ? s / n : NaN;
}
