// EnergyBooking on its own (what AggregatorApp delegates its booking to): counters to deltas,
// the net energy of a cycle into the slot holding its end, the bill's lines from the slots'
// prices, the write policy's checkpoints, and a restore from the journal that bills the same.
import { describe, expect, it } from "vitest";
import { EnergyBooking, type MeterCounters } from "../../modules/app/energy-booking";
import { emptyReadings } from "../../modules/app/readings";
import type { Alarm, PriceSlot } from "../../modules/core/household";
import { MINUTE } from "../../modules/core/clock";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";

const START = Date.UTC(2026, 2, 20);
const SLOT = 15 * MINUTE;
/** Slot k costs 10 + k minor/kWh to import, 5 to export. */
const prices = { slotAt: (t: number): PriceSlot => { const k = Math.floor((t - START) / SLOT); return { start: START + k * SLOT, durationMs: SLOT, importMinorPerKWh: 10 + k, exportMinorPerKWh: 5, renewableShare: 0 }; } };

function setup() {
  const clock = new VirtualClock(START);
  const alarms: Alarm[] = [];
  const b = new EnergyBooking(clock, [1, 2], { currency: "EUR", prices, alarm: (a) => alarms.push(a) });
  /** One cycle at `now` with each meter's counters (Wh). */
  const cycle = (now: number, counters: [number, number][]): void => {
    let net = 0;
    counters.forEach(([imp, exp], i) => {
      const r = { ...emptyReadings(now), importWh: imp, exportWh: exp };
      net += b.take(b.meters[i] as MeterCounters, r, now);
    });
    b.endCycle(now, net, true);
  };
  return { clock, alarms, b, cycle };
}

describe("EnergyBooking", () => {
  it("books counter deltas (the first answer a baseline) into the slot holding the cycle's end, and bills them at its price", () => {
    const { clock, b, cycle } = setup();
    cycle(START + 1000, [[100, 0], [50, 10]]); // baselines: nothing booked
    expect(b.slots.size).toBe(0);
    cycle(START + 2000, [[600, 0], [50, 10]]); // +500 Wh import, slot 0
    cycle(START + SLOT, [[1600, 0], [50, 10]]); // +1000 Wh: the cycle ends at the slot's edge, still slot 0
    cycle(START + SLOT + 1000, [[1600, 0], [50, 2010]]); // −2000 Wh: export in slot 1
    expect([...b.slots.values()].map((s) => [s.start - START, s.importMwh, s.exportMwh])).toEqual([[0, 1_500_000, 0], [SLOT, 0, 2_000_000]]);
    expect(b.meterEnergy()).toEqual(new Map([[1, { importWh: 1500, exportWh: 0 }], [2, { importWh: 0, exportWh: 2000 }]]));
    clock.advance(SLOT + 1000);
    const bill = b.bill();
    const importMinor = Math.round(1.5 * 10); // 1.5 kWh at slot 0's 10 minor/kWh
    const exportMinor = -Math.round(2 * 5);
    expect(bill.lines.map((l) => [l.quantity, l.amountMinor])).toEqual([[1.5, importMinor], [2, exportMinor]]);
    expect(bill.totalMinor).toBe(importMinor + exportMinor);
    expect(b.bill(START + SLOT).lines.map((l) => l.amountMinor)).toEqual([0, exportMinor]);
  });

  it("a counter that goes back re-baselines with an alarm and books nothing; a bad one is ignored", () => {
    const { alarms, b, cycle } = setup();
    cycle(START + 1000, [[100, 0], [0, 0]]);
    cycle(START + 2000, [[40, 0], [0, 0]]);
    cycle(START + 3000, [[NaN, 0], [0, 0]]);
    cycle(START + 4000, [[90, 0], [0, 0]]); // +50 Wh from the new baseline (40)
    expect(alarms.map((a) => a.message)).toEqual([expect.stringMatching(/meter 1 restarted: its counters went back/), expect.stringMatching(/meter 1 sent counters out of range/)]);
    expect([...b.slots.values()].map((s) => s.importMwh)).toEqual([50_000]);
  });

  it("writes checkpoints by its policy, and a booking restored from them bills the same", () => {
    const flash = new NorFlashSim({ size: 8 * 4096 });
    const { clock, b, cycle } = setup();
    expect(b.persist(flash, { periodMs: 60_000, thresholdWh: 1e9 })).toMatchObject({ restored: false });
    let imp = 0;
    for (let s = 1; s <= 40 * 60; s++) {
      imp += 0.5 + (s % 7) / 10; // an uneven load for 40 min: three slots
      cycle(START + s * 1000, [[imp, 0], [0, s / 100]]);
    }
    clock.advance(40 * MINUTE);
    // a checkpoint per minute (the period) and one before each move to a new slot, the first at once
    expect(b.writes).toBeGreaterThanOrEqual(40);
    expect(b.writes).toBeLessThanOrEqual(40 + 3 + 1);
    b.closeJournal();
    const again = setup();
    again.clock.advance(40 * MINUTE);
    const r = again.b.persist(flash);
    expect(r).toMatchObject({ restored: true, meters: [1, 2], slots: 3, corrupt: 0 });
    expect([...again.b.slots.values()]).toEqual([...b.slots.values()]);
    expect(again.b.bill()).toEqual(b.bill());
  });
});
