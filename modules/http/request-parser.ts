import type { HttpLimits } from "./limits";
import { normalisePath } from "./path";

/**
 * An incremental HTTP/1.1 request parser (RFC 9112) with the limits of
 * REFERENCES.md §10. Bytes are pushed as they arrive; each line is checked
 * the moment its LF arrives, so only the current line (≤ 1 KiB) is held and a
 * slow or oversized head is refused early. Strict where leniency lets a
 * request be read two ways (smuggling): CRLF only, no obs-fold, no
 * whitespace before ":", one Content-Length of digits only, never both
 * Content-Length and Transfer-Encoding.
 */

export const IMPLEMENTED_METHODS: readonly string[] = Object.freeze(["GET", "HEAD", "POST"]);

export interface HttpRequest {
  method: string;
  /** The request-target as sent. */
  target: string;
  /** Decoded, normalised path ("/load/oven"). */
  path: string;
  /** Raw query string without "?". */
  query: string;
  version: "1.0" | "1.1";
  /** Lower-case names; repeated fields joined with ", " (cookies with "; "). */
  headers: Map<string, string>;
  body: Uint8Array;
  keepAlive: boolean;
  /** The client sent "Expect: 100-continue". */
  expectContinue: boolean;
  remoteAddress: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const enum State {
  RequestLine,
  Headers,
  Body,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  Done,
  Failed,
}

const EMPTY = new Uint8Array(0);
const CR = 13;
const LF = 10;

// tchar per RFC 9110 §5.6.2.
const TCHAR = (() => {
  const t = new Uint8Array(128);
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  for (const ch of "!#$%&'*+-.^_`|~") t[ch.charCodeAt(0)] = 1;
  return t;
})();

export class RequestParser {
  private state = State.RequestLine;
  private line: Uint8Array;
  private lineLength = 0;
  private headerBytes = 0;
  private headerCount = 0;
  private leadingEmptyLines = 0;
  private req: HttpRequest | undefined;
  private contentLengths = 0;
  private hosts = 0;
  private transferEncoding: string | undefined;
  private remaining = 0;
  private body: Uint8Array = EMPTY;
  private bodyLength = 0;
  private error: HttpError | undefined;
  /** True once the first byte of the current request has arrived. */
  started = false;

  constructor(
    private readonly limits: HttpLimits,
    private readonly remoteAddress = "",
  ) {
    this.line = new Uint8Array(Math.max(limits.maxRequestLine, limits.maxHeaderLine) + 2);
  }

  /** True while the head (request line and headers) is still arriving. */
  get inHead(): boolean {
    return this.state === State.RequestLine || this.state === State.Headers;
  }

  /** The head is complete and a body is still expected. */
  get awaitingBody(): boolean {
    return this.state === State.Body || this.state === State.ChunkSize || this.state === State.ChunkData || this.state === State.ChunkDataEnd || this.state === State.Trailers;
  }

  /** The parsed head once the headers are complete (before the body), for Expect: 100-continue. */
  get head(): HttpRequest | undefined {
    return this.state === State.RequestLine || this.state === State.Headers ? undefined : this.req;
  }

  /**
   * Consumes bytes from `data[offset..]` and returns how many were used.
   * Stops at the end of one request: then `take()` returns it. Throws
   * HttpError (with the status to answer) on a bad request; the parser then
   * stays failed (the connection must close).
   */
  push(data: Uint8Array, offset = 0): number {
    if (this.error) throw this.error;
    let i = offset;
    try {
      while (i < data.length && this.state !== State.Done) {
        this.started = true;
        switch (this.state) {
          case State.RequestLine:
          case State.Headers:
          case State.ChunkSize:
          case State.Trailers:
            i = this.readLine(data, i);
            break;
          case State.Body:
          case State.ChunkData: {
            const n = Math.min(this.remaining, data.length - i);
            this.body.set(data.subarray(i, i + n), this.bodyLength);
            this.bodyLength += n;
            this.remaining -= n;
            i += n;
            if (this.remaining === 0) this.state = this.state === State.Body ? State.Done : State.ChunkDataEnd;
            break;
          }
          case State.ChunkDataEnd:
            // Exactly CRLF after chunk data.
            if (data[i] !== (this.lineLength === 0 ? CR : LF)) throw new HttpError(400, "chunk data not followed by CRLF");
            i++;
            if (this.lineLength === 0) this.lineLength = 1;
            else {
              this.lineLength = 0;
              this.state = State.ChunkSize;
            }
            break;
        }
      }
    } catch (e) {
      this.state = State.Failed;
      this.error = e instanceof HttpError ? e : new HttpError(400, String(e));
      throw this.error;
    }
    return i - offset;
  }

