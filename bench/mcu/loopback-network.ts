// The Network port inside one machine, for bench:mcu's role runs: the role's own servers (HTTP) and
// clients (MQTT) talk to tiny peers (a browser, a broker) over socket pairs whose bytes arrive
// `latencyMs` later on the role's clock — never inside the writer's call, as on a real link. What a
// write hands over is copied (the board's lwIP copies it into its own buffers, outside XS).
import type { Clock } from "../../modules/core/clock";
import type { ConnectHandlers, Listener, Network, Socket, SocketHandlers } from "../../modules/core/ports";

type Accept = (socket: Socket) => SocketHandlers;

class LoopSocket implements Socket {
  readonly pending = 0;
  peer!: LoopSocket;
  handlers: SocketHandlers | undefined;
  closed = false;
  constructor(private readonly clock: Clock, private readonly latencyMs: number, readonly remoteAddress: string) {}

  write(bytes: Uint8Array): boolean {
    if (this.closed) return false;
    const copy = bytes.slice();
    const to = this.peer;
    this.clock.after(this.latencyMs, () => { if (!to.closed) to.handlers?.onData(copy); });
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const to = this.peer;
    this.clock.after(this.latencyMs, () => {
      this.handlers?.onClose();
      if (!to.closed) {
        to.closed = true;
        to.handlers?.onClose();
      }
    });
  }
}

export class LoopbackNetwork implements Network {
  private readonly listeners = new Map<number, Accept>();
  connections = 0;

  constructor(private readonly clock: Clock, private readonly latencyMs = 1) {}

  /** The role's servers, and the peers that play a remote server (a broker): both listen here. */
  listen(port: number, accept: Accept): Promise<Listener> {
    if (this.listeners.has(port)) return Promise.reject(new Error(`loopback: port ${port} in use`));
    this.listeners.set(port, accept);
    return Promise.resolve({ port, close: () => void this.listeners.delete(port) });
  }

  /** Connects to whoever listens on `port`; `from` is the address the server sees. */
  connect(_host: string, port: number, handlers: ConnectHandlers, from = "192.168.1.20"): Socket {
    const accept = this.listeners.get(port);
    const client = new LoopSocket(this.clock, this.latencyMs, `loopback:${port}`);
    if (!accept) {
      client.closed = true;
      this.clock.after(this.latencyMs, () => handlers.onClose(`connection refused (port ${port})`));
      return client;
    }
    const server = new LoopSocket(this.clock, this.latencyMs, from);
    client.peer = server;
    server.peer = client;
    client.handlers = handlers;
    this.connections++;
    this.clock.after(this.latencyMs, () => {
      server.handlers = accept(server);
      handlers.onConnect();
    });
    return client;
  }
}
