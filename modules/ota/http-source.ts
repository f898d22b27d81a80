/**
 * Firmware images over HTTP/1.1 on the Network port, with Range requests so
 * an interrupted download continues where it stopped. Plain http:// only (the
 * image carries its own Ed25519 signature and SHA-256, so transport security
 * protects privacy, not integrity; on the board TLS would wrap the socket).
 * One request per connection (Connection: close).
 */
import type { Clock, TimerId } from "../core/clock";
import type { Network, Socket } from "../core/ports";
import { concatBytes, utf8DecodeStrict, utf8Encode } from "../core/bytes";
import type { ImageFetch, ImageSource } from "./image-source";

const MAX_HEAD = 8192;

export interface ParsedUrl {
  host: string;
  port: number;
  path: string;
}

export function parseHttpUrl(url: string): ParsedUrl | undefined {
  const m = /^http:\/\/([A-Za-z0-9.-]+)(?::(\d{1,5}))?(\/[!-~]*)?$/.exec(url);
  if (!m) return undefined;
  const port = m[2] ? Number(m[2]) : 80;
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1], port, path: m[3] ?? "/" };
}

export class HttpImageSource implements ImageSource {
  constructor(private readonly network: Network, private readonly clock: Clock, private readonly stallMs = 10_000) {}

  fetch(url: string, from: number, onData: (chunk: Uint8Array) => void, done: (error?: string) => void): ImageFetch {
    const u = parseHttpUrl(url);
    let finished = false;
    let socket: Socket | undefined;
    let timer: TimerId | undefined;
    const finish = (error?: string): void => {
      if (finished) return;
      finished = true;
      if (timer !== undefined) this.clock.cancel(timer);
      socket?.close();
      done(error);
    };
    if (!u) {
      finish(`not an http:// URL: ${url}`);
      return { abort() {} };
    }
    let head: Uint8Array | undefined = new Uint8Array(0);
    let expected = -1; // body bytes announced
    let received = 0;
    const arm = (): void => {
      if (timer !== undefined) this.clock.cancel(timer);
      timer = this.clock.after(this.stallMs, () => finish(`download stalled: nothing for ${this.stallMs} ms`));
    };
    const body = (chunk: Uint8Array): void => {
      if (chunk.length === 0) return;
      received += chunk.length;
      onData(chunk);
      if (expected >= 0 && received >= expected) finish();
    };
    socket = this.network.connect(u.host, u.port, {
      onConnect: () => {
        arm();
        socket!.write(utf8Encode(`GET ${u.path} HTTP/1.1\r\nHost: ${u.host}:${u.port}\r\nRange: bytes=${from}-\r\nConnection: close\r\n\r\n`));
      },
      onData: (bytes) => {
        if (finished) return;
        arm();
        if (!head) return body(bytes);
        head = concatBytes(head, bytes); // a copy: the host may reuse its buffer
        const end = indexOfBlankLine(head);
        if (end < 0) {
          if (head.length > MAX_HEAD) finish("HTTP response head too long");
          return;
        }
        const error = this.checkHead(head.subarray(0, end), from, (n) => (expected = n));
        if (error) return finish(error);
        const rest = head.subarray(end + 4);
        head = undefined;
        body(rest);
      },
      onClose: (error) => {
        if (finished) return;
        if (head) return finish(`no HTTP response${error ? `: ${error}` : ""}`);
        if (expected < 0) return finish(); // no length announced: the close ends the body
        finish(`connection closed after ${received} of ${expected} bytes${error ? ` (${error})` : ""}`);
      },
    });
    return { abort: () => finish("aborted") };
  }

  /** Status and headers; returns an error, or undefined with the body length given to `length`. */
  private checkHead(bytes: Uint8Array, from: number, length: (n: number) => void): string | undefined {
    const text = utf8DecodeStrict(bytes);
    if (text === undefined) return "HTTP response head is not UTF-8";
    const lines = text.split("\r\n");
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
    if (!status) return `not an HTTP response: ${lines[0].slice(0, 40)}`;
    const code = Number(status[1]);
    const headers = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const i = l.indexOf(":");
      if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
    }
    if (code === 416) return `range not satisfiable: the image is shorter than ${from} bytes`;
    if (code !== 206 && !(code === 200 && from === 0)) return code === 200 ? "the server ignores Range requests: cannot resume" : `HTTP ${code} for the image`;
    if (code === 206) {
      const r = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(headers.get("content-range") ?? "");
      if (!r || Number(r[1]) !== from) return `bad Content-Range ${JSON.stringify(headers.get("content-range") ?? "")} for bytes ${from}-`;
    }
    const cl = headers.get("content-length");
    if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) return `bad Content-Length ${JSON.stringify(cl)}`;
      length(Number(cl));
    }
    return undefined;
  }
}

function indexOfBlankLine(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  return -1;
}
