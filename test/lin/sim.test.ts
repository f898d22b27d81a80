import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import type { CanFrame } from "../../modules/can/can-port";
import { SimCanBus } from "../../hosts/lin/sim-can-bus";
import { SimFrontEnd } from "../../hosts/lin/sim-front-end";

describe("lin simulator parts", () => {
  it("simulated samples give RMS, P and PF of the modelled load", () => {
    const fe = new SimFrontEnd(() => ({ voltageV: 230, currentA: 10, phaseRad: Math.PI / 3, frequencyHz: 50 }), 0);
    fe.measure(1000);
    const r = fe.readings();
    expect(r.voltageV).toBeCloseTo(230, 9);
    expect(r.currentA).toBeCloseTo(10, 9);
    expect(r.powerW).toBeCloseTo(2300 * Math.cos(Math.PI / 3), 6);
    expect(r.powerFactor).toBeCloseTo(0.5, 9);
    fe.measure(3_601_000);
    expect(r.importWh).toBeCloseTo((1150 * 3_601_000) / 3_600_000, 6); // energy since t=0
  });

  it("the simulated bus arbitrates by identifier and takes the frame time at 125 kbit/s", () => {
    const clock = new VirtualClock(0);
    const bus = new SimCanBus(clock);
    const a = bus.node(), b = bus.node(), c = bus.node();
    const got: [number, number][] = [];
    c.onFrame((f) => got.push([f.id, clock.now()]));
    const f = (id: number): CanFrame => ({ id, extended: false, rtr: false, dlc: 8, data: new Uint8Array(8) });
    expect(a.send(f(0x300))).toBe(true); // takes the idle bus
    expect(a.send(f(0x200))).toBe(true);
    expect(b.send(f(0x100))).toBe(true); // wins arbitration over 0x200
    clock.advance(10);
    const t = (Math.ceil((47 + 64) * 1.2) * 1000) / 125_000;
    expect(got.map((g) => g[0])).toEqual([0x300, 0x100, 0x200]);
    expect(got[0][1]).toBeCloseTo(t, 9);
    expect(got[2][1]).toBeCloseTo(3 * t, 9);
    expect(() => a.send({ ...f(1), dlc: 9 })).toThrow(/DLC/);
  });
});
