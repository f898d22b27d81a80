// The MQTT client speaking 5.0 to scripted brokers (a node:net server using our codec,
// which codec-v5.test.ts cross-checks against mqtt-packet), and to aedes, a real broker
// that speaks 3.1.1 only: the client must fall back. Real sockets, real timers.
import { describe, expect, it } from "vitest";
import { getRandomValues } from "node:crypto";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { nodeClock } from "../../hosts/node/node-clock";
import { startEmbeddedBroker } from "../../hosts/node/mqtt/embedded-broker";
import { DEFAULT_MAX_PACKET, MqttClient, type MqttClientOptions } from "../../modules/mqtt/client";
import type { Packet } from "../../modules/mqtt/codec";
import { tcpBroker } from "../support/tcp-broker";
import { MemoryOutbox } from "../../modules/mqtt/flash-outbox";
import { until } from "../support/until";

const clock = nodeClock();
const random = { fill: (b: Uint8Array) => void getRandomValues(b) };
const network = new NodeNetwork();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);


// a scripted broker on a loopback port: `onPacket(p, send, connection, sock)` answers each decoded packet
const fakeBroker = tcpBroker;

function client(port: number, extra: Partial<MqttClientOptions> = {}) {
  const reasons: string[] = [];
  const c = new MqttClient({ network, clock, random, host: "127.0.0.1", port, clientId: "xsmeter-v5", outbox: new MemoryOutbox(), clean: false, keepaliveSec: 30, minBackoffMs: 50, maxBackoffMs: 200, protocolVersion: 5, ...extra });
  c.onDisconnect = (r) => reasons.push(r);
  return { c, reasons };
}

