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
  /** Idle keep-alive connections closed to make room for a new one. */
  reclaimed: number;
  rejected: Record<number, number>;
}

const BUSY = utf8Encode("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nRetry-After: 1\r\nConnection: close\r\n\r\nbusy\n");

/** The HTTP/1.1 server over the Network port, with a cap on open connections. */
export class HttpServer {
  readonly limits: HttpLimits;
  private listener: Listener | undefined;
  private connections = new Set<Connection>();
  private stats: HttpServerStats = { open: 0, accepted: 0, refused: 0, reclaimed: 0, rejected: {} };
  private events: ConnectionEvents;

  constructor(private readonly options: HttpServerOptions) {
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    // One slot is always left for an ordinary request: streams never take them all.
    limits.maxEventStreams = Math.min(limits.maxEventStreams, limits.maxConnections - 1);
    this.limits = limits;
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

  /**
   * A new connection: over its address's cap, or over the total, the
   * longest-idle keep-alive connection (of that address, or of anyone) is
   * closed to make room — an idle socket holds nothing, so hoarding them
   * cannot shut the owner out. Only when every slot is busy is it 503.
   */
  private accept(socket: Socket): SocketHandlers {
    const address = socket.remoteAddress;
    let mine = 0;
    for (const c of this.connections) if (c.remoteAddress === address) mine++;
    const room =
      (mine < this.limits.maxConnectionsPerAddress || this.reclaim(address)) &&
      (this.connections.size < this.limits.maxConnections || this.reclaim(undefined));
    if (!room) {
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

  /** Closes the longest-idle connection (of `address`, if given); false when none is idle. */
  private reclaim(address: string | undefined): boolean {
    let oldest: Connection | undefined;
    for (const c of this.connections) {
      if (!c.isIdle || (address !== undefined && c.remoteAddress !== address)) continue;
      if (!oldest || c.idleSince < oldest.idleSince) oldest = c;
    }
    if (!oldest) return false;
    this.stats.reclaimed++;
    oldest.destroy();
    return true;
  }
}
