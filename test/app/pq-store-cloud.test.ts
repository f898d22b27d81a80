// The aggregator's side of the 10-min aggregate: HouseholdStore keeps the newest
// per meter in the snapshot (pq10min, what the web API serves), AggregatorApp
// takes it from the link, and CloudLink publishes it once per meter per interval
// on xsmeter/<node>/meter/<id>/pq/10min (QoS 1, the meter's seq) with HA discovery.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { DemoHousehold } from "../../modules/app/demo-household";
import { HouseholdStore } from "../../modules/app/household-store";
import { AggregatorApp } from "../../modules/app/aggregator-app";
import type { LinkStats, MeterReadings, SlaveLink } from "../../modules/app/readings";
import { emptyReadings } from "../../modules/app/readings";
import type { PqAggregate } from "../../modules/core/household";
import { memoryCounters } from "../../modules/mqtt/downlink-counters";
import { CloudLink, type MqttPublisher } from "../../modules/mqtt/cloud-link";
import { qualityPage } from "../../modules/http/pages";
import { startWebServer } from "../../hosts/node/http/serve";
import { STATUS_TEMPLATE } from "../../modules/mqtt/ha-discovery";

const T0 = Date.UTC(2026, 5, 1, 12, 0);
const TEN = 600_000;

function pq(meterId: number, end: number, o: Partial<PqAggregate> = {}): PqAggregate {
  return { meterId, start: end - TEN, end, voltageV: [231.234567], currentA: [2.3456789], powerW: [-512.3456], thdVoltagePct: [3.14159], thdCurrentPct: [12.3456], frequencyHz: 50.0123456, flagged: false, ...o };
}

describe("HouseholdStore", () => {
  it("keeps the newest aggregate per meter in the snapshot, across the app's updates, and tells listeners", () => {
    const clock = new VirtualClock(T0);
    const demo = new DemoHousehold(clock);
    const store = demo.store;
    let heard = 0;
    store.onChange(() => heard++);
    expect(store.snapshot().pq10min).toBeUndefined();
    expect(store.setAggregate(pq(2, T0))).toBe(true);
    expect(store.setAggregate(pq(1, T0))).toBe(true);
    expect(heard).toBe(2);
    expect(store.setAggregate(pq(2, T0, { voltageV: [999] })), "the same interval again").toBe(false);
    expect(store.setAggregate(pq(2, T0 - TEN)), "an older interval").toBe(false);
    expect(heard).toBe(2);
    expect(store.snapshot().pq10min!.map((a) => [a.meterId, a.end, a.voltageV[0]])).toEqual([[1, T0, 231.234567], [2, T0, 231.234567]]);
    demo.tick(); // the app replaces the snapshot: the aggregates stay in it
    expect(store.snapshot().pq10min!.map((a) => a.meterId)).toEqual([1, 2]);
    expect(store.setAggregate(pq(2, T0 + TEN, { flagged: true }))).toBe(true);
    expect(store.aggregates().find((a) => a.meterId === 2)).toMatchObject({ end: T0 + TEN, flagged: true });
    // Malformed ones are refused with a reason, and the one held stays.
    const bad: [Partial<PqAggregate>, RegExp][] = [
      [{ end: T0 + TEN + 1000 }, /10-min step/],
      [{ start: T0 }, /10-min step/],
      [{ voltageV: [NaN] }, /finite/],
      [{ frequencyHz: Infinity }, /finite/],
      [{ currentA: [1, 2] }, /per-phase/],
      [{ voltageV: [], currentA: [], powerW: [], thdVoltagePct: [], thdCurrentPct: [] }, /per-phase/],
      [{ unbalancePct: NaN }, /unbalance/],
    ];
    for (const [patch, why] of bad) {
      expect(store.setAggregate(pq(2, T0 + 5 * TEN, patch))).toBe(false);
      expect(store.pqLastProblem).toMatch(why);
    }
    expect(store.pqRejected).toBe(bad.length);
    expect(store.aggregates().find((a) => a.meterId === 2)!.end).toBe(T0 + TEN);
    // What /api/snapshot serialises.
    expect(JSON.parse(JSON.stringify(store.snapshot())).pq10min[1].end).toBe(T0 + TEN);
    // The quality page lists them (and has no such table without them).
    const html = qualityPage({ snap: store.snapshot(), offsetMin: 60 });
    expect(html).toContain("Last 10-min aggregates");
    expect(html).toMatch(/Meter 2<\/td><td>13:00–13:10<\/td><td class="n">231\.23 V/);
    expect(html).toContain("yes (dip, swell or interruption)");
    expect(qualityPage({ snap: { ...store.snapshot(), pq10min: undefined }, offsetMin: 0 })).not.toContain("10-min");
  });
});

