// The QoS 1 outbox in NOR flash: entries survive reboot, leave only on ack,
// a torn write loses only the message being written, and a full ring says so.
import { describe, expect, it } from "vitest";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";
import { ACKS_PER_RECORD, BITMAP_MAX, FlashOutbox, OutboxFull } from "../../modules/mqtt/flash-outbox";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe("FlashOutbox", () => {
  it("keeps unacknowledged messages across reboots, in order, and drops acknowledged ones", () => {
    const flash = new NorFlashSim({ size: 4 * 4096 });
    let box = new FlashOutbox(flash);
    const ids = Array.from({ length: 50 }, (_, i) => box.add(`xsmeter/n1/meter/1/t${i}`, enc(`{"seq":${i}}`)));
    const acked = ids.filter((_, i) => i % 3 === 0); // 17: the first 16 reach flash as one acked record
    for (const id of acked) box.ack(id);
    flash.reboot();
    box = new FlashOutbox(flash);
    const waiting = ids.filter((_, i) => i % 3 !== 0 || i === 48); // the 17th was in RAM only: sent again
    expect(acked.length).toBe(ACKS_PER_RECORD + 1);
    expect(box.ids()).toEqual(waiting);
    expect(dec(box.get(waiting[0])!.payload)).toBe('{"seq":1}');
    expect(box.get(waiting[0])!.topic).toBe("xsmeter/n1/meter/1/t1");
    // new ids continue above the old ones
    expect(box.add("a", enc("x"))).toBeGreaterThan(ids[ids.length - 1]);
  });

  it("wraps around the ring once old sectors are acknowledged, and reports full when they are not", () => {
    const flash = new NorFlashSim({ size: 3 * 4096 });
    const box = new FlashOutbox(flash);
    const payload = new Uint8Array(400);
    for (let i = 0; i < 200; i++) box.ack(box.add("t", payload)); // many sectors' worth, acked as they go
    expect(box.size).toBe(0);
    let added = 0;
    expect(() => { for (;;) { box.add("t", payload); added++; } }).toThrow(OutboxFull);
    expect(added).toBeGreaterThan(15);
    const rebooted = new FlashOutbox(flash);
    expect(rebooted.size).toBe(box.size);
  });

  it("loses only the message being written when power fails mid-write, at any byte", () => {
    for (const cut of [0, 1, 5, 11, 17, 25]) { // the record is 26 bytes (12 of the log, 1 topic length, 13 content)
      const flash = new NorFlashSim({ size: 4 * 4096 });
      const box = new FlashOutbox(flash);
      const before = [box.add("a/b", enc("one")), box.add("a/b", enc("two"))];
      flash.cutAfterBytes(cut);
      expect(() => box.add("a/b", enc("three-torn"))).toThrow(PowerCut);
      flash.reboot();
      const after = new FlashOutbox(flash);
      expect(after.ids().slice(0, 2), `cut ${cut}`).toEqual(before);
      const more = after.add("a/b", enc("four"));
      const again = new FlashOutbox(flash);
      expect(again.ids()).toContain(more);
      expect(dec(again.get(more)!.payload)).toBe("four");
    }
  });
});

