import type { CanMaster } from "../can/master";
import type { CanSlave } from "../can/slave";
import type { ObisCode } from "../core/obis";
import { POLLED_CODES, PQ10_CODES, PQ10_STAMP, decodePq10Stamp, encodePq10Stamp } from "../can/protocol";
import type { PqAggregate } from "../core/household";
import type { LinkStats, MeterReadings, SlaveLink } from "./readings";
import type { SlaveApp } from "./slave-app";

/**
 * The aggregator↔slave link over the CAN room's authenticated protocol: the
 * aggregator's CAN task starts one CanMaster poll cycle per period (frames
 * then take their bit-timed time on the bus); `poll(id)` gives the readings a
 * slave delivered in the last completed cycle, or undefined when it did not
 * answer every quantity. Energy counters are cumulative, so reading one cycle
 * late loses nothing.
 */
const FIELD: Readonly<Record<ObisCode, keyof MeterReadings>> = Object.freeze({
  "1-0:1.8.0": "importWh",
  "1-0:2.8.0": "exportWh",
  "1-0:16.7.0": "powerW",
  "1-0:3.7.0": "reactiveVar",
  "1-0:32.7.0": "voltageV",
  "1-0:31.7.0": "currentA",
  "1-0:14.7.0": "frequencyHz",
  "1-0:13.7.0": "powerFactor",
  "1-0:32.7.124": "thdVoltagePct",
  "1-0:31.7.124": "thdCurrentPct",
  "1-0:32.32.0": "dips",
  "1-0:32.36.0": "swells",
  "0-0:96.7.21": "interruptions",
});

/** The 10-min aggregate's L1 values by OBIS code (protocol PQ10_CODES; the stamp is separate). */
const PQ_FIELD: Readonly<Record<ObisCode, (a: PqAggregate) => number>> = Object.freeze({
  "1-0:32.5.0": (a) => a.voltageV[0],
  "1-0:31.5.0": (a) => a.currentA[0],
  "1-0:21.5.128": (a) => a.powerW[0],
  "1-0:32.5.124": (a) => a.thdVoltagePct[0],
  "1-0:31.5.124": (a) => a.thdCurrentPct[0],
  "1-0:14.5.0": (a) => a.frequencyHz,
});

/**
 * What a slave's CanSlave answers: its latched readings, and its latched
 * 10-min aggregate, by OBIS code. Without an aggregate the stamp is 0 and the
 * values 0, so the master's aggregate cycle never waits for timeouts.
 */
export function slaveReader(slave: SlaveApp): (code: ObisCode) => number | undefined {
  const aggregate = (): PqAggregate | undefined => slave.aggregate();
  return (code) => {
    const pq = pq10Answer(code, aggregate);
    if (pq !== undefined) return pq;
    const field = FIELD[code];
    if (!field) return undefined;
    const v = slave.answer()[field];
    return typeof v === "number" ? v : undefined;
  };
}

/**
 * When the link fetches the 10-min aggregates: `delayMs` after each boundary
 * (the slaves close the interval within a second of it), again every
 * `retryMs` for slaves whose answer still named an older interval, until
 * `giveUpMs` after the boundary.
 */
export interface Pq10Options {
  delayMs?: number;
  retryMs?: number;
  giveUpMs?: number;
}

/**
 * A slave's answer to one of the PQ10 codes from its latched aggregate (any
 * reader, e.g. the board's, can delegate to this); undefined for other codes.
 */
export function pq10Answer(code: ObisCode, aggregate: () => PqAggregate | undefined): number | undefined {
  if (code === PQ10_STAMP) {
    const a = aggregate();
    return a ? encodePq10Stamp(a.end, a.flagged) : 0;
  }
  const pq = PQ_FIELD[code];
  if (!pq) return undefined;
  const a = aggregate();
  return a ? pq(a) : 0;
}

export class CanLink implements SlaveLink {
  private busy = false;
  private lastStart = NaN;
  private lastCompleteStart = NaN;
  private lastCycleMs = 0;
  private completed = 0;
  private readonly pqLatest = new Map<number, PqAggregate>();
  /** End of the interval being fetched, and slaves that still owe it. */
  private pqBoundary = NaN;
  private pqOwed = new Set<number>();
  private pqNextTry = NaN;
  private readonly pqDelay: number;
  private readonly pqRetry: number;
  private readonly pqGiveUp: number;
  /** Aggregate cycles run (each one request per PQ10 code). */
  pqCycles = 0;

  constructor(
    private readonly master: CanMaster,
    private readonly busLoad: () => number = () => 0,
    private readonly codes: readonly ObisCode[] = POLLED_CODES,
    pq: Pq10Options = {},
  ) {
    this.pqDelay = pq.delayMs ?? 2000;
    this.pqRetry = pq.retryMs ?? 5000;
    this.pqGiveUp = pq.giveUpMs ?? 60_000;
  }

