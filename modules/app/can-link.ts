import type { CanMaster } from "../can/master";
import type { CanSlave } from "../can/slave";
import type { ObisCode } from "../core/obis";
import { POLLED_CODES } from "../can/protocol";
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

/** What a slave's CanSlave answers: its latched readings, by OBIS code. */
export function slaveReader(slave: SlaveApp): (code: ObisCode) => number | undefined {
  return (code) => {
    const field = FIELD[code];
    if (!field) return undefined;
    const v = slave.answer()[field];
    return typeof v === "number" ? v : undefined;
  };
}

export class CanLink implements SlaveLink {
  private busy = false;
  private lastStart = NaN;
  private lastCompleteStart = NaN;
  private lastCycleMs = 0;
  private completed = 0;

  constructor(
    private readonly master: CanMaster,
    private readonly busLoad: () => number = () => 0,
    private readonly codes: readonly ObisCode[] = POLLED_CODES,
  ) {}

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
      this.busy = false;
      this.completed++;
      this.lastCompleteStart = this.lastStart;
      this.lastCycleMs = result.endMs - result.startMs;
    });
  }

  stats(): LinkStats {
    const s = this.master.stats;
    return { cycles: this.completed, framesOk: s.accepted, authFailures: s.authFailures + s.replays, busLoadPct: Math.round(this.busLoad() * 1000) / 10, lastCycleMs: Math.round(this.lastCycleMs * 1000) / 1000 };
  }
}

export type { CanSlave };
