// The broker tier past one machine: three nats-server nodes clustered on loopback (JetStream, MQTT
// sessions and QoS 1 messages in streams replicated on all three), meters spread over them, each
// publishing every kind the firmware sends — readings (in the underscored topic form, 1-0:1_8_0:
// nats-server 2.9's MQTT refuses "." in topics), 10-min aggregates, PQ events, status and firmware
// reports. Node 1 is SIGKILLed mid-run and stays dead: the meters and the ingest move to the other
// nodes (each was given the list of nodes), the meters keep publishing, and every message of every
// kind is stored exactly once — counted per kind. The head-end's downlink sender (on node 1 too, given the
// list) sends each meter a load command before the kill and one after the survivors store again: each is
// applied once and its cmd/result stored once on its downlink row.
// 1. SQLite, one ingest worker on node 1 (the node that dies).
// 2. PostgreSQL as the shared store of two ingest workers on nodes 1 and 2. NATS speaks MQTT 3.1.1
//    only (no shared subscriptions), so each worker receives the whole fleet: the store's
//    (meter, boot, seq) keys make the second copy a counted duplicate, and the fleet is still stored
//    while the first worker's node is dead and the worker fails over.
import { loadavg } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { missing } from "../../support/requires";
import { until } from "../../support/until";
import { PostgresServer } from "../../support/postgres";
import { NatsCluster } from "../../../hosts/headend/broker/nats-cluster";
import { SqliteStore } from "../../../hosts/headend/store/sqlite-store";
import { PostgresStore } from "../../../hosts/headend/store/postgres-store";
import type { HeadendStore } from "../../../hosts/headend/store/store";
import { Ingest } from "../../../hosts/headend/ingest/ingest";
import { DownlinkSender } from "../../../hosts/headend/downlink/sender";
import { FLEET_KEY, FleetMeter, type FleetKind } from "../support/fleet-meter";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const METERS = 18;
const STEP_MS = 250;
const T0 = Date.UTC(2026, 11, 2, 8);
/** The ingest's first reconnect waits this long: past the survivors' JetStream elections (see Subscriber). */
const RECONNECT_DELAY_MS = 8000;
const KINDS: FleetKind[] = ["reading", "pq", "event"];

interface Run {
  cluster?: NatsCluster;
  meters: FleetMeter[];
  ingests: Ingest[];
  sender?: DownlinkSender;
  /** What the ingest workers logged (refused subscriptions, reconnects), shown when a wait times out. */
  log: string[];
}

async function stopRun(r: Run): Promise<void> {
  for (const m of r.meters) m.stop();
  r.sender?.stop();
  for (const i of r.ingests) await i.stop();
  await r.cluster?.stopAll();
}

/**
 * Meters over the 3 nodes, the ingest workers connected first (worker k to node k), node 1 killed after
 * 2 s, 4 s more of publishing; waits until every outbox is empty and every published key is a row.
 * One worker per store (its own connection pool, as separate head-end processes have); reads go
 * through the first.
 */
