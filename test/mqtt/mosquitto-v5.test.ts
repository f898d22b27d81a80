// The MQTT client speaking 5.0 to a real broker: Debian's mosquitto (2.0.11), started here
// on ephemeral ports.
// Broker A (persistence, an ACL where denied/# is read-only, max_inflight_messages 5, which
// mosquitto announces as Receive Maximum 5): connect, QoS 0 and 1 through topic aliases,
// subscribe and receive, a refused publish kept in the outbox, the broker killed and
// restarted mid-stream with no loss.
// Broker B (the dynamic-security plugin): the operator disables the meter's account, so
// mosquitto closes its session with a 5.0 DISCONNECT (0x98 administrative action); the
// meter logs it, is refused while disabled, and once enabled again loses nothing.
// (mosquitto 2.0.11 sends no DISCONNECT on a session takeover or a shutdown: a plugin's
// kick is its one operator-made DISCONNECT.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Mosquitto, persistentConf } from "../support/mosquitto";
import { missing } from "../support/requires";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { getRandomValues } from "node:crypto";
import { freePort } from "../../hosts/node/free-port";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { nodeClock } from "../../hosts/node/node-clock";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";
import { MqttClient, type MqttClientOptions } from "../../modules/mqtt/client";
import type { Properties } from "../../modules/mqtt/codec";
import { FlashOutbox, MemoryOutbox } from "../../modules/mqtt/flash-outbox";
import { until } from "../support/until";

const clock = nodeClock();
const random = { fill: (b: Uint8Array) => void getRandomValues(b) };
const network = new NodeNetwork();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const dec = (b: Uint8Array) => new TextDecoder().decode(b);



function v5client(port: number, clientId: string, extra: Partial<MqttClientOptions> = {}) {
  const reasons: string[] = [];
  const c = new MqttClient({ network, clock, random, host: "127.0.0.1", port, clientId, outbox: new MemoryOutbox(), clean: false, keepaliveSec: 10, minBackoffMs: 100, maxBackoffMs: 400, protocolVersion: 5, ...extra });
  c.onDisconnect = (r) => reasons.push(r);
  return { c, reasons };
}

