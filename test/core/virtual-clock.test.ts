import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { RealClock } from "../../modules/core/real-clock";

describe("VirtualClock", () => {
  it("fires timers in due order, ties by creation order, and moves time to each", () => {
    const clock = new VirtualClock(1000);
    const seen: string[] = [];
    clock.after(30, () => seen.push(`c@${clock.now()}`));
    clock.after(10, () => seen.push(`a@${clock.now()}`));
    clock.after(10, () => seen.push(`b@${clock.now()}`));
    clock.advance(25);
    expect(seen).toEqual(["a@1010", "b@1010"]);
    expect(clock.now()).toBe(1025);
    clock.advance(100);
    expect(seen).toEqual(["a@1010", "b@1010", "c@1030"]);
  });

  it("repeats periodic timers without drift and cancels them", () => {
    const clock = new VirtualClock(0);
    const ticks: number[] = [];
    const id = clock.every(100, () => ticks.push(clock.now()));
    clock.advance(350);
    expect(ticks).toEqual([100, 200, 300]);
    clock.cancel(id);
    clock.advance(1000);
    expect(ticks).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });

  it("runs timers set from inside callbacks at the right time", () => {
    const clock = new VirtualClock(0);
    const seen: number[] = [];
    clock.after(10, () => clock.after(5, () => seen.push(clock.now())));
    clock.advance(100);
    expect(seen).toEqual([15]);
  });

  it("simulates a day of 10 ms ticks much faster than real time", () => {
    const clock = new VirtualClock(0);
    let n = 0;
    clock.every(10, () => n++);
    const t0 = Date.now();
    clock.advance(24 * 3600 * 1000);
    expect(n).toBe(8_640_000);
    expect(Date.now() - t0).toBeLessThan(60_000);
  });
});

describe("RealClock", () => {
  it("fires after real time passes and cancels", async () => {
    const clock = new RealClock({ now: () => Date.now(), start: (ms, cb) => setTimeout(cb, ms), stop: (h) => clearTimeout(h as NodeJS.Timeout) });
    const fired: number[] = [];
    const t0 = clock.now();
    clock.after(20, () => fired.push(clock.now() - t0));
    const cancelled = clock.after(10, () => fired.push(-1));
    clock.cancel(cancelled);
    const every = clock.every(5, () => fired.push(0));
    await new Promise((r) => setTimeout(r, 60));
    clock.cancel(every);
    expect(fired).not.toContain(-1);
    expect(fired.filter((x) => x >= 19)).toHaveLength(1);
    expect(fired.filter((x) => x === 0).length).toBeGreaterThanOrEqual(3);
  });
});
