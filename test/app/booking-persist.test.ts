// The aggregator's booking across its own restarts (booking-journal.ts on NorFlashSim):
// a rebooted aggregator bills the same day as one that never rebooted (within the energy
// of one checkpoint period); a power cut at any byte of a checkpoint write never double
// counts nor jumps ahead; counters that go backwards re-baseline with an alarm.
import { describe, expect, it } from "vitest";
import { AggregatorApp, type AggregatorPorts, type BookedSlot } from "../../modules/app/aggregator-app";
import { BookingJournal } from "../../modules/app/booking-journal";
import { DirectLink } from "../../modules/app/direct-link";
import { emptyReadings, type MeterFrontEnd, type MeterReadings, type SlaveLink } from "../../modules/app/readings";
import { SlaveApp } from "../../modules/app/slave-app";
import { DAY, HOUR, MINUTE } from "../../modules/core/clock";
import type { PriceSlot } from "../../modules/core/household";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";
import { HouseholdSim } from "../../hosts/node/sim/household-sim";

const START = Date.UTC(2026, 2, 20);
const SECTOR = 4096;
const SLOT = 15 * MINUTE;

/** A watcher's ports: it reads the household's prices but switches nothing. */
function watcherPorts(sim: HouseholdSim): AggregatorPorts {
  return {
    setRelay: () => {},
    relay: () => false,
    loadPowerW: () => 0,
    prices: (t) => sim.prices.published(t),
    grid: (t) => sim.status.state(t, sim.world.thermalDemandW(t)),
  };
}

const mwh = (a: AggregatorApp) => {
  let imp = 0;
  let exp = 0;
  for (const s of a.slots.values() as IterableIterator<BookedSlot>) {
    imp += s.importMwh;
    exp += s.exportMwh;
  }
  return { imp, exp, net: imp - exp, gross: imp + exp };
};

describe("an aggregator rebooted mid-day (seed 7, fast household, DirectLink)", () => {
  it("bills the day as one that never rebooted, within one checkpoint period's energy", () => {
    const clock = new VirtualClock(START);
    const sim = new HouseholdSim(clock, { seed: 7, slaves: 4 });
    sim.start();
    // Three aggregators watching the same slaves: one never rebooted, one rebooted at once,
    // one down for 20 min across a slot boundary. Each has its own booking flash.
    const make = (flash: NorFlashSim) => {
      const a = new AggregatorApp(clock, sim.direct, watcherPorts(sim), { slaveIds: [1, 2, 3, 4], loads: [], bookingFlash: flash });
      a.start();
      return a;
    };
    const steadyFlash = new NorFlashSim({ size: 32 * SECTOR });
    const instantFlash = new NorFlashSim({ size: 32 * SECTOR });
    const downFlash = new NorFlashSim({ size: 32 * SECTOR });
    const steady = make(steadyFlash);
    let instant = make(instantFlash);
    let down: AggregatorApp | undefined = make(downFlash);
    const gross: number[] = []; // the steady one's gross booked energy (mWh) at each second
    const REBOOT = START + 12 * HOUR + 7 * MINUTE + 30_000;
    const BACK = REBOOT + 20 * MINUTE;
    let instantCheckpoint = NaN;
    let downCheckpoint = NaN;
    for (let t = START + 1000; t <= START + DAY; t += 1000) {
      clock.runUntil(t);
      gross[(t - START) / 1000] = mwh(steady).gross;
      if (t === REBOOT) {
        instant.stop();
        down!.stop();
        down = undefined;
        // what the journals hold: the time of their newest checkpoint
        instantCheckpoint = new BookingJournal(instantFlash).restore()!.newest.t;
        downCheckpoint = new BookingJournal(downFlash).restore()!.newest.t;
        instantFlash.reboot();
        instant = make(instantFlash); // a new app on the same flash: RAM is gone
      }
      if (t === BACK) down = make(downFlash);
    }
    sim.stop();
    for (const a of [steady, instant, down!]) a.stop();

    const s = mwh(steady);
    const i = mwh(instant);
    const d = mwh(down!);
    // every meter's net energy is in all three bills, to the mWh (counters carry it)
    expect(i.net).toBe(s.net);
    expect(d.net).toBe(s.net);
    expect(s.imp).toBeGreaterThan(5_000_000); // a real day
    const prices = sim.prices.published(START + 12 * HOUR).concat(sim.prices.published(START + 23 * HOUR));
    const maxPrice = Math.max(...prices.map((p) => Math.max(p.importMinorPerKWh, p.exportMinorPerKWh)));
    const at = (t: number) => gross[Math.floor((t - START) / 1000)];
    // booked again after the reboot: the steady one's energy since the restored checkpoint
    const instantWindow = at(REBOOT) - at(instantCheckpoint);
    const downWindow = at(BACK + 1000) - at(downCheckpoint);
    expect(REBOOT - instantCheckpoint).toBeLessThanOrEqual(300_000);
    const bSteady = steady.bill();
    const bInstant = instant.bill();
    const bDown = down!.bill();
    const instantBound = 1 + (instantWindow / 1e6) * maxPrice;
    const downBound = 1 + (downWindow / 1e6) * maxPrice;
    console.log(`booking reboot: steady ${bSteady.totalMinor} minor (${s.imp / 1e6} kWh in, ${s.exp / 1e6} kWh out, ${steady.bookingWrites} checkpoints); instant reboot ${bInstant.totalMinor} (bound ±${instantBound.toFixed(2)}); 20 min down ${bDown.totalMinor} (bound ±${downBound.toFixed(2)})`);
    expect(Math.abs(bInstant.totalMinor - bSteady.totalMinor)).toBeLessThanOrEqual(instantBound);
    expect(Math.abs(bDown.totalMinor - bSteady.totalMinor)).toBeLessThanOrEqual(downBound);
    // nothing like the whole lifetime booked again
    expect(i.imp).toBeLessThanOrEqual(s.imp + instantWindow);
    // every slot before the reboot's is the same in all three (restored from the journal)
    const before = (a: AggregatorApp) => [...(a.slots.values() as IterableIterator<BookedSlot>)].filter((x) => x.start + SLOT <= REBOOT - 5 * MINUTE).map((x) => [x.start, x.importMwh, x.exportMwh]);
    expect(before(instant)).toEqual(before(steady));
    expect(before(down!)).toEqual(before(steady));
    // flash wear: ~3 checkpoints per 15-min slot, each sector of the ring erased alike
    expect(steady.bookingWrites).toBeLessThanOrEqual(4 * 96 + 10);
    const erases = steadyFlash.eraseCounts();
    expect(Math.max(...erases) - Math.min(...erases)).toBeLessThanOrEqual(1);
    expect(instant.alarms.filter((a) => /went back/.test(a.message))).toEqual([]);
  }, 60_000);
});

