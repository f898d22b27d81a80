// The firmware update through Debian's mosquitto (started here on an ephemeral port,
// no persistence needed): the sim meter takes a signed 1.1.0 over HTTP Range, reboots
// into it and confirms, and refuses a forged 1.2.0 with 1.1.0 still running — the
// offers sent by `xsmeter ota offer`'s engine, the states read back from the broker.
import { afterAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../hosts/node/free-port";
import { HouseholdSim } from "../../hosts/node/sim/household-sim";
import { SimMeter } from "../../hosts/node/sim/meter";
import { offerFirmware } from "../../hosts/node/sim/utility";
import { nodeClock } from "../../hosts/node/node-clock";
import { MOSQUITTO } from "../support/mosquitto";
import { missing } from "../support/requires";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(missing("mosquitto"))("firmware update through mosquitto", () => {
  let proc: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), "xsm-ota-mosq-"));
  let sim: HouseholdSim | undefined;
  let meter: SimMeter | undefined;
  afterAll(async () => {
    meter?.stop();
    sim?.stop();
    await sleep(50);
    proc?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  it("installs a signed image and refuses a forged one", async () => {
    const port = await freePort();
    chmodSync(dir, 0o777);
    writeFileSync(join(dir, "m.conf"), [`listener ${port} 127.0.0.1`, "allow_anonymous true", ""].join("\n"));
    proc = spawn(MOSQUITTO, ["-c", join(dir, "m.conf")], { stdio: "ignore" });
    for (let i = 0; ; i++) {
      const up = await new Promise<boolean>((r) => {
        const s = connect(port, "127.0.0.1");
        s.on("connect", () => { s.destroy(); r(true); });
        s.on("error", () => r(false));
      });
      if (up) break;
      if (i > 100) throw new Error("mosquitto did not start");
      await sleep(50);
    }
    const brokerUrl = `mqtt://127.0.0.1:${port}`;
    const clock = nodeClock();
    sim = new HouseholdSim(clock, { seed: 29, slaves: 1 });
    sim.start();
    meter = new SimMeter({ aggregator: sim.aggregator, clock, brokerUrl, networkKey: sim.networkKey, node: "sim-29", rebootDelayMs: 50 });
    meter.start();
    const good = await offerFirmware({ brokerUrl, seed: 29, version: "1.1.0", size: 128 * 1024, timeoutMs: 20_000 });
    expect(good.outcome).toBe("confirmed");
    expect(good.states.map((s) => s.phase)).toEqual(expect.arrayContaining(["downloading", "verified", "trial", "confirmed"]));
    expect(meter.boots.map((b) => [b.boot, b.version, b.trial])).toEqual([[1, "1.0.0", false], [2, "1.1.0", true]]);
    const forged = await offerFirmware({ brokerUrl, seed: 29, version: "1.2.0", forge: true, timeoutMs: 20_000 });
    expect(forged.outcome).toBe("failed");
    expect(String(forged.states.at(-1)?.error)).toMatch(/forged image: the signature does not verify/);
    expect(meter.runningVersion).toBe("1.1.0");
    expect(meter.boots).toHaveLength(2);
  }, 60_000);
});
