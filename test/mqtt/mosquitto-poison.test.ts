// Issue 14 item 1 against a real broker: poison downlinks (the odd-length MAC
// 'h1.abc.{"ctr":1}', a signed null, a retained one) wait in the meter's persistent
// session while it is off and across a broker restart. The meter (the sim's cloud link:
// MqttClient + flash outbox + CloudLink) takes them, refuses each with a reason, PUBACKs
// them, serves the next good command, and after another reboot gets only the retained one again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac, getRandomValues } from "node:crypto";
import { rmSync } from "node:fs";
import { missing } from "../support/requires";
import { Mosquitto } from "../support/mosquitto";
import { until } from "../support/until";
import { freePort } from "../../hosts/node/free-port";
import { nodeClock } from "../../hosts/node/node-clock";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";
import { cloudMacKey, startSimCloud, type SimCloud } from "../../hosts/node/sim/cloud";
import { DemoHousehold } from "../../modules/app/demo-household";
import { MqttClient } from "../../modules/mqtt/client";
import { MemoryOutbox } from "../../modules/mqtt/flash-outbox";
import { FlashCounterStore } from "../../modules/secure/counter-store";

const NODE = "poison1";
const NETWORK_KEY = new Uint8Array(16).fill(3);
const enc = (s: string) => new TextEncoder().encode(s);
const topic = (kind: string) => `xsmeter/${NODE}/cmd/${kind}`;
const signedText = (kind: string, json: string) => enc(`h1.${createHmac("sha256", Buffer.from(cloudMacKey(NETWORK_KEY, NODE))).update(`${topic(kind)}\n${json}`).digest("hex")}.${json}`);

describe.skipIf(missing("mosquitto"))("poison downlinks in a persistent mosquitto session", () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = new Mosquitto(await freePort());
    await broker.start();
  });
  afterAll(async () => {
    await broker?.stop();
    if (broker) rmSync(broker.dir, { recursive: true, force: true });
  });

  it("are refused, acknowledged and not redelivered; the aggregator survives a restart and serves the next command", async () => {
    const clock = nodeClock();
    const demo = new DemoHousehold(clock);
    // the meter's flash survives its reboots: the outbox and the per-kind downlink counters
    const outboxFlash = new NorFlashSim({ size: 16 * 4096 });
    const counterFlash = new NorFlashSim({ size: 2 * 4096 });
    const boot = (n: number): SimCloud => startSimCloud({ household: demo.store, clock, brokerUrl: broker.url, networkKey: NETWORK_KEY, node: NODE, periodMs: 3_600_000, meter: { outboxFlash, counters: new FlashCounterStore(counterFlash), boot: n } });
    const utility = new MqttClient({ network: new NodeNetwork(), clock, random: { fill: (b) => void getRandomValues(b) }, host: "127.0.0.1", port: broker.port, clientId: "utility-poison", outbox: new MemoryOutbox(), clean: true, minBackoffMs: 100, maxBackoffMs: 400 });
    const results: any[] = [];
    utility.subscribe(topic("result"), 1);
    utility.onMessage((_t, p) => results.push(JSON.parse(new TextDecoder().decode(p))));
    utility.start();

    // 1. the meter's session exists (it subscribed to cmd/+ at QoS 1), then its power goes
    let meter = boot(1);
    await until("meter and utility connected", () => meter.client.isConnected && utility.isConnected);
    await new Promise((r) => setTimeout(r, 200)); // the SUBSCRIBE is through
    meter.kill();
    await new Promise((r) => setTimeout(r, 100));

    // 2. poison while it is off: queued in its session; one retained
    utility.publish(topic("load"), enc('h1.abc.{"ctr":1}'), 1);
    utility.publish(topic("load"), signedText("load", "null"), 1);
    utility.publish(topic("config"), signedText("config", "[]"), 1, true);
    await until("poison acknowledged by the broker", () => utility.stats.acked >= 3);
    // 3. the broker restarts (sessions and retained messages saved)
    await broker.stop();
    await broker.start();
    await until("utility back", () => utility.isConnected, 10_000);

    // 4. the meter boots: the poison arrives, is refused, and the meter serves a good command
    meter = boot(2);
    await until("poison refused", () => meter.link.stats.malformed >= 3, 10_000);
    expect(meter.client.stats.handlerErrors).toBe(0);
    utility.publish(topic("load"), signedText("load", JSON.stringify({ ctr: 1, id: "oven", on: false })), 1);
    await until("the good command's result", () => results.some((r) => r.ctr === 1 && r.ok === true), 10_000);
    expect(demo.store.snapshot().loads.find((l) => l.id === "oven")!.on).toBe(false);
    const refused = results.filter((r) => r.refused === "malformed");
    expect(refused.filter((r) => r.kind === "load")).toHaveLength(2);
    // the retained one comes from the queue and again with the meter's re-SUBSCRIBE: refused each time
    expect(refused.filter((r) => r.kind === "config").length).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 300)); // the PUBACKs are through
    meter.kill();

    // 5. another reboot: the queued poison was acknowledged, so only the retained one comes back
    meter = boot(3);
    await until("meter up again", () => meter.client.isConnected, 10_000);
    await until("the retained poison", () => meter.link.stats.malformed >= 1, 5000);
    await new Promise((r) => setTimeout(r, 500));
    expect(meter.link.stats.malformed).toBe(1);
    expect(meter.link.stats.commandsAccepted).toBe(0);
    meter.stop();
    utility.stop();
  }, 40_000);
});