describe("the household web page", () => {
  it("serves the aggregates in /api/snapshot and on /quality", async () => {
    const clock = new VirtualClock(T0);
    const demo = new DemoHousehold(clock);
    demo.store.setAggregate(pq(3, T0, { flagged: true }));
    const web = await startWebServer({ household: demo.store, clock, port: 0, host: "127.0.0.1" });
    try {
      const snap = (await (await fetch(`${web.url}api/snapshot`)).json()) as { pq10min: PqAggregate[] };
      expect(snap.pq10min).toEqual([pq(3, T0, { flagged: true })]);
      const html = await (await fetch(`${web.url}quality`)).text();
      expect(html).toContain("Last 10-min aggregates");
      expect(html).toContain("231.23 V");
    } finally {
      await web.close();
    }
  });
});

class StubLink implements SlaveLink {
  agg = new Map<number, PqAggregate>();
  poll(_id: number, now: number): MeterReadings | undefined { return emptyReadings(now); }
  aggregate(id: number) { return this.agg.get(id); }
  endCycle(): void {}
  stats(): LinkStats { return { cycles: 0, framesOk: 0, authFailures: 0, busLoadPct: 0, lastCycleMs: 0 }; }
}

describe("AggregatorApp", () => {
  it("moves each slave's aggregate from the link into the store", () => {
    const clock = new VirtualClock(T0);
    const link = new StubLink();
    const app = new AggregatorApp(clock, link, { setRelay() {}, relay: () => false, loadPowerW: () => 0, prices: () => [], grid: () => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: 0, pricesStale: false }) }, { slaveIds: [1, 2], loads: [] });
    app.start();
    clock.advance(2000);
    expect(app.store.aggregates()).toEqual([]);
    link.agg.set(2, pq(2, T0));
    clock.advance(1000);
    expect(app.store.aggregates().map((a) => a.meterId)).toEqual([2]);
    expect(app.store.snapshot().pq10min![0]).toEqual(pq(2, T0));
    app.stop();
  });
});

function recorder() {
  const sent: { topic: string; body: any; qos: number; retain: boolean }[] = [];
  const mqtt: MqttPublisher = {
    publish(topic, payload, qos = 0, retain = false) {
      const text = new TextDecoder().decode(payload);
      let body: any = text;
      try { body = JSON.parse(text); } catch { /* plain text */ }
      sent.push({ topic, body, qos, retain });
      return true;
    },
    subscribe() {},
    onMessage() {},
  };
  return { mqtt, sent };
}

