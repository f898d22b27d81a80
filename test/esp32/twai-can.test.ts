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
    this.tx.push({ id, flags, dlc, data: data ? [...new Uint8Array(data)] : [] });
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
    can.onFrame((f) => got.push(f));
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
});
