// The node's status after a reconnect: when a connection drops without DISCONNECT the broker publishes
// the will ("offline", retained), so CloudLink says "online" again on every reconnect — once per
// reconnect, not on the first connection (start() already queued it) — through clientPublisher's
// onConnect, which keeps a hook set before it.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { DemoHousehold } from "../../modules/app/demo-household";
import { memoryCounters } from "../../modules/mqtt/downlink-counters";
import { CloudLink, type MqttPublisher } from "../../modules/mqtt/cloud-link";
import { clientPublisher } from "../../modules/mqtt/client-publisher";
import type { MqttClient } from "../../modules/mqtt/client";

function link(withHook: boolean) {
  const clock = new VirtualClock(Date.UTC(2026, 5, 1, 12));
  const statuses: string[] = [];
  let connected: (() => void) | undefined;
  const mqtt: MqttPublisher = {
    publish(topic, payload, _q, retain) {
      if (topic === "xsmeter/s1/status") statuses.push(`${JSON.parse(new TextDecoder().decode(payload)).state}${retain ? " retained" : ""}`);
      return true;
    },
    subscribe() {},
    onMessage() {},
    ...(withHook ? { onConnect: (h: () => void) => void (connected = h) } : {}),
  };
  const l = new CloudLink({ node: "s1", household: new DemoHousehold(clock).store, mqtt, clock, macKey: new Uint8Array(32).fill(1), counters: memoryCounters(), periodMs: 3_600_000 });
  l.start();
  return { statuses, connect: () => connected!() };
}

describe("CloudLink's status across reconnects", () => {
  it("publishes online at start, not again at the first connection, and again at every reconnect", () => {
    const { statuses, connect } = link(true);
    expect(statuses).toEqual(["online retained"]);
    connect();
    expect(statuses).toEqual(["online retained"]);
    connect();
    connect();
    expect(statuses).toEqual(["online retained", "online retained", "online retained"]);
  });

  it("works with a session that cannot report connections (no onConnect)", () => {
    expect(link(false).statuses).toEqual(["online retained"]);
  });

  it("clientPublisher chains onConnect after a hook already set on the client", () => {
    const calls: string[] = [];
    const client = { onConnect: () => calls.push("earlier hook") } as unknown as MqttClient;
    clientPublisher(client).onConnect!(() => calls.push("cloud link"));
    client.onConnect!();
    expect(calls).toEqual(["earlier hook", "cloud link"]);
  });
});