describe("MqttClient with MQTT 5", () => {
  it("sends a 5.0 CONNECT with session expiry and packet limit, and keeps the broker's Receive Maximum of QoS 1 in flight", async () => {
    let unacked = 0;
    let peak = 0;
    const waiting: { id: number; send: (p: Packet) => void }[] = [];
    const broker = await fakeBroker((p, send) => {
      if (p.cmd === "connect") send({ cmd: "connack", sessionPresent: false, returnCode: 0, properties: { receiveMaximum: 3, topicAliasMaximum: 0 } });
      if (p.cmd === "publish" && p.qos === 1) {
        peak = Math.max(peak, ++unacked);
        waiting.push({ id: p.messageId!, send });
      }
    });
    // the broker acks slowly, in batches, so the client has every chance to overrun the window
    const acker = setInterval(() => { for (const w of waiting.splice(0)) { unacked--; w.send({ cmd: "puback", messageId: w.id }); } }, 30);
    const { c } = client(broker.port, { maxInflight: 32 });
    for (let i = 0; i < 40; i++) c.publish("xsmeter/n1/meter/1/1-0:1.8.0", enc(`{"seq":${i}}`));
    c.start();
    await until("40 acks", () => c.stats.acked === 40, 5000);
    clearInterval(acker);
    const connect = broker.seen.find((s) => s.p.cmd === "connect")!.p;
    expect(connect).toMatchObject({ protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 0xffffffff, maximumPacketSize: DEFAULT_MAX_PACKET } });
    expect(peak).toBe(3);
    expect(c.stats.inflightPeak).toBe(3);
    c.stop();
    await broker.close();
  });

  it("sends the configured Receive Maximum and session expiry; clean with no expiry sends none", async () => {
    const broker = await fakeBroker((p, send) => { if (p.cmd === "connect") send({ cmd: "connack", sessionPresent: false, returnCode: 0 }); });
    const a = client(broker.port, { clientId: "a", receiveMaximum: 8, sessionExpirySec: 600 }).c;
    const b = client(broker.port, { clientId: "b", clean: true }).c;
    a.start();
    b.start();
    await until("both connected", () => a.isConnected && b.isConnected, 3000);
    const connects = broker.seen.filter((s) => s.p.cmd === "connect").map((s) => s.p as any);
    expect(connects.find((p) => p.clientId === "a").properties).toEqual({ maximumPacketSize: DEFAULT_MAX_PACKET, sessionExpiryInterval: 600, receiveMaximum: 8 });
    expect(connects.find((p) => p.clientId === "b").properties).toEqual({ maximumPacketSize: DEFAULT_MAX_PACKET });
    a.stop();
    b.stop();
    await broker.close();
  });

  it("keeps a message the broker refuses (PUBACK 0x87) in the outbox and reports it; after the broker's DISCONNECT (0x8b) it reconnects and the message goes through", async () => {
    const accepted: string[] = [];
    const broker = await fakeBroker((p, send, n) => {
      if (p.cmd === "connect") send({ cmd: "connack", sessionPresent: n > 1, returnCode: 0 });
      if (p.cmd === "publish") {
        const body = dec(p.payload);
        if (n === 1 && body === "secret") {
          send({ cmd: "puback", messageId: p.messageId!, reasonCode: 0x87, properties: { reasonString: "ACL" } });
          setTimeout(() => send({ cmd: "disconnect", reasonCode: 0x8b, properties: { reasonString: "restarting" } }), 50);
          return;
        }
        accepted.push(body);
        send({ cmd: "puback", messageId: p.messageId!, reasonCode: n === 1 ? 0x10 : 0 }); // 0x10 "no matching subscribers" is a success
      }
    });
    const { c, reasons } = client(broker.port);
    const errors: string[] = [];
    c.onPublishError = (topic, code, reason) => errors.push(`${topic} ${code} ${reason}`);
    const outbox = (c as any).o.outbox as MemoryOutbox;
    c.publish("a/1", enc("one"));
    c.publish("a/secret", enc("secret"));
    c.publish("a/3", enc("three"));
    c.start();
    await until("one refused, two accepted", () => c.stats.refused === 1 && accepted.length === 2, 3000);
    expect(errors).toEqual(["a/secret 135 0x87 not authorized (ACL)"]);
    expect(outbox.size).toBe(1);
    expect(outbox.get(outbox.ids()[0])!.topic).toBe("a/secret");
    await until("server DISCONNECT", () => c.stats.serverDisconnects === 1, 3000);
    expect(reasons[0]).toBe("broker disconnected: reason 0x8b server shutting down (restarting)");
    await until("refused message delivered on the next connection", () => outbox.size === 0, 3000);
    expect(accepted).toEqual(["one", "three", "secret"]);
    expect(broker.connections()).toBe(2);
    c.stop();
    await broker.close();
  });

  it("drops a message refused on maxRefusals connections (logged, counted) so it cannot fill the outbox; Infinity keeps it", async () => {
    // The broker never takes "bad/topic" (0x90 topic name invalid) and drops the link after refusing it.
    const broker = await fakeBroker((p, send) => {
      if (p.cmd === "connect") send({ cmd: "connack", sessionPresent: true, returnCode: 0 });
      if (p.cmd === "publish") {
        if (p.topic === "bad/topic" || (p.topic === "" && dec(p.payload) === "never")) {
          send({ cmd: "puback", messageId: p.messageId!, reasonCode: 0x90 });
          setTimeout(() => send({ cmd: "disconnect", reasonCode: 0x89 }), 20);
        } else send({ cmd: "puback", messageId: p.messageId!, reasonCode: 0 });
      }
    });
    const errors: string[] = [];
    const log = { info: () => {}, warn: () => {}, error: (m: string) => errors.push(m) };
    const { c } = client(broker.port, { log, topicAliases: false });
    const outbox = (c as any).o.outbox as MemoryOutbox;
    c.publish("bad/topic", enc("never"));
    c.publish("good/1", enc("one"));
    c.start();
    await until("the message dropped after 3 refusals", () => c.stats.discarded === 1, 5000);
    expect(c.stats.refused).toBe(3);
    expect(broker.connections()).toBeGreaterThanOrEqual(3);
    expect(errors.some((m) => /bad\/topic on 3 connections: .*dropped from the outbox/.test(m))).toBe(true);
    await until("the good message delivered, the outbox empty", () => outbox.size === 0, 3000);
    c.stop();

    const { c: keeper } = client(broker.port, { topicAliases: false, maxRefusals: Infinity, clientId: "keeper" });
    const kept = (keeper as any).o.outbox as MemoryOutbox;
    keeper.publish("bad/topic", enc("never"));
    keeper.start();
    await until("four refusals", () => keeper.stats.refused >= 4, 5000);
    expect(keeper.stats.discarded).toBe(0);
    expect(kept.size).toBe(1);
    keeper.stop();
    await broker.close();
  });

  it("uses topic aliases up to the broker's maximum, and starts them afresh on each connection", async () => {
    const topics: { n: number; topic: string; alias?: number }[] = [];
    const broker = await fakeBroker((p, send, n, sock) => {
      if (p.cmd === "connect") send({ cmd: "connack", sessionPresent: false, returnCode: 0, properties: { topicAliasMaximum: 2 } });
      if (p.cmd === "publish") {
        topics.push({ n, topic: p.topic, alias: p.properties?.topicAlias });
        if (n === 1 && topics.length === 5) { sock.destroy(); return; } // cut without an ack
        send({ cmd: "puback", messageId: p.messageId! });
      }
    });
    const { c } = client(broker.port);
    for (const t of ["x/a", "x/b", "x/c", "x/a", "x/b"]) c.publish(t, enc(t));
    c.start();
    await until("5 acks", () => c.stats.acked === 5, 3000);
    const first = topics.filter((t) => t.n === 1);
    expect(first).toEqual([{ n: 1, topic: "x/a", alias: 1 }, { n: 1, topic: "x/b", alias: 2 }, { n: 1, topic: "x/c", alias: undefined }, { n: 1, topic: "", alias: 1 }, { n: 1, topic: "", alias: 2 }]);
    // after the cut the unacknowledged one is resent with its topic, its alias set up again
    expect(topics.filter((t) => t.n === 2)[0]).toEqual({ n: 2, topic: "x/b", alias: 1 });
    c.stop();
    await broker.close();
  });

  it("sets up no alias with a message it does not send (too large for the broker), so the next one on that topic still names it", async () => {
    const seen: { topic: string; alias?: number; size: number }[] = [];
    const broker = await fakeBroker((p, send) => {
      if (p.cmd === "connect") send({ cmd: "connack", sessionPresent: false, returnCode: 0, properties: { topicAliasMaximum: 4, maximumPacketSize: 200 } });
      if (p.cmd === "publish") {
        seen.push({ topic: p.topic, alias: p.properties?.topicAlias, size: p.payload.length });
        send({ cmd: "puback", messageId: p.messageId! });
      }
    });
    const { c } = client(broker.port);
    const codes: number[] = [];
    c.onPublishError = (_t, code) => codes.push(code);
    c.start();
    await until("connected", () => c.isConnected, 3000);
    c.publish("big/t", new Uint8Array(300), 1); // over the broker's 200 bytes: kept, reported
    c.publish("big/t", new Uint8Array(10), 1);
    c.publish("big/t", new Uint8Array(11), 1);
    await until("two small ones acked", () => c.stats.acked === 2, 3000);
    expect(codes).toEqual([0x95]);
    expect(seen).toEqual([{ topic: "big/t", alias: 1, size: 10 }, { topic: "", alias: 1, size: 11 }]);
    expect(() => c.publish("bad/+", new Uint8Array(1), 1)).toThrow(/invalid topic name/);
    expect(() => c.publish("", new Uint8Array(1), 0)).toThrow(/invalid topic name/);
    expect((c as any).o.outbox.size).toBe(1); // the big one only
    c.stop();
    await broker.close();
  });

  it("names the CONNACK reason of a refused connection and retries with backoff", async () => {
    const broker = await fakeBroker((p, send) => {
      if (p.cmd === "connect") send({ cmd: "connack", sessionPresent: false, returnCode: 0x86, properties: { reasonString: "who are you" } });
    });
    const { c, reasons } = client(broker.port);
    c.start();
    await until("two refusals", () => reasons.length >= 2, 3000);
    expect(reasons[0]).toBe("broker refused the connection (reason 0x86 bad user name or password (who are you))");
    expect(c.protocolVersion).toBe(5);
    c.kill();
    await broker.close();
  });

  it("treats a malformed 5.0 packet (a repeated property) as a protocol error naming the byte, says so with DISCONNECT 0x81, reconnects and loses nothing", async () => {
    const got = new Set<string>();
    const broker = await fakeBroker((p, send, n) => {
      if (p.cmd === "connect") send({ cmd: "connack", sessionPresent: false, returnCode: 0 });
      if (p.cmd === "publish") {
        if (n === 1) {
          // PUBACK whose reason string appears twice (§3.4.2.2.2: at most once)
          const id = p.messageId!;
          send(Uint8Array.of(0x40, 0x0c, id >> 8, id & 255, 0x00, 0x08, 0x1f, 0x00, 0x01, 0x61, 0x1f, 0x00, 0x01, 0x62));
          return;
        }
        got.add(dec(p.payload));
        send({ cmd: "puback", messageId: p.messageId! });
      }
    });
    const { c, reasons } = client(broker.port);
    for (let i = 0; i < 5; i++) c.publish("m", enc(String(i)));
    c.start();
    await until("all 5 after the reconnect", () => got.size === 5 && c.stats.acked === 5, 3000);
    expect(reasons[0]).toBe("protocol error from broker: puback: property reasonString (0x1f) must not repeat at byte 10");
    expect(broker.seen.filter((s) => s.n === 1).map((s) => s.p.cmd)).toContain("disconnect");
    expect(broker.seen.find((s) => s.p.cmd === "disconnect")!.p).toMatchObject({ reasonCode: 0x81 });
    c.stop();
    await broker.close();
  });

  it("adopts the broker's Server Keep Alive", async () => {
    let pings = 0;
    const broker = await fakeBroker((p, send) => {
      if (p.cmd === "connect") send({ cmd: "connack", sessionPresent: false, returnCode: 0, properties: { serverKeepAlive: 1 } });
      if (p.cmd === "pingreq") { pings++; send({ cmd: "pingresp" }); }
    });
    const { c } = client(broker.port, { keepaliveSec: 60 });
    c.start();
    await until("two pings within a 1 s keep-alive", () => pings >= 2, 3000);
    c.stop();
    await broker.close();
  });

  it("obeys a broker that takes QoS 0 only and keeps no retained messages: QoS 1 stays in the outbox (reported 0x9b), RETAIN is dropped", async () => {
    const published: Packet[] = [];
    const broker = await fakeBroker((p, send) => {
      if (p.cmd === "connect") send({ cmd: "connack", sessionPresent: false, returnCode: 0, properties: { maximumQoS: 0, retainAvailable: false } });
      if (p.cmd === "publish") published.push(p);
    });
    const { c } = client(broker.port);
    const codes: number[] = [];
    c.onPublishError = (_t, code) => codes.push(code);
    c.start();
    await until("connected", () => c.isConnected, 3000);
    c.publish("s/status", enc("online"), 0, true);
    c.publish("s/reading", enc("1"), 1);
    await until("the QoS 0 publish and the refusal", () => published.length === 1 && codes.length === 1, 3000);
    await sleep(50);
    expect(published.map((p) => p.cmd === "publish" && [p.topic, p.qos, p.retain])).toEqual([["s/status", 0, false]]);
    expect(codes).toEqual([0x9b]);
    expect((c as any).o.outbox.size).toBe(1);
    c.stop();
    await broker.close();
  });

  it("hands a 5.0 message's properties to the handlers, and answers QoS 1 with a plain PUBACK", async () => {
    const acks: Packet[] = [];
    const broker = await fakeBroker((p, send) => {
      if (p.cmd === "connect") send({ cmd: "connack", sessionPresent: false, returnCode: 0 });
      if (p.cmd === "subscribe") {
        send({ cmd: "suback", messageId: p.messageId, granted: [1] });
        send({ cmd: "publish", topic: "xsmeter/n1/cmd/price", payload: enc("{}"), qos: 1, retain: false, dup: false, messageId: 9, properties: { contentType: "application/json", userProperties: [["sig", "e1"]], subscriptionIdentifier: 4 } });
      }
      if (p.cmd === "puback") acks.push(p);
    });
    const { c } = client(broker.port);
    const got: unknown[] = [];
    c.onMessage((topic, payload, retain, properties) => got.push({ topic, payload: dec(payload), retain, properties }));
    c.subscribe("xsmeter/n1/cmd/#", 1);
    c.start();
    await until("the PUBACK", () => acks.length === 1, 3000);
    expect(got).toEqual([{ topic: "xsmeter/n1/cmd/price", payload: "{}", retain: false, properties: { contentType: "application/json", userProperties: [["sig", "e1"]], subscriptionIdentifier: 4 } }]);
    expect(acks[0]).toEqual({ cmd: "puback", messageId: 9, reasonCode: 0 });
    c.stop();
    await broker.close();
  });

  it("refuses a topic alias from the broker (we allow none): DISCONNECT 0x94, protocol error, reconnect", async () => {
    const broker = await fakeBroker((p, send, n) => {
      if (p.cmd === "connect") send({ cmd: "connack", sessionPresent: false, returnCode: 0 });
      if (p.cmd === "subscribe" && n === 1) send({ cmd: "publish", topic: "", payload: enc("x"), qos: 0, retain: false, dup: false, properties: { topicAlias: 1 } });
    });
    const { c, reasons } = client(broker.port);
    const got: string[] = [];
    c.onMessage((t) => got.push(t));
    c.subscribe("a/#", 1);
    c.start();
    await until("the reconnect", () => c.stats.connects === 2, 3000);
    expect(reasons[0]).toBe("protocol error from broker: a topic alias, though we allow none");
    expect(broker.seen.find((s) => s.p.cmd === "disconnect")!.p).toMatchObject({ reasonCode: 0x94 });
    expect(got).toEqual([]);
    c.stop();
    await broker.close();
  });

  it("falls back to 3.1.1 when a broker twice closes the link on a 5.0 CONNECT without a CONNACK", async () => {
    const broker = await fakeBroker((p, send, _n, sock) => {
      if (p.cmd !== "connect") return;
      if (p.protocolVersion === 5) sock.destroy(); // an old broker that does not answer
      else send({ cmd: "connack", sessionPresent: false, returnCode: 0 });
    });
    const { c, reasons } = client(broker.port);
    c.start();
    await until("connected with 3.1.1", () => c.isConnected, 3000);
    expect(c.protocolVersion).toBe(4);
    expect(broker.seen.map((s) => (s.p as any).protocolVersion)).toEqual([5, 5, 4]);
    expect(reasons[1]).toMatch(/twice closed after a 5\.0 CONNECT without a CONNACK: reconnecting with 3\.1\.1$/);
    c.stop();
    await broker.close();
  });

  it("falls back to 3.1.1 with aedes (3.1.1 only), and delivers QoS 0 and 1 through it", async () => {
    const broker = await startEmbeddedBroker({ port: 0 });
    const sub = client(broker.port, { clientId: "cloud", protocolVersion: 4 });
    const received: string[] = [];
    sub.c.onMessage((t, p) => received.push(`${t}=${dec(p)}`));
    sub.c.subscribe("fb/#", 1);
    sub.c.start();
    await until("subscriber", () => sub.c.isConnected, 3000);
    const { c, reasons } = client(broker.port, { clientId: "meter" });
    c.start();
    await until("meter connected after the fallback", () => c.isConnected, 3000);
    expect(c.protocolVersion).toBe(4);
    expect(reasons).toEqual(["broker refused MQTT 5; reconnecting with 3.1.1"]);
    c.publish("fb/q1", enc("1"), 1);
    c.publish("fb/q0", enc("0"), 0);
    await until("both messages", () => received.length === 2, 3000);
    expect(received.sort()).toEqual(["fb/q0=0", "fb/q1=1"]);
    c.stop();
    sub.c.stop();
    await broker.close();
  });
});
