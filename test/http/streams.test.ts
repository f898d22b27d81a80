// Issue 14 item 7: event streams and connections cannot be hoarded. BOARD_LIMITS' stream cap is
// read (it was hard-coded 6), per-address caps hold, streams end after their lifetime, one slot is
// always left for an ordinary request, and HEAD /events sends headers only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import net from "node:net";
import { demoServer, raw, statuses } from "./fixture";
import type { WebServer } from "../../hosts/node/http/serve";
import { BOARD_LIMITS } from "../../modules/http/limits";
import { until } from "../support/until";

interface Held {
  sock: net.Socket;
  text: () => string;
  closed: () => boolean;
}

/** Opens GET /events and keeps reading it. */
async function stream(port: number): Promise<Held> {
  const sock = net.connect(port, "127.0.0.1");
  let text = "";
  let closed = false;
  sock.on("data", (d) => (text += d.toString("latin1")));
  sock.on("close", () => (closed = true));
  sock.on("error", () => {});
  sock.write("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  await until("the stream's head", () => text.includes("\r\n\r\n") || closed, 3000);
  return { sock, text: () => text, closed: () => closed };
}

const page = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

describe("event streams on board limits", () => {
  let web: WebServer;
  beforeAll(async () => {
    ({ web } = await demoServer({ limits: { ...BOARD_LIMITS, maxEventStreamsPerAddress: 2, eventStreamLifetimeMs: 600 } }));
  });
  afterAll(() => web.close());

  it("a third stream gets 503 (maxEventStreams 2), the owner's page is still served, and streams end after their lifetime", async () => {
    const a = await stream(web.port);
    const b = await stream(web.port);
    expect(statuses(a.text())).toEqual([200]);
    expect(statuses(b.text())).toEqual([200]);
    const c = await stream(web.port);
    expect(statuses(c.text())).toEqual([503]);
    expect(c.text()).toMatch(/too many live streams \(2\)/);
    expect(statuses(await raw(web.port, page))).toEqual([200]);
    // Lifetime 600 ms: both are ended by the server (EventSource would reconnect after its retry).
    await until("both streams ended", () => a.closed() && b.closed(), 4000);
    expect(web.app.eventStreams).toBe(0);
    const d = await stream(web.port);
    expect(statuses(d.text())).toEqual([200]);
    d.sock.destroy();
  });

  it("HEAD /events sends headers only", async () => {
    const text = await raw(web.port, "HEAD /events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 1500);
    expect(statuses(text)).toEqual([200]);
    expect(text).toMatch(/Content-Type: text\/event-stream/);
    expect(text.slice(text.indexOf("\r\n\r\n") + 4)).toBe("");
    expect(web.app.eventStreams).toBe(0);
  });
});

describe("per-address caps", () => {
  let web: WebServer;
  beforeAll(async () => {
    ({ web } = await demoServer({ limits: { maxEventStreamsPerAddress: 1 } }));
  });
  afterAll(() => web.close());

  it("one address holds one stream; the server never lets streams take every connection", async () => {
    const a = await stream(web.port);
    const b = await stream(web.port);
    expect(statuses(a.text())).toEqual([200]);
    expect(statuses(b.text())).toEqual([503]);
    expect(b.text()).toMatch(/from 127\.0\.0\.1/);
    a.sock.destroy();
    await until("no stream", () => web.app.eventStreams === 0, 2000);
  });

  it("maxEventStreams is held below maxConnections: one slot is left for a request", async () => {
    const small = await demoServer({ limits: { maxConnections: 3, maxConnectionsPerAddress: 3, maxEventStreams: 3, maxEventStreamsPerAddress: 3 } });
    try {
      expect(small.web.server.limits.maxEventStreams).toBe(2);
      const held = [await stream(small.web.port), await stream(small.web.port), await stream(small.web.port)];
      expect(held.map((h) => statuses(h.text())[0])).toEqual([200, 200, 503]);
      // All three slots are taken (two streams, the refused one kept alive): the idle one is reclaimed for the page.
      expect(small.web.server.getStats().open).toBe(3);
      expect(statuses(await raw(small.web.port, page))).toEqual([200]);
      expect(small.web.server.getStats().reclaimed).toBe(1);
      expect(held[2].closed()).toBe(true);
      for (const h of held) h.sock.destroy();
    } finally {
      await small.web.close();
    }
  });
});
