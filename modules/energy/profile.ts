/**
 * The load profile: import and export energy per 15-min interval (aligned to
 * :00/:15/:30/:45 UTC), in whole Wh with the remainder carried so the profile
 * sums to the register. A ring of `days` days in Uint32Arrays (allocated once).
 */
export const QUARTER_MS = 15 * 60_000;

export class LoadProfile {
  readonly capacity: number;
  private readonly imp: Uint32Array;
  private readonly exp: Uint32Array;
  /** Index (t / QUARTER_MS) of the newest interval; -1 when empty. */
  private newest = -1;
  private carryImp = 0;
  private carryExp = 0;

  constructor(days = 35) {
    this.capacity = days * 96;
    this.imp = new Uint32Array(this.capacity);
    this.exp = new Uint32Array(this.capacity);
  }

  /** Adds energy (Wh, fractional allowed) at time t. */
  add(t: number, importWh: number, exportWh: number): void {
    const q = Math.floor(t / QUARTER_MS);
    if (this.newest < 0) this.newest = q;
    if (q < this.newest - this.capacity + 1) return; // too old to keep
    while (q > this.newest) {
      this.newest++;
      const i = this.newest % this.capacity;
      this.imp[i] = 0;
      this.exp[i] = 0;
    }
    const i = q % this.capacity;
    this.carryImp += importWh;
    this.carryExp += exportWh;
    const wi = Math.floor(this.carryImp);
    const we = Math.floor(this.carryExp);
    this.imp[i] += wi;
    this.exp[i] += we;
    this.carryImp -= wi;
    this.carryExp -= we;
  }

  /** Import/export Wh of the interval starting at `start` (0 when unknown). */
  interval(start: number): { importWh: number; exportWh: number; known: boolean } {
    const q = Math.floor(start / QUARTER_MS);
    if (this.newest < 0 || q > this.newest || q <= this.newest - this.capacity) return { importWh: 0, exportWh: 0, known: false };
    const i = q % this.capacity;
    return { importWh: this.imp[i], exportWh: this.exp[i], known: true };
  }

  /** Start of the newest interval, or undefined. */
  get newestStart(): number | undefined {
    return this.newest < 0 ? undefined : this.newest * QUARTER_MS;
  }
}