  /** The completed request (once), then the parser is ready for the next one. */
  take(): HttpRequest | undefined {
    if (this.state !== State.Done || !this.req) return undefined;
    const req = this.req;
    req.body = this.bodyLength === this.body.length ? this.body : this.body.subarray(0, this.bodyLength);
    this.reset();
    return req;
  }

  private reset(): void {
    this.state = State.RequestLine;
    this.lineLength = 0;
    this.headerBytes = 0;
    this.headerCount = 0;
    this.leadingEmptyLines = 0;
    this.req = undefined;
    this.contentLengths = 0;
    this.hosts = 0;
    this.transferEncoding = undefined;
    this.remaining = 0;
    this.body = EMPTY;
    this.bodyLength = 0;
    this.started = false;
  }

  /** Accumulates one line; processes it at LF. Returns the new index. */
  private readLine(data: Uint8Array, i: number): number {
    const max = this.state === State.RequestLine ? this.limits.maxRequestLine : this.state === State.ChunkSize ? 64 : this.limits.maxHeaderLine;
    while (i < data.length) {
      const b = data[i++];
      if (b === LF) {
        if (this.lineLength === 0 || this.line[this.lineLength - 1] !== CR) throw new HttpError(400, "bare LF (lines end with CRLF)");
        const length = this.lineLength - 1;
        this.lineLength = 0;
        this.onLine(length);
        return i;
      }
      // +1 leaves room for the CR that ends a line of exactly `max` bytes.
      if (this.lineLength >= max + 1) {
        if (this.state === State.RequestLine) throw new HttpError(414, "request line too long");
        if (this.state === State.ChunkSize) throw new HttpError(400, "chunk size line too long");
        throw new HttpError(431, "header line too long");
      }
      if (this.lineLength > 0 && this.line[this.lineLength - 1] === CR) throw new HttpError(400, "CR not followed by LF");
      this.line[this.lineLength++] = b;
      if (this.state === State.Headers || this.state === State.Trailers) {
        if (++this.headerBytes > this.limits.maxHeaderBytes) throw new HttpError(431, "headers too large");
      }
    }
    return i;
  }

  private onLine(length: number): void {
    switch (this.state) {
      case State.RequestLine:
        if (length === 0) {
          // RFC 9112 §2.2: ignore at least one empty line before the request line.
          if (++this.leadingEmptyLines > 2) throw new HttpError(400, "empty lines before request");
          return;
        }
        this.requestLine(length);
        this.state = State.Headers;
        return;
      case State.Headers:
        if (length === 0) return this.endOfHead();
        return this.headerLine(length);
      case State.ChunkSize:
        return this.chunkSize(length);
      case State.Trailers:
        if (length === 0) {
          this.state = State.Done;
          return;
        }
        // Trailer fields are counted against the header limits, then dropped.
        if (++this.headerCount > this.limits.maxHeaders) throw new HttpError(431, "too many header fields");
        return;
    }
  }

  private requestLine(length: number): void {
    const l = this.line;
    let i = 0;
    while (i < length && l[i] < 128 && TCHAR[l[i]]) i++;
    if (i === 0 || i >= length || l[i] !== 0x20) throw new HttpError(400, "malformed method");
    const method = latin1(l, 0, i);
    const targetStart = ++i;
    while (i < length && l[i] > 0x20 && l[i] < 0x7f) i++;
    if (i === targetStart || i >= length || l[i] !== 0x20) throw new HttpError(400, "malformed request target");
    const target = latin1(l, targetStart, i);
    const version = latin1(l, i + 1, length);
    let v: "1.0" | "1.1";
    if (version === "HTTP/1.1") v = "1.1";
    else if (version === "HTTP/1.0") v = "1.0";
    else if (/^HTTP\/\d\.\d$/.test(version)) throw new HttpError(505, `version ${version} not supported`);
    else throw new HttpError(400, "malformed HTTP version");

    let pathPart = target;
    if (target.startsWith("http://") || target.startsWith("https://")) {
      const slash = target.indexOf("/", target.indexOf("//") + 2);
      pathPart = slash < 0 ? "/" : target.slice(slash);
    } else if (target === "*") {
      throw new HttpError(method === "OPTIONS" ? 501 : 400, "asterisk-form not supported");
    } else if (target.charCodeAt(0) !== 0x2f) throw new HttpError(400, "request target must start with /");
    const hash = pathPart.indexOf("#");
    if (hash >= 0) throw new HttpError(400, "fragment in request target");
    const q = pathPart.indexOf("?");
    const rawPath = q < 0 ? pathPart : pathPart.slice(0, q);
    const path = normalisePath(rawPath);
    if (path === undefined) throw new HttpError(400, "invalid path");
    this.req = {
      method,
      target,
      path,
      query: q < 0 ? "" : pathPart.slice(q + 1),
      version: v,
      headers: new Map(),
      body: EMPTY,
      keepAlive: v === "1.1",
      expectContinue: false,
      remoteAddress: this.remoteAddress,
    };
  }

