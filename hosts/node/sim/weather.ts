import { DAY, HOUR } from "../../../modules/core/clock";
import { Prng } from "./prng";

/**
 * The sky and the air over the simulated household: how sunny each day is, a
 * smoothed cloud process, the outside temperature and the wind. PV output,
 * heat-pump demand, the renewable share of the grid and the day-ahead price
 * curve all read it, so a sunny day is sunny for all of them.
 */
export interface WeatherOptions {
  /** Latitude in degrees, for day length and sun height (default 48, central Europe). */
  latitude?: number;
}

export class Weather {
  private readonly latitude: number;
  private readonly days = new Map<number, { sunniness: number; meanTempC: number; wind: number }>();
  private cloud = 0; // Ornstein–Uhlenbeck state, 0 = as the day's sunniness says
  private cloudAt = NaN;
  private readonly cloudRng: Prng;

  constructor(private readonly seed: number, options: WeatherOptions = {}) {
    this.latitude = options.latitude ?? 48;
    this.cloudRng = new Prng(seed, "weather/clouds");
  }

  /** Per-day weather, drawn once per calendar day from its own stream. */
  day(t: number): { sunniness: number; meanTempC: number; wind: number } {
    const index = Math.floor(t / DAY);
    let d = this.days.get(index);
    if (!d) {
      const rng = new Prng(this.seed, `weather/day/${index}`);
      const season = Math.cos((2 * Math.PI * (dayOfYear(t) - 200)) / 365); // 1 in July, −1 in January
      d = {
        sunniness: Math.min(1, Math.max(0.15, 0.55 + 0.25 * season + rng.uniform(-0.35, 0.35))),
        meanTempC: 10 + 9 * season + rng.uniform(-4, 4),
        wind: Math.min(1, Math.max(0, rng.uniform(0, 1) * (0.8 - 0.3 * season))),
      };
      this.days.set(index, d);
    }
    return d;
  }

  /** Sun elevation factor 0..1 (sine of the sun's height), solar time = UTC. */
  sunFactor(t: number): number {
    const doy = dayOfYear(t);
    const decl = (23.44 * Math.PI) / 180 * Math.sin((2 * Math.PI * (doy - 81)) / 365);
    const lat = (this.latitude * Math.PI) / 180;
    const hourAngle = ((((t % DAY) / HOUR) - 12) * 15 * Math.PI) / 180;
    const s = Math.sin(lat) * Math.sin(decl) + Math.cos(lat) * Math.cos(decl) * Math.cos(hourAngle);
    return Math.max(0, s);
  }

  /**
   * Share of clear sky 0..1 at time t. Must be called with non-decreasing t
   * (once per simulated second by the world) so the cloud process is reproducible.
   */
  clearSky(t: number): number {
    const dtS = Number.isNaN(this.cloudAt) ? 0 : Math.max(0, (t - this.cloudAt) / 1000);
    this.cloudAt = t;
    // OU process with a ~10 min correlation time: passing clouds.
    const theta = 1 / 600;
    const sigma = 0.035;
    if (dtS > 0) this.cloud += -theta * this.cloud * dtS + sigma * Math.sqrt(dtS) * this.cloudRng.gauss();
    const s = this.day(t).sunniness;
    return Math.min(1, Math.max(0.05, s + this.cloud * (1 - s * 0.6)));
  }

  /** Outside temperature (°C): the day's mean with a daily swing peaking at 15:00. */
  temperatureC(t: number): number {
    const h = (t % DAY) / HOUR;
    return this.day(t).meanTempC + 5 * Math.cos((2 * Math.PI * (h - 15)) / 24);
  }
}

export function dayOfYear(t: number): number {
  const d = new Date(t);
  return Math.floor((t - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY) + 1;
}
