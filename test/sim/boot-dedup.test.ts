// The cloud's duplicate key across reboots: a SimMeter publishing to the embedded
// broker is power-cycled three times mid-stream (readings still unacknowledged in
// the flash outbox are resent after the reboot, with their old boot and seq).
// Each boot takes its number from the flash boot counter, and sequence numbers
// restart at 1, so the subscriber's dedup by (meter, boot, seq) keeps every reading
// once and never merges two different readings — while (meter, seq) alone would.
import { afterAll, describe, expect, it } from "vitest";
import { getRandomValues } from "node:crypto";
import { MqttClient } from "../../modules/mqtt/client";
import { MemoryOutbox } from "../../modules/mqtt/flash-outbox";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../hosts/node/mqtt/embedded-broker";
import { HouseholdSim } from "../../hosts/node/sim/household-sim";
import { SimMeter } from "../../hosts/node/sim/meter";
import { nodeClock } from "../../hosts/node/node-clock";

const clock = nodeClock();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("(meter, boot, seq) across reboots", () => {
  let broker: EmbeddedBroker | undefined;
  let sim: HouseholdSim | undefined;
  let meter: SimMeter | undefined;
  let sub: MqttClient | undefined;
  afterAll(async () => {
    sub?.stop();
    meter?.stop();
    sim?.stop();
    await sleep(50);
    await broker?.close();
  });

  it("keeps every reading exactly once after dedup, and no two readings share a key", async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    sim = new HouseholdSim(clock, { seed: 5, slaves: 2 });
    sim.start();
    const node = "sim-5";
    const byKey = new Map<string, string>();
    const bySeqOnly = new Map<string, string>();
    let deliveries = 0;
    let collisions = 0;
    let seqOnlyCollisions = 0;
    sub = new MqttClient({ network: new NodeNetwork(), clock, random: { fill: (b) => void getRandomValues(b) }, host: "127.0.0.1", port: broker.port, clientId: "dedup", outbox: new MemoryOutbox(), clean: true });
    sub.subscribe(`xsmeter/${node}/meter/+/+`, 1);
    sub.onMessage((topic, payload) => {
      const text = new TextDecoder().decode(payload);
      const b = JSON.parse(text);
      const m = topic.split("/")[3];
      const what = `${topic} ${text}`;
      deliveries++;
      const k = `${m}|${b.boot}|${b.seq}|${topic}`;
      if (byKey.has(k) && byKey.get(k) !== what) collisions++;
      byKey.set(k, what);
      const k2 = `${m}|${b.seq}|${topic}`;
      if (bySeqOnly.has(k2) && bySeqOnly.get(k2) !== what) seqOnlyCollisions++;
      bySeqOnly.set(k2, what);
    });
    sub.start();
    while (!sub.isConnected) await sleep(20);

    meter = new SimMeter({ aggregator: sim.aggregator, clock, brokerUrl: broker.url, networkKey: sim.networkKey, node, periodMs: 1000 });
    meter.start();
    const published: number[] = [];
    await sleep(2500); // the slaves answer within a second; then a few rounds of readings
    for (let i = 0; i < 3; i++) {
      meter.cloud.link.publishReadings(); // a round goes out…
      published.push(meter.cloud.link.stats.readings);
      meter.reboot(); // …and the power fails before its PUBACKs: the round is still in the flash outbox
      await sleep(1600);
    }
    published.push(meter.cloud.link.stats.readings);
    const total = published.reduce((a, b) => a + b, 0);
    const end = Date.now() + 8000;
    while (byKey.size < total && Date.now() < end) await sleep(50);

    expect(meter.boots.map((b) => b.boot)).toEqual([1, 2, 3, 4]);
    const boots = new Set([...byKey.keys()].map((k) => Number(k.split("|")[1])));
    expect([...boots].sort()).toEqual([1, 2, 3, 4]);
    expect(collisions).toBe(0);
    expect(byKey.size).toBe(total); // every reading of every boot, once
    expect(seqOnlyCollisions).toBeGreaterThan(0); // what the boot number is there for
    console.log(`boot dedup: ${total} readings over 4 boots, ${deliveries} deliveries (${deliveries - total} duplicates dropped); (meter, seq) alone would have merged ${seqOnlyCollisions}`);
  }, 30_000);
});
