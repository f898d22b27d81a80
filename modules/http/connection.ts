import type { Clock, TimerId } from "../core/clock";
import type { Socket, SocketHandlers } from "../core/ports";
import { utf8Encode } from "../core/bytes";
import { STATUS_TEXT, type HttpLimits } from "./limits";
import { HttpError, RequestParser, type HttpRequest } from "./request-parser";
import { Response, type ResponseSink } from "./response";

/** How long a connection that has not served a request yet is safe from being reclaimed. */
const FRESH_GRACE_MS = 2000;

export type Handler = (req: HttpRequest, res: Response) => void | Promise<void>;

/** What a connection tells its server. */
export interface ConnectionEvents {
  closed(conn: Connection): void;
  /** A request got an error status from the parser (for the log and tests). */
  rejected?(status: number, reason: string, remote: string): void;
  /** A handler threw. */
  failed?(error: unknown, req: HttpRequest): void;
}

/**
 * One HTTP connection: feeds bytes to the parser, runs one request at a time
 * and answers in order (safe pipelining: a pipelined request is parsed only
 * after the response before it is complete and the socket has drained below
 * its high-water mark), keeps the connection alive, and enforces the header,
 * body and idle timeouts with the Clock port.
 */
export class Connection implements SocketHandlers, ResponseSink {
  private socket!: Socket;
  private parser: RequestParser;
  private timer: TimerId | undefined;
  private busy = false;
  private waitingDrain = false;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private closed = false;
  private closing = false;
  private served = 0;
  private streamClose: (() => void) | undefined;
  /** When the connection last finished a response (or opened): the server reclaims the longest-idle one. */
  idleSince: number;

  constructor(
    private readonly clock: Clock,
    private readonly limits: HttpLimits,
    private readonly handler: Handler,
    private readonly events: ConnectionEvents,
    readonly remoteAddress: string,
  ) {
    this.parser = new RequestParser(limits, remoteAddress);
    this.idleSince = clock.now();
  }

  /**
   * Keep-alive and waiting for a request that has not begun: closing it loses
   * nothing. A connection that has not served yet gets a grace of
   * FRESH_GRACE_MS, so a flood of connects cannot close the owner's new one
   * before its request arrives.
   */
  get isIdle(): boolean {
    if (this.closed || this.closing || this.busy || this.waitingDrain || this.pending.length > 0 || this.parser.started) return false;
    return this.served > 0 || this.clock.now() - this.idleSince >= FRESH_GRACE_MS;
  }

  /** Binds the socket (the network calls accept before it has one for us). */
  attach(socket: Socket): void {
    this.socket = socket;
    this.arm(this.limits.headerTimeoutMs, false);
  }

  get isStreaming(): boolean {
    return this.streamClose !== undefined;
  }

  // SocketHandlers

  onData(bytes: Uint8Array): void {
    if (this.closed || this.closing) return;
    if (this.busy || this.waitingDrain || this.pending.length) {
      this.pendingBytes += bytes.length;
      if (this.pendingBytes > this.limits.maxPipelinedBytes) {
        // A client pushing far ahead of our answers: stop reading it.
        this.pending = [];
        this.pendingBytes = 0;
        if (this.streamClose) this.destroy();
        else this.closing = true;
        return;
      }
      this.pending.push(bytes);
      return;
    }
    this.consume(bytes);
  }

  onDrain(): void {
    if (this.waitingDrain && this.socket.pending < this.limits.writeHighWater) {
      this.waitingDrain = false;
      this.resume();
    }
  }

  onClose(): void {
    this.teardown();
  }

  // ResponseSink

  write(bytes: Uint8Array): boolean {
    if (this.closed) return false;
    return this.socket.write(bytes);
  }

  finished(close: boolean): void {
    this.busy = false;
    this.served++;
    this.idleSince = this.clock.now();
    if (close || this.closing || this.served >= this.limits.maxRequestsPerConnection) {
      this.end();
      return;
    }
    this.arm(this.limits.keepAliveTimeoutMs, false);
    if (this.socket.pending >= this.limits.writeHighWater) {
      this.waitingDrain = true;
      return;
    }
    this.resume();
  }