  private headerLine(length: number): void {
    const l = this.line;
    if (l[0] === 0x20 || l[0] === 0x09) throw new HttpError(400, "obsolete line folding");
    if (++this.headerCount > this.limits.maxHeaders) throw new HttpError(431, "too many header fields");
    let i = 0;
    while (i < length && l[i] < 128 && TCHAR[l[i]]) i++;
    if (i === 0 || i >= length || l[i] !== 0x3a) throw new HttpError(400, "malformed header field name");
    const name = latin1(l, 0, i).toLowerCase();
    let start = i + 1;
    let end = length;
    while (start < end && (l[start] === 0x20 || l[start] === 0x09)) start++;
    while (end > start && (l[end - 1] === 0x20 || l[end - 1] === 0x09)) end--;
    for (let k = start; k < end; k++) {
      const c = l[k];
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) throw new HttpError(400, "control character in header value");
    }
    const value = latin1(l, start, end);
    const headers = this.req!.headers;
    if (name === "content-length") this.contentLengths++;
    if (name === "host") this.hosts++;
    if (name === "transfer-encoding") this.transferEncoding = this.transferEncoding === undefined ? value : `${this.transferEncoding}, ${value}`;
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? value : `${previous}${name === "cookie" ? "; " : ", "}${value}`);
  }

  /** Decides framing (RFC 9112 §6.3) and connection persistence. */
  private endOfHead(): void {
    const req = this.req!;
    const h = req.headers;
    if (req.version === "1.1" && this.hosts !== 1) throw new HttpError(400, this.hosts === 0 ? "missing Host" : "duplicate Host");
    if (this.hosts > 1) throw new HttpError(400, "duplicate Host");
    const connection = (h.get("connection") ?? "").toLowerCase();
    const tokens = connection.split(",").map((s) => s.trim());
    if (tokens.includes("close")) req.keepAlive = false;
    else if (req.version === "1.0") req.keepAlive = tokens.includes("keep-alive");

    const expect = h.get("expect");
    if (expect !== undefined) {
      if (expect.toLowerCase() !== "100-continue") throw new HttpError(417, "unsupported expectation");
      req.expectContinue = req.version === "1.1";
    }

    if (this.transferEncoding !== undefined) {
      if (this.contentLengths > 0) throw new HttpError(400, "both Transfer-Encoding and Content-Length");
      if (req.version === "1.0") throw new HttpError(400, "Transfer-Encoding in HTTP/1.0");
      const codings = this.transferEncoding.toLowerCase().split(",").map((s) => s.trim());
      if (codings[codings.length - 1] !== "chunked") throw new HttpError(400, "chunked is not the final transfer coding");
      if (codings.length !== 1) throw new HttpError(501, "transfer coding not implemented");
      this.checkMethod();
      this.body = new Uint8Array(0);
      this.state = State.ChunkSize;
      return;
    }
    if (this.contentLengths > 1) throw new HttpError(400, "duplicate Content-Length");
    const cl = h.get("content-length");
    let length = 0;
    if (cl !== undefined) {
      if (!/^[0-9]+$/.test(cl)) throw new HttpError(400, "Content-Length is not a number");
      if (cl.length > 15 || Number(cl) > this.limits.maxBodyBytes) throw new HttpError(413, "body too large");
      length = Number(cl);
    }
    this.checkMethod();
    if (length === 0) {
      req.expectContinue = false;
      this.state = State.Done;
      return;
    }
    this.body = new Uint8Array(length);
    this.remaining = length;
    this.state = State.Body;
  }

  /** After framing is known (so 400s for framing win over 501). */
  private checkMethod(): void {
    if (!IMPLEMENTED_METHODS.includes(this.req!.method)) throw new HttpError(501, `method ${this.req!.method} not implemented`);
  }

  private chunkSize(length: number): void {
    const l = this.line;
    let i = 0;
    let size = 0;
    while (i < length) {
      const c = l[i];
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) break;
      size = size * 16 + d;
      if (size > this.limits.maxBodyBytes) throw new HttpError(413, "chunked body too large");
      i++;
    }
    if (i === 0) throw new HttpError(400, "malformed chunk size");
    // Only chunk extensions (";name=value") may follow the size.
    while (i < length && (l[i] === 0x20 || l[i] === 0x09)) i++;
    if (i < length && l[i] !== 0x3b) throw new HttpError(400, "malformed chunk size");
    if (size === 0) {
      this.state = State.Trailers;
      return;
    }
    if (this.bodyLength + size > this.limits.maxBodyBytes) throw new HttpError(413, "chunked body too large");
    const grown = new Uint8Array(this.bodyLength + size);
    grown.set(this.body.subarray(0, this.bodyLength));
    this.body = grown;
    this.remaining = size;
    this.state = State.ChunkData;
  }
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}
