// A scripted MQTT broker on a real loopback TCP port (node:net + our codec), for tests of a client that
// opens its own sockets (MqttClient over NodeNetwork, the head-end's Subscriber): `onPacket(p, send, n,
// sock)` answers each packet the client sends on connection n. The decoder follows the client's
// CONNECT to 5.0; bytes it cannot decode end that connection. For packet-level tests without sockets,
// scripted-broker.ts drives MqttClient through the Network port instead.
import { createServer, type AddressInfo, type Socket } from "node:net";
import { encodePacket, MqttDecoder, type Packet } from "../../modules/mqtt/codec";

export type Send = (p: Packet | Uint8Array) => void;

export interface TcpBroker {
  port: number;
  /** Every packet decoded, with the connection it came on (1, 2, …). */
  seen: { n: number; p: Packet }[];
  connections(): number;
  /** Ends every connection and stops listening. */
  close(): Promise<void>;
}

export async function tcpBroker(onPacket: (p: Packet, send: Send, n: number, sock: Socket) => void): Promise<TcpBroker> {
  let connections = 0;
  const seen: { n: number; p: Packet }[] = [];
  const socks: Socket[] = [];
  const server = createServer((sock) => {
    const n = ++connections;
    socks.push(sock);
    const d = new MqttDecoder(); // switches to 5 when it decodes a 5.0 CONNECT
    const send: Send = (p) => sock.write(p instanceof Uint8Array ? p : encodePacket(p, d.protocolVersion));
    sock.on("data", (b) => {
      let packets: Packet[];
      try { packets = d.push(new Uint8Array(b)); } catch { sock.destroy(); return; }
      for (const p of packets) { seen.push({ n, p }); onPacket(p, send, n, sock); }
    });
    sock.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    connections: () => connections,
    close: () => { for (const s of socks) s.destroy(); return new Promise<void>((r) => server.close(() => r())); },
  };
}