/** A meter with a constant power; counters start at `lifetimeWh` (a journaled slave's lifetime). */
class ConstantFrontEnd implements MeterFrontEnd {
  readonly r: MeterReadings;
  private last: number;
  constructor(public watts: number, start: number, lifetimeWh = 0) {
    this.r = emptyReadings(start);
    this.r.importWh = lifetimeWh;
    this.last = start;
  }
  measure(now: number): number {
    const dt = (now - this.last) / 1000;
    this.last = now;
    this.r.t = now;
    this.r.powerW = this.watts;
    if (this.watts >= 0) this.r.importWh += (this.watts * dt) / 3600;
    else this.r.exportWh += (-this.watts * dt) / 3600;
    return 1;
  }
  readings(): MeterReadings {
    return this.r;
  }
}

/** Two journaled slaves (a house and a PV roof), fixed 15-min prices, on one clock. */
function bench(start: number) {
  const clock = new VirtualClock(start);
  const link = new DirectLink();
  const house = new ConstantFrontEnd(2300, start, 12_345_678.9);
  const roof = new ConstantFrontEnd(-1700, start, 0);
  const slaves = [new SlaveApp(clock, house, { id: 1 }), new SlaveApp(clock, roof, { id: 2 })];
  for (const s of slaves) {
    link.attach(s);
    s.start();
  }
  const prices: PriceSlot[] = [];
  for (let k = 0; k < 4 * 96; k++) prices.push({ start: start - (start % DAY) + k * SLOT, durationMs: SLOT, importMinorPerKWh: 20 + (k % 7), exportMinorPerKWh: 6 + (k % 3), renewableShare: 0.5 });
  const ports: AggregatorPorts = { setRelay: () => {}, relay: () => false, loadPowerW: () => 0, prices: () => prices, grid: () => ({ pricesUpdatedAt: start, renewableShare: 0.5, co2gPerKWh: 300, cogenerator: false, thermalDemandW: 0 }) as never };
  // what each poll answered: the truth the bookings are checked against
  const first = new Map<number, MeterReadings>();
  const last = new Map<number, MeterReadings>();
  const watched: SlaveLink = {
    poll: (id, now) => {
      const r = link.poll(id, now);
      if (r) {
        if (!first.has(id)) first.set(id, { ...r });
        last.set(id, { ...r });
      }
      return r;
    },
    endCycle: (now) => link.endCycle(now),
    stats: () => link.stats(),
  };
  const truthNetMwh = () => {
    let n = 0;
    for (const [id, f] of first) {
      const l = last.get(id)!;
      n += Math.floor(l.importWh * 1000) - Math.floor(f.importWh * 1000) - (Math.floor(l.exportWh * 1000) - Math.floor(f.exportWh * 1000));
    }
    return n;
  };
  const app = (flash: NorFlashSim, keepSlots?: number, slaveIds = [1, 2]) => {
    const a = new AggregatorApp(clock, watched, ports, { slaveIds, loads: [], bookingFlash: flash, bookingPolicy: { periodMs: 60_000 }, keepSlots });
    a.start();
    return a;
  };
  return { clock, house, roof, app, truthNetMwh, first, last };
}

