import { utf8Encode } from "../core/bytes";
import { STATUS_TEXT } from "./limits";
import type { HttpRequest } from "./request-parser";

/** Where a response's bytes go (the connection). */
export interface ResponseSink {
  write(bytes: Uint8Array): boolean;
  /** Called once when the response is complete; `close` asks to end the connection. */
  finished(close: boolean): void;
  /** Called when a response turns into an event stream (the connection stays open for it). */
  streaming(onClose: () => void): void;
}

export type Body = string | Uint8Array;

const CRLF = "\r\n";
const LAST_CHUNK = utf8Encode("0\r\n\r\n");

/**
 * One response. `send` writes a whole body with Content-Length (one write of
 * head + body: one TCP segment for small pages); `start`/`write`/`end` stream
 * with chunked encoding (HTTP/1.1) or close-delimited (HTTP/1.0); `eventStream`
 * turns the connection into a Server-Sent Events stream.
 */
export class Response {
  statusCode = 200;
  private headers: [string, string][] = [];
  private state: "new" | "streaming" | "done" = "new";
  private chunked = false;
  private closeAfter: boolean;
  /** Bytes of body sent (for the log and the benchmark). */
  bytesSent = 0;

  constructor(
    readonly request: HttpRequest,
    private readonly sink: ResponseSink,
    /** The connection wants to close after this response (limits reached). */
    forceClose = false,
  ) {
    this.closeAfter = forceClose || !request.keepAlive;
  }

  get finished(): boolean {
    return this.state === "done";
  }

  get headersSent(): boolean {
    return this.state !== "new";
  }

  status(code: number): this {
    this.statusCode = code;
    return this;
  }

  /** Adds a header (replaces one of the same name unless `append`). */
  header(name: string, value: string, append = false): this {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Error("header injection refused");
    const lower = name.toLowerCase();
    if (!append) this.headers = this.headers.filter(([n]) => n.toLowerCase() !== lower);
    this.headers.push([name, value]);
    return this;
  }

  getHeader(name: string): string | undefined {
    const lower = name.toLowerCase();
    for (const [n, v] of this.headers) if (n.toLowerCase() === lower) return v;
    return undefined;
  }

  /** Ask for the connection to close after this response. */
  closeConnection(): this {
    this.closeAfter = true;
    return this;
  }

  /** Sends a complete response. */
  send(body: Body = "", contentType?: string): void {
    if (this.state !== "new") throw new Error("response already started");
    const bytes = typeof body === "string" ? utf8Encode(body) : body;
    if (contentType) this.header("Content-Type", contentType);
    const noBody = this.statusCode === 204 || this.statusCode === 304 || this.statusCode < 200;
    if (!noBody) this.header("Content-Length", String(bytes.length));
    const head = utf8Encode(this.headText());
    const withBody = !noBody && this.request.method !== "HEAD" && bytes.length > 0;
    if (withBody) {
      const all = new Uint8Array(head.length + bytes.length);
      all.set(head);
      all.set(bytes, head.length);
      this.sink.write(all);
      this.bytesSent = bytes.length;
    } else this.sink.write(head);
    this.state = "done";
    this.sink.finished(this.closeAfter);
  }

  /** A redirect after a POST (303 See Other: the browser follows with GET). */
  redirect(location: string): void {
    this.status(303).header("Location", location).send("", "text/plain; charset=utf-8");
  }

  /** Starts a streamed body (chunked on HTTP/1.1). */
  start(contentType?: string): void {
    if (this.state !== "new") throw new Error("response already started");
    if (contentType) this.header("Content-Type", contentType);
    if (this.request.version === "1.1") {
      this.chunked = true;
      this.header("Transfer-Encoding", "chunked");
    } else this.closeAfter = true;
    this.sink.write(utf8Encode(this.headText()));
    this.state = "streaming";
    if (this.request.method === "HEAD") this.end();
  }

  /** Writes one piece of a streamed body; false means the socket is backed up. */
  write(chunk: Body): boolean {
    if (this.state !== "streaming") return false;
    const bytes = typeof chunk === "string" ? utf8Encode(chunk) : chunk;
    if (bytes.length === 0) return true;
    this.bytesSent += bytes.length;
    if (!this.chunked) return this.sink.write(bytes);
    const size = utf8Encode(bytes.length.toString(16) + CRLF);
    const all = new Uint8Array(size.length + bytes.length + 2);
    all.set(size);
    all.set(bytes, size.length);
    all[all.length - 2] = 13;
    all[all.length - 1] = 10;
    return this.sink.write(all);
  }

  end(): void {
    if (this.state === "done") return;
    if (this.state === "new") return this.send();
    if (this.chunked && this.request.method !== "HEAD") this.sink.write(LAST_CHUNK);
    this.state = "done";
    this.sink.finished(this.closeAfter);
  }

  /**
   * Turns this response into a Server-Sent Events stream. The connection is
   * dedicated to it (no further pipelined requests) until either side closes.
   */
  eventStream(onClose: () => void): EventStream {
    this.header("Content-Type", "text/event-stream; charset=utf-8");
    this.header("Cache-Control", "no-store");
    this.closeAfter = true;
    this.sink.write(utf8Encode(this.headText()));
    this.state = "streaming";
    const stream = new EventStream(this.sink);
    this.sink.streaming(() => {
      stream.closed = true;
      onClose();
    });
    return stream;
  }

  private headText(): string {
    let text = `HTTP/1.1 ${this.statusCode} ${STATUS_TEXT[this.statusCode] ?? "Status"}${CRLF}`;
    for (const [n, v] of this.headers) text += `${n}: ${v}${CRLF}`;
    if (this.closeAfter) text += `Connection: close${CRLF}`;
    else if (this.request.version === "1.0") text += `Connection: keep-alive${CRLF}`;
    return text + CRLF;
  }
}

/** The sending side of one Server-Sent Events stream. */
export class EventStream {
  closed = false;
  constructor(private readonly sink: ResponseSink) {}

  /** Sends one event; multi-line data is split into "data:" lines. */
  send(data: string, event?: string, id?: string): boolean {
    if (this.closed) return false;
    let text = "";
    if (event) text += `event: ${event.replace(/[\r\n]/g, "")}\n`;
    if (id) text += `id: ${id.replace(/[\r\n]/g, "")}\n`;
    for (const line of data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
    return this.sink.write(utf8Encode(text + "\n"));
  }

  /** A comment line keeps proxies and NATs from dropping an idle stream. */
  ping(): boolean {
    return this.closed ? false : this.sink.write(utf8Encode(":\n\n"));
  }

  /** Ends the stream and its connection (a lifetime reached, or the server closing). */
  end(): void {
    if (!this.closed) this.sink.finished(true);
  }

  /** Tells the browser how long to wait before reconnecting. */
  retry(ms: number): boolean {
    return this.closed ? false : this.sink.write(utf8Encode(`retry: ${Math.round(ms)}\n\n`));
  }
}
