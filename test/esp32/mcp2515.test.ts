import { describe, expect, it } from "vitest";
import type { CanErrorEvent, CanFrame } from "../../modules/can/can-port";
import { Mcp2515 } from "../../hosts/esp32/mcp2515";
import { bitTiming } from "../../hosts/esp32/mcp2515-registers";
import { FakeMcp2515 } from "./fakes/fake-mcp2515";

const frame = (id: number, data: number[], extended = false, rtr = false, dlc = data.length): CanFrame => ({ id, extended, rtr, dlc, data: new Uint8Array(data) });

function setup(options: Partial<ConstructorParameters<typeof Mcp2515>[1]> = {}) {
  const chip = new FakeMcp2515();
  const can = new Mcp2515(chip, { oscillatorHz: 8_000_000, bitrate: 125_000, ...options });
  const frames: CanFrame[] = [];
  const errors: CanErrorEvent[] = [];
  can.onFrame((f) => frames.push({ ...f, data: f.data.slice() })); // lent for the call only (CanPort): kept as a copy
  can.onError((e) => errors.push(e));
  can.begin();
  return { chip, can, frames, errors };
}

/** Bit rate and sample point decoded from CNF1..3 as the datasheet defines them. */
function decodeTiming(osc: number, cnf1: number, cnf2: number, cnf3: number) {
  const tqSeconds = (2 * ((cnf1 & 0x3f) + 1)) / osc;
  const prop = (cnf2 & 7) + 1, ps1 = ((cnf2 >> 3) & 7) + 1, ps2 = (cnf3 & 7) + 1;
  const n = 1 + prop + ps1 + ps2;
  return { bitrate: 1 / (n * tqSeconds), sample: (1 + prop + ps1) / n, ps1, ps2, sjw: (cnf1 >> 6) + 1 };
}

