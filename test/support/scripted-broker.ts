// An in-memory broker end for MqttClient: the Network port's connect() hands the test the
// client's socket handlers, so a test pushes raw bytes (good packets, garbage) into the client
// and reads back, decoded, what the client wrote. Deterministic and timer-free (a VirtualClock
// drives the client), for packet-level tests that a real broker would not let us send.
import type { ConnectHandlers, Network, Socket } from "../../modules/core/ports";
import { encodePacket, MqttDecoder, type Packet } from "../../modules/mqtt/codec";

export interface ScriptedBroker {
  network: Network;
  /** Packets the client wrote, decoded, in order (all connections). */
  written: Packet[];
  /** Connections the client opened. */
  connections(): number;
  /** Bytes into the client on its current connection (raw, or a packet we encode). */
  push(p: Packet | Uint8Array): void;
  /** Opens the current connection (the TCP handshake) and answers CONNECT with a CONNACK. */
  accept(sessionPresent?: boolean): void;
}

export function scriptedBroker(): ScriptedBroker {
  const written: Packet[] = [];
  let handlers: ConnectHandlers | undefined;
  let decoder = new MqttDecoder();
  let opened = 0;
  const network: Network = {
    listen: () => Promise.reject(new Error("scripted broker: no listen")),
    connect(_host, _port, h) {
      opened++;
      handlers = h;
      decoder = new MqttDecoder();
      const socket: Socket = {
        write(bytes) {
          for (const p of decoder.push(bytes)) written.push(p);
          return true;
        },
        pending: 0,
        close() {},
        remoteAddress: "127.0.0.1",
      };
      return socket;
    },
  };
  return {
    network,
    written,
    connections: () => opened,
    push(p) {
      handlers!.onData(p instanceof Uint8Array ? p : encodePacket(p));
    },
    accept(sessionPresent = true) {
      handlers!.onConnect?.();
      handlers!.onData(encodePacket({ cmd: "connack", sessionPresent, returnCode: 0 }));
    },
  };
}