/** A v5 cloud subscriber counting deliveries per (meter, seq). */
function subscriber(port: number, clientId: string, filter: string, extra: Partial<MqttClientOptions> = {}) {
  const seen = new Map<string, number>();
  const topics = new Set<string>();
  let deliveries = 0;
  const { c, reasons } = v5client(port, clientId, extra);
  c.subscribe(filter, 1);
  c.onMessage((topic, payload) => {
    deliveries++;
    topics.add(topic);
    const { m, seq } = JSON.parse(dec(payload));
    const key = `${m}#${seq}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  });
  return { c, seen, topics, reasons, deliveries: () => deliveries };
}

const unseen = (seen: Map<string, number>, m: string, n: number) => [...Array(n).keys()].map((i) => i + 1).filter((i) => !seen.has(`${m}#${i}`));

describe.skipIf(missing("mosquitto"))("MQTT 5 against mosquitto", () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = new Mosquitto(await freePort(), (dir) => {
      writeFileSync(join(dir, "acl"), "topic readwrite v5/#\ntopic read denied/#\n");
      return ["allow_anonymous true", `acl_file ${dir}/acl`, "max_queued_messages 100000", "max_inflight_messages 5"];
    });
    await broker.start();
  });
  afterAll(async () => {
    await broker?.stop();
    if (broker && !process.env.KEEP_MOSQ) rmSync(broker.dir, { recursive: true, force: true });
  });

  it("connects with 5.0, publishes QoS 0 and 1 through topic aliases within the broker's Receive Maximum, subscribes and receives; a publish the ACL refuses (PUBACK 0x87) stays in the outbox", async () => {
    const sub = subscriber(broker.port, "cloud-a", "v5/a/#");
    sub.c.start();
    await until("subscriber", () => sub.c.isConnected, 5000);
    await sleep(100); // the SUBACK
    const outbox = new MemoryOutbox();
    const { c: m } = v5client(broker.port, "meter-a", { outbox, maxInflight: 32 });
    const refused: string[] = [];
    m.onPublishError = (topic, code, reason) => refused.push(`${topic} ${code} ${reason}`);
    m.start();
    await until("meter", () => m.isConnected, 5000);
    expect(m.protocolVersion).toBe(5);
    const topics = ["v5/a/meter/1/1-0:1.8.0", "v5/a/meter/1/1-0:32.7.0", "v5/a/meter/2/1-0:1.8.0"];
    for (let seq = 1; seq <= 60; seq++) m.publish(topics[seq % 3], enc({ m: "a", seq }), 1);
    m.publish("denied/a", enc({ m: "a", seq: 0 }), 1);
    for (let seq = 61; seq <= 70; seq++) m.publish(topics[seq % 3], enc({ m: "a", seq }), 0);
    await until("70 readings at the subscriber", () => unseen(sub.seen, "a", 70).length === 0, 10_000);
    await until("the refusal", () => m.stats.refused === 1, 5000);
    expect(refused).toEqual(["denied/a 135 0x87 not authorized"]);
    expect(outbox.size).toBe(1); // only the refused one is left
    expect(outbox.get(outbox.ids()[0])!.topic).toBe("denied/a");
    expect([...sub.topics].sort()).toEqual([...topics].sort()); // aliases resolved by the broker
    expect(m.stats.aliased).toBeGreaterThanOrEqual(60); // every publish after each topic's first
    expect(m.stats.inflightPeak).toBeLessThanOrEqual(5);
    expect(m.stats.inflightPeak).toBeGreaterThanOrEqual(2);
    console.log(`mosquitto v5: 70 readings (60 QoS 1, 10 QoS 0), ${m.stats.aliased} sent by topic alias, in flight at most ${m.stats.inflightPeak} (broker's Receive Maximum 5), 1 refused (0x87) kept`);
    m.stop();
    sub.c.stop();
  }, 30_000);

  it("carries our 5.0 properties through the broker: the content type of every publish, and the will's properties when the link is cut", async () => {
    const got: { topic: string; body: string; retain: boolean; properties?: Properties }[] = [];
    const { c: sub } = v5client(broker.port, "cloud-e", { clean: true });
    sub.onMessage((topic, payload, retain, properties) => got.push({ topic, body: dec(payload), retain, properties }));
    sub.subscribe("v5/e/#", 1);
    sub.start();
    await until("subscriber", () => sub.isConnected, 5000);
    await sleep(100);
    const will = { topic: "v5/e/status", payload: new TextEncoder().encode("offline"), qos: 1 as const, retain: false, properties: { contentType: "text/plain", payloadFormatIndicator: true, userProperties: [["reason", "link lost"]] as [string, string][] } };
    const { c: m } = v5client(broker.port, "meter-e", { contentType: "application/json", will });
    m.start();
    await until("meter", () => m.isConnected, 5000);
    m.publish("v5/e/meter/1/1-0:1.8.0", enc({ m: "e", seq: 1 }), 1);
    m.publish("v5/e/meter/1/1-0:1.8.0", enc({ m: "e", seq: 2 }), 1); // by topic alias: the broker gives the subscriber the topic
    await until("two readings", () => got.length === 2, 5000);
    m.kill(); // the cable is cut: no DISCONNECT, so the broker sends the will
    await until("the will", () => got.length === 3, 5000);
    expect(got.map((g) => [g.topic, g.body, g.properties?.contentType])).toEqual([
      ["v5/e/meter/1/1-0:1.8.0", '{"m":"e","seq":1}', "application/json"],
      ["v5/e/meter/1/1-0:1.8.0", '{"m":"e","seq":2}', "application/json"],
      ["v5/e/status", "offline", "text/plain"],
    ]);
    expect(got[2].properties).toMatchObject({ payloadFormatIndicator: true, userProperties: [["reason", "link lost"]] });
    sub.stop();
  }, 20_000);

  it("delivers every reading exactly once (after dedup by seq) across a broker SIGKILL and restart mid-stream and a meter reboot during the outage", async () => {
    // Its own broker, with persistence (what it acknowledged must survive the SIGKILL) and no
    // ACL file: with broker A's acl_file, mosquitto 2.0.11 stalled delivery to the persistent
    // subscriber after the restart in most runs — 3.1.1 and 5.0 subscribers alike (its log:
    // the restored in-flight messages resent and acknowledged, the queued ones never sent).
    const broker = new Mosquitto(await freePort(), persistentConf);
    await broker.start();
    const sub = subscriber(broker.port, "cloud-b", "v5/b/#");
    sub.c.start();
    await until("subscriber", () => sub.c.isConnected, 5000);
    await sleep(100);
    const flash = new NorFlashSim({ size: 16 * 4096 });
    const meter = () => v5client(broker.port, "meter-b", { outbox: new FlashOutbox(flash), keepaliveSec: 5, will: { topic: "v5/b/status", payload: enc({ m: "will", seq: 0 }), qos: 1, retain: false, properties: { willDelayInterval: 0, contentType: "application/json" } } }).c;
    let m = meter();
    m.start();
    await until("meter", () => m.isConnected, 5000);
    let seq = 0;
    const publish = async (n: number) => { for (let i = 0; i < n; i++) { m.publish("v5/b/meter/1/1-0:32.7.0", enc({ m: "b", seq: ++seq })); if (i % 10 === 0) await sleep(5); } };
    await publish(120);
    await broker.stop("SIGKILL");
    await publish(60); // into the flash outbox while the broker is down
    m.kill(); // the meter reboots during the outage
    flash.reboot();
    m = meter();
    m.start();
    await publish(40);
    await broker.start();
    await publish(80);
    await until("every reading at the subscriber", () => unseen(sub.seen, "b", seq).length === 0, 15_000);
    await until("outbox drained", () => new FlashOutbox(flash).size === 0, 5000);
    expect(unseen(sub.seen, "b", seq)).toEqual([]);
    expect([...sub.seen.keys()].filter((k) => k.startsWith("b#")).length).toBe(seq); // nothing extra
    expect(m.protocolVersion).toBe(5);
    console.log(`mosquitto v5 restart: ${seq} readings, ${sub.deliveries()} deliveries (${sub.deliveries() - seq} duplicates dropped by seq), meter resent ${m.stats.resent}`);
    m.stop();
    sub.c.stop();
    await broker.stop();
    if (!process.env.KEEP_MOSQ) rmSync(broker.dir, { recursive: true, force: true });
  }, 40_000);
});


