import type { PqAggregate } from "../core/household";
import type { LinkStats, MeterReadings, SlaveLink } from "./readings";
import type { SlaveApp } from "./slave-app";

/**
 * The in-memory link (fast simulated days, where a CAN day would cost ~15 min
 * of CPU; `CanLink` is the bus): the aggregator reads each slave's latest answer in
 * memory. A slave can be taken "off the bus" (no answer) to exercise the
 * aggregator's missing-slave handling. Frames are counted as one request and
 * one answer per poll so the statistics have the shape the CAN link will give.
 */
export class DirectLink implements SlaveLink {
  private readonly slaves = new Map<number, SlaveApp>();
  private readonly offBus = new Set<number>();
  private cycles = 0;
  private framesOk = 0;
  private cycleStart = NaN;
  private lastCycleMs = 0;

  attach(slave: SlaveApp): void {
    this.slaves.set(slave.id, slave);
  }

  /** Disconnects (false) or reconnects (true) a slave. */
  setOnBus(id: number, onBus: boolean): void {
    if (onBus) this.offBus.delete(id);
    else this.offBus.add(id);
  }

  poll(id: number, now: number): MeterReadings | undefined {
    if (Number.isNaN(this.cycleStart)) this.cycleStart = now;
    this.framesOk++; // the request
    const slave = this.slaves.get(id);
    if (!slave || this.offBus.has(id)) return undefined;
    this.framesOk++; // the answer
    return slave.answer();
  }

  /** The slave's latched 10-min aggregate, read in memory like its readings (nothing while off the bus). */
  aggregate(id: number): PqAggregate | undefined {
    if (this.offBus.has(id)) return undefined;
    return this.slaves.get(id)?.aggregate();
  }

  endCycle(now: number): void {
    this.cycles++;
    this.lastCycleMs = Number.isNaN(this.cycleStart) ? 0 : now - this.cycleStart;
    this.cycleStart = NaN;
  }

  stats(): LinkStats {
    return { cycles: this.cycles, framesOk: this.framesOk, authFailures: 0, busLoadPct: 0, lastCycleMs: this.lastCycleMs };
  }
}