  streaming(onClose: () => void): void {
    this.streamClose = onClose;
    this.busy = true;
    this.disarm();
  }

  /** Closes the connection now (server shutdown, stream end). */
  destroy(): void {
    if (this.closed) return;
    this.socket.close();
    this.teardown();
  }

  private resume(): void {
    const queued = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (let k = 0; k < queued.length; k++) {
      if (this.busy || this.waitingDrain || this.closed || this.closing) {
        // Put the rest back, in order.
        for (let j = queued.length - 1; j >= k; j--) this.pending.unshift(queued[j]);
        for (const b of this.pending) this.pendingBytes += b.length;
        return;
      }
      this.consume(queued[k]);
    }
  }

  private consume(bytes: Uint8Array): void {
    let offset = 0;
    while (offset < bytes.length && !this.closed && !this.closing) {
      if (this.busy || this.waitingDrain) {
        this.pending.push(bytes.subarray(offset));
        this.pendingBytes += bytes.length - offset;
        return;
      }
      const wasStarted = this.parser.started;
      let used: number;
      try {
        used = this.parser.push(bytes, offset);
      } catch (e) {
        const err = e as HttpError;
        this.reject(err.status ?? 400, err.message);
        return;
      }
      offset += used;
      if (!wasStarted && this.parser.started) this.arm(this.limits.headerTimeoutMs, true);
      const req = this.parser.take();
      if (req) this.dispatch(req);
      else if (this.parser.head && this.parser.awaitingBody) this.onHeadComplete();
    }
  }

  private continued = false;

  private onHeadComplete(): void {
    const head = this.parser.head!;
    if (head.expectContinue && !this.continued) {
      this.continued = true;
      this.socket.write(utf8Encode("HTTP/1.1 100 Continue\r\n\r\n"));
    }
    this.arm(this.limits.bodyTimeoutMs, true);
  }

  private dispatch(req: HttpRequest): void {
    this.disarm();
    this.continued = false;
    this.busy = true;
    const res = new Response(req, this, this.served + 1 >= this.limits.maxRequestsPerConnection);
    try {
      const done = this.handler(req, res);
      if (done && typeof (done as Promise<void>).then === "function") {
        (done as Promise<void>).then(undefined, (error) => this.handlerFailed(error, req, res));
      }
    } catch (error) {
      this.handlerFailed(error, req, res);
    }
  }

  private handlerFailed(error: unknown, req: HttpRequest, res: Response): void {
    this.events.failed?.(error, req);
    if (!res.headersSent) {
      res.status(500).closeConnection().send("internal error\n", "text/plain; charset=utf-8");
    } else this.destroy();
  }

  /** Answers a bad request and closes (the byte stream can no longer be trusted). */
  private reject(status: number, reason: string): void {
    this.events.rejected?.(status, reason, this.socket.remoteAddress);
    this.disarm();
    const body = `${status} ${reason}\n`;
    const head = `HTTP/1.1 ${status} ${statusText(status)}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    this.socket.write(utf8Encode(head + body));
    this.end();
  }

  private end(): void {
    this.closing = true;
    this.disarm();
    this.socket.close();
    this.teardown();
  }

  private arm(ms: number, answer408: boolean): void {
    this.disarm();
    this.timer = this.clock.after(ms, () => {
      this.timer = undefined;
      if (this.closed || this.busy) return;
      if (answer408 && this.parser.started) this.reject(408, "request not received in time");
      else this.end();
    });
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.cancel(this.timer);
    this.timer = undefined;
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    this.disarm();
    this.pending = [];
    const onClose = this.streamClose;
    this.streamClose = undefined;
    onClose?.();
    this.events.closed(this);
  }
}

function statusText(status: number): string {
  return STATUS_TEXT[status] ?? "Error";
}