describe.skipIf(missing("mosquitto"))("a 5.0 DISCONNECT from mosquitto: the operator disables the meter (dynamic security)", () => {
  const PLUGIN = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so";
  let broker: Mosquitto;
  beforeAll(async () => {
    if (!existsSync(PLUGIN)) throw new Error(`${PLUGIN} is missing (Debian's mosquitto package ships it)`);
    broker = new Mosquitto(await freePort(), (dir) => {
      // the plugin's store with one admin account, made by Debian's mosquitto_ctrl
      execFileSync("/usr/bin/mosquitto_ctrl", ["dynsec", "init", join(dir, "dynsec.json"), "admin", "adminpw"], { stdio: "ignore" });
      chmodSync(join(dir, "dynsec.json"), 0o666);
      return [`plugin ${PLUGIN}`, `plugin_opt_config_file ${dir}/dynsec.json`];
    });
    await broker.start();
  });
  afterAll(async () => {
    await broker?.stop();
    if (broker && !process.env.KEEP_MOSQ) rmSync(broker.dir, { recursive: true, force: true });
  });

  it("logs DISCONNECT 0x98, names the CONNACK refusals while disabled, reconnects with backoff once enabled, and loses nothing", async () => {
    // the operator's console: our own client, speaking to the plugin's control topic
    const { c: admin } = v5client(broker.port, "operator", { username: "admin", password: new TextEncoder().encode("adminpw"), clean: true });
    const responses: any[] = [];
    admin.onMessage((_t, p) => responses.push(...JSON.parse(dec(p)).responses));
    admin.subscribe("$CONTROL/dynamic-security/v1/response", 1);
    admin.start();
    await until("operator", () => admin.isConnected, 5000);
    await sleep(100);
    const command = async (...commands: object[]) => {
      const before = responses.length;
      admin.publish("$CONTROL/dynamic-security/v1", new TextEncoder().encode(JSON.stringify({ commands })), 1);
      await until("the plugin's answer", () => responses.length >= before + commands.length, 5000);
      for (const r of responses.slice(before)) expect(r.error, JSON.stringify(r)).toBeUndefined();
    };
    await command(
      { command: "createClient", username: "meter-d", password: "meterpw" },
      { command: "createClient", username: "cloud-d", password: "cloudpw" },
      { command: "setDefaultACLAccess", acls: [{ acltype: "publishClientSend", allow: true }, { acltype: "subscribe", allow: true }] },
    );

    const sub = subscriber(broker.port, "cloud-d", "v5/d/#", { username: "cloud-d", password: new TextEncoder().encode("cloudpw") });
    sub.c.start();
    await until("subscriber", () => sub.c.isConnected, 5000);
    await sleep(100);
    const { c: m, reasons } = v5client(broker.port, "meter-d", { username: "meter-d", password: new TextEncoder().encode("meterpw"), minBackoffMs: 200, maxBackoffMs: 400 });
    m.start();
    await until("meter", () => m.isConnected, 5000);
    let seq = 0;
    const publish = (n: number) => { for (let i = 0; i < n; i++) m.publish("v5/d/meter/1/1-0:1.8.0", enc({ m: "d", seq: ++seq })); };
    publish(30);
    await until("30 acks", () => m.stats.acked === 30, 5000);

    await command({ command: "disableClient", username: "meter-d" });
    await until("the meter's DISCONNECT", () => m.stats.serverDisconnects === 1, 5000);
    expect(reasons[0]).toBe("broker disconnected: reason 0x98 administrative action");
    publish(30); // into the outbox while the account is disabled
    await until("refused reconnects", () => reasons.length >= 3, 5000);
    expect(reasons[1]).toMatch(/^broker refused the connection \(reason 0x8[67] /);
    expect(m.isConnected).toBe(false);

    await command({ command: "enableClient", username: "meter-d" });
    await until("the meter back after its backoff", () => m.isConnected, 5000);
    publish(30);
    await until("every reading", () => unseen(sub.seen, "d", seq).length === 0, 10_000);
    expect([...sub.seen.keys()].length).toBe(seq);
    expect(m.stats.connects).toBe(2);
    console.log(`mosquitto v5 DISCONNECT: ${reasons[0]}; then ${reasons.length - 1} refused reconnects (${reasons[1]}); ${seq} readings, all delivered`);
    m.stop();
    sub.c.stop();
    admin.stop();
  }, 30_000);
});