async function failover(r: Run, stores: HeadendStore[]): Promise<{ killAt: number; reconnected: number; firstCommitAfter: number; metersBack: number }> {
  // ack_wait 5 s: what was in flight to the dead node comes back within the test (30 s in production, see the docs)
  const cluster = (r.cluster = await NatsCluster.create(3, "5s"));
  await cluster.startAll();
  const commits: number[] = [];
  const connects: number[] = [];
  const subscribed: number[] = [];
  let reconnectAt = NaN; // worker 1's first connection after the kill
  const store = stores[0];
  for (let k = 0; k < stores.length; k++) {
    const ingest = new Ingest({ store: stores[k], mqttUrl: cluster.urls(k), clientId: `xsmeter-headend-${k + 1}`, protocolVersion: 4, reconnectDelayMs: RECONNECT_DELAY_MS, log: (l) => r.log.push(`worker ${k + 1}: ${l}`), onStored: (o) => { if (o.stored && k === 0) commits.push(Date.now()); } });
    connects.push(0);
    subscribed.push(0);
    ingest.subscriber.onConnect = () => { if (++connects[k] === 2 && k === 0) reconnectAt = Date.now(); };
    ingest.subscriber.onSubscribed = () => { subscribed[k]++; };
    ingest.start();
    r.ingests.push(ingest);
  }
  // every filter granted: the sessions' JetStream consumers exist (DeliverNew: nothing before them reaches the ingest)
  await until("ingest workers subscribed", () => subscribed.every((c) => c === 1), 30_000, 50);
  for (let k = 0; k < METERS; k++) r.meters.push(new FleetMeter(`nats-${k}`, cluster.urls(k % 3), { t0: T0 }));
  for (const m of r.meters) m.start();
  await until("meters connected", () => r.meters.every((m) => m.client.isConnected), 20_000, 50);
  r.meters.forEach((m, k) => setTimeout(() => m.run(STEP_MS), (k * STEP_MS) / METERS));
  // the downlink sender on node 1 (it fails over with it), each meter's key in the store
  const sender = (r.sender = new DownlinkSender({ store, mqttUrl: cluster.urls(0), clientId: "xsmeter-headend-downlink" }));
  for (const m of r.meters) await store.setNodeKey(m.node, FLEET_KEY);
  sender.start();
  await until("downlink sender connected", () => sender.client.isConnected, 20_000, 50);
  const command = (k: number) => Promise.all(r.meters.map((m) => sender.send(m.node, "load", { id: `relay-${k}`, on: true }, "test")));
  await command(1);
  await sleep(2000);
  const killAt = Date.now();
  await cluster.kill(0); // node 1 dies with worker 1's session in use and a third of the meters on it
  const moved = r.meters.filter((_, k) => k % 3 === 0);
  await until("node 1's meters reconnected", () => moved.every((m) => m.client.isConnected), 30_000, 20);
  const metersBack = Date.now() - killAt;
  await until("downlink sender reconnected", () => sender.client.isConnected, 30_000, 20);
  await sleep(Math.max(0, killAt + 4000 - Date.now()));
  for (const m of r.meters) m.pause();
  await until("outboxes drained", () => r.meters.every((m) => m.unacked === 0), 30_000, 100).catch((e: Error) => {
    throw new Error(`${e.message}: ${r.meters.filter((m) => m.unacked).map((m) => `${m.node} unacked ${m.unacked} connected ${m.client.isConnected}`).join("; ")} (logs ${cluster.dir})`);
  });
  // The second command goes out from the sender's new node once the survivors store again (the outboxes
  // drained). Sent as soon as the sender was back, while the survivors still elected leaders, it never
  // reached the meters of one survivor in 1 run of 5 (all three unanswered after 90 s; most likely their
  // sessions' consumers were leaderless - not diagnosed); the row then stays unanswered on the dashboard
  // (docs/headend-scaling.md). Command 1's results still cross the kill in the meters' outboxes and
  // worker 1's session.
  await command(2);
  const expected = { reading: 0, pq: 0, event: 0 };
  for (const m of r.meters) for (const k of KINDS) expected[k] += m.published[k].size;
  let counts = { readings: 0, pq: 0, events: 0 };
  await until("every message stored", () => {
    void store.counts().then((c) => { counts = c; });
    return counts.readings >= expected.reading && counts.pq >= expected.pq && counts.events >= expected.event;
  }, 30_000, 100).catch((e: Error) => {
    throw new Error(`${e.message}: ${JSON.stringify(counts)} of ${JSON.stringify(expected)}, ingest ${JSON.stringify(r.ingests.map((i) => i.stats))}, ${r.log.slice(-5).join("; ")} (logs ${cluster.dir})`);
  });
  // every command's result on its row (bounds, not timing claims: the results wait in the meters' outboxes
  // and in worker 1's session until it is back)
  let rows = await store.downlinks(undefined, 1000);
  await until("every command's result stored", () => {
    void store.downlinks(undefined, 1000).then((x) => { rows = x; });
    return rows.length === 2 * METERS && rows.every((d) => d.resultAt !== undefined);
  }, 90_000, 200).catch((e: Error) => {
    throw new Error(`${e.message}: ${rows.filter((d) => d.resultAt === undefined).map((d) => `${d.node} ctr ${d.ctr}`).join(", ")} unanswered; applied ${r.meters.map((m) => m.loadCommands).join(" ")} (logs ${cluster.dir})`);
  });
  // worker 1 back on a survivor with its session (with 2 workers the other one may have stored everything already)
  // a bound, not a timing claim: its reconnects back off 8 s, 16 s, … and one may try the dead node first
  await until("worker 1 subscribed again", () => subscribed[0] >= 2, 75_000, 100).catch((e: Error) => {
    throw new Error(`${e.message}: ${r.log.join("; ")} (logs ${cluster.dir})`);
  });
  await sleep(1500); // what its session held, and anything redelivered late, must be counted duplicates, not rows
  expect(connects[0]).toBeGreaterThanOrEqual(2); // worker 1 reconnected, to node 2 or 3
  for (const m of moved) expect(m.network.stats.switches).toBeGreaterThan(0); // they left node 1
  for (const i of r.ingests) expect(i.stats.mqtt.sessionsLost, r.log.join("; ")).toBe(0); // each resumed its session
  // worker 1's failover: kill → connected to a survivor → its first new row from there
  const firstCommitAfter = (commits.find((t) => t > reconnectAt) ?? NaN) - killAt;
  return { killAt, reconnected: reconnectAt - killAt, firstCommitAfter, metersBack };
}

