// The broker tier past one machine: three nats-server nodes clustered on loopback (JetStream, MQTT
// sessions and QoS 1 messages in streams replicated on all three), 30 meters spread over them, the
// head-end's ingest on node 1 with a persistent session. Node 1 — the ingest's node and a third of
// the meters' — is SIGKILLed mid-run and stays dead: the meters and the ingest move to the other
// nodes (each was given the list of nodes), the meters keep publishing, and every aggregate they
// published is stored exactly once. NATS speaks MQTT 3.1.1 only: no shared subscriptions, so one
// ingest worker with failover (several workers would each receive the whole fleet).
import { afterAll, describe, expect, it } from "vitest";
import { missing } from "../../support/requires";
import { until } from "../../support/until";
import { NatsCluster } from "../../../hosts/headend/broker/nats-cluster";
import { SqliteStore } from "../../../hosts/headend/store/sqlite-store";
import { Ingest } from "../../../hosts/headend/ingest/ingest";
import { PqMeter } from "../support/pq-meter";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const METERS = 30;
const T0 = Date.UTC(2026, 11, 2, 8);

describe.skipIf(missing("nats"))("the head-end's broker tier on a 3-node NATS cluster", () => {
  let cluster: NatsCluster | undefined;
  const meters: PqMeter[] = [];
  let ingest: Ingest | undefined;
  afterAll(async () => {
    for (const m of meters) m.stop();
    await ingest?.stop();
    await cluster?.stopAll();
  });

  it("loses and duplicates nothing when the ingest's node is SIGKILLed mid-run", async () => {
    // ack_wait 5 s: what was in flight to the dead node comes back within the test (30 s in production, see the docs)
    cluster = await NatsCluster.create(3, "5s");
    await cluster.startAll();
    const store = new SqliteStore(":memory:");
    await store.migrate();
    const c = cluster;
    ingest = new Ingest({ store, mqttUrl: c.urls(0), clientId: "xsmeter-headend-nats", protocolVersion: 4 });
    let connects = 0;
    ingest.subscriber.onConnect = () => { connects++; };
    ingest.start();
    await until("ingest on node 1", () => connects === 1, 20_000, 50);
    await sleep(300); // its SUBSCRIBE is answered: the session's consumers exist
    for (let k = 0; k < METERS; k++) meters.push(new PqMeter(`nats-${k}`, c.urls(k % 3), [1], 1, T0));
    for (const m of meters) m.start();
    await until("meters connected", () => meters.every((m) => m.client.isConnected), 20_000, 50);
    for (const m of meters) m.run(100);
    await sleep(2000);
    await c.kill(0); // node 1 dies with the ingest's session in use and 10 meters on it
    await sleep(4000);
    for (const m of meters) m.pause();
    const expected = meters.reduce((s, m) => s + m.published.size, 0);
    const drained = () => meters.every((m) => m.unacked === 0);
    await until("outboxes drained", drained, 30_000, 100).catch((e: Error) => {
      throw new Error(`${e.message}: ${meters.filter((m) => m.unacked).map((m) => `${m.node} unacked ${m.unacked} connected ${m.client.isConnected}`).join("; ")} (logs ${c.dir})`);
    });
    let rows = 0;
    await until("every aggregate stored", () => { void store.counts().then((n) => { rows = n.pq; }); return rows >= expected; }, 30_000, 100).catch((e: Error) => {
      throw new Error(`${e.message}: ${rows} of ${expected} stored, ingest ${JSON.stringify(ingest!.stats)} (logs ${c.dir})`);
    });
    await sleep(1000); // anything redelivered late must be a counted duplicate, not a row
    expect((await store.counts()).pq).toBe(expected);
    expect(expected).toBeGreaterThan(METERS * 30);
    for (const m of meters) {
      const stored = await store.pq({ node: m.node, meterId: 1 }, -Infinity, Infinity);
      // one row per aggregate published, each a different interval: none lost, none twice
      expect(stored.length).toBe(m.published.size);
      expect(new Set(stored.map((r) => r.end)).size).toBe(stored.length);
      // the first at boot (T0), then one a step: every interval from T0 on, with no gap
      expect(Math.min(...stored.map((r) => r.end))).toBe(T0);
      expect(Math.max(...stored.map((r) => r.end))).toBe(T0 + 1000 * (m.published.size - 1));
    }
    const moved = meters.filter((_, k) => k % 3 === 0);
    for (const m of moved) expect(m.network.stats.switches).toBeGreaterThan(0); // they left node 1
    expect(connects).toBeGreaterThanOrEqual(2); // the ingest reconnected, to node 2 or 3
    expect(ingest.stats.rejected).toBe(0);
    console.log(`nats failover: ${expected} aggregates from ${METERS} meters, ${ingest.stats.stored} rows stored (aggregates, status, discovery), ${ingest.stats.duplicates} redeliveries recognised, ingest connects ${connects}`);
    await store.close();
  }, 90_000);
});
