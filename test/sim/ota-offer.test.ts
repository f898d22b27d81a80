// `xsmeter ota offer`'s engine (hosts/node/sim/utility.ts) against an in-process
// SimMeter on the embedded broker: the network key derived from the seed matches
// HouseholdSim's; a signed offer ends "confirmed", a forged one "failed", one whose
// self-test fails "rolled back".
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../hosts/node/mqtt/embedded-broker";
import { HouseholdSim } from "../../hosts/node/sim/household-sim";
import { SimMeter } from "../../hosts/node/sim/meter";
import { offerFirmware, simNetworkKey } from "../../hosts/node/sim/utility";
import { nodeClock } from "../../hosts/node/node-clock";
import { otaCommand } from "../../hosts/node/cli/ota-command";
import { UsageError } from "../../hosts/node/cli/command";

describe("ota offer against a running sim meter", () => {
  it("refuses bad arguments with a usage error", async () => {
    const bad: [string[], RegExp][] = [
      [["offer", "--seed", "7", "--version", "1.1.0"], /--mqtt is required/],
      [["offer", "--mqtt", "http://x", "--seed", "7", "--version", "1.1.0"], /--mqtt must be mqtt:/],
      [["offer", "--mqtt", "mqtt://127.0.0.1:1", "--seed", "x", "--version", "1.1.0"], /--seed must be/],
      [["offer", "--mqtt", "mqtt://127.0.0.1:1", "--seed", "7", "--version", "1.1"], /--version must be X.Y.Z/],
      [["offer", "--mqtt", "mqtt://127.0.0.1:1", "--seed", "7", "--version", "1.1.0", "--selftest", "maybe"], /--selftest is pass or fail/],
    ];
    for (const [args, error] of bad) {
      const e = await otaCommand.run(args).catch((x) => x);
      expect(e, args.join(" ")).toBeInstanceOf(UsageError);
      expect(e.message).toMatch(error);
    }
  });

  let broker: EmbeddedBroker | undefined;
  let sim: HouseholdSim | undefined;
  let meter: SimMeter | undefined;
  afterAll(async () => {
    meter?.stop();
    sim?.stop();
    await new Promise((r) => setTimeout(r, 50));
    await broker?.close();
  });

  it("confirms a signed image, refuses a forged one, rolls back a failing one", async () => {
    const clock = nodeClock();
    broker = await startEmbeddedBroker({ port: 0 });
    sim = new HouseholdSim(clock, { seed: 23, slaves: 1 });
    expect(Buffer.from(simNetworkKey(23)).toString("hex")).toBe(Buffer.from(sim.networkKey).toString("hex"));
    sim.start();
    meter = new SimMeter({ aggregator: sim.aggregator, clock, brokerUrl: broker.url, networkKey: sim.networkKey, node: "sim-23", rebootDelayMs: 50 });
    meter.start();
    const ok = await offerFirmware({ brokerUrl: broker.url, seed: 23, version: "1.1.0", timeoutMs: 15_000 });
    expect(ok.outcome).toBe("confirmed");
    expect(meter.runningVersion).toBe("1.1.0");
    const forged = await offerFirmware({ brokerUrl: broker.url, seed: 23, version: "1.2.0", forge: true, timeoutMs: 15_000 });
    expect(forged.outcome).toBe("failed");
    expect(String(forged.states.at(-1)?.error)).toMatch(/forged/);
    const failing = await offerFirmware({ brokerUrl: broker.url, seed: 23, version: "1.3.0", selftest: "fail", timeoutMs: 15_000 });
    expect(failing.outcome).toBe("rolled back");
    expect(meter.runningVersion).toBe("1.1.0");
  }, 60_000);
});
