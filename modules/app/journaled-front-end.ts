// The slave's energy registers in the flash journal: its import/export
// counters continue across reboots and power cuts instead of starting at zero
// (the aggregator would otherwise take a new baseline with a "counters went
// back" alarm each time). The board, the desktop simulator and the node
// simulator's real-time slaves wrap their front ends in it.
import type { Flash } from "../core/ports";
import type { MeterFrontEnd, MeterReadings } from "./readings";
import type { PqAggregate } from "../core/household";
import { emptyReadings } from "./readings";
import type { JournalScan } from "../energy/journal";
import { Journal } from "../energy/journal";
import { EnergyStore, type WritePolicy } from "../energy/energy-store";

const MS_PER_HOUR = 3_600_000;

/** What boot found in the journal. */
export interface JournalBoot extends JournalScan {
  importWh: number;
  exportWh: number;
}

/**
 * Wraps a meter front end: each Measure run books the front end's import and
 * export energy since the previous run into the energy registers (as the
 * constant power that gives that energy over the interval) and lets the
 * EnergyStore write a snapshot per its policy (every `periodMs` while energy
 * flows, at once after `thresholdWh`). The readings carry the registers'
 * totals, so a power cut loses at most one policy's worth of energy and a
 * counter never goes back.
 */
export class JournaledFrontEnd implements MeterFrontEnd {
  readonly store: EnergyStore;
  readonly boot: JournalBoot;
  private readonly out: MeterReadings;
  private readonly p = new Float64Array(1);
  private lastImportWh: number;
  private lastExportWh: number;
  private lastT: number;

  constructor(private readonly inner: MeterFrontEnd, flash: Flash, now: number, policy: Partial<WritePolicy> = {}) {
    this.store = new EnergyStore(new Journal(flash), policy);
    const scan = this.store.boot(now);
    const r = this.store.registers;
    this.boot = { ...scan, importWh: r.get("1-0:1.8.0"), exportWh: r.get("1-0:2.8.0") };
    const first = inner.readings();
    this.lastImportWh = first.importWh;
    this.lastExportWh = first.exportWh;
    this.lastT = now;
    this.out = emptyReadings(now);
    this.publish(first);
  }

  measure(now: number): number | void {
    const cost = this.inner.measure(now);
    const r = this.inner.readings();
    const dt = now - this.lastT;
    if (dt > 0) {
      this.book(now, dt, r.importWh - this.lastImportWh, 1);
      this.book(now, dt, r.exportWh - this.lastExportWh, -1);
      this.lastImportWh = r.importWh;
      this.lastExportWh = r.exportWh;
      this.lastT = now;
      this.store.maybeWrite(now);
    }
    this.publish(r);
    return cost;
  }

  readings(): MeterReadings {
    return this.out;
  }

  /** The wrapped front end's 10-min power-quality aggregate, passed through. */
  aggregate(): PqAggregate | undefined {
    return this.inner.aggregate?.();
  }

  /** Writes a snapshot now (a power-fail warning, a planned restart). */
  flush(now: number): void {
    this.store.write(now);
  }

  private book(now: number, dt: number, deltaWh: number, sign: 1 | -1): void {
    if (!(deltaWh > 0)) return; // a front end restarting its own counter books nothing
    this.p[0] = (sign * deltaWh * MS_PER_HOUR) / dt;
    this.store.registers.integrate(now, dt, this.p);
  }

  private publish(r: MeterReadings): void {
    Object.assign(this.out, r);
    this.out.importWh = this.store.registers.get("1-0:1.8.0");
    this.out.exportWh = this.store.registers.get("1-0:2.8.0");
  }
}
