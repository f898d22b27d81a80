// Exactly once per (meter, boot, seq) through real mosquitto: duplicates, a broker crash, a head-end
// crash and a meter reboot in one run; two workers on a shared subscription; garbage kept aside.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getRandomValues } from "node:crypto";
import { missing } from "../../support/requires";
import { Mosquitto } from "../../support/mosquitto";
import { until } from "../../support/until";
import { freePort } from "../../../hosts/node/free-port";
import { SqliteStore } from "../../../hosts/headend/store/sqlite-store";
import { Ingest } from "../../../hosts/headend/ingest/ingest";
import { MqttClient } from "../../../modules/mqtt/client";
import { MemoryOutbox } from "../../../modules/mqtt/flash-outbox";
import { NodeNetwork } from "../../../hosts/node/http/node-network";
import { nodeClock } from "../../../hosts/node/node-clock";
import { FakeNode } from "../support/fake-node";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(): Promise<Mosquitto> {
  const m = new Mosquitto(await freePort());
  await m.start();
  cleanups.push(() => m.stop("SIGKILL"));
  return m;
}

async function openStore(file: string): Promise<SqliteStore> {
  const s = new SqliteStore(file);
  await s.migrate();
  return s;
}

function worker(store: SqliteStore, url: string, clientId = "headend-test", group?: string): Ingest {
  const w = new Ingest({ store, mqttUrl: url, clientId, group });
  w.start();
  cleanups.push(() => w.stop());
  return w;
}