describe("MCP2515 driver against a fake chip", () => {
  it("programs 125 kbit/s with a sample point near 75 % from 8 and 16 MHz crystals", () => {
    for (const osc of [8_000_000, 16_000_000]) {
      const t = bitTiming(osc, 125_000);
      const d = decodeTiming(osc, t.cnf1, t.cnf2, t.cnf3);
      expect(d.bitrate).toBeCloseTo(125_000, 6);
      expect(d.sample).toBeGreaterThanOrEqual(0.7);
      expect(d.sample).toBeLessThanOrEqual(0.8);
      expect(d.ps2).toBeGreaterThanOrEqual(d.sjw); // datasheet: PS2 ≥ SJW, PS2 ≥ 2
      expect(d.ps1).toBeGreaterThanOrEqual(d.ps2);
    }
    expect(() => bitTiming(8_000_000, 33_333)).toThrow(/no bit timing/);
  });

  it("writes the timing in configuration mode and ends in normal mode", () => {
    const { chip } = setup();
    const d = decodeTiming(8_000_000, chip.r[0x2a], chip.r[0x29], chip.r[0x28]);
    expect(d.bitrate).toBeCloseTo(125_000, 6);
    expect(chip.mode).toBe(0x00);
    expect(chip.ignoredWrites).toBe(0);
  });

  it("fails clearly when no chip answers", () => {
    const dead = { transfer(b: Uint8Array) { b.fill(0xff, 1); }, flush() {} };
    expect(() => new Mcp2515(dead, { oscillatorHz: 8e6, bitrate: 125e3 }).begin()).toThrow(/no chip answers/);
  });

  it("sends standard, extended and remote frames bit-exactly", () => {
    const { chip, can } = setup();
    const out = [frame(0x123, [1, 2, 3]), frame(0x1abcdef5, [9, 8, 7, 6, 5, 4, 3, 2], true), frame(0x7ff, [], false, true, 4)];
    for (const f of out) expect(can.send(f)).toBe(true);
    chip.runBus();
    expect(chip.sent.map((f) => ({ ...f, data: [...f.data] }))).toEqual(expect.arrayContaining(out.map((f) => ({ ...f, data: [...f.data] }))));
    expect(chip.sent).toHaveLength(3);
  });

  it("uses three transmit buffers, sends by priority, and says when all are busy", () => {
    const { chip, can } = setup();
    expect(can.send(frame(0x700, [1]))).toBe(true); // priority 0
    expect(can.send(frame(0x010, [2]))).toBe(true); // priority 3
    expect(can.send(frame(0x300, [3]))).toBe(true); // priority 2
    expect(can.send(frame(0x001, [4]))).toBe(false); // no free buffer
    chip.runBus();
    expect(chip.sent.map((f) => f.id)).toEqual([0x010, 0x300, 0x700]);
    can.service(); // acknowledges TXnIF
    expect(chip.r[0x2c]).toBe(0);
    expect(can.send(frame(0x001, [4]))).toBe(true);
  });

  it("rejects an invalid frame with a clear error", () => {
    const { can } = setup();
    expect(() => can.send(frame(0x800, [1]))).toThrow(/identifier/);
    expect(() => can.send({ ...frame(1, [1, 2]), dlc: 3 })).toThrow(/differs from DLC/);
  });

  it("receives through both buffers, with rollover, and reports overflow without losing the buffered frames", () => {
    const { chip, can, frames, errors } = setup();
    expect(chip.receive(frame(0x100, [1]))).toBe("rxb0");
    expect(chip.receive(frame(0x1fffffff, [2, 2], true))).toBe("rxb1"); // BUKT rollover
    expect(chip.receive(frame(0x102, [3]))).toBe("overflow");
    expect(chip.intPinLow).toBe(true);
    expect(can.service()).toBe(2);
    expect(frames.map((f) => [f.id, f.extended, [...f.data]])).toEqual([[0x100, false, [1]], [0x1fffffff, true, [2, 2]]]);
    expect(errors.map((e) => e.kind)).toEqual(["overrun"]);
    expect(chip.r[0x2d] & 0xc0).toBe(0);
    expect(chip.intPinLow).toBe(false);
  });

  it("lends one frame object and buffer per received frame; a receiver that sends inside its callback does not corrupt it", () => {
    const { chip, can } = setup();
    const lent: CanFrame[] = [];
    const seen: number[][] = [];
    can.onFrame((f) => {
      lent.push(f);
      can.send({ id: 0x7ff, extended: false, rtr: false, dlc: 8, data: new Uint8Array(8).fill(0xee) }); // reuses the SPI buffer
      seen.push([f.id, ...f.data]);
    });
    chip.receive(frame(0x100, [1, 2, 3]));
    chip.receive(frame(0x101, [4]));
    expect(can.service()).toBe(2);
    expect(lent[1]).toBe(lent[0]);
    expect(lent[0].data.buffer).toBe(lent[1].data.buffer);
    expect(seen).toEqual([[0x100, 1, 2, 3], [0x101, 4]]);
  });

  it("receives a remote frame as a remote frame with its requested length", () => {
    const { chip, can, frames } = setup();
    chip.receive(frame(0x321, [], false, true, 6));
    chip.receive(frame(0x12345, [], true, true, 2));
    can.service();
    expect(frames.map((f) => [f.id, f.rtr, f.dlc, f.data.length])).toEqual([[0x321, true, 6, 0], [0x12345, true, 2, 0]]);
  });

  it("accepts only frames matching its masks and filters", () => {
    const { chip, can, frames } = setup({
      rxb0: { mask: 0x7f0, filters: [0x120], extended: false },
      rxb1: { mask: 0x7ff, filters: [0x555, 0x556], extended: false },
    });
    const results = [0x120, 0x12f, 0x130, 0x555, 0x556, 0x557].map((id) => {
      const r = chip.receive(frame(id, [id & 0xff]));
      can.service();
      return r;
    });
    expect(results).toEqual(["rxb0", "rxb0", "rejected", "rxb1", "rxb1", "rejected"]);
    expect(frames.map((f) => f.id)).toEqual([0x120, 0x12f, 0x555, 0x556]);
    // an extended frame does not pass a standard filter
    expect(chip.receive(frame(0x120, [1], true))).toBe("rejected");
  });

  it("counts errors, goes error-passive, then bus-off (no sending), then recovers", () => {
    const { chip, can, errors } = setup();
    chip.noAck = true;
    can.send(frame(0x100, [1]));
    chip.runBus();
    can.service();
    expect(errors.at(-1)).toMatchObject({ state: "bus-off", kind: "bus-off", tec: 255 });
    expect(errors.some((e) => e.state === "error-passive")).toBe(false); // one service saw the end state only
    expect(can.send(frame(0x100, [1]))).toBe(false);
    chip.completeBusOffRecovery();
    chip.noAck = false;
    can.service();
    expect(errors.at(-1)).toMatchObject({ state: "error-active", kind: "recovered", tec: 0 });
    expect(can.send(frame(0x100, [1]))).toBe(true);
    chip.runBus();
    expect(chip.sent).toHaveLength(1);
  });

  it("reports error-passive once TEC passes 127", () => {
    const { chip, can, errors } = setup();
    chip.addTec(128);
    can.service();
    expect(errors.at(-1)).toMatchObject({ state: "error-passive", tec: 128, kind: "error" });
    expect(can.counters().tec).toBe(128);
  });
});
