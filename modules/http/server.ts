import type { Clock } from "../core/clock";
import type { Listener, Network, Socket, SocketHandlers } from "../core/ports";
import { utf8Encode } from "../core/bytes";
import { DEFAULT_LIMITS, type HttpLimits } from "./limits";
import { Connection, type ConnectionEvents, type Handler } from "./connection";

export interface HttpServerOptions {
  network: Network;
  clock: Clock;
  handler: Handler;
  limits?: Partial<HttpLimits>;
  /** Rejections and handler failures (the Log port, or a test's spy). */
  onRejected?(status: number, reason: string, remote: string): void;
  onError?(error: unknown): void;
}

export interface HttpServerStats {
  open: number;
  accepted: number;
  refused: number;
  rejected: Record<number, number>;
}

const BUSY = utf8Encode("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nRetry-After: 1\r\nConnection: close\r\n\r\nbusy\n");

/** The HTTP/1.1 server over the Network port, with a cap on open connections. */
export class HttpServer {
  readonly limits: HttpLimits;
  private listener: Listener | undefined;
  private connections = new Set<Connection>();
  private stats: HttpServerStats = { open: 0, accepted: 0, refused: 0, rejected: {} };
  private events: ConnectionEvents;

  constructor(private readonly options: HttpServerOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.events = {
      closed: (c) => this.connections.delete(c),
      rejected: (status, reason, remote) => {
        this.stats.rejected[status] = (this.stats.rejected[status] ?? 0) + 1;
        options.onRejected?.(status, reason, remote);
      },
      failed: (error) => options.onError?.(error),
    };
  }

  async listen(port: number, host?: string): Promise<number> {
    this.listener = await this.options.network.listen(port, (socket) => this.accept(socket), host);
    return this.listener.port;
  }

  get port(): number {
    return this.listener?.port ?? 0;
  }

  getStats(): HttpServerStats {
    return { ...this.stats, open: this.connections.size, rejected: { ...this.stats.rejected } };
  }

  /** Stops listening and closes every connection (event streams included). */
  close(): void {
    this.listener?.close();
    this.listener = undefined;
    for (const c of [...this.connections]) c.destroy();
  }

  private accept(socket: Socket): SocketHandlers {
    if (this.connections.size >= this.limits.maxConnections) {
      this.stats.refused++;
      socket.write(BUSY);
      socket.close();
      return { onData() {}, onClose() {} };
    }
    this.stats.accepted++;
    const conn = new Connection(this.options.clock, this.limits, this.options.handler, this.events, socket.remoteAddress);
    conn.attach(socket);
    this.connections.add(conn);
    return conn;
  }
}