describe("FlashOutbox on the record log", () => {
  const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 255);
  // 16 acknowledgements: at least one acked record among them (up to 15 of these "f" may stay in RAM)
  const flushed = (box: FlashOutbox) => { for (let k = 0; k < ACKS_PER_RECORD; k++) box.ack(box.add("f", bytes(1, k))); };
  const real = (box: FlashOutbox) => box.ids().filter((id) => box.get(id)!.topic !== "f");

  it("keeps messages of every length up to maxMessage, short and long topics, and refuses a longer one without writing", () => {
    for (const sectors of [2, 4]) {
      const flash = new NorFlashSim({ size: sectors * 4096 });
      let box = new FlashOutbox(flash);
      expect(box.maxMessage).toBe(4096 - 12 - 2 - (12 + 4 + BITMAP_MAX)); // a sector after the largest acked record
      for (const topic of ["xsmeter/n1/meter/1/1-0:1.8.0", `xsmeter/${"x".repeat(150)}`]) { // 1- and 2-byte topic lengths
        for (const n of [0, 1, 80, 300, 1000, 4000 - topic.length, box.maxMessage - topic.length]) {
          const id = box.add(topic, bytes(n, n), n % 2 === 0);
          flash.reboot();
          box = new FlashOutbox(flash);
          const e = box.get(id)!;
          expect([e.topic, e.retain, e.payload.length], `${sectors} sectors, ${n} B`).toEqual([topic, n % 2 === 0, n]);
          expect(e.payload).toEqual(bytes(n, n));
          for (const w of box.ids()) box.ack(w);
        }
      }
      const before = flash.stats().programs;
      expect(() => box.add("t", bytes(box.maxMessage, 0))).toThrow(/does not fit the outbox/);
      expect(flash.stats().programs).toBe(before);
    }
  });

  it("takes any size the old format took: 2 to 256 sectors, messages across reboots and wraps", () => {
    for (const sectors of [2, 3, 27, 28, 64, 256]) {
      const flash = new NorFlashSim({ size: sectors * 4096 });
      let box = new FlashOutbox(flash);
      const kept: number[] = [];
      for (let i = 0; i < 3000; i++) { // several wraps of the small ones, a part of the large ones
        const id = box.add(`xsmeter/n1/meter/${i % 4}/1-0:1.8.0`, bytes(63, i));
        if (i >= 2980 && i % 3 === 0) kept.push(id); // waiting within the newest sector or two (a 2-sector ring fills otherwise)
        else box.ack(id);
      }
      flash.reboot();
      box = new FlashOutbox(flash);
      expect(box.ids().filter((id) => kept.includes(id)), `${sectors} sectors`).toEqual(kept);
      expect(box.ids().length).toBeLessThan(kept.length + ACKS_PER_RECORD); // at most the acknowledgements in RAM come back
      expect(box.get(kept[0])!.payload).toEqual(bytes(63, 2982));
    }
  });

  it("writes one acked record per ACKS_PER_RECORD acknowledgements of waiting messages, and nothing for any other PUBACK", () => {
    const flash = new NorFlashSim({ size: 16 * 4096 });
    const box = new FlashOutbox(flash);
    const ids = Array.from({ length: 10 * ACKS_PER_RECORD + 5 }, (_, i) => box.add(`t/${i}`, bytes(40, i)));
    const s0 = flash.stats();
    for (const id of ids) box.ack(id);
    const s1 = flash.stats();
    expect(s1.programmedBytes - s0.programmedBytes).toBe(10 * 16); // in order: each record is the lowest id alone, 16 bytes
    expect(s1.programs - s0.programs).toBeLessThanOrEqual(20); // a record across a page is two programs
    for (let k = 0; k < 1000; k++) box.ack(ids[k % ids.length]); // acknowledged already
    for (let k = 0; k < 1000; k++) box.ack(100_000 + k); // never added
    expect(flash.stats().programs).toBe(s1.programs);
  });

  it("never brings back more than the acknowledgements since the last acked record, whatever byte of one a cut hits", () => {
    for (let cut = 0; cut <= 24; cut += 2) {
      const flash = new NorFlashSim({ size: 4 * 4096 });
      const box = new FlashOutbox(flash);
      const ids = Array.from({ length: 40 }, (_, i) => box.add(`t/${i}`, bytes(150, i)));
      const acked = ids.filter((_, i) => i % 2 === 0).slice(0, ACKS_PER_RECORD); // out of order: the bitmap is 2 bytes
      for (const id of acked.slice(0, -1)) box.ack(id);
      flash.cutAfterBytes(cut);
      try { box.ack(acked[acked.length - 1]); } catch (e) { expect(e).toBeInstanceOf(PowerCut); }
      flash.reboot();
      const after = new FlashOutbox(flash).ids();
      const waiting = ids.filter((id) => !acked.includes(id));
      expect([ids, waiting], `cut after ${cut} bytes`).toContainEqual(after); // the record whole, or none: all sent again
    }
  });

  it("acknowledgements out of order further than the bitmap are sent again after a reboot, never lost", () => {
    const flash = new NorFlashSim({ size: 64 * 4096 });
    let box = new FlashOutbox(flash);
    const ids = Array.from({ length: 8 * BITMAP_MAX + 100 }, (_, i) => box.add(`t/${i}`, bytes(10, i)));
    for (const id of ids.slice(1)) box.ack(id); // the oldest waits (refused by the broker)
    flushed(box);
    flash.reboot();
    box = new FlashOutbox(flash);
    const back = box.ids();
    expect(back[0]).toBe(ids[0]);
    const beyond = ids.filter((id) => id - ids[0] - 1 >= 8 * BITMAP_MAX);
    expect(real(box).slice(1)).toEqual(beyond); // beyond the bitmap: waiting again
    expect(beyond.length).toBeGreaterThan(80);
    for (const id of back) box.ack(id);
    flushed(box);
    flash.reboot();
    expect(real(new FlashOutbox(flash))).toEqual([]);
  });

  it("copies the acked record into a sector the log enters just before the acked record's, so a wrap without acknowledgements keeps it", () => {
    const flash = new NorFlashSim({ size: 4 * 4096 });
    let box = new FlashOutbox(flash);
    flushed(box); // sector 0: the acked record
    const waiting: number[] = [];
    while (box.copies === 0) waiting.push(box.add(`w/${waiting.length}`, bytes(20, waiting.length))); // through sectors 1, 2, into 3
    flash.reboot();
    box = new FlashOutbox(flash);
    expect(box.ids()).toEqual(waiting); // the 16 acknowledged ones stay acknowledged
    for (const id of waiting) box.ack(id);
    flushed(box);
    const kept = Array.from({ length: 200 }, (_, i) => box.add(`n/${i}`, bytes(20, i))); // into sector 0, erasing it
    flash.reboot();
    expect(real(new FlashOutbox(flash))).toEqual(kept);
  });

  it("keeps acknowledgements that find a full outbox in RAM and writes them once there is room", () => {
    const flash = new NorFlashSim({ size: 3 * 4096 });
    const box = new FlashOutbox(flash);
    const ids: number[] = [];
    expect(() => { for (;;) ids.push(box.add("t/x", bytes(60, ids.length))); }).toThrow(OutboxFull);
    // the broker refuses the oldest and acknowledges all the others: out of order, into a full outbox
    for (const id of ids.slice(1)) box.ack(id);
    flash.reboot();
    const early = new FlashOutbox(flash);
    expect(early.ids()[0]).toBe(ids[0]);
    expect(early.ids().length).toBeGreaterThan(ACKS_PER_RECORD); // a cut now sends those again: the documented window
    for (const id of early.ids()) early.ack(id); // the oldest first: its sector frees, the records go in
    flash.reboot();
    expect(new FlashOutbox(flash).ids().length).toBeLessThan(ACKS_PER_RECORD);
  });
});
