// A whole simulator restart (what a second `npm start` does): the slaves journal their energy
// (JournaledFrontEnd on a flash each, as on the board) and the aggregator restored its booking, so
// the counters continue and the aggregator books deltas — no "counters went back" alarm. Without
// the slaves' journals the same restart raises that alarm for every meter (the test can fail).
import { describe, expect, it } from "vitest";
import { HOUR, MINUTE } from "../../modules/core/clock";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";
import { HouseholdSim } from "../../hosts/node/sim/household-sim";

const START = Date.UTC(2026, 2, 20, 6);
const SECTOR = 4096;

function run(start: number, ms: number, slaveFlash: ((id: number) => NorFlashSim) | undefined, bookingFlash: NorFlashSim) {
  const clock = new VirtualClock(start);
  const sim = new HouseholdSim(clock, { seed: 7, slaves: 2, slaveFlash });
  sim.aggregator.persistBooking(bookingFlash);
  sim.start();
  clock.runUntil(start + ms);
  // The slaves' own import counters as last read by the aggregator (OBIS 1-0:1.8.0).
  const meters = sim.aggregator.store.snapshot().meters.filter((m) => m.role === "slave").map((m) => ({ id: m.id, importWh: m.values["1-0:1.8.0"] }));
  sim.stop();
  sim.aggregator.closeBooking();
  return { sim, meters, wentBack: sim.aggregator.alarms.filter((a) => /went back/.test(a.message)) };
}

describe("sim restart with journaled slaves", () => {
  it("continues the slaves' counters and books deltas; without journals every meter raises 'went back'", () => {
    const flashes = new Map<number, NorFlashSim>();
    const slaveFlash = (id: number) => {
      if (!flashes.has(id)) flashes.set(id, new NorFlashSim({ size: 16 * SECTOR }));
      return flashes.get(id)!;
    };
    const booking = new NorFlashSim({ size: 32 * SECTOR });
    const first = run(START, 2 * HOUR, slaveFlash, booking);
    for (const f of flashes.values()) f.reboot();
    booking.reboot();
    const second = run(START + 2 * HOUR + 10 * MINUTE, 10 * MINUTE, slaveFlash, booking);
    expect(first.wentBack).toEqual([]);
    expect(second.wentBack).toEqual([]);
    for (const m of second.meters) {
      const before = first.meters.find((x) => x.id === m.id)!;
      expect(before.importWh).toBeGreaterThan(0);
      // The counter went on from where the first run stopped (a planned stop writes the journal).
      expect(m.importWh).toBeGreaterThanOrEqual(before.importWh - 1e-6);
    }

    // The same restart with slaves whose counters start at 0 again.
    const bare = new NorFlashSim({ size: 32 * SECTOR });
    run(START, 2 * HOUR, undefined, bare);
    bare.reboot();
    const again = run(START + 2 * HOUR + 10 * MINUTE, 10 * MINUTE, undefined, bare);
    expect(again.wentBack.map((a) => a.meterId).sort()).toEqual([1, 2]);
  }, 60_000);
});
