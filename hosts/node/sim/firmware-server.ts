/**
 * The utility's firmware server in the simulator: serves signed images over
 * HTTP/1.1 with Range requests (206 + Content-Range), the way a CDN does, on
 * 127.0.0.1. For tests it can cut the next response after some bytes (a link
 * drop mid-download) and it logs every request's range start.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FirmwareServer {
  url: string;
  /** Publishes an image at /firmware/<name>; returns its URL. */
  add(name: string, image: Uint8Array): string;
  /** The next response is cut (socket destroyed) after this many body bytes. */
  cutNextAfter(bytes: number): void;
  /** Every request: image name and the Range start asked for. */
  readonly requests: { name: string; from: number }[];
  /** Responses cut so far (by cutNextAfter). */
  cuts(): number;
  close(): Promise<void>;
}

export async function startFirmwareServer(port = 0): Promise<FirmwareServer> {
  const images = new Map<string, Uint8Array>();
  const requests: { name: string; from: number }[] = [];
  let cut = -1;
  let cuts = 0;
  const server: Server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? "").replace(/^\/firmware\//, ""));
    const image = images.get(name);
    if (req.method !== "GET" || !image) {
      res.writeHead(404, { "content-type": "text/plain" }).end("no such image\n");
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const from = range ? Number(range[1]) : 0;
    requests.push({ name, from });
    if (from >= image.length) {
      res.writeHead(416, { "content-range": `bytes */${image.length}` }).end();
      return;
    }
    const body = image.subarray(from);
    res.writeHead(range ? 206 : 200, {
      "content-type": "application/octet-stream",
      "content-length": String(body.length),
      "accept-ranges": "bytes",
      ...(range ? { "content-range": `bytes ${from}-${image.length - 1}/${image.length}` } : {}),
    });
    if (cut >= 0) {
      const n = cut;
      cut = -1;
      res.write(body.subarray(0, n), () => setTimeout(() => {
        res.socket?.destroy();
        cuts++;
      }, 20));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    add(name, image) {
      images.set(name, image);
      return `${url}/firmware/${encodeURIComponent(name)}`;
    },
    cutNextAfter(bytes) {
      cut = bytes;
    },
    requests,
    cuts: () => cuts,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
