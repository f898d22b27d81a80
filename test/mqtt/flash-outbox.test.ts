// The QoS 1 outbox in NOR flash: entries survive reboot, leave only on ack (at once, in place: a
// reboot sends none again), a torn write loses only the message being written, a cut
// acknowledgement reads as acknowledged or waiting, and a full ring says so.
import { describe, expect, it } from "vitest";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";
import type { Flash } from "../../modules/core/ports";
import { FlashOutbox, OutboxFull } from "../../modules/mqtt/flash-outbox";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe("FlashOutbox", () => {
  it("keeps unacknowledged messages across reboots, in order, and drops acknowledged ones", () => {
    const flash = new NorFlashSim({ size: 4 * 4096 });
    let box = new FlashOutbox(flash);
    const ids = Array.from({ length: 50 }, (_, i) => box.add(`xsmeter/n1/meter/1/t${i}`, enc(`{"seq":${i}}`)));
    const acked = ids.filter((_, i) => i % 3 === 0);
    for (const id of acked) box.ack(id);
    flash.reboot();
    box = new FlashOutbox(flash);
    const waiting = ids.filter((_, i) => i % 3 !== 0);
    expect(box.ids()).toEqual(waiting); // none acknowledged sent again, the rest in order
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
    for (const cut of [0, 1, 5, 8, 9, 11, 17, 26]) { // the record is 27 bytes (13 of the log, 1 topic length, 13 content)
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

  it("after a reboot following any number of acknowledgements, in any order, sends again none of them and keeps the rest in order", () => {
    const flash = new NorFlashSim({ size: 8 * 4096 });
    let box = new FlashOutbox(flash);
    const ids = Array.from({ length: 120 }, (_, i) => box.add(`xsmeter/n1/meter/1/${i}`, bytes(40 + (i % 50), i)));
    let waiting = [...ids];
    for (const n of [1, 2, 5, 15, 16, 17, 31, 33]) { // below, at and past the lazy version's 16 acks a record
      const pick = waiting.filter((_, k) => (k * 7 + n) % 3 !== 0).slice(0, n); // out of order
      for (const id of pick) box.ack(id);
      waiting = waiting.filter((id) => !pick.includes(id));
      flash.reboot();
      box = new FlashOutbox(flash);
      expect(box.ids(), `after ${n} acks`).toEqual(waiting);
      expect(box.get(waiting[0])!.payload).toEqual(bytes(40 + (ids.indexOf(waiting[0]) % 50), ids.indexOf(waiting[0])));
    }
  });

  it("keeps messages of every length up to maxMessage, short and long topics, and refuses a longer one without writing", () => {
    for (const sectors of [2, 4]) {
      const flash = new NorFlashSim({ size: sectors * 4096 });
      let box = new FlashOutbox(flash);
      expect(box.maxMessage).toBe(4096 - 13 - 2); // a sector less the log's 13 bytes and a 2-byte topic length: as the old ring (4096 - 15)
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
      expect(box.ids(), `${sectors} sectors`).toEqual(kept);
      expect(box.get(kept[0])!.payload).toEqual(bytes(63, 2982));
    }
  });

  it("writes one byte per acknowledgement of a waiting message, and nothing for a duplicate PUBACK or one never added, before or after a reboot", () => {
    const flash = new NorFlashSim({ size: 16 * 4096, strictProgram: true }); // strict: an ack never asks to set a cleared bit
    let box = new FlashOutbox(flash);
    const ids = Array.from({ length: 165 }, (_, i) => box.add(`t/${i}`, bytes(40, i)));
    const s0 = flash.stats();
    for (const id of ids.slice(0, 100)) box.ack(id);
    const s1 = flash.stats();
    expect([s1.programs - s0.programs, s1.programmedBytes - s0.programmedBytes, s1.erases - s0.erases]).toEqual([100, 100, 0]);
    for (let k = 0; k < 1000; k++) box.ack(ids[k % 100]); // acknowledged already: the broker sent the PUBACK twice
    for (let k = 0; k < 1000; k++) box.ack(100_000 + k); // never added
    expect(flash.stats().programs).toBe(s1.programs);
    flash.reboot();
    box = new FlashOutbox(flash);
    const s2 = flash.stats();
    for (const id of ids.slice(0, 100)) box.ack(id); // a PUBACK the broker resends to the rebooted meter
    expect(flash.stats().programs).toBe(s2.programs);
    expect(box.ids()).toEqual(ids.slice(100));
  });

  it("a power cut during the acknowledgement's one-byte write leaves that message acknowledged or waiting, and every other as it was", () => {
    // The torn byte keeps any subset of the bits the write was clearing: all 256 values, each tried,
    // then real cuts in the simulator (its seed decides the torn bits).
    const outcomes = new Set<string>();
    const torn = (sim: NorFlashSim, value: number): Flash => ({
      size: sim.size, sectorSize: sim.sectorSize, pageSize: sim.pageSize, read: (o, b) => sim.read(o, b), eraseSector: (k) => sim.eraseSector(k),
      program: (o, d) => {
        if (d.length !== 1) return sim.program(o, d);
        sim.program(o, Uint8Array.of(value)); // what the cut left of the byte in flight
        sim.cutAfterBytes(0);
        sim.program(o, Uint8Array.of(0xff)); // the power is gone: this throws, clearing nothing
      },
    });
    for (let run = 0; run < 256 + 20; run++) {
      const sim = new NorFlashSim({ size: 4 * 4096, seed: run });
      let box = new FlashOutbox(sim);
      const ids = Array.from({ length: 12 }, (_, i) => box.add(`t/${i}`, bytes(30 + i, i)));
      box.ack(ids[2]);
      if (run < 256) box = new FlashOutbox(torn(sim, run)); // the same flash, seen through the tearing port
      else sim.cutAfterBytes(0);
      expect(() => box.ack(ids[5])).toThrow(PowerCut);
      sim.reboot();
      box = new FlashOutbox(sim);
      const rest = ids.filter((_, i) => i !== 2 && i !== 5);
      const got = box.ids();
      expect([rest, [...rest.slice(0, 4), ids[5], ...rest.slice(4)]], `run ${run}`).toContainEqual(got); // acknowledged, or waiting in its place
      for (const id of got) expect(box.get(id)!.payload).toEqual(bytes(30 + ids.indexOf(id), ids.indexOf(id)));
      const outcome = got.includes(ids[5]) ? "waiting" : "acknowledged";
      if (run < 256) expect(outcome, `torn byte 0x${run.toString(16)}`).toBe(run === 0xff ? "waiting" : "acknowledged"); // any cleared bit: acknowledged
      outcomes.add(outcome);
      for (const id of got) box.ack(id);
      sim.reboot();
      expect(new FlashOutbox(sim).ids(), `run ${run}: acknowledged again after the reboot`).toEqual([]);
    }
    expect([...outcomes].sort()).toEqual(["acknowledged", "waiting"]);
  });

  it("an acknowledgement whose program fails (no power cut) leaves the message waiting, in RAM as in flash", () => {
    let fail = false;
    const sim = new NorFlashSim({ size: 4 * 4096 });
    const flash: Flash = { size: sim.size, sectorSize: sim.sectorSize, pageSize: sim.pageSize, read: (o, b) => sim.read(o, b), eraseSector: (k) => sim.eraseSector(k), program: (o, d) => { if (fail) throw new Error("flash: program failed"); sim.program(o, d); } };
    const box = new FlashOutbox(flash);
    const ids = [box.add("a", bytes(10, 1)), box.add("b", bytes(10, 2))];
    fail = true;
    expect(() => box.ack(ids[0])).toThrow(/program failed/);
    fail = false;
    expect(box.ids()).toEqual(ids);
    expect(new FlashOutbox(flash).ids()).toEqual(ids);
    box.ack(ids[0]);
    expect(new FlashOutbox(flash).ids()).toEqual([ids[1]]);
  });

  it("acknowledgements far out of order, into a full outbox, all reach flash at once: after a reboot only the oldest waits", () => {
    for (const sectors of [3, 64]) {
      const flash = new NorFlashSim({ size: sectors * 4096 });
      let box = new FlashOutbox(flash);
      const ids: number[] = [];
      expect(() => { for (;;) ids.push(box.add("t/x", bytes(60, ids.length))); }).toThrow(OutboxFull);
      for (const id of ids.slice(1)) box.ack(id); // the broker refuses the oldest and acknowledges all the others
      flash.reboot();
      box = new FlashOutbox(flash);
      expect(box.ids(), `${sectors} sectors`).toEqual([ids[0]]);
      expect(() => box.add("t/y", bytes(60, 0))).toThrow(OutboxFull); // the ring goes on into the oldest's sector next
      box.ack(ids[0]);
      const y = box.add("t/y", bytes(60, 0));
      flash.reboot();
      expect(new FlashOutbox(flash).ids()).toEqual([y]);
    }
  });
});
