// The shipped mosquitto ACL (hosts/headend/broker/mosquitto/xsmeter.acl) against Debian's mosquitto:
// uplinks are unsigned, so the broker must keep one node out of another's topics. Node town-a, signed
// in as itself, publishes a reading and a status into town-b's topics (also under town-b's client id):
// the broker drops them and the head-end never stores them, while town-a's and town-b's own readings
// arrive. A client without an account is refused; the head-end (user headend, a shared subscription)
// reads every node.
import { afterEach, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync } from "node:fs";
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

const ACL = join(__dirname, "../../../hosts/headend/broker/mosquitto/xsmeter.acl");
const USERS: Record<string, string> = { headend: "he-secret-1", "town-a": "a-secret-1", "town-b": "b-secret-1" };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function aclBroker(): Promise<Mosquitto> {
  const m = new Mosquitto(await freePort(), (dir) => {
    const passwd = join(dir, "passwd");
    for (const [k, [user, pw]] of Object.entries(USERS).entries()) execFileSync("/usr/bin/mosquitto_passwd", [...(k === 0 ? ["-c"] : []), "-b", passwd, user, pw]);
    copyFileSync(ACL, join(dir, "xsmeter.acl")); // the shipped file itself, where the mosquitto user can read it
    return ["allow_anonymous false", `password_file ${passwd}`, `acl_file ${join(dir, "xsmeter.acl")}`];
  });
  await m.start();
  cleanups.push(() => m.stop("SIGKILL"));
  return m;
}

const as = (m: Mosquitto, user?: string) => (user ? `mqtt://${user}:${USERS[user]}@127.0.0.1:${m.port}` : m.url);

function client(m: Mosquitto, clientId: string, user?: string): MqttClient {
  const c = new MqttClient({ network: new NodeNetwork(), clock: nodeClock(), random: { fill: (b) => void getRandomValues(b) }, host: "127.0.0.1", port: m.port, clientId, outbox: new MemoryOutbox(), clean: true, minBackoffMs: 50, protocolVersion: 5, ...(user ? { username: user, password: new TextEncoder().encode(USERS[user]) } : {}) });
  c.start();
  cleanups.push(() => c.stop());
  return c;
}

const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));

describe.skipIf(missing("mosquitto"))("the mosquitto ACL keeps each node in its own topics", () => {
  it("drops town-a's publishes into town-b's topics (the head-end never stores them); both nodes' own readings arrive", async () => {
    const mq = await aclBroker();
    const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), "xsm-acl-")), "he.db"));
    await store.migrate();
    const ing = new Ingest({ store, mqttUrl: as(mq, "headend"), clientId: "headend-acl", group: "headend" });
    ing.start();
    cleanups.push(() => ing.stop());
    await until("ingest subscribed", () => ing.subscriber.isConnected && ing.subscriber.stats.refusedSubscriptions === 0, 5000);

    // polled: until() takes a synchronous check
    let snapshot: Awaited<ReturnType<typeof store.meters>> = [];
    const series = new Map<string, { t: number; v: number }[]>();
    const poll = setInterval(async () => {
      snapshot = await store.meters(Date.now());
      for (const m of snapshot) series.set(`${m.node}/${m.meterId}`, await store.series(m, "1-0:1.8.0", 0, Infinity, "raw"));
    }, 50);
    cleanups.push(() => clearInterval(poll));
    const stored = (node: string, meterId: number, _obis: string) => series.get(`${node}/${meterId}`) ?? [];
    const a = new FakeNode("town-a", as(mq, "town-a"));
    const b = new FakeNode("town-b", as(mq, "town-b"));
    for (const n of [a, b]) { n.start(); n.step(); cleanups.push(() => n.stop()); }

    // town-a's account, once under its own client id and once claiming town-b's
    const t = Date.now();
    const forged = { boot: 999, seq: 1, t, v: 1e6, u: "Wh" };
    for (const id of ["attacker-a", "xsmeter-town-b"]) {
      const evil = client(mq, id, "town-a");
      await until(`${id} connected`, () => evil.isConnected, 5000);
      evil.publish("xsmeter/town-b/meter/7/1-0:1.8.0", enc(forged), 1);
      evil.publish("xsmeter/town-b/status", enc({ state: "offline", boot: 999, seq: 1 }), 1, true);
      // then one reading into its own topics on the same connection: once it is stored, the forged
      // ones (published before it, delivered in order) would have been too
      const own = { ...forged, seq: id.length, t: t + id.length }; // its own meter 9, a time of its own
      evil.publish(`xsmeter/town-a/meter/9/1-0:1.8.0`, enc(own), 1);
      await until(`${id}'s own reading stored`, () => stored("town-a", 9, "1-0:1.8.0").some((p) => p.t === own.t), 5000);
      evil.stop();
    }
    // an anonymous client is refused at CONNECT
    const anon = client(mq, "anon");
    await new Promise((r) => setTimeout(r, 300));
    expect(anon.isConnected).toBe(false);

    // claiming town-b's client id took its session over (the ACL cannot stop that: xsmeter.conf says
    // what can), so town-b's own will said "offline"; it reconnects and says "online" again, newer than
    // its will — a forged "offline" of boot 999 would have stayed the newest and kept it offline
    await until("town-b online again", () => snapshot.some((m) => m.node === "town-b" && m.status === "online"), 10_000);
    const meters = await store.meters(Date.now());
    expect(meters.map((m) => `${m.node}/${m.meterId}`).sort()).toEqual(["town-a/1", "town-a/2", "town-a/9", "town-b/1", "town-b/2"]);
    expect(await store.series({ node: "town-b", meterId: 7 }, "1-0:1.8.0", 0, Infinity, "raw")).toEqual([]);
    for (const n of [a, b]) {
      for (const id of [1, 2]) {
        const rows = (await store.series({ node: n.node, meterId: id }, "1-0:1.7.0", 0, Infinity, "raw")).length + (await store.series({ node: n.node, meterId: id }, "1-0:1.8.0", 0, Infinity, "raw")).length;
        expect(rows, `${n.node}/${id}: every reading it published`).toBe([...n.published].filter((k) => k.startsWith(`${id}/`)).length);
        expect(rows).toBeGreaterThan(0);
      }
    }
    expect((await store.rejects()).length).toBe(0); // dropped by the broker, not kept aside by the head-end
  }, 30_000);
});