describe("a power cut during a booking checkpoint", () => {
  it("never double counts nor jumps ahead, at any byte of the write (and of the erase before it)", () => {
    const start = START + 9 * HOUR + 10 * MINUTE;
    const offsets: { before: number; cut: number }[] = [];
    for (let k = 0; k <= 260; k += 4) offsets.push({ before: 2, cut: k }); // inside a record's program
    for (let k = 0; k <= SECTOR + 260; k += 111) offsets.push({ before: 0, cut: k }); // the next record opens a sector: erase, then program
    let cuts = 0;
    for (const o of offsets) {
      const b = bench(start);
      const flash = new NorFlashSim({ size: 4 * SECTOR, seed: o.cut + 1 });
      const a = b.app(flash);
      b.clock.runUntil(start + 7 * MINUTE + 500); // a few periodic checkpoints and a slot change
      // place the journal's cursor: the cut write is record `before` of its sector (0 = erases first)
      do {
        b.clock.runUntil(b.clock.now() + 1000);
        a.saveBooking();
      } while (a.bookingWrites % 16 !== o.before % 16);
      const lastSaved = mwh(a).net;
      b.clock.runUntil(b.clock.now() + 3000); // energy booked since the last checkpoint
      const inRam = mwh(a).net;
      expect(inRam).toBeGreaterThan(lastSaved);
      flash.cutAfterBytes(o.cut);
      let cut = false;
      try {
        a.saveBooking();
      } catch (e) {
        if (!(e instanceof PowerCut)) throw e;
        cut = true;
      }
      a.stop();
      flash.reboot();
      if (cut) cuts++;
      // the aggregator comes back on the same flash; the slaves counted on
      const again = b.app(flash);
      const restored = mwh(again).net;
      // a torn checkpoint is refused: the previous one comes back, never more than was booked
      expect(restored).toBe(cut ? lastSaved : inRam);
      b.clock.runUntil(b.clock.now() + 2 * MINUTE);
      again.stop();
      // everything the meters counted since the first answer, booked exactly once
      expect(mwh(again).net).toBe(b.truthNetMwh());
      expect(again.alarms.filter((x) => /went back/.test(x.message))).toEqual([]);
    }
    console.log(`booking power cuts: ${offsets.length} cases, ${cuts} cut mid-write (program or erase), no double count, no jump`);
    expect(cuts).toBeGreaterThan(80);
  });
});

describe("a journal ring that wrapped", () => {
  it("still bills the whole period: slots it no longer holds one by one come back summed", () => {
    const start = START + 2 * HOUR;
    const b = bench(start);
    const steady = b.app(new NorFlashSim({ size: 64 * SECTOR }));
    const small = new NorFlashSim({ size: 4 * SECTOR }); // 64 records: ~5 h of checkpoints at 1 min
    let ring = b.app(small);
    const lean = b.app(new NorFlashSim({ size: 8 * SECTOR }), 8); // RAM keeps 8 slots, sums the rest
    b.clock.runUntil(start + 20 * HOUR + 7 * MINUTE);
    ring.stop();
    small.reboot();
    ring = b.app(small);
    const kept = ring.slots.size;
    b.clock.runUntil(start + 21 * HOUR);
    steady.stop();
    ring.stop();
    lean.stop();
    expect(lean.slots.size).toBe(8);
    expect(lean.bill().lines).toEqual(steady.bill().lines);
    expect(lean.bill().totalMinor).toBe(steady.bill().totalMinor);
    expect(kept).toBeLessThan(30); // most of the 80 slots are only in the roll-up now
    expect(steady.slots.size).toBeGreaterThan(80);
    const s = steady.bill();
    const r = ring.bill();
    expect(r.totalMinor).toBe(s.totalMinor);
    expect(r.lines).toEqual(s.lines);
    expect(r.from).toBe(s.from);
    // the net import (600 W) re-booked after the restart lands in the slot it flowed in
    const last = (a: AggregatorApp) => [...(a.slots.values() as IterableIterator<BookedSlot>)].slice(-5).map((x) => [x.start, x.importMwh, x.exportMwh]);
    expect(last(ring)).toEqual(last(steady));
    console.log(`booking ring: 4 sectors, ${kept} slots kept one by one after 20 h, bill ${r.totalMinor} = ${s.totalMinor} minor`);
  });
});

