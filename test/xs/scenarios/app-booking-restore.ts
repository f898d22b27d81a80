// XS conformance: the aggregator's booking restore path — two journaled slaves (one
// with 12 MWh of lifetime counters), the aggregator booking into 15-min slots with its
// booking journal on a RAM flash, then restarted (a new AggregatorApp on the same flash)
// mid-slot: it restores counters, slots and roll-up and books only the delta; then a
// slave replaced (counter backwards) re-baselines with an alarm.
import { AggregatorApp, type AggregatorPorts, type BookedSlot } from "../../../modules/app/aggregator-app";
import { DirectLink } from "../../../modules/app/direct-link";
import { ConstantFrontEnd } from "../support/constant-front-end";
import { SlaveApp } from "../../../modules/app/slave-app";
import { MINUTE } from "../../../modules/core/clock";
import type { PriceSlot } from "../../../modules/core/household";
import { RamFlash } from "../../../modules/core/ram-flash";
import { BookingJournal } from "../../../modules/app/booking-journal";
import { VirtualClock } from "../../../modules/core/virtual-clock";


function slotsOf(a: AggregatorApp): number[][] {
  return [...(a.slots.values() as IterableIterator<BookedSlot>)].map((s) => [s.start, s.importMwh, s.exportMwh]);
}

export function run(): unknown {
  const day = Date.UTC(2026, 2, 20);
  const start = day + 9 * 60 * MINUTE + 5 * MINUTE;
  const clock = new VirtualClock(start);
  const prices: PriceSlot[] = [];
  for (let k = 0; k < 96; k++) prices.push({ start: day + k * 15 * MINUTE, durationMs: 15 * MINUTE, importMinorPerKWh: 20 + (k % 7) + 0.25, exportMinorPerKWh: 8, renewableShare: 0.5 });
  const link = new DirectLink();
  const house = new ConstantFrontEnd(2300, start, 12_345_678.9);
  const roof = new ConstantFrontEnd(-1700, start, 0);
  const slaves = [new SlaveApp(clock, house, { id: 1 }), new SlaveApp(clock, roof, { id: 2 })];
  for (const s of slaves) {
    link.attach(s);
    s.start();
  }
  const ports: AggregatorPorts = { setRelay() {}, relay: () => false, loadPowerW: () => 0, prices: () => prices, grid: () => ({ renewableAvailable: true, renewableShare: 0.5, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: start, pricesStale: false }) };
  const flash = new RamFlash(8 * 4096);
  const options = { slaveIds: [1, 2], loads: [], bookingFlash: flash, bookingPolicy: { periodMs: 120_000 } };
  const first = new AggregatorApp(clock, link, ports, options);
  first.start();
  clock.advance(23 * MINUTE + 30_000);
  const beforeRestart = { slots: slotsOf(first), bill: first.bill(), writes: first.bookingWrites };
  first.stop(); // power off: no last checkpoint
  const second = new AggregatorApp(clock, link, ports, options);
  const restored = slotsOf(second);
  second.start();
  clock.advance(10 * MINUTE);
  house.readings().importWh = 100; // meter 1 replaced: its counters went back
  clock.advance(2 * MINUTE);
  second.stop();
  return {
    beforeRestart,
    restored,
    after: { slots: slotsOf(second), bill: second.bill(), writes: second.bookingWrites },
    alarms: second.alarms.map((a) => [a.t - start, a.kind, a.meterId]),
  };
}

/** A full 32-sector booking ring (512 checkpoints of 4 meters), as a board's would be after ~1.7 days. */
function fullRing(): RamFlash {
  const flash = new RamFlash(32 * 4096);
  const j = new BookingJournal(flash);
  j.restore();
  const counters = new Map([1, 2, 3, 4].map((id) => [id, { importMwh: id * 1_000_000, exportMwh: 0 }]));
  const closed = { importMwh: 0, exportMwh: 0, importMinor: 0, exportMinor: 0, first: Date.UTC(2026, 2, 20) };
  for (let k = 0; k < 512; k++) {
    const start = Date.UTC(2026, 2, 20) + Math.floor(k / 3) * 15 * MINUTE;
    for (const c of counters.values()) c.importMwh += 1000 + k;
    closed.importMwh += k;
    j.write({ t: start + (k % 3) * 5 * MINUTE, open: { start, importMwh: k * 7, exportMwh: 0, importMinorPerKWh: 21.5, exportMinorPerKWh: 8 }, closed, counters });
  }
  return flash;
}

export const probes = {
  /** Writing a full ring: 512 checkpoints (setup of the next probe, to subtract). */
  writeFullRing(): unknown {
    return fullRing().size;
  },
  /** The same, then the boot restore (journal scan + the booking pass): the board's boot cost. */
  writeAndRestoreFullRing(): unknown {
    const r = new BookingJournal(fullRing()).restore()!;
    return { records: r.records, slots: r.slots.length, newest: r.newest.t };
  },
};
