import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { createCanNetwork } from "../../hosts/node/can/can-network";
import { readCandump } from "../../hosts/node/can/candump";

describe("createCanNetwork (the simulator's wiring)", () => {
  it("polls N slaves periodically, reports a cut-off slave missing and finds it again", () => {
    const clock = new VirtualClock();
    const missing: number[] = [];
    const readings: string[] = [];
    const net = createCanNetwork({
      clock,
      networkKey: new Uint8Array(16).fill(7),
      slaves: [1, 2, 3, 4].map((node) => ({ node, read: (code: string) => (code === "1-0:32.7.0" ? 230 + node / 10 : 0), processingMs: 2.7 })),
      master: { codes: ["1-0:32.7.0"], timeoutMs: 10, onMissing: (n) => missing.push(n), onReading: (n, c, v) => readings.push(`${n}:${c}:${v}`) },
      candump: true,
    });
    net.master.start(1000);
    clock.advance(2500);
    expect(net.master.knownSlaves).toEqual([1, 2, 3, 4]);
    expect(net.master.value(3, "1-0:32.7.0")!.value).toBe(230.3);
    net.setOffBus(2, true);
    clock.advance(3000);
    expect(missing).toEqual([2]);
    net.setOffBus(2, false);
    clock.advance(1000);
    expect(net.master.missingSlaves).toEqual([]);
    expect(readCandump(net.candump!.text()).length).toBeGreaterThan(20);
    expect(net.bus.load()).toBeGreaterThan(0);
    expect(net.master.stats.authFailures).toBe(0);
  });
});
