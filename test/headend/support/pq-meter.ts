// A meter node for the broker-tier test and bench on NATS: the firmware's CloudLink over the real
// MqttClient, whose Network is a FailoverNetwork over the cluster's nodes (it moves to the next node
// when its connection drops). It publishes one 10-min power-quality aggregate per meter per step —
// …/meter/<id>/pq/10min, a topic without a dot, which nats-server 2.9's MQTT takes (it refuses the
// readings' OBIS topics, see docs/headend-scaling.md). Every aggregate handed to the session is
// recorded, with the wall time it was handed over, so the store can be compared with it.
import { getRandomValues } from "node:crypto";
import type { Household, HouseholdSnapshot } from "../../../modules/core/household";
import { MqttClient } from "../../../modules/mqtt/client";
import { MemoryOutbox } from "../../../modules/mqtt/flash-outbox";
import { CloudLink, type MqttPublisher } from "../../../modules/mqtt/cloud-link";
import { memoryCounters } from "../../../modules/mqtt/downlink-counters";
import { clientPublisher } from "../../../modules/mqtt/client-publisher";
import { NodeNetwork } from "../../../hosts/node/http/node-network";
import { nodeClock } from "../../../hosts/node/node-clock";
import { FailoverNetwork, parseEndpoints } from "../../../hosts/headend/broker/failover-network";

const KEY = new Uint8Array(32).fill(7);
const PQ_TOPIC = /\/meter\/(\d+)\/pq\/10min$/;

export class PqMeter {
  /** "meterId/boot/seq" → the wall-clock ms it was handed to the MQTT session. */
  readonly published = new Map<string, number>();
  readonly outbox = new MemoryOutbox();
  readonly network: FailoverNetwork;
  readonly client: MqttClient;
  private readonly link: CloudLink;
  private t: number;
  private tick?: NodeJS.Timeout;

  constructor(readonly node: string, urls: string, readonly meterIds: number[] = [1], readonly boot = 1, t0 = Date.UTC(2026, 11, 2, 8)) {
    this.t = t0;
    const clock = nodeClock();
    const endpoints = parseEndpoints(urls);
    this.network = new FailoverNetwork(new NodeNetwork(), endpoints);
    this.client = new MqttClient({ network: this.network, clock, random: { fill: (b) => void getRandomValues(b) }, host: endpoints[0].host, port: endpoints[0].port, clientId: `xsmeter-${node}`, outbox: this.outbox, will: CloudLink.will(node), keepaliveSec: 10, minBackoffMs: 50, maxBackoffMs: 500 });
    const inner = clientPublisher(this.client);
    const mqtt: MqttPublisher = {
      publish: (topic, payload, qos, retain) => {
        const ok = inner.publish(topic, payload, qos, retain);
        const m = PQ_TOPIC.exec(topic);
        if (ok && m) this.published.set(`${m[1]}/${boot}/${(JSON.parse(new TextDecoder().decode(payload)) as { seq: number }).seq}`, Date.now());
        return ok;
      },
      subscribe: (f, q) => inner.subscribe(f, q),
      onMessage: (h) => inner.onMessage(h),
    };
    this.link = new CloudLink({ node, household: this.household(), mqtt, clock, macKey: KEY, counters: memoryCounters(), boot, periodMs: 3_600_000 });
  }

  private household(): Household {
    return {
      snapshot: () => ({
        t: this.t,
        meters: this.meterIds.map((id) => ({ id, name: `M${id}`, values: {} })),
        events: [],
        pq10min: this.meterIds.map((meterId) => ({ meterId, start: this.t - 600_000, end: this.t, voltageV: [230 + (this.t / 1000) % 3], currentA: [2], powerW: [460], thdVoltagePct: [2], thdCurrentPct: [9], frequencyHz: 50, flagged: false })),
      }) as unknown as HouseholdSnapshot,
      history: () => [],
      switchLoad: () => ({ ok: true }),
      scheduleLoad: () => ({ ok: true }),
      onChange: () => () => {},
    };
  }

  start(): void {
    this.client.start();
    this.link.start();
  }

  /** One new aggregate per meter (each 1 s later in the meter's time). */
  step(): void {
    this.t += 1000;
    this.link.publishAggregates();
  }

  run(ms: number): void {
    this.tick = setInterval(() => this.step(), ms);
  }

  pause(): void {
    clearInterval(this.tick);
  }

  stop(): void {
    this.pause();
    this.link.stop();
    this.client.stop();
  }

  /** QoS 1 messages the broker has not acknowledged yet. */
  get unacked(): number {
    return this.outbox.ids().length;
  }
}
