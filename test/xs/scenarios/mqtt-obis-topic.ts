// XS conformance: the underscored topic form of CloudLink's readings (for NATS) and the mapping
// back to OBIS codes — every registered code both ways, and spellings that must map to nothing.
import { VirtualClock } from "../../../modules/core/virtual-clock";
import { DemoHousehold } from "../../../modules/app/demo-household";
import { OBIS } from "../../../modules/core/obis";
import { CloudLink, type MqttPublisher } from "../../../modules/mqtt/cloud-link";
import { memoryCounters } from "../../../modules/mqtt/downlink-counters";
import { obisFromTopicLevel, obisTopicLevel } from "../../../modules/mqtt/obis-topic";

export function run(): unknown {
  const clock = new VirtualClock(Date.UTC(2026, 5, 1, 12));
  const demo = new DemoHousehold(clock);
  const topics: string[] = [];
  const mqtt: MqttPublisher = {
    publish(topic) { topics.push(topic); return true; },
    subscribe() {},
    onMessage() {},
  };
  const link = new CloudLink({ node: "n1", household: demo.store, mqtt, clock, macKey: new Uint8Array(32).fill(1), counters: memoryCounters(), obisTopics: "underscored" });
  link.start();
  demo.tick();
  clock.advance(60_000);
  const roundTrips = OBIS.all().map((q) => [q.code, obisTopicLevel(q.code, "underscored"), obisFromTopicLevel(obisTopicLevel(q.code, "underscored")) ?? null]);
  const refused = ["1-0:1_8.0", "1-0:01.8.0", "1-0:1.8.0*255", "1-0:256_8_0", "1-0:1__8_0", "", "pq"].map((l) => obisFromTopicLevel(l) ?? null);
  return { readingTopics: topics.filter((t) => t.indexOf("/meter/") > 0).slice(0, 40), withDot: topics.filter((t) => t.indexOf(".") >= 0).length, roundTrips, refused };
}
