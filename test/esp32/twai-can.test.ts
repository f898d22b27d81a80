import { describe, expect, it } from "vitest";
import type { CanErrorEvent, CanFrame } from "../../modules/can/can-port";
import { TwaiCan, type TwaiDevice } from "../../hosts/esp32/twai-can";

/** A fake of the native module: a TX queue of 8, an RX queue, ESP-IDF's status fields. */
class FakeTwai implements TwaiDevice {
  tx: { id: number; flags: number; dlc: number; data: number[] }[] = [];
  rxq: { id: number; flags: number; dlc: number; data: number[] }[] = [];
  state: [number, number, number] = [0, 0, 0];
  recoveries = 0;
  write(id: number, flags: number, dlc: number, data: ArrayBuffer | undefined): boolean {
    if (this.tx.length >= 8 || this.state[0] === 2) return false;
    this.tx.push({ id, flags, dlc, data: data ? [...new Uint8Array(data, 0, dlc)] : [] }); // the native write copies dlc bytes
    return true;
  }
  read(into: Uint8Array, header: Uint32Array): boolean {
    const m = this.rxq.shift();
    if (!m) return false;
    into.fill(0).set(m.data);
    header.set([m.id, m.flags, m.dlc]);
    return true;
  }
  status(): [number, number, number] { return this.state; }
  recover(): void { this.recoveries++; }
}

describe("TWAI CanPort adapter over the native module", () => {
  it("maps frames both ways, remote frames included", () => {
    const dev = new FakeTwai();
    const can = new TwaiCan(dev);
    const got: CanFrame[] = [];
    can.onFrame((f) => got.push({ ...f, data: f.data.slice() })); // lent for the call only (CanPort): kept as a copy
    expect(can.send({ id: 0x1abcdef0, extended: true, rtr: false, dlc: 2, data: new Uint8Array([5, 6]) })).toBe(true);
    expect(can.send({ id: 0x10, extended: false, rtr: true, dlc: 8, data: new Uint8Array(0) })).toBe(true);
    expect(dev.tx).toEqual([{ id: 0x1abcdef0, flags: 1, dlc: 2, data: [5, 6] }, { id: 0x10, flags: 2, dlc: 8, data: [] }]);
    dev.rxq.push({ id: 0x7ff, flags: 0, dlc: 3, data: [1, 2, 3] }, { id: 0x55, flags: 2, dlc: 4, data: [] });
    expect(can.readable()).toBe(2);
    expect(got.map((f) => [f.id, f.rtr, f.dlc, [...f.data]])).toEqual([[0x7ff, false, 3, [1, 2, 3]], [0x55, true, 4, []]]);
  });

  it("reports a full queue, rejects bad frames, and recovers from bus-off", () => {
    const dev = new FakeTwai();
    const can = new TwaiCan(dev);
    const errors: CanErrorEvent[] = [];
    can.onError((e) => errors.push(e));
    for (let i = 0; i < 8; i++) expect(can.send({ id: i, extended: false, rtr: false, dlc: 0, data: new Uint8Array(0) })).toBe(true);
    expect(can.send({ id: 9, extended: false, rtr: false, dlc: 0, data: new Uint8Array(0) })).toBe(false);
    expect(() => can.send({ id: 1, extended: false, rtr: false, dlc: 9, data: new Uint8Array(9) })).toThrow(/DLC/);
    dev.state = [2, 255, 3];
    can.alert();
    expect(errors.at(-1)).toMatchObject({ state: "bus-off", kind: "bus-off", tec: 255 });
    expect(dev.recoveries).toBe(1);
    dev.tx = [];
    expect(can.send({ id: 1, extended: false, rtr: false, dlc: 0, data: new Uint8Array(0) })).toBe(false);
    dev.state = [0, 0, 0];
    can.alert();
    expect(errors.at(-1)).toMatchObject({ state: "error-active", kind: "recovered" });
    expect(can.send({ id: 1, extended: false, rtr: false, dlc: 0, data: new Uint8Array(0) })).toBe(true);
  });

  it("allocates nothing per received frame: one frame object and buffer, refilled; a copy taken in the callback stays intact", () => {
    const dev = new FakeTwai();
    const can = new TwaiCan(dev);
    const lent: CanFrame[] = [];
    const copies: number[][] = [];
    can.onFrame((f) => {
      lent.push(f);
      copies.push([f.id, f.dlc, ...f.data]);
    });
    dev.rxq.push({ id: 0x101, flags: 0, dlc: 8, data: [1, 2, 3, 4, 5, 6, 7, 8] }, { id: 0x102, flags: 0, dlc: 2, data: [9, 10] }, { id: 0x103, flags: 2, dlc: 8, data: [] });
    expect(can.readable()).toBe(3);
    expect(lent[1]).toBe(lent[0]); // the same object each time: nothing allocated per frame
    expect(lent[0].data.buffer).toBe(lent[2].data.buffer); // and the same bytes underneath
    // A reference kept past the callback sees the last frame (the contract says: copy what you keep); the copies are right.
    expect([lent[0].id, lent[0].rtr, lent[0].data.length]).toEqual([0x103, true, 0]);
    expect(copies).toEqual([[0x101, 8, 1, 2, 3, 4, 5, 6, 7, 8], [0x102, 2, 9, 10], [0x103, 8]]);
  });

  it("an authenticated CAN slave and master over two TWAI adapters still agree frame after frame (they keep nothing lent)", async () => {
    const { CanSlave } = await import("../../modules/can/slave");
    const { CanMaster } = await import("../../modules/can/master");
    const { FlashCounterStore } = await import("../../modules/secure/counter-store");
    const { RamFlash } = await import("../../modules/core/ram-flash");
    const { VirtualClock } = await import("../../modules/core/virtual-clock");
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const key = new Uint8Array(16).map((_, i) => i + 3);
    const [a, b] = [new FakeTwai(), new FakeTwai()];
    const [master, slave] = [new TwaiCan(a), new TwaiCan(b)];
    let n = 0;
    new CanSlave(slave, { node: 5, networkKey: key, store: new FlashCounterStore(new RamFlash(8192)), read: () => 1000 + n++, clock });
    const m = new CanMaster(master, { clock, networkKey: key, store: new FlashCounterStore(new RamFlash(8192)), slaves: [5], timeoutMs: 20 });
    // the wire: each side's transmitted frames become the other's received ones, drained in bursts (the buffers refilled per frame)
    clock.every(1, () => {
      for (const [from, to, port] of [[a, b, slave], [b, a, master]] as const) {
        to.rxq.push(...from.tx.splice(0));
        port.readable();
      }
    });
    for (let cycle = 0; cycle < 3; cycle++) {
      m.pollCycle();
      clock.advance(1000);
    }
    expect(m.stats.authFailures).toBe(0);
    expect(m.stats.accepted).toBeGreaterThanOrEqual(3 * 13);
    expect(m.value(5, "1-0:1.8.0")?.value).toBeGreaterThan(1000);
  });
});
