/**
 * The Network port on the board, over ECMA-419 sockets
 * (embedded:io/socket/listener + embedded:io/socket/tcp), typed by the board's
 * hosts/esp32/types/embedded-io.d.ts. ECMA-419 writes may not exceed the
 * bytes the socket says are writable (onWritable), so each socket keeps a
 * small output queue and drains it as room appears; `pending` is that queue.
 * Not in tsconfig.json (which covers hosts/node); mcconfig compiles it.
 */
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import Net from "net";
import type { ConnectHandlers, Listener as PortListener, Network, Socket, SocketHandlers } from "../../modules/core/ports";

/** Above this many queued bytes write() returns false (back-pressure to the HTTP connection). */
const HIGH_WATER = 4096;

class BoardSocket implements Socket {
  private queue: Uint8Array[] = [];
  private queued = 0;
  private writable = 0;
  private closing = false;
  private done = false;
  handlers: SocketHandlers | undefined;
  tcp!: TCP;
  /** Called once, at the first onWritable (ECMA-419's "connected"). A field, not a method
   * assigned over: the preload freezes this class's prototype, so `sock.onWritable = …`
   * would throw "set onWritable: not writable" on the board. */
  onConnected: (() => void) | undefined;

  /** True once closed (by either side, or a failed look-up). */
  get closed(): boolean {
    return this.done;
  }

  /** The connection never came about (name not resolved): a close with an error, after connect() has returned. */
  fail(error: string): void {
    Promise.resolve().then(() => this.finish(error));
  }

  get pending(): number {
    return this.queued;
  }

  get remoteAddress(): string {
    return this.tcp.remoteAddress ?? "";
  }

  write(bytes: Uint8Array): boolean {
    if (this.done || this.closing) return false;
    let from = 0;
    if (this.queue.length === 0 && this.writable > 0) {
      // Straight to the socket, which copies into lwIP's buffers: no JavaScript copy for what fits.
      from = Math.min(bytes.length, this.writable);
      this.tcp.write(from === bytes.length ? bytes : bytes.subarray(0, from));
      this.writable -= from;
    }
    if (from < bytes.length) {
      // Only what does not fit now is copied (the caller may reuse its buffer once write returns).
      this.queue.push(bytes.slice(from));
      this.queued += bytes.length - from;
    }
    return this.queued < HIGH_WATER;
  }

  close(): void {
    this.closing = true;
    this.flush();
  }

  onReadable(count: number): void {
    if (this.done) return; // a late callback after close
    const data = this.tcp.read(count);
    if (data instanceof ArrayBuffer && data.byteLength) this.handlers?.onData(new Uint8Array(data));
  }

  onWritable(count: number): void {
    const connected = this.onConnected;
    if (connected) {
      this.onConnected = undefined;
      connected();
    }
    this.writable = count;
    const before = this.queued;
    this.flush();
    if (before >= HIGH_WATER && this.queued < HIGH_WATER) this.handlers?.onDrain?.();
  }

  onError(): void {
    this.finish("connection error");
  }

  private flush(): void {
    while (this.queue.length && this.writable > 0 && !this.done) {
      const head = this.queue[0];
      const n = Math.min(head.length, this.writable);
      // A queued copy goes out as it is, or a view of its first n bytes: the socket copies them, so no second copy here.
      this.tcp.write(n === head.length ? head : head.subarray(0, n));
      this.writable -= n;
      this.queued -= n;
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
    }
    if (this.closing && this.queued === 0) this.finish();
  }

  private finish(error?: string): void {
    if (this.done) return;
    this.done = true;
    this.queue = [];
    this.queued = 0;
    try {
      this.tcp?.close();
    } catch {
      // already closed by the peer
    }
    this.handlers?.onClose(error);
  }
}

function open(options: ConstructorParameters<typeof TCP>[0], sock: BoardSocket): void {
  sock.tcp = new TCP({
    ...options,
    nodelay: true,
    format: "buffer",
    onReadable: (n: number) => sock.onReadable(n),
    onWritable: (n: number) => sock.onWritable(n),
    onError: () => sock.onError(),
  } as ConstructorParameters<typeof TCP>[0]);
}

/** A dotted IPv4 address (no look-up needed). Made per call: no RegExp kept at module level. */
function isIpv4(host: string): boolean {
  const parts = host.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

export class BoardNetwork implements Network {
  listen(port: number, accept: (socket: Socket) => SocketHandlers, host?: string): Promise<PortListener> {
    const listener: Listener = new Listener({
      port,
      ...(host ? { address: host } : {}),
      onReadable(requests: number) {
        for (let i = 0; i < requests; i++) {
          const from = listener.read();
          if (!from) break;
          const sock = new BoardSocket();
          open({ from }, sock);
          sock.handlers = accept(sock);
        }
      },
    });
    // ECMA-419 listeners have close(); the SDK's listener.d.ts omits it, so name it through a cast.
    return Promise.resolve({ port: listener.port || port, close: () => (listener as unknown as { close(): void }).close() });
  }

  connect(host: string, port: number, handlers: ConnectHandlers): Socket {
    const sock = new BoardSocket();
    sock.onConnected = () => handlers.onConnect();
    sock.handlers = {
      ...handlers,
      onData: (b) => handlers.onData(b),
    };
    // Moddable's lwIP TCP takes a dotted address only (no host option): resolve names first.
    const go = (address: string): void => {
      if (sock.closed) return; // closed while the name was being resolved
      try {
        open({ address, port }, sock);
      } catch (e) {
        sock.fail(`connect ${address}:${port}: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    if (isIpv4(host)) go(host);
    else {
      try {
        Net.resolve(host, (_name, address) => (address ? go(address) : sock.fail(`cannot resolve ${host}`)));
      } catch (e) {
        // lwIP's look-up queue is full: a later attempt (the MQTT client's back-off) tries again
        sock.fail(`cannot resolve ${host}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return sock;
  }
}