describe("meters without booked counters, and counters that go backwards", () => {
  it("takes a journaled slave's lifetime as its baseline on a blank flash (books nothing of it)", () => {
    const start = START + 8 * HOUR;
    const b = bench(start);
    const a = b.app(new NorFlashSim({ size: 4 * SECTOR }));
    b.clock.runUntil(start + 1000);
    expect(mwh(a).gross).toBe(0); // 12 345 kWh of lifetime on meter 1: none of it is today's bill
    b.clock.runUntil(start + 10 * MINUTE);
    expect(mwh(a).net).toBe(b.truthNetMwh());
    // 2300 − 1700 W for 599 s: 99.8 Wh net (within a mWh per meter of flooring)
    expect(Math.abs(mwh(a).net - (600 * 599) / 3.6)).toBeLessThan(600 / 3.6 + 3);
    a.stop();
  });

  it("takes a meter added after a restart as a new baseline, the others from their restored counters", () => {
    const start = START + 8 * HOUR;
    const b = bench(start);
    const flash = new NorFlashSim({ size: 4 * SECTOR });
    const a = b.app(flash, undefined, [2]); // the roof only
    b.clock.runUntil(start + 3 * MINUTE);
    a.saveBooking();
    const roofOnly = mwh(a);
    expect(roofOnly.imp).toBe(0);
    a.stop();
    flash.reboot();
    const c = b.app(flash, undefined, [1, 2]); // the house meter (12 MWh lifetime) joins
    expect(c.persistBooking(flash)).toMatchObject({ restored: true, meters: [2] });
    b.clock.runUntil(start + 3 * MINUTE + 1000);
    // the cycle after the restart: the roof's 1 s of export (re-booked delta), nothing of the house's lifetime
    expect(mwh(c).imp).toBe(0);
    expect(mwh(c).exp - roofOnly.exp).toBeLessThan(1000);
    b.clock.runUntil(start + 5 * MINUTE);
    expect(mwh(c).imp).toBeGreaterThan(0); // both now: 600 W net import
    expect(Math.abs(mwh(c).imp - (600 * 119) / 3.6)).toBeLessThan(200);
    expect(c.alarms.filter((x) => /went back/.test(x.message))).toEqual([]);
    c.stop();
  });

  it("re-baselines a counter that went backwards with an alarm, booking nothing negative", () => {
    const start = START + 8 * HOUR;
    const b = bench(start);
    const flash = new NorFlashSim({ size: 4 * SECTOR });
    let a = b.app(flash);
    b.clock.runUntil(start + 5 * MINUTE);
    const before = mwh(a);
    // meter 1 replaced: the new one's journal starts at 100 Wh
    b.house.r.importWh = 100;
    b.clock.runUntil(start + 5 * MINUTE + 1000);
    const after = mwh(a);
    const alarm = a.alarms.find((x) => x.meterId === 1 && /went back/.test(x.message));
    expect(alarm?.kind).toBe("interruption");
    // that cycle: nothing from meter 1 (its ~0.64 Wh are the new baseline), the roof's export only
    expect(after.imp).toBe(before.imp);
    expect(after.exp - before.exp).toBeGreaterThan(400);
    expect(after.exp - before.exp).toBeLessThan(500);
    // then it books normally again; and a restart keeps the new baseline (no second alarm)
    b.clock.runUntil(start + 6 * MINUTE);
    // net 600 W for 59 s, booked as import (the aggregator books the household's net per cycle)
    expect(Math.abs(mwh(a).imp - after.imp - (600 * 59) / 3.6)).toBeLessThan(3);
    expect(mwh(a).exp).toBe(after.exp);
    a.saveBooking();
    a.stop();
    flash.reboot();
    a = b.app(flash);
    b.clock.runUntil(start + 7 * MINUTE);
    expect(a.alarms.filter((x) => /went back/.test(x.message))).toEqual([]);
    // a replaced meter seen first by a restarted aggregator: alarm, nothing booked
    a.stop();
    flash.reboot();
    b.house.r.importWh = 5;
    const c = b.app(flash);
    const restored = mwh(c);
    b.clock.runUntil(start + 7 * MINUTE + 1000);
    expect(c.alarms.some((x) => x.meterId === 1 && /went back/.test(x.message))).toBe(true);
    expect(mwh(c).imp).toBe(restored.imp);
    // garbage counters (NaN, beyond what a checkpoint holds): an alarm, nothing taken, the baseline kept
    const kept = mwh(c);
    b.house.r.importWh = NaN;
    b.clock.runUntil(start + 7 * MINUTE + 2000);
    b.house.r.importWh = 2 ** 41;
    b.clock.runUntil(start + 7 * MINUTE + 3000);
    expect(c.alarms.filter((x) => /out of range/.test(x.message)).length).toBeGreaterThanOrEqual(2);
    expect(mwh(c).imp).toBe(kept.imp);
    c.saveBooking(); // and the checkpoint still writes
    c.stop();
  });
});