/** Per kind: published, rows, lost, duplicate rows — asserting 0 lost and 0 duplicates for each meter. */
async function perKind(store: HeadendStore, meters: FleetMeter[]): Promise<Record<string, { published: number; rows: number; lost: number; dup: number }>> {
  const out: Record<string, { published: number; rows: number; lost: number; dup: number }> = {};
  const add = (kind: string, published: number, rows: number, lost: number) => {
    const o = (out[kind] ??= { published: 0, rows: 0, lost: 0, dup: 0 });
    o.published += published;
    o.rows += rows;
    o.lost += lost;
    o.dup += rows - (published - lost);
  };
  for (const m of meters) {
    const ref = { node: m.node, meterId: 1 };
    // readings: one row per reading handed over, at the meter times it carried
    let readings = 0;
    for (const [key, times] of m.readingTimes) {
      const rows = await store.series(ref, key.slice(key.indexOf("/") + 1), -Infinity, Infinity, "raw");
      const stored = new Set(rows.map((p) => Number(p.t)));
      expect(rows.length, `${m.node} ${key}`).toBe(times.length);
      expect([...stored].sort(), `${m.node} ${key}`).toEqual([...new Set(times)].sort());
      readings += rows.length;
      add("reading", times.length, rows.length, times.filter((t) => !stored.has(t)).length);
    }
    expect(readings).toBe(m.published.reading.size);
    // aggregates: one row per interval published, each a different one, contiguous from T0
    const pq = await store.pq(ref, -Infinity, Infinity);
    const ends = new Set(pq.map((p) => Number(p.end)));
    expect(pq.length, m.node).toBe(m.published.pq.size);
    expect(ends.size).toBe(pq.length);
    expect(Math.min(...ends)).toBe(T0);
    expect(Math.max(...ends)).toBe(T0 + 1000 * (m.published.pq.size - 1));
    add("pq", m.published.pq.size, pq.length, m.published.pq.size - ends.size);
    // events: exactly the (boot, seq) keys published
    const events = await store.events(ref, -Infinity, Infinity);
    const eventKeys = events.map((e) => `1/${e.boot}/${e.seq}`).sort();
    expect(eventKeys, m.node).toEqual([...m.published.event.keys()].sort());
    add("event", m.published.event.size, events.length, [...m.published.event.keys()].filter((k) => !eventKeys.includes(k)).length);
    // firmware reports: every one stored once, none invented — also one redelivered after newer ones (NATS
    // resends what the dead node had delivered but not seen acknowledged): the history keys them on the
    // report itself (test/headend/ingest/redelivery.test.ts), the node's state on their (boot, seq)
    const fw = (await store.firmwareSince(m.node, 0)).map((f) => f.body);
    for (const b of fw) expect(m.firmware, `${m.node} stored a report it never published: ${b}`).toContain(b);
    const fwSet = new Set(fw);
    add("firmware", m.firmware.length, fw.length, m.firmware.filter((b) => !fwSet.has(b)).length);
    // commands: each applied once by its meter, its result published once and stored once on its row
    const downlinks = await store.downlinks(m.node, 100);
    expect(downlinks.length, m.node).toBe(2);
    expect(downlinks.map((d) => d.ok), m.node).toEqual([true, true]);
    expect(m.loadCommands, m.node).toBe(2);
    const results = m.results.filter((x) => x.kind === "load");
    expect(results.map((x) => x.ctr).sort(), m.node).toEqual(downlinks.map((d) => d.ctr).sort());
    const answered = downlinks.filter((d) => d.resultAt !== undefined).length;
    add("cmd/result", results.length, answered, downlinks.length - answered);
  }
  // status: the last word of every node is "online" (a retained, last-value state: nothing to count twice)
  const summaries = await store.meters(Date.now());
  const online = new Set(summaries.filter((s) => s.status === "online").map((s) => s.node));
  for (const m of meters) expect(online.has(m.node), m.node).toBe(true);
  out.status = { published: meters.length, rows: online.size, lost: meters.filter((m) => !online.has(m.node)).length, dup: 0 };
  for (const [kind, o] of Object.entries(out)) {
    expect(o.lost, kind).toBe(0);
    expect(o.dup, kind).toBe(0);
  }
  // 6 s at a step per 250 ms: ~24 steps a meter, 3 readings, an aggregate each; an event per 5, a firmware report per 10
  expect(out.reading.published).toBeGreaterThanOrEqual(METERS * 3 * 18);
  expect(out.pq.published).toBeGreaterThanOrEqual(METERS * 18);
  expect(out.event.published).toBeGreaterThanOrEqual(METERS * 3);
  expect(out.firmware.published).toBeGreaterThanOrEqual(METERS * 2);
  return out;
}

