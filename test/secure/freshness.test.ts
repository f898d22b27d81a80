import { describe, expect, it } from "vitest";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";
import { FlashCounterStore } from "../../modules/secure/counter-store";
import { FRESHNESS_BLOCK, FreshnessReceiver, FreshnessSender } from "../../modules/secure/freshness";
import { FailureGuard } from "../../modules/secure/failure-guard";

describe("FlashCounterStore", () => {
  it("keeps values across reboots and compacts when a sector fills", () => {
    const flash = new NorFlashSim({ size: 8192 });
    let store = new FlashCounterStore(flash);
    for (let i = 0; i < 1000; i++) store.set(i % 5, i);
    store = new FlashCounterStore(flash);
    for (let k = 0; k < 5; k++) expect(store.get(k)).toBe(995 + k);
    expect(flash.eraseCount(0) + flash.eraseCount(1)).toBeGreaterThan(2);
  });

  it("a power cut in any byte of a write keeps the old or the new value, never garbage", () => {
    for (let cut = 0; cut < 16; cut++) {
      const flash = new NorFlashSim({ size: 8192, seed: cut + 1 });
      const store = new FlashCounterStore(flash);
      store.set(7, 100);
      flash.cutAfterBytes(cut);
      expect(() => store.set(7, 200)).toThrow(PowerCut);
      flash.reboot();
      const after = new FlashCounterStore(flash).get(7);
      expect([100, 200]).toContain(after);
      // and the store goes on working after the torn record
      const again = new FlashCounterStore(flash);
      again.set(7, 300);
      expect(new FlashCounterStore(flash).get(7)).toBe(300);
    }
  });

  it("a power cut during compaction loses nothing", () => {
    for (const cut of [0, 100, 2000, 4095, 4096, 4100, 4111, 4112, 4120, 4128, 4140, 4160, 4170, 4500]) {
      const flash = new NorFlashSim({ size: 8192, seed: 3 });
      const store = new FlashCounterStore(flash);
      let i = 0;
      // fill sector 0 to one record short of full
      for (; i < 4096 / 16 - 1; i++) store.set(1 + (i % 3), i);
      const want = [1, 2, 3].map((k) => store.get(k));
      flash.cutAfterBytes(cut);
      try {
        store.set(9, 42); // triggers compaction
        store.set(9, 43);
      } catch (e) {
        expect(e).toBeInstanceOf(PowerCut);
      }
      flash.reboot();
      const back = new FlashCounterStore(flash);
      expect([1, 2, 3].map((k) => back.get(k))).toEqual(want);
    }
  });
});

describe("freshness", () => {
  it("a sender never reuses a value across resets, even reset mid-block", () => {
    const flash = new NorFlashSim({ size: 8192 });
    const used = new Set<number>();
    for (let boot = 0; boot < 5; boot++) {
      const s = new FreshnessSender(new FlashCounterStore(flash), 1);
      for (let i = 0; i < 300 * (boot + 1); i++) {
        const v = s.next();
        expect(used.has(v)).toBe(false);
        used.add(v);
      }
    }
  });

  it("the receiver rebuilds full values from 8 bits and refuses old ones", () => {
    const flash = new NorFlashSim({ size: 8192 });
    const r = new FreshnessReceiver(new FlashCounterStore(flash), 1);
    expect(r.candidate(5)).toBe(5);
    r.accept(5);
    expect(r.candidate(5)).toBe(261); // same low bits: next lap, never 5 again
    expect(r.candidate(6)).toBe(6);
    r.accept(300);
    expect(r.candidate(300 & 255)).toBe(556);
    expect(() => r.accept(300)).toThrow(/not above/);
  });

  it("after a receiver reset nothing accepted before can be accepted again, and a resync is needed", () => {
    const flash = new NorFlashSim({ size: 8192 });
    const r = new FreshnessReceiver(new FlashCounterStore(flash), 4);
    for (let v = 1; v < 2 * FRESHNESS_BLOCK + 17; v += 3) r.accept(v);
    const last = r.lastAccepted;
    const r2 = new FreshnessReceiver(new FlashCounterStore(flash), 4);
    expect(r2.lastAccepted).toBeGreaterThanOrEqual(last);
    expect(r2.needsResync).toBe(true);
    // the sender's answer to a resync request naming that floor is above it
    const s = new FreshnessSender(new FlashCounterStore(new NorFlashSim({ size: 8192 })), 4);
    for (let v = 0; v < last; v++) s.next();
    expect(s.above(r2.lastAccepted, 4 * FRESHNESS_BLOCK)).toBeGreaterThan(r2.lastAccepted);
  });
});

describe("FailureGuard", () => {
  it("locks an identifier after the limit within the window, alarms once, unlocks later", () => {
    const alarms: number[] = [];
    const g = new FailureGuard({ limit: 4, windowMs: 1000, lockoutMs: 5000, onAlarm: (id) => alarms.push(id) });
    for (let i = 0; i < 3; i++) expect(g.fail(0x101, i)).toBe(false);
    expect(g.locked(0x101, 3)).toBe(false);
    expect(g.fail(0x101, 3)).toBe(true);
    expect(g.locked(0x101, 4)).toBe(true);
    expect(g.locked(0x102, 4)).toBe(false);
    expect(g.locked(0x101, 5004)).toBe(false);
    expect(alarms).toEqual([0x101]);
    // failures spread over windows do not lock
    const h = new FailureGuard({ limit: 4, windowMs: 1000 });
    for (let i = 0; i < 20; i++) h.fail(1, i * 600);
    expect(h.locked(1, 20 * 600)).toBe(false);
    expect(h.failures(1)).toBe(20);
  });
});
