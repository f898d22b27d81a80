// The broker tier on NATS: three nats-server nodes clustered on loopback with JetStream and their
// MQTT endpoints (3.1.1, sessions and QoS 1 messages in JetStream streams replicated on all three),
// meters spread over the nodes, the head-end's ingest on the first; one node is SIGKILLed mid-run
// (its meters keep their outboxes) and restarted: every message is stored once, none lost.
// Debian's nats-server 2.9 refuses MQTT topic names with "." (a NATS subject separator), and the
// readings' topics end in an OBIS code ("…/1-0:1.8.0"): the cluster test here carries the meters'
// 10-min PQ aggregates (…/pq/10min, no dot), and a second test pins the refusal of the dotted form
// down, so that it fails — and says so — on a nats-server that takes them (2.10 maps "." in MQTT
// topics). Readings of every kind go through NATS in the underscored form ("…/1-0:1_8_0",
// cloud.obisTopics) in test/headend/broker/nats-failover.test.ts.
import { afterAll, describe, expect, it } from "vitest";
import { missing } from "../../support/requires";
import { NatsCluster } from "../../support/nats";
import { until } from "../../support/until";
import { SqliteStore } from "../../../hosts/headend/store/sqlite-store";
import { Ingest } from "../../../hosts/headend/ingest/ingest";
import { FakeNode } from "../support/fake-node";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(missing("nats"))("head-end ingest through a 3-node NATS cluster", () => {
  const cluster = new NatsCluster();
  const nodes: FakeNode[] = [];
  let ingest: Ingest | undefined;
  afterAll(async () => {
    for (const n of nodes) n.stop();
    await ingest?.stop();
    await cluster.stopAll();
  });

  it("loses nothing when one node is killed mid-run", async () => {
    await cluster.init(3);
    await Promise.all([0, 1, 2].map((i) => cluster.start(i)));
    await sleep(2500); // the cluster elects its JetStream meta leader
    const store = new SqliteStore(":memory:");
    await store.migrate();
    // NATS speaks MQTT 3.1.1: a persistent (clean = 0) session, no shared subscriptions
    ingest = new Ingest({ store, mqttUrl: cluster.url(0), clientId: "headend-nats", protocolVersion: 4 });
    let connected = false;
    ingest.subscriber.onConnect = () => { connected = true; };
    ingest.start();
    await until("ingest on node 1", () => connected, 20_000, 50);
    await sleep(500);
    for (let k = 0; k < 6; k++) {
      const n = new FakeNode(`nats-${k}`, cluster.url(k % 3), [1], undefined, true);
      n.start();
      nodes.push(n);
    }
    await until("meters connected", () => nodes.every((n) => n.client.isConnected), 20_000, 50);
    for (const n of nodes) n.run(40);
    await sleep(1500);
    await cluster.kill(2); // node 3 dies; its two meters lose their broker and keep publishing into their outboxes
    await sleep(1500);
    await cluster.start(2);
    await sleep(1500);
    for (const n of nodes) n.pause();
    const expected = nodes.reduce((s, n) => s + n.publishedPq.size, 0);
    await until("outboxes drained", () => nodes.every((n) => n.unacked === 0), 30_000, 100).catch((e) => {
      console.log(nodes.map((n) => `${n.node}: connected ${n.client.isConnected}, unacked ${n.unacked}, ${JSON.stringify(n.client.stats)}`).join("\n"), cluster.dir);
      throw e;
    });
    let rows = 0;
    await until("every aggregate stored", () => { void store.counts().then((c) => { rows = c.pq; }); return rows >= expected; }, 30_000, 100);
    await sleep(500);
    expect((await store.counts()).pq).toBe(expected);
    expect(expected).toBeGreaterThan(100);
    for (const n of nodes) expect((await store.pq({ node: n.node, meterId: 1 }, -Infinity, Infinity)).length).toBe(n.publishedPq.size);
    await store.close();
  }, 90_000);

  it("nats-server 2.9 refuses the readings' OBIS topics (a dot in the topic): the blocker for readings on NATS", async () => {
    const n = new FakeNode("nats-dot", cluster.url(1), [1]);
    n.start();
    nodes.push(n);
    await sleep(1500);
    // the broker drops the session at the first reading's topic; the reading stays in the outbox
    expect(n.unacked).toBeGreaterThan(0);
    expect(n.client.stats.disconnects).toBeGreaterThan(0);
  }, 20_000);
});