function report(label: string, kinds: Record<string, { published: number; rows: number; lost: number; dup: number }>, f: { reconnected: number; firstCommitAfter: number; metersBack: number }, ingests: Ingest[]): void {
  const k = Object.entries(kinds).map(([kind, o]) => `${kind} ${o.published} published / ${o.rows} rows / ${o.lost} lost / ${o.dup} dup`).join("; ");
  console.log(`nats failover (${label}), ${METERS} meters: ${k}; worker 1 reconnected ${f.reconnected} ms after the kill, its first new row at ${f.firstCommitAfter} ms, node 1's meters all back at ${f.metersBack} ms; redeliveries absorbed ${ingests.map((i) => i.stats.duplicates).join(" + ")}, ingest connects ${ingests.map((i) => i.stats.mqtt.connects).join(", ")}, refused subscriptions ${ingests.map((i) => i.stats.mqtt.refusedSubscriptions).join(", ")}; load ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
}

describe.skipIf(missing("nats"))("the head-end's broker tier on a 3-node NATS cluster: every kind of message", () => {
  const run: Run = { meters: [], ingests: [], log: [] };
  afterAll(() => stopRun(run));

  it("SQLite, one ingest: loses and duplicates nothing of any kind when the ingest's node is SIGKILLed mid-run", async () => {
    const store = new SqliteStore(":memory:");
    await store.migrate();
    const f = await failover(run, [store]);
    const kinds = await perKind(store, run.meters);
    expect(run.ingests[0].stats.rejected, `guard ${JSON.stringify(run.ingests[0].stats.guard.byReason)}, store ${JSON.stringify(await store.rejects())}`).toBe(0);
    report("SQLite, 1 ingest", kinds, f, run.ingests);
    await store.close();
  }, 180_000);
});

describe.skipIf(missing("nats", "postgres"))("PostgreSQL as the shared store of two ingest workers behind the NATS cluster", () => {
  const run: Run = { meters: [], ingests: [], log: [] };
  const pg = new PostgresServer();
  beforeAll(() => pg.start(), 60_000);
  afterAll(async () => {
    await stopRun(run);
    pg.remove();
  });

  it("stores every message of every kind once while worker 1's node is SIGKILLed", async () => {
    // one PostgresStore per worker: two pools, as two head-end processes would have
    const stores = [new PostgresStore(pg.url), new PostgresStore(pg.url)];
    await stores[0].migrate();
    await stores[1].migrate();
    const f = await failover(run, stores);
    const kinds = await perKind(stores[0], run.meters);
    // the guard names the rejects it made; the store's own (e.g. "a second reading of this code at the same time") are in its table
    const reasons = JSON.stringify(await stores[0].rejects());
    for (const i of run.ingests) expect(i.stats.rejected, `guard ${JSON.stringify(i.stats.guard.byReason)}, store ${reasons}`).toBe(0);
    // both workers received the fleet: together they stored each message once and saw it twice
    const stored = run.ingests.reduce((s, i) => s + i.stats.stored, 0);
    const duplicates = run.ingests.reduce((s, i) => s + i.stats.duplicates, 0);
    expect(duplicates).toBeGreaterThan(kinds.reading.rows / 2);
    expect(stored).toBeGreaterThanOrEqual(kinds.reading.rows + kinds.pq.rows + kinds.event.rows + kinds.firmware.rows);
    report("PostgreSQL shared by 2 ingest workers", kinds, f, run.ingests);
    for (const s of stores) await s.close();
  }, 180_000);
});
