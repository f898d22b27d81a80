/**
 * A Network that connects to one broker of a list and moves on to the next
 * whenever a connection closes (refused, or dropped because that node died).
 * MqttClient takes one host and port; behind this port it becomes a client of
 * a broker cluster, with no change to modules/: its reconnect loop calls
 * connect() again after its back-off, and that attempt goes to the next node.
 * The session is the cluster's (NATS keeps MQTT sessions in replicated
 * JetStream streams), so the outbox resumes on whichever node answers.
 */
import type { ConnectHandlers, Listener, Network, Socket, SocketHandlers } from "../../../modules/core/ports";

export interface Endpoint {
  host: string;
  port: number;
}

/** "mqtt://a:1883,mqtt://b:1884" (or one URL) → endpoints; a clear error for anything else. */
export function parseEndpoints(urls: string): Endpoint[] {
  const list = urls.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) throw new Error("no broker URL given");
  return list.map((s) => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw new Error(`not a broker URL: ${JSON.stringify(s)}`);
    }
    if (u.protocol !== "mqtt:") throw new Error(`not an mqtt:// URL: ${JSON.stringify(s)}`);
    return { host: u.hostname || "127.0.0.1", port: u.port ? Number(u.port) : 1883 };
  });
}

/** A broker account, from the first URL's user info (mqtt://user:password@host); none if it has none. */
export interface Credentials {
  username?: string;
  password?: Uint8Array;
}

/**
 * The user and password of "mqtt://user:password@host,…" (percent-decoded; the other URLs' are ignored).
 * A user without a password in the URL takes $XSMETER_MQTT_PASSWORD, so the password need not be on a
 * command line (where `ps` shows it).
 */
export function credentialsOf(urls: string): Credentials {
  const first = urls.split(",")[0]?.trim() ?? "";
  let u: URL;
  try {
    u = new URL(first);
  } catch {
    return {};
  }
  if (!u.username) return {};
  const password = u.password ? decodeURIComponent(u.password) : process.env.XSMETER_MQTT_PASSWORD;
  return { username: decodeURIComponent(u.username), password: password !== undefined ? new TextEncoder().encode(password) : undefined };
}

/** The URL list as it may be printed: any password replaced by "***". */
export function redactUrls(urls: string): string {
  return urls.replace(/(mqtt:\/\/[^:@/,]+):[^@/,]*@/g, "$1:***@");
}

export class FailoverNetwork implements Network {
  private next = 0;
  /** Connections attempted, and how many times it moved on to another node. */
  readonly stats = { attempts: 0, switches: 0 };

  constructor(private readonly inner: Network, private readonly endpoints: readonly Endpoint[]) {
    if (endpoints.length === 0) throw new Error("FailoverNetwork needs at least one endpoint");
  }

  /** The endpoint the next connection goes to. */
  get current(): Endpoint {
    return this.endpoints[this.next];
  }

  listen(port: number, accept: (socket: Socket) => SocketHandlers, host?: string): Promise<Listener> {
    return this.inner.listen(port, accept, host);
  }

  /** The host and port asked for are ignored: the endpoint list decides. */
  connect(_host: string, _port: number, handlers: ConnectHandlers): Socket {
    const ep = this.endpoints[this.next];
    this.stats.attempts++;
    return this.inner.connect(ep.host, ep.port, {
      onConnect: () => handlers.onConnect(),
      onData: (bytes) => handlers.onData(bytes),
      onDrain: () => handlers.onDrain?.(),
      onClose: (error) => {
        // before the client hears of it, so its next attempt already goes elsewhere
        if (this.endpoints.length > 1) {
          this.next = (this.next + 1) % this.endpoints.length;
          this.stats.switches++;
        }
        handlers.onClose(error);
      },
    });
  }
}
