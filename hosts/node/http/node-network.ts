/**
 * The Network port over node:net, for the host simulator, tests and the CLI.
 * Node's Buffer is a Uint8Array, so bytes pass through without copying;
 * nothing Node-specific leaks into modules/.
 */
import net from "node:net";
import type { ConnectHandlers, Listener, Network, Socket, SocketHandlers } from "../../../modules/core/ports";

/** Above this many queued bytes write() returns false (as ECMA-419 sockets do). */
const HIGH_WATER = 64 * 1024;

function wrap(sock: net.Socket): Socket {
  return {
    write(bytes: Uint8Array): boolean {
      if (sock.destroyed || !sock.writable) return false;
      sock.write(bytes);
      return sock.writableLength < HIGH_WATER;
    },
    get pending() {
      return sock.writableLength;
    },
    close() {
      if (!sock.destroyed) sock.end();
      // A peer that never reads must not keep the socket forever.
      const t = setTimeout(() => sock.destroy(), 5000);
      t.unref();
      sock.once("close", () => clearTimeout(t));
    },
    get remoteAddress() {
      return sock.remoteAddress ?? "";
    },
  };
}

function bind(sock: net.Socket, handlers: SocketHandlers): void {
  sock.on("data", (chunk: Buffer) => handlers.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  sock.on("drain", () => handlers.onDrain?.());
  let error: string | undefined;
  sock.on("error", (e) => {
    error = e.message;
  });
  sock.on("close", () => handlers.onClose(error));
}

export class NodeNetwork implements Network {
  private servers = new Set<net.Server>();

  listen(port: number, accept: (socket: Socket) => SocketHandlers, host = "127.0.0.1"): Promise<Listener> {
    const server = net.createServer({ noDelay: true, allowHalfOpen: false }, (sock) => {
      sock.setNoDelay(true);
      bind(sock, accept(wrap(sock)));
    });
    this.servers.add(server);
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        const address = server.address();
        const bound = typeof address === "object" && address ? address.port : port;
        resolve({
          port: bound,
          close: () => {
            this.servers.delete(server);
            server.close();
          },
        });
      });
    });
  }

  connect(host: string, port: number, handlers: ConnectHandlers): Socket {
    const sock = net.connect({ host, port, noDelay: true }, () => handlers.onConnect());
    bind(sock, handlers);
    return wrap(sock);
  }
}