function rawClient(url: string): MqttClient {
  const u = new URL(url);
  const c = new MqttClient({ network: new NodeNetwork(), clock: nodeClock(), random: { fill: (b) => void getRandomValues(b) }, host: u.hostname, port: Number(u.port), clientId: `raw-${Math.random()}`, outbox: new MemoryOutbox(), clean: true, minBackoffMs: 50 });
  c.start();
  cleanups.push(() => c.stop());
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(missing("mosquitto"))("head-end ingest over mosquitto", () => {
  it("stores every reading exactly once through duplicates, a broker restart, a head-end kill and a meter reboot", async () => {
    const mq = await broker();
    const file = join(mkdtempSync(join(tmpdir(), "xsm-he-")), "he.db");
    let store = await openStore(file);
    let ing = worker(store, mq.url);
    await until("ingest connected", () => ing.subscriber.isConnected, 5000);
    const nodes = ["n1", "n2", "n3"].map((n) => new FakeNode(n, mq.url));
    for (const n of nodes) { n.start(); n.run(15); cleanups.push(() => n.stop()); }
    await sleep(300);

    // a duplicate: the same reading published twice, as a meter resending after a lost PUBACK does
    const raw = rawClient(mq.url);
    await until("raw connected", () => raw.isConnected);
    const first = nodes[0].first!;
    raw.publish(first.topic, first.payload, 1);
    raw.publish(first.topic, first.payload, 1);

    // a broker restart: meters keep publishing into their flash outboxes. Not SIGKILL: mosquitto
    // PUBACKs a QoS 1 message before it saves it, so a SIGKILL can lose messages it acknowledged
    // (here 2-6 of ~640 in 1 run of 2 under load; docs/headend-scaling.md measures it at scale) -
    // a broker property no head-end can undo; the head-end's own crash is the SIGKILL below.
    await mq.stop("SIGTERM");
    await sleep(300);
    await mq.start();
    await sleep(300);

    ing.kill(); // head-end crash: no DISCONNECT, whatever was unacknowledged comes again
    await store.close();
    await sleep(300);
    store = await openStore(file);
    ing = worker(store, mq.url);
    await sleep(200);

    nodes[1].reboot(); // meter reboot: seq starts again at 1 under boot 2
    nodes[1].run(15);
    await sleep(300);

    for (const n of nodes) n.pause();
    const expected = nodes.reduce((s, n) => s + n.published.size, 0);
    await until("every reading stored", () => nodes.every((n) => n.unacked === 0), 15_000);
    let counts = await store.counts();
    await until("rows = published", () => { void store.counts().then((c) => { counts = c; }); return counts.readings >= expected; }, 15_000, 50).catch(async (e) => {
      if (process.env.DEBUG_HE) { // which (node, meter, boot, seq) are missing
        const db = (store as unknown as { db: import("better-sqlite3").Database }).db;
        const have = new Set((db.prepare("SELECT m.node || '/' || m.meter_id || '/' || r.boot || '/' || r.seq AS k FROM readings r JOIN meters m ON m.id = r.meter").all() as { k: string }[]).map((r) => r.k));
        for (const n of nodes) for (const k of n.published) if (!have.has(`${n.node}/${k}`)) console.log("missing", n.node, k);
        console.log(JSON.stringify(ing.stats), nodes.map((n) => n.unacked));
      }
      throw e;
    });
    await sleep(300); // anything late would be a duplicate row: there are none (unique keys) and none extra
    counts = await store.counts();
    expect(counts.readings).toBe(expected);
    for (const n of nodes) {
      for (const id of n.meterIds) {
        const rows = await store.series({ node: n.node, meterId: id }, "1-0:1.8.0", 0, Infinity, "raw");
        expect(rows.length).toBe([...n.published].filter((k) => k.startsWith(`${id}/`)).length / 2);
      }
    }
    expect(nodes[1].boot).toBe(2);
    expect(ing.stats.duplicates).toBeGreaterThanOrEqual(1);
    expect(counts.rejects).toBe(0);
  }, 40_000);

  it("splits the fleet over two workers on a shared subscription: every reading once, none twice", async () => {
    const mq = await broker();
    const file = join(mkdtempSync(join(tmpdir(), "xsm-he-")), "he.db");
    const a = await openStore(file);
    const b = await openStore(file); // a second connection to the same file, as a second process would have
    const wa = worker(a, mq.url, "headend-a", "headend");
    const wb = worker(b, mq.url, "headend-b", "headend");
    await until("workers connected", () => wa.subscriber.isConnected && wb.subscriber.isConnected, 5000);
    await sleep(100);
    const nodes = ["s1", "s2", "s3", "s4"].map((n) => new FakeNode(n, mq.url));
    for (const n of nodes) { n.start(); n.run(10); cleanups.push(() => n.stop()); }
    await sleep(800);
    for (const n of nodes) n.pause();
    const expected = nodes.reduce((s, n) => s + n.published.size, 0);
    // stored = every reading + each node's retained "online" status
    await until("all stored", () => wa.stats.stored + wb.stats.stored >= expected + nodes.length, 15_000);
    await sleep(200);
    expect((await a.counts()).readings).toBe(expected);
    expect(wa.stats.stored + wb.stats.stored).toBe(expected + nodes.length);
    expect(wa.stats.duplicates + wb.stats.duplicates).toBe(0);
    // both took a share (mosquitto's default is round robin)
    expect(wa.stats.stored).toBeGreaterThan(expected / 4);
    expect(wb.stats.stored).toBeGreaterThan(expected / 4);
    await b.close();
  }, 30_000);

  it("keeps malformed and unknown payloads aside with their reason, counts them, and goes on", async () => {
    const mq = await broker();
    const store = await openStore(":memory:");
    const w = worker(store, mq.url);
    await until("ingest connected", () => w.subscriber.isConnected, 5000);
    const raw = rawClient(mq.url);
    await until("raw connected", () => raw.isConnected);
    const enc = (x: string) => new TextEncoder().encode(x);
    const garbage: [string, Uint8Array][] = [
      ["xsmeter/g1/meter/1/1-0:1.8.0", enc("not json")],
      ["xsmeter/g1/meter/1/1-0:1.8.0", Uint8Array.of(0xff, 0xfe, 0x00)],
      ["xsmeter/g1/meter/1/1-0:1.8.0", enc(JSON.stringify({ boot: 1, seq: -1, t: 1, v: 1 }))],
      ["xsmeter/g1/meter/1/1-0:1.8.0", enc(JSON.stringify({ boot: 1, seq: 1, t: 1e15, v: "12" }))],
      ["xsmeter/g1/meter/1/1-0:1.8.0", enc("[1,2,3]")],
      ["xsmeter/g1/meter/x/1-0:1.8.0", enc(JSON.stringify({ boot: 1, seq: 1, t: 1, v: 1 }))],
      ["xsmeter/g1/meter/1/not-obis", enc(JSON.stringify({ boot: 1, seq: 1, t: 1, v: 1 }))],
      ["xsmeter/g1/meter/1/pq/10min", enc(JSON.stringify({ boot: 1, seq: 2, start: 5, end: 4 }))],
      ["xsmeter/g1/event", enc(JSON.stringify({ seq: 3 }))],
      ["xsmeter/g1/status", enc("maybe")],
      ["xsmeter/g1/firmware", enc("{}")],
      ["xsmeter/g1/cmd/result", enc(JSON.stringify({ ok: "yes" }))],
      ["xsmeter/g1/meter/1/1-0:1.8.0", new Uint8Array(20_000).fill(0x7b)],
      ["xsmeter/g1/meter/1/1-0:1.8.0", enc(JSON.stringify({ boot: 1, seq: 1, t: 1, v: 1e400 }))],
    ];
    for (const [t, p] of garbage) raw.publish(t, p, 1);
    raw.publish("xsmeter/g1/meter/1/1-0:1.8.0", enc(JSON.stringify({ boot: 1, seq: 9, t: Date.UTC(2026, 0, 1), v: 42, u: "Wh" })), 1);
    await until("all handled", () => w.stats.rejected + w.stats.stored >= garbage.length + 1, 10_000);
    expect(w.stats.rejected).toBe(garbage.length);
    expect(w.stats.stored).toBe(1);
    expect((await store.series({ node: "g1", meterId: 1 }, "1-0:1.8.0", 0, Infinity, "raw")).map((p) => p.v)).toEqual([42]);
    const reasons = await store.rejects();
    expect(reasons.reduce((s, r) => s + r.count, 0)).toBe(garbage.length);
    expect(reasons.map((r) => r.reason)).toEqual(expect.arrayContaining(["payload is not JSON", "payload is not UTF-8", "unknown meter topic", "status is not online/offline", "payload over 16384 bytes"]));
    expect(w.subscriber.stats.connects).toBe(1); // never dropped the session over it
  }, 30_000);
});
