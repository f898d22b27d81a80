/**
 * An MQTT broker inside the Node process (aedes over node:net), so the
 * simulator and `npm start` need no installed broker. Tests that must prove
 * behaviour against a production broker use mosquitto instead.
 */
import { createServer, type Server, type Socket } from "node:net";
import { Aedes } from "aedes";

export interface EmbeddedBroker {
  /** The TCP port it listens on (the one asked for, or the ephemeral one given for 0). */
  port: number;
  /** mqtt://127.0.0.1:<port> */
  url: string;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(options: { port?: number; host?: string } = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? "127.0.0.1";
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  let closed = false;
  return {
    port,
    url: `mqtt://${host}:${port}`,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
