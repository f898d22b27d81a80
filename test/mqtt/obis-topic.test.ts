// The two topic forms of a reading's OBIS code (dotted for mosquitto and Home Assistant, underscored
// for NATS, whose MQTT endpoint refuses "."), CloudLink choosing one by configuration, and the
// reverse mapping the head-end uses: both forms give the same code, any other text gives none.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { DemoHousehold } from "../../modules/app/demo-household";
import { OBIS } from "../../modules/core/obis";
import { memoryCounters } from "../../modules/mqtt/downlink-counters";
import { CloudLink, type MqttPublisher } from "../../modules/mqtt/cloud-link";
import { obisFromTopicLevel, obisTopicLevel, readingTopic, type ObisTopicForm } from "../../modules/mqtt/obis-topic";

describe("an OBIS code as a topic level", () => {
  it("writes C.D.E with underscores in the underscored form and leaves the dotted form as it is", () => {
    expect(obisTopicLevel("1-0:1.8.0", "underscored")).toBe("1-0:1_8_0");
    expect(obisTopicLevel("1-0:32.7.124", "underscored")).toBe("1-0:32_7_124");
    expect(obisTopicLevel("1-0:1.8.0", "dotted")).toBe("1-0:1.8.0");
    expect(readingTopic("n1", 3, "0-0:96.7.21", "underscored")).toBe("xsmeter/n1/meter/3/0-0:96_7_21");
    expect(readingTopic("n1", 3, "0-0:96.7.21")).toBe("xsmeter/n1/meter/3/0-0:96.7.21");
  });

  it("reads every registered code back from both forms, with no dot left in the underscored one", () => {
    for (const q of OBIS.all()) {
      const under = obisTopicLevel(q.code, "underscored");
      expect(under).not.toContain(".");
      expect(obisFromTopicLevel(under)).toBe(q.code);
      expect(obisFromTopicLevel(obisTopicLevel(q.code, "dotted"))).toBe(q.code);
    }
  });

  it("maps no other spelling to a code: mixed separators, leading zeros, F groups, out of range, garbage", () => {
    for (const level of [
      "1-0:1_8.0", "1-0:1.8_0", // mixed
      "1-0:01.8.0", "01-0:1.8.0", "1-0:1_08_0", "1-00:1.8.0", // another spelling of 1.8.0
      "1-0:1.8.0*255", "1-0:1.8.0*1", "1-0:1_8_0&255", // F: the firmware never writes it
      "1-0:256.8.0", "1-0:1_8_1000", // out of range
      "1-0:1__8_0", "1-0:1_8_0_", "_1-0:1_8_0", "1_0:1_8_0", "1-0_1_8_0", "1-0:1.8", "1-0:1_8", "1-0:1.8.0.0",
      "", "pq", "10min", "+", "#", " 1-0:1.8.0", "1-0:1.8.0 ", "1-0:1.8.0\u0000", "1-0:１.8.0", "999999999999-0:1.8.0",
    ]) expect(obisFromTopicLevel(level), level).toBeUndefined();
  });
});

function publishedTopics(form?: ObisTopicForm) {
  const clock = new VirtualClock(Date.UTC(2026, 5, 1, 12));
  const demo = new DemoHousehold(clock);
  const sent: { topic: string; body: any }[] = [];
  const mqtt: MqttPublisher = {
    publish(topic, payload) {
      const text = new TextDecoder().decode(payload);
      let body: any = text;
      try { body = JSON.parse(text); } catch { /* plain text */ }
      sent.push({ topic, body });
      return true;
    },
    subscribe() {},
    onMessage() {},
  };
  const link = new CloudLink({ node: "n1", household: demo.store, mqtt, clock, macKey: new Uint8Array(32).fill(1), counters: memoryCounters(), ...(form ? { obisTopics: form } : {}) });
  link.start();
  demo.tick();
  clock.advance(60_000);
  const readings = sent.filter((s) => /^xsmeter\/n1\/meter\/\d+\/\d/.test(s.topic));
  const stateTopics = sent.filter((s) => s.topic.startsWith("homeassistant/sensor/") && typeof s.body === "object" && /\/meter\/\d+\/\d/.test(s.body.state_topic)).map((s) => s.body.state_topic as string);
  return { readings, stateTopics };
}

describe("CloudLink's obisTopics setting", () => {
  it("publishes the dotted form by default (mosquitto and Home Assistant users see no change)", () => {
    const { readings, stateTopics } = publishedTopics();
    expect(readings.length).toBeGreaterThan(10);
    expect(readings.some((s) => s.topic === "xsmeter/n1/meter/1/1-0:32.7.0")).toBe(true);
    for (const s of readings) expect(s.topic.split("/")[4]).toMatch(/^\d+-\d+:\d+\.\d+\.\d+$/);
    expect(new Set(stateTopics)).toEqual(new Set(readings.map((s) => s.topic)));
  });

  it("publishes every reading without a dot in its topic when underscored, and HA discovery follows", () => {
    const dotted = publishedTopics("dotted").readings;
    const { readings, stateTopics } = publishedTopics("underscored");
    for (const s of readings) expect(s.topic).not.toContain(".");
    expect(readings.some((s) => s.topic === "xsmeter/n1/meter/1/1-0:32_7_0")).toBe(true);
    // the same readings, the same payloads: only the topic's spelling of the code differs
    expect(readings.map((s) => [s.topic.split("/")[3], obisFromTopicLevel(s.topic.split("/")[4]), s.body])).toEqual(dotted.map((s) => [s.topic.split("/")[3], s.topic.split("/")[4], s.body]));
    // Home Assistant subscribes to the topic the reading goes to
    expect(new Set(stateTopics)).toEqual(new Set(readings.map((s) => s.topic)));
  });

  it("refuses a form it does not know, with a clear error", () => {
    expect(() => publishedTopics("slashed" as ObisTopicForm)).toThrow(/obisTopics "slashed": "dotted" or "underscored"/);
  });
});
