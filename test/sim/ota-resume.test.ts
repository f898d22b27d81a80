// A firmware download cut by a reboot, through the real HTTP server and broker: the
// link drops at 30 000 bytes and the meter reboots before it can retry; the utility
// offers the same image again and the meter asks for it from the last flash sector
// it saved (a Range request well past the header), not from the start.
import { afterAll, describe, expect, it } from "vitest";
import { until } from "../support/until";
import { createHmac, getRandomValues } from "node:crypto";
import { MqttClient } from "../../modules/mqtt/client";
import { MemoryOutbox } from "../../modules/mqtt/flash-outbox";
import { parseHeader } from "../../modules/ota/image";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../hosts/node/mqtt/embedded-broker";
import { HouseholdSim } from "../../hosts/node/sim/household-sim";
import { cloudMacKey } from "../../hosts/node/sim/cloud";
import { SimMeter, simFirmwareImage, simUtilitySeed } from "../../hosts/node/sim/meter";
import { startFirmwareServer, type FirmwareServer } from "../../hosts/node/sim/firmware-server";
import { nodeClock } from "../../hosts/node/node-clock";

const clock = nodeClock();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("download cut by a reboot", () => {
  let broker: EmbeddedBroker | undefined;
  let server: FirmwareServer | undefined;
  let sim: HouseholdSim | undefined;
  let meter: SimMeter | undefined;
  let sub: MqttClient | undefined;
  afterAll(async () => {
    sub?.stop();
    meter?.stop();
    sim?.stop();
    await sleep(50);
    await server?.close();
    await broker?.close();
  });

  it("resumes from the last saved sector after the reboot", async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    server = await startFirmwareServer(0);
    sim = new HouseholdSim(clock, { seed: 31, slaves: 1 });
    sim.start();
    const node = "sim-31";
    meter = new SimMeter({ aggregator: sim.aggregator, clock, brokerUrl: broker.url, networkKey: sim.networkKey, node, rebootDelayMs: 50, downloadRetryMs: 3000 });
    meter.start();
    sub = new MqttClient({ network: new NodeNetwork(), clock, random: { fill: (b) => void getRandomValues(b) }, host: "127.0.0.1", port: broker.port, clientId: "utility-31", outbox: new MemoryOutbox(), clean: true });
    sub.start();
    await until("both sessions", () => sub!.isConnected && meter!.cloud.client.isConnected);

    const image = simFirmwareImage("1.1.0", simUtilitySeed(sim.networkKey), { size: 96 * 1024 });
    const m = parseHeader(image).manifest;
    const url = server.add("big.xsota", image);
    let ctr = 500;
    const offer = () => {
      const topic = `xsmeter/${node}/cmd/firmware`;
      const json = JSON.stringify({ ctr: ++ctr, version: m.version, size: m.size, sha256: m.sha256, url });
      const mac = createHmac("sha256", Buffer.from(cloudMacKey(sim!.networkKey, node))).update(`${topic}\n${json}`).digest("hex");
      sub!.publish(topic, new TextEncoder().encode(`h1.${mac}.${json}`), 1);
    };

    server.cutNextAfter(12_000);
    offer();
    // the updater holds what comes during the stepped signature check (≤ 16 KiB) and writes it after
    await until("the link cut and what came written", () => server!.cuts() === 1 && meter!.ota.downloaded > 4096);
    meter.reboot(); // before the updater's retry (3 s later)
    expect(meter.boots.map((b) => [b.boot, b.version, b.trial])).toEqual([[1, "1.0.0", false], [2, "1.0.0", false]]);
    const saved = meter.ota.downloaded;
    expect(saved).toBeGreaterThan(4096);
    expect(saved).toBeLessThanOrEqual(12_000);
    expect(server.requests.length).toBe(1);

    await until("the meter back online", () => meter!.cloud.client.isConnected);
    offer(); // the utility tries again
    await until("1.1.0 confirmed", () => meter!.boots.length === 3 && meter!.ota.onTrial === false, 15_000);
    expect(meter.runningVersion).toBe("1.1.0");
    const froms = server.requests.map((r) => r.from);
    expect(froms[0]).toBe(0);
    expect(froms[1]).toBe(0); // the header again, to know which image this is
    expect(froms[2]).toBe(saved); // then on from the saved sector
    expect(froms.length).toBe(3);
    console.log(`resume after reboot: cut at 12000, ${saved} bytes kept in flash, ranges ${froms.join(", ")}`);
  }, 40_000);
});