  aggregate(id: number): PqAggregate | undefined {
    return this.pqLatest.get(id);
  }

  poll(id: number, _now: number): MeterReadings | undefined {
    if (Number.isNaN(this.lastCompleteStart)) return undefined;
    const r: Record<string, number> = { t: 0 };
    for (const code of this.codes) {
      const v = this.master.value(id, code);
      if (!v || v.at < this.lastCompleteStart) return undefined;
      const field = FIELD[code];
      if (field) r[field] = v.value;
      if (v.at > r.t) r.t = v.at;
    }
    return r as unknown as MeterReadings;
  }

  endCycle(now: number): void {
    if (this.busy) return; // the previous cycle is still on the bus: skip, as the master would
    this.busy = true;
    this.lastStart = now;
    this.master.pollCycle((result) => {
      this.completed++;
      this.lastCompleteStart = this.lastStart;
      this.lastCycleMs = result.endMs - result.startMs;
      // The aggregate cycle rides behind a regular one, so the readings keep their pace.
      if (this.pqDue(result.endMs)) this.pollAggregates(result.endMs);
      else this.busy = false;
    });
  }

  /** True when an aggregate cycle should run now (after a boundary, or a retry for slaves that were late). */
  private pqDue(now: number): boolean {
    const boundary = Math.floor(now / 600_000) * 600_000;
    if (boundary !== this.pqBoundary) {
      if (now < boundary + this.pqDelay) return false;
      this.pqBoundary = boundary;
      this.pqOwed = new Set(this.master.knownSlaves.filter((n) => !this.master.missingSlaves.includes(n)));
      this.pqNextTry = now;
    }
    return this.pqOwed.size > 0 && now >= this.pqNextTry && now < this.pqBoundary + this.pqGiveUp;
  }

  private pollAggregates(now: number): void {
    this.pqCycles++;
    this.pqNextTry = now + this.pqRetry;
    this.master.pollCycle(() => {
      this.busy = false;
      for (const id of [...this.pqOwed]) {
        const a = this.collect(id, now);
        if (a === "late") continue;
        if (a) this.pqLatest.set(id, a);
        // Done once the slave named this boundary's interval; one it completed earlier is kept
        // meanwhile (a slave whose clock is behind still gets every interval through, a boundary late).
        if (a === undefined || a.end >= this.pqBoundary) this.pqOwed.delete(id);
      }
    }, PQ10_CODES);
  }

  /**
   * The aggregate slave `id` answered in the cycle started at `since`: "late"
   * when it did not answer every value, names no interval, or only one the link
   * already has while this boundary's is still to come (ask again); undefined
   * when the link already has this boundary's.
   */
  private collect(id: number, since: number): PqAggregate | "late" | undefined {
    const stampValue = this.master.value(id, PQ10_STAMP);
    if (!stampValue || stampValue.at < since) return "late";
    const stamp = decodePq10Stamp(stampValue.value);
    // None yet: the slave has not closed an interval (it started inside one); ask again until giveUpMs.
    if (!stamp) return "late";
    const have = this.pqLatest.get(id);
    if (have && have.end >= stamp.end) return stamp.end >= this.pqBoundary ? undefined : "late";
    const v = (code: ObisCode): number => {
      const r = this.master.value(id, code);
      return r && r.at >= since ? r.value : NaN;
    };
    const a: PqAggregate = {
      meterId: id, start: stamp.end - 600_000, end: stamp.end,
      voltageV: [v("1-0:32.5.0")], currentA: [v("1-0:31.5.0")], powerW: [v("1-0:21.5.128")],
      thdVoltagePct: [v("1-0:32.5.124")], thdCurrentPct: [v("1-0:31.5.124")],
      frequencyHz: v("1-0:14.5.0"), flagged: stamp.flagged,
    };
    const values = [a.voltageV[0], a.currentA[0], a.powerW[0], a.thdVoltagePct[0], a.thdCurrentPct[0], a.frequencyHz];
    return values.every(Number.isFinite) ? a : "late";
  }

  lockouts(id: number, now: number): { id: number; since: number; until: number; failures: number }[] {
    return this.master.lockouts(id, now);
  }

  stats(): LinkStats {
    const s = this.master.stats;
    return { cycles: this.completed, framesOk: s.accepted, authFailures: s.authFailures + s.replays, busLoadPct: Math.round(this.busLoad() * 1000) / 10, lastCycleMs: Math.round(this.lastCycleMs * 1000) / 1000 };
  }
}

export type { CanSlave };