describe("CloudLink: the pq/10min topic", () => {
  function setup() {
    const clock = new VirtualClock(T0 + 5000);
    const demo = new DemoHousehold(clock);
    const r = recorder();
    const link = new CloudLink({ node: "n1", household: demo.store, mqtt: r.mqtt, clock, macKey: new Uint8Array(32).fill(1), counters: memoryCounters(), boot: 9 });
    link.start();
    return { clock, demo, r, link };
  }
  const pqOf = <T extends { topic: string }>(sent: T[]) => sent.filter((s) => /\/pq\/10min$/.test(s.topic));

  it("publishes each meter's aggregate once per interval, QoS 1, seq continuing the meter's readings", () => {
    const { clock, demo, r, link } = setup();
    demo.store.setAggregate(pq(1, T0, { flagged: true }));
    let out = pqOf(r.sent);
    expect(out).toHaveLength(1);
    expect(out[0].topic).toBe("xsmeter/n1/meter/1/pq/10min");
    expect(out[0].qos).toBe(1);
    expect(out[0].retain).toBe(false);
    // Rounded to the OBIS resolutions, per-phase arrays, interval in ms UTC; no u2 for one phase.
    expect(out[0].body).toEqual({ boot: 9, seq: out[0].body.seq, start: T0 - TEN, end: T0, u: [231.23], i: [2.346], p: [-512.3], thdu: [3.14], thdi: [12.35], f: 50.012, flagged: true });
    const meter1Seqs = r.sent.filter((s) => s.topic.startsWith("xsmeter/n1/meter/1/")).map((s) => s.body.seq);
    expect(meter1Seqs).toEqual(meter1Seqs.map((_, i) => i + 1));
    // Readings ticks and household updates do not repeat it.
    for (let k = 0; k < 3; k++) { demo.tick(); clock.advance(60_000); }
    expect(pqOf(r.sent)).toHaveLength(1);
    // The next interval, and another meter's (three-phase: u2 too).
    demo.store.setAggregate(pq(1, T0 + TEN));
    demo.store.setAggregate(pq(3, T0 + TEN, { voltageV: [230, 231, 232], currentA: [1, 2, 3], powerW: [1, 2, 3], thdVoltagePct: [1, 2, 3], thdCurrentPct: [4, 5, 6], unbalancePct: 0.41234 }));
    out = pqOf(r.sent);
    expect(out.map((s) => [s.topic.split("/")[3], s.body.end])).toEqual([["1", T0], ["1", T0 + TEN], ["3", T0 + TEN]]);
    expect(out[2].body).toMatchObject({ u: [230, 231, 232], u2: 0.412, flagged: false });
    expect(out[1].body.seq).toBeGreaterThan(out[0].body.seq);
    expect(link.stats.aggregates).toBe(3);
  });

  it("announces voltage, THD and frequency sensors and the flag to Home Assistant, retained, once per meter", () => {
    const { demo, r } = setup();
    demo.store.setAggregate(pq(2, T0));
    demo.store.setAggregate(pq(2, T0 + TEN));
    const disc = r.sent.filter((s) => /^homeassistant\/[a-z_]+\/n1\/m2_pq10_/.test(s.topic));
    expect(disc.map((d) => d.topic).sort()).toEqual([
      "homeassistant/binary_sensor/n1/m2_pq10_flagged/config",
      "homeassistant/sensor/n1/m2_pq10_frequency/config",
      "homeassistant/sensor/n1/m2_pq10_thd_voltage_l1/config",
      "homeassistant/sensor/n1/m2_pq10_voltage_l1/config",
    ]);
    for (const d of disc) {
      expect(d.retain).toBe(true);
      expect(d.body.state_topic).toBe("xsmeter/n1/meter/2/pq/10min");
      expect(d.body.availability).toEqual([{ topic: "xsmeter/n1/status", value_template: STATUS_TEMPLATE }, { topic: "xsmeter/n1/availability/2" }]);
    }
    expect(disc.find((d) => d.topic.includes("voltage_l1"))!.body).toMatchObject({ device_class: "voltage", unit_of_measurement: "V", value_template: "{{ value_json.u[0] }}" });
    expect(disc.find((d) => d.topic.includes("flagged"))!.body).toMatchObject({ device_class: "problem" });
  });

  it("keeps an aggregate whose publish threw (a full outbox) and sends it at the next household change", () => {
    const clock = new VirtualClock(T0 + 5000);
    const demo = new DemoHousehold(clock);
    const r = recorder();
    let full = true;
    const mqtt: MqttPublisher = { ...r.mqtt, publish(topic, payload, qos, retain) {
      if (full && topic.endsWith("/pq/10min")) throw new Error("outbox full");
      return r.mqtt.publish(topic, payload, qos, retain);
    } };
    const link = new CloudLink({ node: "n1", household: demo.store, mqtt, clock, macKey: new Uint8Array(32).fill(1), counters: memoryCounters() });
    link.start();
    expect(() => demo.store.setAggregate(pq(1, T0))).not.toThrow(); // the store's caller (the aggregator's task) is not hit
    expect(link.stats.aggregateErrors).toBe(1);
    expect(pqOf(r.sent)).toHaveLength(0);
    full = false;
    demo.tick();
    expect(pqOf(r.sent).map((s) => s.body.end)).toEqual([T0]);
    demo.tick();
    expect(pqOf(r.sent)).toHaveLength(1);
  });

  it("stops listening on stop()", () => {
    const { demo, r, link } = setup();
    link.stop();
    demo.store.setAggregate(pq(1, T0));
    expect(pqOf(r.sent)).toHaveLength(0);
  });
});
