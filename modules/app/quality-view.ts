/**
 * One meter's power-quality view for the page, display and API, from what was
 * measured: its last readings (frequency, THD, its own event counters), its
 * last 10-min aggregate (negative-sequence unbalance, three-phase meters only)
 * and the EN 50160 dip table of the events it saw (pq-events.ts). Nothing is
 * filled in: a value not measured is null (or empty) with the reason.
 */
import type { PqAggregate, QualityView } from "../core/household";
import { EN50160_DIP_COLS, EN50160_DIP_ROWS } from "../metrology/events";
import type { DipCounts } from "./pq-events";
import type { MeterReadings } from "./readings";

const NO_ANSWER = "no answer from this meter yet";

export function qualityView(meterId: number, last: MeterReadings | undefined, pq: PqAggregate | undefined, dips: DipCounts): QualityView {
  const notMeasured: Record<string, string> = {};
  if (!last) for (const k of ["frequencyHz", "thdVoltagePct", "thdCurrentPct", "dipCount", "swellCount", "interruptionCount"]) notMeasured[k] = NO_ANSWER;
  const unbalance = unbalanceOf(pq);
  if (typeof unbalance === "string") notMeasured.unbalanceNegativePct = unbalance;
  return {
    meterId,
    frequencyHz: last ? round(last.frequencyHz, 3) : null,
    thdVoltagePct: last ? [round(last.thdVoltagePct, 2)] : [],
    thdCurrentPct: last ? [round(last.thdCurrentPct, 2)] : [],
    unbalanceNegativePct: typeof unbalance === "number" ? unbalance : null,
    notMeasured,
    dipTable: dips.table.map((row) => row.slice()),
    dipRows: EN50160_DIP_ROWS,
    dipCols: EN50160_DIP_COLS,
    dipsUnclassified: dips.unclassified,
    dipCount: last ? last.dips : null,
    swellCount: last ? last.swells : null,
    interruptionCount: last ? last.interruptions : null,
  };
}

/** The aggregate's u2 (%), or why there is none. */
function unbalanceOf(pq: PqAggregate | undefined): number | string {
  if (!pq) return "no 10-min aggregate from this meter yet";
  if (pq.voltageV.length !== 3) return "single-phase aggregate: no unbalance (a single-phase meter, or a link that carries L1 only)";
  if (pq.unbalancePct === undefined || !Number.isFinite(pq.unbalancePct)) return "the meter's aggregate carries no unbalance";
  return round(pq.unbalancePct, 2);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
