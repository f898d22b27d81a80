// The demo household books as the aggregator does: today's hours add up to today's bill to the
// cent, also across midnight (the tick that ends at 00:00 belongs to yesterday's last hour).
import { describe, expect, it } from "vitest";
import { DAY, HOUR, MINUTE } from "../../modules/core/clock";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { DemoHousehold } from "../../modules/app/demo-household";

const DAY0 = Date.UTC(2026, 11, 1);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe("demo household booking", () => {
  it("today's hour buckets add up to today's bill after a midnight; no energy booked into a slot to come", () => {
    const clock = new VirtualClock(DAY0 + 22 * HOUR);
    const demo = new DemoHousehold(clock);
    for (let t = clock.now(); t <= DAY0 + DAY + 3 * HOUR; t += MINUTE) {
      clock.runUntil(t);
      demo.tick();
    }
    const snap = demo.store.snapshot();
    const today = demo.store.energy(DAY0 + DAY, DAY0 + 2 * DAY, HOUR);
    expect(snap.bill.totalMinor).not.toBe(0);
    expect(sum(today.map((b) => b.netMinor))).toBe(snap.bill.totalMinor);
    expect(sum(today.map((b) => b.importWh))).toBeCloseTo(snap.energyTodayWh, 1);
    expect(today.filter((b) => b.t > clock.now()).every((b) => b.slots === 0 && b.importWh === 0)).toBe(true);
    // yesterday's 23:00 hour has its full 60 minutes (the midnight tick included)
    const last = demo.store.energy(DAY0 + 23 * HOUR, DAY0 + DAY, HOUR)[0];
    const prev = demo.store.energy(DAY0 + 22 * HOUR, DAY0 + 23 * HOUR, HOUR)[0];
    expect(last.importWh + last.exportWh).toBeGreaterThan(0);
    expect(prev.slots).toBe(1);
  });
});
