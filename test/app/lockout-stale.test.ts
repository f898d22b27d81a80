// A CAN lock-out is never silent (issue 14 item 4): while a meter's identifiers are locked out
// and its readings are not refreshed, the aggregator's view marks it stale with since-when, one
// alarm says why, the meter is not reported missing, and the page, the display and MQTT show it.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { AggregatorApp } from "../../modules/app/aggregator-app";
import type { LinkStats, MeterReadings, SlaveLink } from "../../modules/app/readings";
import { emptyReadings } from "../../modules/app/readings";
import { CloudLink, type MqttPublisher } from "../../modules/mqtt/cloud-link";
import { memoryCounters } from "../../modules/mqtt/downlink-counters";
import { dashboardPage } from "../../modules/http/pages";

const T0 = Date.UTC(2026, 5, 1, 12, 0);

class LockingLink implements SlaveLink {
  lock?: { id: number; since: number; until: number; failures: number };
  /** Whether the locked meter's answers still get through (the genuine slave's, past the lock). */
  through = false;
  poll(id: number, now: number): MeterReadings | undefined {
    if (id === 2 && this.lock && now < this.lock.until && !this.through) return undefined;
    return { ...emptyReadings(now), voltageV: 230 + id, powerW: 100 * id };
  }
  lockouts(id: number, now: number) {
    return id === 2 && this.lock && now < this.lock.until ? [this.lock] : [];
  }
  endCycle(): void {}
  stats(): LinkStats { return { cycles: 0, framesOk: 0, authFailures: 0, busLoadPct: 0, lastCycleMs: 0 }; }
}

describe("a CAN lock-out in the aggregator", () => {
  it("marks the meter stale with since-when, raises one alarm, is not 'missing', and shows on page and MQTT", () => {
    const clock = new VirtualClock(T0);
    const link = new LockingLink();
    const app = new AggregatorApp(clock, link, { setRelay() {}, relay: () => false, loadPowerW: () => 0, prices: () => [], grid: () => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: 0, pricesStale: false }) }, { slaveIds: [1, 2], loads: [] });
    const sent: { topic: string; body: any }[] = [];
    const mqtt: MqttPublisher = { publish(topic, p) { const text = new TextDecoder().decode(p); sent.push({ topic, body: text.startsWith("{") ? JSON.parse(text) : text }); return true; }, subscribe() {}, onMessage() {} };
    const cloud = new CloudLink({ node: "n1", household: app.store, mqtt, clock, macKey: new Uint8Array(32).fill(1), counters: memoryCounters(), periodMs: 3_600_000 });
    app.start();
    clock.advance(5000);
    const seenBefore = app.store.snapshot().meters.find((m) => m.id === 2)!.lastSeen;
    expect(app.store.snapshot().meters.find((m) => m.id === 2)!.stale).toBeUndefined();

    link.lock = { id: 0x0c2, since: clock.now(), until: clock.now() + 600_000, failures: 8 };
    clock.advance(60_000);
    const m2 = app.store.snapshot().meters.find((m) => m.id === 2)!;
    expect(m2.stale).toMatchObject({ since: seenBefore, until: link.lock.until });
    expect(m2.stale!.reason).toMatch(/CAN 0xc2 locked out after 8 failed authentications/);
    const alarms = app.store.snapshot().alarms;
    expect(alarms.filter((a) => a.kind === "auth" && a.meterId === 2)).toHaveLength(1);
    expect(alarms.some((a) => a.kind === "missing-slave")).toBe(false);
    expect(app.store.snapshot().meters.find((m) => m.id === 1)!.stale).toBeUndefined();

    // MQTT: the meter's readings say they are stale, and since when
    cloud.publishReadings();
    const r2 = sent.filter((s) => s.topic.startsWith("xsmeter/n1/meter/2/"));
    expect(r2.length).toBeGreaterThan(0);
    for (const s of r2) expect(s.body).toMatchObject({ stale: true, staleSince: seenBefore });
    expect(sent.filter((s) => s.topic.startsWith("xsmeter/n1/meter/1/")).every((s) => s.body.stale === undefined)).toBe(true);
    // the page
    const html = dashboardPage({ snap: app.store.snapshot(), offsetMin: 0 });
    expect(html).toContain(`stale since ${new Date(seenBefore).toISOString().slice(11, 16)}</td>`); // offsetMin 0: local = UTC

    // the genuine answers get through the lock: fresh again, no second alarm
    link.through = true;
    clock.advance(2000);
    expect(app.store.snapshot().meters.find((m) => m.id === 2)!.stale).toBeUndefined();
    // the lock ends
    link.through = false;
    clock.advance(600_000);
    expect(app.store.snapshot().meters.find((m) => m.id === 2)!.stale).toBeUndefined();
    expect(app.store.snapshot().alarms.filter((a) => a.kind === "auth")).toHaveLength(1);
    app.stop();
  });
});
