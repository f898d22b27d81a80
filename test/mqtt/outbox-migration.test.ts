// The one-time migration of the outbox's old ring format onto the record log: every waiting
// message comes over, in order, with its topic, payload and retain flag; the old sectors are
// erased; a power cut anywhere in it (or two) loses nothing and copies nothing twice; an old
// outbox fuller than the log can hold gives up what does not fit and counts it.
import { describe, expect, it } from "vitest";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";
import { LegacyFlashOutbox, legacyV1Record } from "../../hosts/node/flash/legacy-outbox";
import { FlashOutbox } from "../../modules/mqtt/flash-outbox";

interface Msg { topic: string; payload: number[]; retain: boolean }

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 11 + seed) & 255);

/** An old-format flash: v1 records first (sent and acknowledged by the v2 firmware), the ring wrapped, the broker gone at the end. */
function legacyFlash(sectors: number, waiting: number): { flash: NorFlashSim; expected: Msg[] } {
  const flash = new NorFlashSim({ size: sectors * 4096, seed: 5 });
  flash.eraseSector(0);
  const v1 = [legacyV1Record(1, "xsmeter/n1/meter/1/1-0:1.8.0", '{"seq":1}'), legacyV1Record(2, "xsmeter/n1/status", "online")];
  flash.program(0, v1[0]);
  flash.program(v1[0].length, v1[1]);
  const old = new LegacyFlashOutbox(flash);
  expect(old.ids()).toEqual([1, 2]);
  for (let i = 0; i < 30 * sectors; i++) {
    old.ack(old.add(`xsmeter/n1/meter/2/r${i}`, bytes(60 + (i % 90), i), i % 5 === 0));
    if (i === 10) { old.ack(1); old.ack(2); }
  }
  const kept: number[] = [];
  for (let i = 0; i < waiting; i++) {
    const id = old.add(`xsmeter/n1/meter/${i % 4}/w${i}`, bytes((i * 53) % 700, i), i % 3 === 0);
    if (i % 7 === 3) old.ack(id); // acknowledged out of order
    else kept.push(id);
  }
  const expected = kept.map((id) => { const e = old.get(id)!; return { topic: e.topic, payload: [...e.payload], retain: e.retain }; });
  return { flash, expected };
}

const contents = (box: FlashOutbox): Msg[] => box.ids().map((id) => { const e = box.get(id)!; return { topic: e.topic, payload: [...e.payload], retain: e.retain }; });
const legacySectors = (flash: NorFlashSim) => Array.from({ length: flash.size / 4096 }, (_, k) => { const b = new Uint8Array(1); flash.read(k * 4096, b); return b[0]; }).filter((b) => b === 0x5a || b === 0x5b).length;

describe("outbox migration from the old ring format", () => {
  it("moves every waiting message, in order, with its retain flag, then erases the old sectors", () => {
    const { flash, expected } = legacyFlash(16, 80);
    expect(expected.length).toBe(80 - 11);
    expect(legacySectors(flash)).toBeGreaterThan(8);
    const box = new FlashOutbox(flash);
    expect(box.migration).toMatchObject({ moved: expected.length, dropped: 0 });
    expect(contents(box)).toEqual(expected);
    expect(legacySectors(flash)).toBe(0);
    flash.reboot();
    const again = new FlashOutbox(flash);
    expect(again.migration).toEqual({ moved: 0, dropped: 0, erased: 0 });
    expect(contents(again)).toEqual(expected);
    // acknowledged after the migration, they stay acknowledged; the ring runs on over the old sectors
    for (const id of again.ids().slice(0, 60)) again.ack(id);
    for (let i = 0; i < 180; i++) again.ack(again.add("t/x", bytes(100, i)));
    flash.reboot();
    expect(contents(new FlashOutbox(flash))).toEqual(expected.slice(60));
  });

  it("loses nothing and copies nothing twice when power is cut anywhere in the migration, once or twice", () => {
    const probe = legacyFlash(8, 50);
    const s0 = probe.flash.stats();
    new FlashOutbox(probe.flash);
    const s1 = probe.flash.stats();
    const total = s1.programmedBytes - s0.programmedBytes + (s1.erases - s0.erases) * 4096;
    expect(total).toBeGreaterThan(8 * 4096);
    let cuts = 0;
    for (let cut = 0; cut < total; cut += 307) {
      const { flash, expected } = legacyFlash(8, 50);
      flash.cutAfterBytes(cut);
      expect(() => new FlashOutbox(flash)).toThrow(PowerCut);
      flash.reboot();
      if (cut % 2 === 0) { // a second cut, in the migration resumed
        flash.cutAfterBytes((cut * 7919) % 9000);
        try { new FlashOutbox(flash); } catch (e) { expect(e).toBeInstanceOf(PowerCut); }
        flash.reboot();
      }
      const box = new FlashOutbox(flash);
      expect(contents(box), `cut after ${cut} bytes`).toEqual(expected);
      expect(legacySectors(flash)).toBe(0);
      for (const id of box.ids()) box.ack(id);
      flash.reboot();
      expect(new FlashOutbox(flash).size, `cut after ${cut} bytes: acknowledged copies back`).toBe(0);
      cuts++;
    }
    expect(cuts).toBeGreaterThan(100);
  });

  it("gives up, and counts, what a full old outbox holds beyond what the log can", () => {
    const flash = new NorFlashSim({ size: 4 * 4096 });
    const old = new LegacyFlashOutbox(flash);
    for (let i = 0; i < 70; i++) old.ack(old.add("t/old", bytes(80, i))); // wrapped once
    const ids: number[] = [];
    try { for (let i = 0; ; i++) ids.push(old.add(`t/${i}`, bytes(80, i))); } catch { /* full: every sector holds a waiting message */ }
    const expected = ids.map((id) => [...old.get(id)!.payload]);
    const box = new FlashOutbox(flash);
    const { moved, dropped } = box.migration;
    expect(moved + dropped).toBe(expected.length);
    expect(dropped).toBeGreaterThan(0);
    const got = box.ids().map((id) => [...box.get(id)!.payload]);
    expect(got.length).toBe(moved);
    const from = expected.findIndex((p) => JSON.stringify(p) === JSON.stringify(got[0]));
    expect(got).toEqual(expected.slice(from, from + moved)); // a run of them in order, none twice
    expect(legacySectors(flash)).toBe(0);
  });

  it("moves what the old firmware would have read of a sector with a torn record, and nothing after it", () => {
    const flash = new NorFlashSim({ size: 4 * 4096 });
    const old = new LegacyFlashOutbox(flash);
    const ids = Array.from({ length: 6 }, (_, i) => old.add(`t/${i}`, bytes(50, i)));
    const third = new Uint8Array(1);
    flash.read(2 * 79 + 9, third); // a byte inside the third record (79 bytes each)
    flash.program(2 * 79 + 9, Uint8Array.of(third[0] & 0x0f));
    expect(new LegacyFlashOutbox(flash).ids()).toEqual(ids.slice(0, 2));
    const box = new FlashOutbox(flash);
    expect(box.ids().map((id) => box.get(id)!.topic)).toEqual(["t/0", "t/1"]);
  });
});
