/**
 * Energy integration per window: active import/export per phase and
 * phase-balanced totals, reactive (fundamental Q1) in four quadrants.
 * A phase whose current is below the starting current, or whose |P| is below
 * the creep threshold, accumulates nothing (no-load creep).
 */
export class EnergyIntegrator {
  readonly importWh: Float64Array;
  readonly exportWh: Float64Array;
  /** Reactive energy in quadrants I..IV (varh), all phases. */
  readonly reactiveVarh = new Float64Array(4);
  totalImportWh = 0;
  totalExportWh = 0;

  constructor(phases: number, readonly startingCurrent: number, readonly creepPower: number) {
    this.importWh = new Float64Array(phases);
    this.exportWh = new Float64Array(phases);
  }

  add(seconds: number, i: ArrayLike<number>, p: ArrayLike<number>, q: ArrayLike<number>): void {
    const h = seconds / 3600;
    let net = 0;
    for (let k = 0; k < this.importWh.length; k++) {
      const pk = p[k];
      // The meter must register at the starting current: gate a little below it so measurement noise cannot drop it.
      if (i[k] < 0.8 * this.startingCurrent || Math.abs(pk) < this.creepPower) continue;
      if (pk >= 0) this.importWh[k] += pk * h; else this.exportWh[k] -= pk * h;
      net += pk;
      const qk = q[k];
      this.reactiveVarh[pk >= 0 ? (qk >= 0 ? 0 : 3) : qk >= 0 ? 1 : 2] += Math.abs(qk) * h;
    }
    if (net >= 0) this.totalImportWh += net * h; else this.totalExportWh -= net * h;
  }
}
