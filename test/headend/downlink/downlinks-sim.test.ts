// Downlinks and firmware campaigns from the head-end to simulated meters (SimMeter: the real
// CloudLink, price store, configuration and FirmwareUpdater with A/B slots) over mosquitto:
// a price table and a configuration accepted, a command signed with the wrong key refused, a
// staged campaign that goes to the rest only after the first group confirmed, and one halted by
// a rollback in the first group before the rest ever see it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseHeader } from "../../../modules/ota/image";
import { missing } from "../../support/requires";
import { Mosquitto } from "../../support/mosquitto";
import { until } from "../../support/until";
import { freePort } from "../../../hosts/node/free-port";
import { nodeClock } from "../../../hosts/node/node-clock";
import { HouseholdSim } from "../../../hosts/node/sim/household-sim";
import { SimMeter, simFirmwareImage, simUtilitySeed } from "../../../hosts/node/sim/meter";
import { cloudMacKey } from "../../../hosts/node/sim/cloud";
import { startFirmwareServer, type FirmwareServer } from "../../../hosts/node/sim/firmware-server";
import { startHeadend, type Headend } from "../../../hosts/headend/headend";
import type { DownlinkRow } from "../../../hosts/headend/store/store";

const NODES = ["town-a", "town-b", "town-c"];

describe.skipIf(missing("mosquitto"))("head-end downlinks to simulated meters over mosquitto", () => {
  let mq: Mosquitto;
  let he: Headend;
  let fw: FirmwareServer;
  const sims: HouseholdSim[] = [];
  const meters: SimMeter[] = [];

  beforeAll(async () => {
    mq = new Mosquitto(await freePort());
    await mq.start();
    he = await startHeadend({ mqttUrl: mq.url, db: ":memory:", httpPort: 0 });
    fw = await startFirmwareServer(0);
    const clock = nodeClock();
    for (const node of NODES) {
      const sim = new HouseholdSim(clock, { seed: 29, slaves: 1 }); // one seed: one utility signing key for all three
      sim.start();
      const meter = new SimMeter({ aggregator: sim.aggregator, clock, brokerUrl: mq.url, networkKey: sim.networkKey, node, rebootDelayMs: 50 });
      meter.start();
      await he.store.setNodeKey(node, cloudMacKey(sim.networkKey, node));
      sims.push(sim);
      meters.push(meter);
    }
    await until("meters and head-end connected", () => he.sender.client.isConnected && he.ingest[0].subscriber.isConnected, 10_000);
    await until("firmware states in", () => { void he.store.firmware(NODES[2]).then((f) => { seen = !!f; }); return seen; }, 10_000);
  }, 40_000);
  let seen = false;

  afterAll(async () => {
    for (const m of meters) m.stop();
    for (const s of sims) s.stop();
    await he?.stop();
    await fw?.close();
    await mq?.stop();
  });

  const result = async (id: number) => {
    let row: DownlinkRow | undefined;
    await until(`result of downlink ${id}`, () => { void he.store.downlinks(undefined, 1000).then((r) => { row = r.find((x) => x.id === id); }); return row?.resultAt !== undefined; }, 15_000, 50);
    return row!;
  };

  it("a price table and a configuration are accepted; a command under the wrong key is refused as forged", async () => {
    const hour = 3_600_000;
    const start = Math.floor(Date.now() / hour) * hour;
    const slots = Array.from({ length: 4 }, (_, k) => ({ start: start + k * hour, durationMs: hour, importMinorPerKWh: 20 + k, exportMinorPerKWh: 8, renewableShare: 0.3 }));
    const price = await he.sender.send(NODES[0], "price", { slots }, "test");
    expect(await result(price.id)).toMatchObject({ ok: true });
    const config = await he.sender.send(NODES[0], "config", { config: { publishIntervalMs: 30_000 } }, "test");
    expect(await result(config.id)).toMatchObject({ ok: true });
    await he.store.setNodeKey(NODES[1], new Uint8Array(32).fill(1));
    const forged = await he.sender.send(NODES[1], "load", { id: "boiler", on: false }, "test");
    const r = await result(forged.id);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/forged/);
    await he.store.setNodeKey(NODES[1], cloudMacKey(sims[1].networkKey, NODES[1]));
  }, 30_000);

  async function runCampaign(version: string, selftest: "pass" | "fail") {
    const image = simFirmwareImage(version, simUtilitySeed(sims[0].networkKey), { selftest, size: 64 * 1024 });
    const m = parseHeader(image).manifest;
    const url = fw.add(`xsmeter-${version}.xsota`, image);
    const c = await he.campaigns.start({ version: m.version, url, size: m.size, sha256: m.sha256 }, [NODES[0]], NODES.slice(1), "test");
    let state = c.state;
    const end = Date.now() + 50_000;
    while (Date.now() < end && state !== "done" && state !== "halted") {
      await new Promise((r) => setTimeout(r, 250));
      await he.campaigns.tick();
      state = (await he.store.campaigns()).find((x) => x.id === c.id)!.state;
    }
    return { c: (await he.store.campaigns()).find((x) => x.id === c.id)!, status: await he.campaigns.status(c) };
  }

  it("stages a campaign: the rest get the offer only after the first group confirmed; all confirm", async () => {
    const { c, status } = await runCampaign("1.1.0", "pass");
    expect(c.state).toBe("done");
    expect(status.nodes.map((n) => n.outcome)).toEqual(["confirmed", "confirmed", "confirmed"]);
    const sent = status.nodes.map((n) => n.sentAt!);
    expect(Math.min(sent[1], sent[2])).toBeGreaterThan(sent[0]);
    for (const meter of meters) expect(meter.runningVersion).toBe("1.1.0");
  }, 60_000);

  it("halts a campaign when the first group rolls back: the rest are never offered it", async () => {
    const { c, status } = await runCampaign("1.2.0", "fail");
    expect(c.state).toBe("halted");
    expect(c.reason).toMatch(/town-a: rolled back; the rest were not offered it/);
    expect(status.nodes.slice(1).map((n) => n.sentAt)).toEqual([undefined, undefined]);
    expect((await he.store.downlinks(undefined, 1000)).filter((d) => d.campaign === c.id).map((d) => d.node)).toEqual([NODES[0]]);
    await until("town-a back on 1.1.0", () => meters[0].runningVersion === "1.1.0", 15_000);
    expect(meters[1].runningVersion).toBe("1.1.0");
  }, 60_000);
});
