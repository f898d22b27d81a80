// The sim's cloud wiring against the embedded broker (aedes) on an ephemeral port:
// the real-time household (pipeline front-ends, authenticated CAN) publishes its
// readings through MqttClient + FlashOutbox + CloudLink; a separate MqttClient
// subscribes and must see increasing seq for a meter's OBIS code, the retained
// Home Assistant discovery, and a forged load command refused (cmd/result ok:false)
// while one signed with the node's key (HMAC computed here with node:crypto) is
// applied and its replay refused; on stop the retained status turns "offline".
import { STATUS_TEMPLATE } from "../../modules/mqtt/ha-discovery";
import { afterAll, describe, expect, it } from "vitest";
import { until } from "../support/until";
import { createHmac, getRandomValues } from "node:crypto";
import { MqttClient } from "../../modules/mqtt/client";
import { MemoryOutbox } from "../../modules/mqtt/flash-outbox";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../hosts/node/mqtt/embedded-broker";
import { HouseholdSim } from "../../hosts/node/sim/household-sim";
import { cloudMacKey, startSimCloud, type SimCloud } from "../../hosts/node/sim/cloud";
import { nodeClock } from "../../hosts/node/node-clock";

const clock = nodeClock();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (b: Uint8Array) => new TextDecoder().decode(b);


function signed(key: Uint8Array, topic: string, body: object): Uint8Array {
  const json = JSON.stringify(body);
  const mac = createHmac("sha256", Buffer.from(key)).update(`${topic}\n${json}`).digest("hex");
  return new TextEncoder().encode(`h1.${mac}.${json}`);
}

describe("sim cloud link over the embedded broker", () => {
  let broker: EmbeddedBroker | undefined;
  let sim: HouseholdSim | undefined;
  let cloud: SimCloud | undefined;
  let sub: MqttClient | undefined;

  afterAll(async () => {
    sub?.stop();
    cloud?.stop();
    sim?.stop();
    await sleep(50);
    await broker?.close();
  });

  it("publishes readings with increasing seq and retained discovery, and refuses a forged command", async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    sim = new HouseholdSim(clock, { seed: 11, slaves: 2, frontEnd: "pipeline", link: "can" });
    sim.start();
    const node = "sim-11";
    cloud = startSimCloud({ household: sim.aggregator.store, clock, brokerUrl: broker.url, networkKey: sim.networkKey, node, periodMs: 400 });
    await until("the cloud link's connection", () => cloud!.client.isConnected);
    // Discovery is published (and acked by the broker) before we subscribe: it must come back retained.
    await until("the first readings acked by the broker", () => cloud!.link.stats.readings > 0 && cloud!.client.stats.acked >= cloud!.link.stats.readings);

    const readings = new Map<string, number[]>();
    const discovery: { topic: string; retain: boolean; body: any }[] = [];
    const results: any[] = [];
    sub = new MqttClient({ network: new NodeNetwork(), clock, random: { fill: (b) => void getRandomValues(b) }, host: "127.0.0.1", port: broker.port, clientId: "cloud-test", outbox: new MemoryOutbox(), clean: true });
    sub.subscribe(`xsmeter/${node}/meter/#`, 1);
    sub.subscribe(`homeassistant/sensor/${node}/#`, 1);
    sub.subscribe(`xsmeter/${node}/cmd/result`, 1);
    sub.subscribe(`xsmeter/${node}/status`, 1);
    const status: { state: string; boot: number; seq: number }[] = [];
    sub.onMessage((topic, payload, retain) => {
      if (topic.startsWith("homeassistant/")) discovery.push({ topic, retain, body: JSON.parse(text(payload)) });
      else if (topic.endsWith("/status")) status.push(JSON.parse(text(payload)));
      else if (topic.endsWith("/cmd/result")) results.push(JSON.parse(text(payload)));
      else readings.set(topic, [...(readings.get(topic) ?? []), JSON.parse(text(payload)).seq]);
    });
    sub.start();

    const power = `xsmeter/${node}/meter/1/1-0:16.7.0`;
    await until("three power readings of meter 1", () => (readings.get(power)?.length ?? 0) >= 3);
    const seqs = readings.get(power)!;
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]);

    const cfg = discovery.find((d) => d.topic === `homeassistant/sensor/${node}/m1_power_net/config`);
    expect(cfg, `discovery topics: ${discovery.map((d) => d.topic).join(", ")}`).toBeDefined();
    expect(cfg!.retain).toBe(true);
    expect(cfg!.body).toMatchObject({ state_topic: power, device_class: "power", availability: [{ topic: `xsmeter/${node}/status`, value_template: STATUS_TEMPLATE }, { topic: `xsmeter/${node}/availability/1` }] });

    const loadId = sim.aggregator.store.snapshot().loads.find((l) => l.kind === "switchable")?.id;
    expect(loadId).toBeTypeOf("string");
    const cmdTopic = `xsmeter/${node}/cmd/load`;
    // Forged: signed with a key derived for another node (what a neighbour's meter would hold).
    sub.publish(cmdTopic, signed(cloudMacKey(sim.networkKey, "sim-12"), cmdTopic, { ctr: 5, id: loadId, on: true }), 1);
    await until("the forged command's result", () => results.length >= 1);
    expect(results[0]).toMatchObject({ kind: "load", ok: false, ctr: 5, refused: "forged" }); // the ctr it carried, echoed
    expect(results[0].error).toMatch(/forged/);
    expect(cloud.link.stats.forged).toBe(1);

    // Signed with this node's key: accepted and applied.
    sub.publish(cmdTopic, signed(cloudMacKey(sim.networkKey, node), cmdTopic, { ctr: 6, id: loadId, on: false }), 1);
    await until("the signed command's result", () => results.length >= 2);
    expect(results[1]).toMatchObject({ kind: "load", ctr: 6, ok: true });

    // Replaying the signed command is refused too.
    sub.publish(cmdTopic, signed(cloudMacKey(sim.networkKey, node), cmdTopic, { ctr: 6, id: loadId, on: false }), 1);
    await until("the replay's result", () => results.length >= 3);
    expect(results[2]).toMatchObject({ kind: "load", ok: false });
    expect(results[2].error).toMatch(/replayed/);

    expect(status[0].state).toBe("online");
    cloud.stop();
    await until("the offline status", () => status.at(-1)?.state === "offline");
    expect(status.at(-1)!.seq).toBeGreaterThan(status[0].seq); // a consumer keeping the newest shows it offline
  }, 20_000);

  it("--mqtt-version 5 against a broker without 5.0 (aedes) falls back to 3.1.1 and still publishes", async () => {
    broker ??= await startEmbeddedBroker({ port: 0 });
    const sim5 = new HouseholdSim(clock, { seed: 13, slaves: 1, frontEnd: "power", link: "direct" });
    sim5.start();
    const cloud5 = startSimCloud({ household: sim5.aggregator.store, clock, brokerUrl: broker.url, networkKey: sim5.networkKey, node: "sim-13", periodMs: 300, protocolVersion: 5 });
    try {
      await until("the fallback connection", () => cloud5.client.isConnected, 12_000);
      expect(cloud5.client.protocolVersion).toBe(4);
      await until("readings acked", () => cloud5.link.stats.readings > 0 && cloud5.client.stats.acked > 0);
    } finally {
      cloud5.stop();
      sim5.stop();
    }
  }, 20_000);
});
