import type { MeterFrontEnd, MeterReadings } from "../../modules/app/readings";
import { emptyReadings } from "../../modules/app/readings";
import { EnergyAccumulator, type Stpm3x, type StpmReadings } from "./stpm3x";

/**
 * The slave's measuring side on the board: the STPM3x computes RMS, power and
 * energy in hardware; each Measure run latches and reads them (≈20 SPI frames,
 * no per-sample JavaScript). Import and export energy come from the signed
 * active-energy counter. Frequency and THD stay at 0 until the waveform path
 * (Stpm3x.sample snapshots → metrology) is wired.
 */
export class StpmFrontEnd implements MeterFrontEnd {
  private readonly raw: StpmReadings = { vRms: 0, iRms: 0, activePower: 0, reactivePower: 0, apparentPower: 0, activeEnergyRaw: 0, reactiveEnergyRaw: 0 };
  private readonly energy: EnergyAccumulator;
  private current: MeterReadings;
  private lastTotalWh = 0;
  failures = 0;

  constructor(private readonly chip: Stpm3x, whPerLsb: number, now: number) {
    this.energy = new EnergyAccumulator(whPerLsb);
    this.current = emptyReadings(now);
  }

  measure(now: number): void {
    let r: StpmReadings;
    try {
      r = this.chip.readChannel1(this.raw);
    } catch {
      this.failures++; // keep the last good readings; the CAN answer stays consistent
      return;
    }
    const total = this.energy.update(r.activeEnergyRaw);
    const delta = total - this.lastTotalWh;
    this.lastTotalWh = total;
    const c = this.current;
    c.t = now;
    c.powerW = r.activePower;
    c.reactiveVar = r.reactivePower;
    c.voltageV = r.vRms;
    c.currentA = r.iRms;
    c.powerFactor = r.apparentPower > 0 ? Math.min(1, Math.abs(r.activePower) / r.apparentPower) : 1;
    if (delta >= 0) c.importWh += delta;
    else c.exportWh -= delta;
  }

  readings(): MeterReadings {
    return this.current;
  }
}
