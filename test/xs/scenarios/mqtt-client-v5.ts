// XS conformance: the MQTT client's 5.0 session logic, not only the codec — on a
// VirtualClock, over a scripted in-memory broker (engine-neutral fakes of the Network
// and Socket ports). The broker's CONNACK grants Receive Maximum 2 and 2 topic aliases;
// it refuses one message (PUBACK 0x87), then closes with DISCONNECT 0x8b; the client
// backs off, reconnects, and resends the refused one and the two left in flight (DUP),
// their topic aliases set up afresh. Node and XS must write the same bytes,
// in the same order, and end with the same stats and log lines.
import { MqttClient } from "../../../modules/mqtt/client";
import { encodePacket, MqttDecoder, type Packet } from "../../../modules/mqtt/codec";
import { MemoryOutbox } from "../../../modules/mqtt/flash-outbox";
import { VirtualClock } from "../../../modules/core/virtual-clock";
import { toHex, utf8DecodeStrict, utf8Encode } from "../../../modules/core/bytes";
import type { ConnectHandlers, Network, Socket } from "../../../modules/core/ports";

export function run(): unknown {
  const clock = new VirtualClock(Date.UTC(2026, 5, 1));
  const wire: string[] = []; // client → broker, hex, per packet
  const log: string[] = [];
  let handlers: ConnectHandlers | undefined;
  let connection = 0;
  let decoder = new MqttDecoder();
  // the broker answers 1 ms later, as a real link would (never inside the client's write)
  const toClient = (p: Packet) => {
    const bytes = encodePacket(p, 5);
    const to = handlers!;
    const mine = connection;
    clock.after(1, () => { if (mine === connection) to.onData(bytes); });
  };
  const broker = (p: Packet) => {
    if (p.cmd === "connect") toClient({ cmd: "connack", sessionPresent: connection > 1, returnCode: 0, properties: { receiveMaximum: 2, topicAliasMaximum: 2 } });
    if (p.cmd === "publish" && p.qos === 1) {
      const body = utf8DecodeStrict(p.payload);
      if (connection === 1 && body === "4") {
        toClient({ cmd: "puback", messageId: p.messageId!, reasonCode: 0x87, properties: { reasonString: "quota" } });
        toClient({ cmd: "disconnect", reasonCode: 0x8b });
        return;
      }
      toClient({ cmd: "puback", messageId: p.messageId! });
    }
  };
  let socket: Socket | undefined;
  const network: Network = {
    listen: () => Promise.reject(new Error("no listening here")),
    connect(_host: string, _port: number, h: ConnectHandlers): Socket {
      handlers = h;
      connection++;
      decoder = new MqttDecoder(); // a server-side decoder: the CONNECT sets its version
      const mine = connection;
      socket = {
        write(bytes: Uint8Array) {
          if (mine !== connection) return true;
          for (const p of decoder.push(bytes)) {
            wire.push(toHex(encodePacket(p, decoder.protocolVersion)));
            broker(p);
          }
          return true;
        },
        pending: 0,
        close() {},
        remoteAddress: "broker",
      };
      clock.after(1, () => h.onConnect());
      return socket;
    },
  };
  let seed = 1;
  const client = new MqttClient({
    network, clock, host: "broker", port: 1883, clientId: "xsmeter-n1", outbox: new MemoryOutbox(), protocolVersion: 5, keepaliveSec: 60, minBackoffMs: 100, maxBackoffMs: 100,
    random: { fill: (b: Uint8Array) => { for (let i = 0; i < b.length; i++) b[i] = (seed = (seed * 1103515245 + 12345) % 2147483648) & 255; } },
    log: { info: (m) => log.push(m), warn: (m) => log.push(m), error: (m) => log.push(m) },
  });
  const errors: string[] = [];
  client.onPublishError = (topic, code, reason) => errors.push(`${topic} ${code} ${reason}`);
  const topics = ["xsmeter/n1/meter/1/1-0:1.8.0", "xsmeter/n1/meter/1/1-0:32.7.0", "xsmeter/n1/meter/2/1-0:1.8.0"];
  for (let i = 1; i <= 6; i++) client.publish(topics[i % 3], utf8Encode(String(i)), 1);
  client.start();
  clock.advance(10);
  clock.advance(1000); // the backoff after the DISCONNECT, and the second connection
  client.stop();
  return { wire, log, errors, stats: client.stats, connections: connection, version: client.protocolVersion };
}
