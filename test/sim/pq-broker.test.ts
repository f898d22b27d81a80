// The 10-min power-quality aggregate end to end against a real broker (Debian's
// mosquitto, started here on an ephemeral port; the embedded aedes broker if it is
// absent): the fast household (per-second powers, 4 slaves) runs on a virtual clock
// from a UTC 10-min boundary through two intervals with a 500 ms dip to 50 % inside
// the first; the aggregator's CloudLink (MqttClient + FlashOutbox on NorFlashSim, as
// the sim wires it) publishes; a subscriber must get exactly one pq/10min message per
// meter per interval, with the values this test computes itself each second from the
// world (RMS of voltage with the dip's share, RMS of current, mean power, RMS THD, mean
// frequency), the first interval flagged and the second not.
import { afterAll, describe, expect, it } from "vitest";
import { until } from "../support/until";
import { Mosquitto } from "../support/mosquitto";
import { missing } from "../support/requires";
import { getRandomValues } from "node:crypto";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { MqttClient } from "../../modules/mqtt/client";
import { MemoryOutbox } from "../../modules/mqtt/flash-outbox";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { startEmbeddedBroker } from "../../hosts/node/mqtt/embedded-broker";
import { HouseholdSim } from "../../hosts/node/sim/household-sim";
import { startSimCloud, type SimCloud } from "../../hosts/node/sim/cloud";
import { nodeClock } from "../../hosts/node/node-clock";
import { freePort } from "../../hosts/node/free-port";

const T0 = Date.UTC(2026, 2, 20, 10, 0);
const TEN = 600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));



async function startBroker(): Promise<{ url: string; port: number; kind: string; close(): Promise<void> }> {
  if (missing("mosquitto")) {
    const b = await startEmbeddedBroker({ port: 0 });
    return { url: b.url, port: b.port, kind: "aedes (no mosquitto)", close: () => b.close() };
  }
  const m = new Mosquitto(await freePort());
  await m.start();
  return { url: m.url, port: m.port, kind: "mosquitto", close: () => m.stop() };
}

/** Per meter and interval: the test's own sums of the world's per-second values. */
class Expected {
  n = 0; uu = 0; uuNoDip = 0; ii = 0; p = 0; tu = 0; ti = 0; f = 0; flagged = false;
}

