/**
 * The ingest's MQTT session against a scripted broker: what it does with messages that arrived when
 * the broker's connection drops before their batch was stored (a mosquitto SIGKILL may forget them).
 */
import { describe, expect, it } from "vitest";
import type { Socket } from "node:net";
import type { Packet } from "../../../modules/mqtt/codec";
import { tcpBroker, type Send } from "../../support/tcp-broker";
import { Subscriber, type Message } from "../../../hosts/headend/ingest/subscriber";
import { until } from "../../support/until";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);


/** A broker that answers CONNECT and SUBSCRIBE, then runs `script(connection number, send, socket)`. */
function scriptedBroker(script: (n: number, send: Send, sock: Socket) => void) {
  return tcpBroker((p, send, n, sock) => {
    if (p.cmd === "connect") send({ cmd: "connack", sessionPresent: n > 1, returnCode: 0 });
    if (p.cmd === "subscribe") { send({ cmd: "suback", messageId: p.messageId, granted: p.subscriptions.map(() => 1) }); script(n, send, sock); }
  });
}

const publish = (topic: string, id: number): Packet => ({ cmd: "publish", topic, payload: enc(topic), qos: 1, retain: false, dup: false, messageId: id });

describe("ingest subscriber", () => {
  it("stores what arrived before the broker's connection dropped, and never acknowledges it on the next connection", async () => {
    const broker = await scriptedBroker((n, send, sock) => {
      if (n === 1) { for (let id = 1; id <= 3; id++) send(publish(`a/${id}`, id)); setTimeout(() => sock.destroy(), 50); } // dies inside the batch window
      else send(publish("b/1", 1)); // the restarted broker reuses id 1 for another message
    });
    const batches: string[][] = [];
    const sub = new Subscriber({ url: `mqtt://127.0.0.1:${broker.port}`, clientId: "he-test", filters: ["#"], batchMs: 400, reconnectDelayMs: 100, handle: async (ms: Message[]) => { batches.push(ms.map((m) => dec(m.payload))); } });
    sub.start();
    try {
      await until("the second connection's message", () => batches.flat().includes("b/1"), 5000);
      await sleep(100);
      expect(batches.flat().sort()).toEqual(["a/1", "a/2", "a/3", "b/1"]);
      const acks = broker.seen.filter((s) => s.p.cmd === "puback").map((s) => ({ n: s.n, id: (s.p as { messageId: number }).messageId }));
      expect(acks).toEqual([{ n: 2, id: 1 }]); // only b/1's: acking a/1's id there would acknowledge b/1 unstored
      expect(sub.stats.acked).toBe(1);
    } finally {
      sub.kill();
      await broker.close();
    }
  });

  it("drops what waits when it is killed (a crash: the broker keeps it unacknowledged)", async () => {
    const broker = await scriptedBroker((_n, send) => { send(publish("a/1", 1)); });
    const got: string[] = [];
    const sub = new Subscriber({ url: `mqtt://127.0.0.1:${broker.port}`, clientId: "he-test", filters: ["#"], batchMs: 300, handle: async (ms: Message[]) => { for (const m of ms) got.push(dec(m.payload)); } });
    sub.start();
    try {
      await until("the message", () => sub.stats.received === 1, 5000);
      sub.kill();
      await sleep(400);
      expect(got).toEqual([]);
      expect(broker.seen.some((s) => s.p.cmd === "puback")).toBe(false);
    } finally {
      await broker.close();
    }
  });
});
