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
