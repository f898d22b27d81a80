// The QoS 1 outbox in NOR flash: entries survive reboot, leave only on ack,
// a torn write loses only the message being written, and a full ring says so.
import { describe, expect, it } from "vitest";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";
import { FlashOutbox, OutboxFull } from "../../modules/mqtt/flash-outbox";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe("FlashOutbox", () => {
  it("keeps unacknowledged messages across reboots, in order, and drops acknowledged ones", () => {
    const flash = new NorFlashSim({ size: 4 * 4096 });
    let box = new FlashOutbox(flash);
    const ids = Array.from({ length: 50 }, (_, i) => box.add(`xsmeter/n1/meter/1/t${i}`, enc(`{"seq":${i}}`)));
    for (const id of ids.filter((_, i) => i % 3 === 0)) box.ack(id);
    flash.reboot();
    box = new FlashOutbox(flash);
    const waiting = ids.filter((_, i) => i % 3 !== 0);
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
    for (const cut of [0, 1, 5, 13, 20, 27]) { // the record is 28 bytes (v2)
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

  it("keeps messages of every length up to maxMessage (head and fragments), and refuses a longer one without writing", () => {
    for (const sectors of [2, 4]) {
      const flash = new NorFlashSim({ size: sectors * 4096 });
      let box = new FlashOutbox(flash);
      const topic = "xsmeter/n1/meter/1/1-0:1.8.0"; // 28 bytes
      const lengths = [0, 1, 80, 81, 193, 194, 1000, box.maxMessage - topic.length];
      for (const n of lengths) {
        const id = box.add(topic, bytes(n, n), n % 2 === 0);
        flash.reboot();
        box = new FlashOutbox(flash);
        const e = box.get(id)!;
        expect([e.topic, e.retain, e.payload.length], `${sectors} sectors, ${n} B`).toEqual([topic, n % 2 === 0, n]);
        expect(e.payload).toEqual(bytes(n, n));
        box.ack(id);
      }
      const before = flash.stats().programs;
      expect(() => box.add(topic, bytes(box.maxMessage - topic.length + 1, 0))).toThrow(/does not fit the outbox/);
      expect(flash.stats().programs).toBe(before);
      expect(box.size).toBe(0);
    }
    expect(new FlashOutbox(new NorFlashSim({ size: 4 * 4096 })).maxMessage).toBe(4096 - 15); // as the old format
    expect(new FlashOutbox(new NorFlashSim({ size: 2 * 4096 })).maxMessage).toBeLessThan(4096 - 15);
    expect(() => new FlashOutbox(new NorFlashSim({ size: 28 * 4096 }))).toThrow(/bitmap covers at most 880 records/);
  });

  it("writes one record per acknowledgement of a waiting message, and nothing for any other PUBACK", () => {
    const flash = new NorFlashSim({ size: 16 * 4096 });
    const box = new FlashOutbox(flash);
    const ids = Array.from({ length: 20 }, (_, i) => box.add(`t/${i}`, bytes(40, i)));
    const s0 = flash.stats();
    for (const id of ids) box.ack(id);
    const s1 = flash.stats();
    expect([s1.programs - s0.programs, s1.programmedBytes - s0.programmedBytes]).toEqual([20, 20 * 128]);
    for (let k = 0; k < 1000; k++) box.ack(ids[k % 20]); // acknowledged already
    for (let k = 0; k < 1000; k++) box.ack(100_000 + k); // never added
    expect(flash.stats().programs).toBe(s1.programs);
  });

  it("never brings an acknowledged message back, whatever byte of the acknowledgement a cut hits", () => {
    for (let cut = 0; cut <= 128; cut += 8) {
      const flash = new NorFlashSim({ size: 4 * 4096 });
      const box = new FlashOutbox(flash);
      const ids = Array.from({ length: 6 }, (_, i) => box.add(`t/${i}`, bytes(150, i))); // 2 records each
      box.ack(ids[0]);
      box.ack(ids[2]);
      flash.cutAfterBytes(cut);
      try { box.ack(ids[4]); } catch (e) { expect(e).toBeInstanceOf(PowerCut); }
      flash.reboot();
      const after = new FlashOutbox(flash).ids();
      const cutOne = after.includes(ids[4]) ? [ids[4]] : [];
      expect(after, `cut after ${cut} bytes`).toEqual([ids[1], ids[3], ...cutOne, ids[5]]);
    }
  });

  it("copies the acked record out of the next sector to be erased when no acknowledgement came for a whole ring", () => {
    const flash = new NorFlashSim({ size: 4 * 4096 });
    let box = new FlashOutbox(flash);
    for (let i = 0; i < 16; i++) box.ack(box.add(`t/${i}`, bytes(20, i))); // sector 0: 16 messages, 16 acked records
    const waiting = Array.from({ length: 80 }, (_, i) => box.add(`w/${i}`, bytes(20, i))); // sectors 1, 2 and into 3
    expect(box.copies).toBe(1); // on entering sector 3, the acked record left sector 0, the next to be erased
    flash.reboot();
    box = new FlashOutbox(flash);
    expect(box.ids()).toEqual(waiting); // the 16 acked ones stay acknowledged
    for (const id of waiting) box.ack(id);
    for (let i = 0; i < 40; i++) box.add(`n/${i}`, bytes(20, i)); // into sector 0, erasing it
    flash.reboot();
    expect(new FlashOutbox(flash).size).toBe(40);
  });

  it("keeps acknowledgements that find a full outbox in RAM and writes them with the next one that has room", () => {
    const flash = new NorFlashSim({ size: 3 * 4096 });
    const box = new FlashOutbox(flash);
    const ids: number[] = [];
    expect(() => { for (;;) ids.push(box.add("t/x", bytes(60, ids.length))); }).toThrow(OutboxFull);
    // the broker refuses the oldest and acknowledges all the others: out of order, into a full outbox
    const s0 = flash.stats().programs;
    for (const id of ids.slice(1)) box.ack(id);
    const written = flash.stats().programs - s0;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(ids.length - 1); // the rest waited for room
    flash.reboot();
    const early = new FlashOutbox(flash);
    expect(early.ids().length).toBeGreaterThan(1); // a cut now sends those again: the documented window
    expect(early.ids()[0]).toBe(ids[0]);
    // once the oldest is acknowledged (dropped after its refusals), one record says it all
    early.ack(ids[0]);
    for (const id of early.ids()) early.ack(id);
    flash.reboot();
    expect(new FlashOutbox(flash).ids()).toEqual([]);
  });
});
