// The embedded broker (aedes) speaks MQTT 3.1.1 to our codec over real TCP:
// connect, subscribe, QoS 1 publish with PUBACK, delivery to the subscriber.
import { describe, expect, it } from "vitest";
import { connect, type Socket } from "node:net";
import { startEmbeddedBroker } from "../../hosts/node/mqtt/embedded-broker";
import { encodePacket, MqttDecoder, type Packet } from "../../modules/mqtt/codec";

function client(port: number) {
  const socket: Socket = connect(port, "127.0.0.1");
  const decoder = new MqttDecoder();
  const got: Packet[] = [];
  const waiters: (() => void)[] = [];
  socket.on("data", (d) => {
    got.push(...decoder.push(new Uint8Array(d)));
    for (const w of waiters.splice(0)) w();
  });
  const next = async (cmd: Packet["cmd"]): Promise<Packet> => {
    for (;;) {
      const i = got.findIndex((p) => p.cmd === cmd);
      if (i >= 0) return got.splice(i, 1)[0];
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  const send = (p: Packet) => socket.write(encodePacket(p));
  return { socket, next, send };
}

describe("embedded broker", () => {
  it("carries a QoS 1 publish from one client to a subscriber, and closes", async () => {
    const broker = await startEmbeddedBroker({ port: 0 });
    try {
      expect(broker.port).toBeGreaterThan(0);
      expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
      const sub = client(broker.port);
      sub.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId: "sub", clean: true, keepalive: 30 });
      expect(await sub.next("connack")).toMatchObject({ returnCode: 0 });
      sub.send({ cmd: "subscribe", messageId: 7, subscriptions: [{ topic: "xsmeter/+/meter/#", qos: 1 }] });
      expect(await sub.next("suback")).toMatchObject({ messageId: 7, granted: [1] });
      const pub = client(broker.port);
      pub.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId: "meter-1", clean: false, keepalive: 30 });
      await pub.next("connack");
      const payload = new TextEncoder().encode('{"seq":1,"v":230.1}');
      pub.send({ cmd: "publish", topic: "xsmeter/n1/meter/1/1-0:32.7.0", payload, qos: 1, retain: false, dup: false, messageId: 42 });
      expect(await pub.next("puback")).toMatchObject({ messageId: 42 });
      const msg = await sub.next("publish");
      expect(msg).toMatchObject({ topic: "xsmeter/n1/meter/1/1-0:32.7.0", qos: 1 });
      expect(new TextDecoder().decode((msg as { payload: Uint8Array }).payload)).toBe('{"seq":1,"v":230.1}');
      sub.socket.destroy();
      pub.socket.destroy();
    } finally {
      await broker.close();
    }
  });
});
