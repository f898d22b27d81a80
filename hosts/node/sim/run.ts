import { VirtualClock } from "../../../modules/core/virtual-clock";
import { HouseholdSim, type HouseholdSimOptions } from "./household-sim";
import { buildReport } from "./report";

/**
 * Runs the household on a virtual clock from `start` for `durationMs`. With
 * `pace` (virtual ms per real ms) it yields to the event loop between chunks
 * so a web page can watch; without, it runs as fast as the CPU allows.
 * `during` is called once per simulated minute (tests use it to unplug slaves).
 */
export interface FastRunOptions extends HouseholdSimOptions {
  start: number;
  durationMs: number;
  pace?: number;
  during?: (sim: HouseholdSim, t: number) => void;
  onStart?: (sim: HouseholdSim, clock: VirtualClock) => void | Promise<void>;
}

export async function runFast(options: FastRunOptions): Promise<{ sim: HouseholdSim; report: unknown; clock: VirtualClock }> {
  const clock = new VirtualClock(options.start);
  const sim = new HouseholdSim(clock, options);
  sim.start();
  await options.onStart?.(sim, clock);
  const end = options.start + options.durationMs;
  const chunk = 60_000;
  const realStart = Date.now();
  while (clock.now() < end) {
    const next = Math.min(end, clock.now() + chunk);
    clock.runUntil(next);
    options.during?.(sim, next);
    if (options.pace) {
      const due = realStart + (next - options.start) / options.pace;
      const wait = due - Date.now();
      await new Promise((r) => setTimeout(r, Math.max(0, wait)));
    }
  }
  sim.stop();
  return { sim, clock, report: buildReport(sim, options.start, end) };
}
