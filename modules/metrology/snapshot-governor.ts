/**
 * Chooses how often the board may analyse a waveform snapshot so that the
 * JavaScript side of metrology stays within a computron budget (REFERENCES §11:
 * ≈0.5 M computrons per second of signal on the board).
 *
 * Per second it spends windowsPerSecond × windowCost on register windows, and
 * the rest on snapshots: one phase snapshot every `interval` windows, phases in
 * turn, with interval = ⌈windowsPerSecond × snapshotCost / (budget − window work)⌉.
 * Costs are computrons measured inside XS (bench:metrology prints them); a
 * device cannot meter itself, so they are configuration.
 */
export interface GovernorConfig {
  /** Computrons per second the metrology JavaScript may use (default 500 000). */
  budget?: number;
  windowsPerSecond: number;
  phases: number;
  /** Computrons of one register window (all phases: record, events, aggregation). */
  windowCost: number;
  /** Computrons of one phase snapshot's analysis. */
  snapshotCost: number;
}

export class SnapshotGovernor {
  readonly budget: number;
  /** Windows between two phase snapshots (0: the budget leaves no room for any). */
  readonly interval: number;
  /** Expected computrons per second at that interval. */
  readonly computronsPerSecond: number;
  /** Seconds between two snapshots of the same phase. */
  readonly refreshSeconds: number;
  private readonly phases: number;
  private countdown: number;
  private phase = 0;

  constructor(config: GovernorConfig) {
    const budget = (this.budget = config.budget ?? 500_000);
    const wps = config.windowsPerSecond;
    this.phases = config.phases;
    const left = budget - wps * config.windowCost;
    this.interval = left > 0 ? Math.max(1, Math.ceil((wps * config.snapshotCost) / left)) : 0;
    this.computronsPerSecond = wps * config.windowCost + (this.interval > 0 ? (wps * config.snapshotCost) / this.interval : 0);
    this.refreshSeconds = this.interval > 0 ? (this.interval * this.phases) / wps : Infinity;
    this.countdown = this.interval;
  }

  /** Called once per window: the phase (0-based) whose snapshot is due now, or −1. */
  next(): number {
    if (this.interval === 0 || --this.countdown > 0) return -1;
    this.countdown = this.interval;
    const p = this.phase;
    this.phase = (p + 1) % this.phases;
    return p;
  }
}
