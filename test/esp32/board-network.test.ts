// The board's Network port over ECMA-419 sockets (http-adapter.ts), against a
// fake of Moddable's lwIP TCP socket and Net.resolve: writes never exceed what
// onWritable allowed, back-pressure and drain, close after the queue empties,
// and connect() resolving host names (lwIP's TCP takes dotted addresses only).
import { describe, expect, it, vi } from "vitest";

const sockets: FakeTcp[] = [];
const lookups: { name: string; cb: (name: string, address?: string) => void }[] = [];

class FakeTcp {
  written: number[] = [];
  closed = false;
  constructor(readonly options: Record<string, any>) {
    if (options.host !== undefined) throw new Error("invalid address"); // as Moddable's lwIP tcp.c
    sockets.push(this);
  }
  get remoteAddress() { return "10.0.0.9"; }
  read(n: number): ArrayBuffer { return new Uint8Array(n).fill(7).buffer; }
  write(b: ArrayBuffer): void { for (const x of new Uint8Array(b)) this.written.push(x); }
  close(): void { this.closed = true; }
}

vi.mock("embedded:io/socket/tcp", () => ({ default: FakeTcp }));
vi.mock("embedded:io/socket/listener", () => ({ default: class {} }));
vi.mock("net", () => ({ default: { resolve: (name: string, cb: (n: string, a?: string) => void) => void lookups.push({ name, cb }) } }));

// Imported by a computed path: http-adapter.ts imports Moddable modules, which the host's tsc
// (tsconfig.json, no Moddable types) must not follow; tsconfig.esp32.json type-checks it instead.
import type { Network } from "../../modules/core/ports";
const adapter = "../../hosts/esp32/http-adapter";
const { BoardNetwork } = (await import(/* @vite-ignore */ adapter)) as { BoardNetwork: new () => Network };

function handlers() {
  const h = { connected: 0, data: [] as number[], closed: [] as (string | undefined)[], drains: 0 };
  return {
    h,
    on: {
      onConnect: () => void h.connected++,
      onData: (b: Uint8Array) => void h.data.push(...b),
      onClose: (e?: string) => void h.closed.push(e),
      onDrain: () => void h.drains++,
    },
  };
}

describe("board Network port (http-adapter.ts) on a fake ECMA-419 TCP", () => {
  it("connects to a dotted address directly; writes only what onWritable allows; back-pressure, drain, close", () => {
    sockets.length = 0;
    const { h, on } = handlers();
    const sock = new BoardNetwork().connect("192.168.1.20", 1883, on);
    const tcp = sockets[0];
    expect(tcp.options).toMatchObject({ address: "192.168.1.20", port: 1883 });
    expect(sock.write(new Uint8Array(3000).fill(1))).toBe(true);
    expect(sock.write(new Uint8Array(3000).fill(2))).toBe(false); // 6000 queued ≥ 4096
    expect(tcp.written.length).toBe(0); // nothing is writable before the first onWritable
    tcp.options.onWritable(1000);
    expect(h.connected).toBe(1);
    expect(tcp.written.length).toBe(1000);
    tcp.options.onWritable(2500);
    expect(tcp.written.length).toBe(3500);
    tcp.options.onReadable(3);
    expect(h.data).toEqual([7, 7, 7]);
    expect(h.drains).toBe(1); // 2500 left < 4096
    sock.close();
    expect(tcp.closed).toBe(false); // still queued
    tcp.options.onWritable(10_000);
    expect(tcp.written.length).toBe(6000);
    expect(tcp.written.slice(2999, 3001)).toEqual([1, 2]);
    expect(tcp.closed).toBe(true);
    expect(h.closed).toEqual([undefined]);
    expect(sock.write(Uint8Array.of(1))).toBe(false);
    tcp.options.onReadable(4);
    expect(h.data).toEqual([7, 7, 7]); // a late callback after close delivers nothing more
  });

  it("a write that fits goes straight to the socket, the rest is copied: a caller reusing its buffer changes neither", () => {
    sockets.length = 0;
    const { on } = handlers();
    const sock = new BoardNetwork().connect("192.168.1.20", 1883, on);
    const tcp = sockets[0];
    tcp.options.onWritable(4);
    const buf = Uint8Array.of(1, 2, 3, 4, 5, 6);
    expect(sock.write(buf)).toBe(true);
    expect(tcp.written).toEqual([1, 2, 3, 4]); // what fitted, handed over at once (lwIP copies it)
    buf.fill(9); // the caller reuses its buffer as soon as write returns
    tcp.options.onWritable(10);
    expect(tcp.written).toEqual([1, 2, 3, 4, 5, 6]); // the queued rest was a copy
    expect(sock.write(buf.subarray(0, 2))).toBe(true);
    expect(tcp.written).toEqual([1, 2, 3, 4, 5, 6, 9, 9]);
  });

  it("resolves a host name first; a name that does not resolve closes with an error after connect() returns", async () => {
    sockets.length = 0;
    lookups.length = 0;
    const a = handlers();
    new BoardNetwork().connect("broker.utility.example", 1883, a.on);
    expect(sockets.length).toBe(0);
    expect(lookups.map((l) => l.name)).toEqual(["broker.utility.example"]);
    lookups[0].cb("broker.utility.example", "10.1.2.3");
    expect(sockets[0].options).toMatchObject({ address: "10.1.2.3", port: 1883 });
    const b = handlers();
    let returned = false;
    new BoardNetwork().connect("nowhere.example", 80, { ...b.on, onClose: (e) => { expect(returned).toBe(true); b.on.onClose(e); } });
    returned = true;
    lookups[1].cb("nowhere.example", undefined);
    await Promise.resolve();
    await Promise.resolve();
    expect(b.h.closed).toEqual(["cannot resolve nowhere.example"]);
    // closed while resolving: no socket is opened afterwards
    const c = handlers();
    const s = new BoardNetwork().connect("late.example", 80, c.on);
    s.close();
    lookups[2].cb("late.example", "10.9.9.9");
    expect(sockets.length).toBe(1);
  });

  it("still works with its class prototypes frozen, as the preload leaves them (nothing assigns over a method)", () => {
    sockets.length = 0;
    const first = new BoardNetwork().connect("192.168.1.21", 1883, handlers().on);
    // The preload freezes every class prototype of a preloaded module; strict-mode code that assigns
    // over one of its methods on an instance then throws (on the board: "set onWritable: not writable").
    Object.freeze(Object.getPrototypeOf(first));
    Object.freeze(BoardNetwork.prototype);
    const { h, on } = handlers();
    const sock = new BoardNetwork().connect("192.168.1.22", 1883, on);
    const tcp = sockets[1];
    expect(sock.write(Uint8Array.of(1, 2, 3))).toBe(true);
    tcp.options.onWritable(2);
    expect(h.connected).toBe(1);
    tcp.options.onWritable(10);
    expect(h.connected).toBe(1); // once
    expect(tcp.written).toEqual([1, 2, 3]);
  });
});
