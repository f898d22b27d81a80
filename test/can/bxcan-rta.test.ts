import { describe, expect, it } from "vitest";
import { BxCanController } from "../../modules/can/bxcan";
import { canResponseTimes } from "../../modules/can/rta";
import type { CanFrame } from "../../modules/can/can-port";

const f = (id: number, rtr = false): CanFrame => ({ id, extended: false, rtr, dlc: 0, data: new Uint8Array(0) });

describe("bxCAN model", () => {
  it("three mailboxes, the lowest identifier offered first, a fourth refused", () => {
    const c = new BxCanController();
    expect(c.queue(f(0x300))).toBe(true);
    expect(c.queue(f(0x100))).toBe(true);
    expect(c.queue(f(0x200))).toBe(true);
    expect(c.queue(f(0x050))).toBe(false);
    expect(c.mailboxes[c.nextMailbox()]!.id).toBe(0x100);
    c.complete(c.nextMailbox());
    expect(c.mailboxes[c.nextMailbox()]!.id).toBe(0x200);
  });

  it("filters route to FIFO 0/1, a FIFO holds three, the fourth is an overrun", () => {
    const c = new BxCanController();
    c.setFilter(0, { id: 0x080, mask: 0x7c0, fifo: 1 }); // message 2, any node
    c.setFilter(13, { id: 0x005, mask: 0x03f, fifo: 0 }); // anything for node 5
    expect(() => c.setFilter(14, { id: 0, mask: 0, fifo: 0 })).toThrow(/bank 14/);
    expect(c.receive(f(0x081))).toBe(true);
    expect(c.fifos[1].length).toBe(1);
    expect(c.receive(f(0x0c5))).toBe(true);
    expect(c.fifos[0].length).toBe(1);
    expect(c.receive(f(0x0c6))).toBe(false);
    expect(c.filtered).toBe(1);
    for (let i = 0; i < 3; i++) c.receive(f(0x085));
    expect(c.overruns).toBe(1);
    expect(c.take()!.id).toBe(0x0c5); // FIFO 0 first
  });
});

describe("CAN response-time analysis (Davis et al. 2007)", () => {
  it("matches a hand computation for three messages", () => {
    // bit = 1; C = 10, 20, 30; T = 100, 100, 1000
    const r = canResponseTimes(
      [
        { name: "a", priority: 1, c: 10, t: 100 },
        { name: "b", priority: 2, c: 20, t: 100 },
        { name: "c", priority: 3, c: 30, t: 1000 },
      ],
      1,
    );
    // a: blocked by the longest lower frame (30) then itself: 30 + 10 = 40
    expect(r[0].r).toBe(40);
    // b: B = 30, w = 30 + ceil((30+1)/100)·10 = 40 → R = 40 + 20 = 60
    expect(r[1].r).toBe(60);
    // c: B = 0, w = 10 + 20 = 30 → R = 60
    expect(r[2].r).toBe(60);
  });

  it("finds the refuted case: a later instance in the busy period is worse (Davis et al. 2007 §3 example)", () => {
    // high-utilisation set where the first instance of the lowest message is not its worst
    const set = [
      { name: "A", priority: 1, c: 1, t: 2.5 },
      { name: "B", priority: 2, c: 1, t: 3.5 },
      { name: "C", priority: 3, c: 1, t: 3.5 },
    ];
    const r = canResponseTimes(set, 0.001);
    // Davis et al. §3: the first instance of C responds in 3, the second in 3.5 (its deadline), which
    // the original analysis (first instance only) missed
    expect(r[2].instances).toBe(2);
    expect(r[2].r).toBeCloseTo(3.5, 9);
  });
});