describe("pq/10min through a real broker", () => {
  let broker: Awaited<ReturnType<typeof startBroker>> | undefined;
  let cloud: SimCloud | undefined;
  let sub: MqttClient | undefined;
  afterAll(async () => {
    sub?.stop();
    cloud?.stop();
    await sleep(50);
    await broker?.close();
  });

  it("publishes exactly one aggregate per meter per interval, with independently computed values, the dip's interval flagged", async () => {
    broker = await startBroker();
    const realClock = nodeClock();
    const clock = new VirtualClock(T0);
    const slaves = 4;
    const sim = new HouseholdSim(clock, { seed: 7, slaves, frontEnd: "power", link: "direct", grid: { dipsPerDay: 0, swellsPerDay: 0, interruptionsPerDay: 0 } });
    const dip = { type: "dip" as const, start: T0 + 250_300, durationMs: 500, level: 0.5 };
    sim.world.grid.addEvent(dip);
    const node = "pq-test";
    cloud = startSimCloud({ household: sim.aggregator.store, clock: realClock, brokerUrl: broker.url, networkKey: sim.networkKey, node, periodMs: 3_600_000 });

    const got: { meter: number; body: any }[] = [];
    const discovery: string[] = [];
    let probe = false;
    sub = new MqttClient({ network: new NodeNetwork(), clock: realClock, random: { fill: (b) => void getRandomValues(b) }, host: "127.0.0.1", port: broker.port, clientId: "pq-cloud", outbox: new MemoryOutbox(), clean: true });
    sub.subscribe(`xsmeter/${node}/meter/+/pq/10min`, 1);
    sub.subscribe(`homeassistant/+/${node}/#`, 1);
    sub.subscribe(`xsmeter/${node}/probe`, 1);
    sub.onMessage((topic, payload) => {
      if (topic.endsWith("/probe")) probe = true;
      else if (topic.startsWith("homeassistant/")) discovery.push(topic);
      else got.push({ meter: Number(topic.split("/")[3]), body: JSON.parse(new TextDecoder().decode(payload)) });
    });
    sub.start();
    await until("both sessions", () => sub!.isConnected && cloud!.client.isConnected);
    // Our subscriptions are in place once a message on one of them comes back.
    sub.publish(`xsmeter/${node}/probe`, new Uint8Array([1]), 1);
    await until("the probe", () => probe);

    // The test's own view of each simulated second, after the world and the meters moved.
    const expected = new Map<string, Expected>();
    let thdu2 = 0;
    for (const h of sim.world.grid.harmonics) thdu2 += h.ratio * h.ratio;
    sim.start();
    clock.every(1000, () => {
      const now = clock.now();
      const interval = Math.floor((now - 500) / TEN);
      // The dip's share of this second (only the one event exists).
      const overlap = Math.max(0, Math.min(now, dip.start + dip.durationMs) - Math.max(now - 1000, dip.start));
      for (let id = 1; id <= slaves; id++) {
        const mp = sim.world.meterPower(id);
        let e = expected.get(`${id}/${interval}`);
        if (!e) expected.set(`${id}/${interval}`, (e = new Expected()));
        e.n++;
        e.uu += ((1000 - overlap) * mp.v * mp.v + overlap * (dip.level * mp.v) ** 2) / 1000;
        e.uuNoDip += mp.v * mp.v;
        e.ii += (mp.p * mp.p + mp.q * mp.q) / (mp.v * mp.v);
        e.p += mp.p;
        e.tu += 100 * 100 * thdu2;
        let i1 = 0, ih2 = 0;
        for (const l of sim.world.loads) {
          if (l.spec.meterId !== id || l.powerW === 0) continue;
          const a = Math.abs(l.powerW) / l.dpf;
          i1 += a;
          for (const h of l.harmonics) ih2 += (a * h.ratio) ** 2;
        }
        const thdi = i1 > 0 ? (100 * Math.sqrt(ih2)) / i1 : 0;
        e.ti += thdi * thdi;
        e.f += sim.world.grid.frequencyHz;
        if (overlap > 0) e.flagged = true;
      }
    });
    clock.runUntil(T0 + 2 * TEN + 3000);
    sim.stop();

    await until("eight aggregates", () => got.length >= 2 * slaves);
    await sleep(300); // nothing more may come
    expect(got.length).toBe(2 * slaves);
    const keys = got.map((g) => `${g.meter}/${g.body.start}`);
    expect(new Set(keys).size, "one per meter and interval").toBe(2 * slaves);
    for (const g of got) {
      const k = (g.body.start - T0) / TEN;
      expect([0, 1]).toContain(k);
      expect(g.body.end - g.body.start).toBe(TEN);
      const e = expected.get(`${g.meter}/${(g.body.start / TEN)}`)!;
      expect(e.n, "seconds in the interval").toBe(600);
      const where = `meter ${g.meter} interval ${k}`;
      expect(Math.abs(g.body.u[0] - Math.sqrt(e.uu / e.n)), where).toBeLessThanOrEqual(0.0051);
      expect(Math.abs(g.body.i[0] - Math.sqrt(e.ii / e.n)), where).toBeLessThanOrEqual(0.00051);
      expect(Math.abs(g.body.p[0] - e.p / e.n), where).toBeLessThanOrEqual(0.051);
      expect(Math.abs(g.body.thdu[0] - Math.sqrt(e.tu / e.n)), where).toBeLessThanOrEqual(0.0051);
      expect(Math.abs(g.body.thdi[0] - Math.sqrt(e.ti / e.n)), where).toBeLessThanOrEqual(0.0051);
      expect(Math.abs(g.body.f - e.f / e.n), where).toBeLessThanOrEqual(0.00051);
      expect(g.body.flagged, where).toBe(k === 0);
      expect(g.body.flagged).toBe(e.flagged);
      expect(typeof g.body.seq).toBe("number");
    }
    // The dip's half second at 50 % shows in the flagged interval's voltage (≈ 0.07 V below the RMS without it).
    for (const g of got.filter((x) => x.body.flagged)) {
      const e = expected.get(`${g.meter}/${T0 / TEN}`)!;
      expect(g.body.u[0]).toBeLessThan(Math.sqrt(e.uuNoDip / e.n) - 0.05);
    }
    // Per meter, the second interval's seq is later than the first's.
    for (let id = 1; id <= slaves; id++) {
      const mine = got.filter((g) => g.meter === id).sort((a, b) => a.body.start - b.body.start);
      expect(mine[1].body.seq).toBeGreaterThan(mine[0].body.seq);
    }
    expect(discovery).toContain(`homeassistant/sensor/${node}/m1_pq10_voltage_l1/config`);
    expect(discovery).toContain(`homeassistant/binary_sensor/${node}/m4_pq10_flagged/config`);
    console.log(`pq/10min via ${broker.kind}: ${got.length} aggregates (${slaves} meters × 2 intervals), flagged: ${got.filter((g) => g.body.flagged).length}`);
  }, 60_000);

  it.skipIf(missing("mosquitto"))("an aggregate published while the broker is down waits in the flash outbox and arrives once it is back", async () => {
    const m = new Mosquitto(await freePort());
    await m.start();
    const realClock = nodeClock();
    const clock = new VirtualClock(T0);
    const slaves = 2;
    const sim = new HouseholdSim(clock, { seed: 9, slaves, frontEnd: "power", link: "direct", grid: { dipsPerDay: 0, swellsPerDay: 0, interruptionsPerDay: 0 } });
    const node = "pq-outage";
    const c = startSimCloud({ household: sim.aggregator.store, clock: realClock, brokerUrl: m.url, networkKey: sim.networkKey, node, periodMs: 3_600_000 });
    const seen = new Map<string, number>(); // (meter, boot, seq) → deliveries
    const intervals = new Set<string>();
    let probe = false;
    // A persistent session (clean = false): the broker keeps its subscription and queues for it across the restart.
    const s = new MqttClient({ network: new NodeNetwork(), clock: realClock, random: { fill: (b) => void getRandomValues(b) }, host: "127.0.0.1", port: m.port, clientId: "pq-outage-cloud", outbox: new MemoryOutbox(), clean: false, minBackoffMs: 100, maxBackoffMs: 400 });
    s.subscribe(`xsmeter/${node}/meter/+/pq/10min`, 1);
    s.subscribe(`xsmeter/${node}/probe`, 1);
    s.onMessage((topic, payload) => {
      if (topic.endsWith("/probe")) { probe = true; return; }
      const b = JSON.parse(new TextDecoder().decode(payload));
      const meter = topic.split("/")[3];
      const key = `${meter}/${b.boot}/${b.seq}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      intervals.add(`${meter}/${b.start}`);
    });
    s.start();
    try {
      await until("both sessions", () => s.isConnected && c.client.isConnected);
      s.publish(`xsmeter/${node}/probe`, new Uint8Array([1]), 1);
      await until("the probe", () => probe);
      sim.start();
      clock.runUntil(T0 + TEN + 3000);
      await until("the first interval's aggregates", () => intervals.size === slaves);
      await m.stop();
      await until("the meter noticing the outage", () => !c.client.isConnected);
      clock.runUntil(T0 + 2 * TEN + 3000); // the second interval's aggregates go into the flash outbox
      sim.stop();
      expect(c.link.stats.aggregates).toBe(2 * slaves);
      expect(intervals.size, "nothing gets through while the broker is down").toBe(slaves);
      await m.start();
      await until("the second interval's aggregates after the restart", () => intervals.size === 2 * slaves, 20_000);
      await sleep(300);
      expect([...intervals].sort()).toEqual([1, 2].flatMap((id) => [T0, T0 + TEN].map((t) => `${id}/${t}`)).sort());
      // Unique (meter, boot, seq) keys: one per aggregate; QoS 1 may deliver a key twice, never a new one.
      expect(seen.size).toBe(2 * slaves);
      console.log(`pq/10min across a mosquitto restart: ${seen.size} aggregates, ${[...seen.values()].reduce((a, b) => a + b, 0) - seen.size} duplicate deliveries dropped by (meter, boot, seq)`);
    } finally {
      s.stop();
      c.stop();
      await sleep(50);
      await m.stop();
    }
  }, 60_000);
});
