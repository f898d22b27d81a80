// Issue 14/18: an oversized packet from the broker is refused from its fixed header (2-5 bytes),
// before any of its body is buffered. The decoder's own buffer is measured after each attack;
// the client is driven by scripted brokers (real sockets) and by mosquitto, in 3.1.1 and 5.0.
import { describe, expect, it } from "vitest";
import { createServer, type AddressInfo } from "node:net";
import { getRandomValues } from "node:crypto";
import { rmSync } from "node:fs";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { nodeClock } from "../../hosts/node/node-clock";
import { freePort } from "../../hosts/node/free-port";
import { DEFAULT_MAX_PACKET, MqttClient, type MqttClientOptions } from "../../modules/mqtt/client";
import { encodePacket, MqttDecoder, MqttPacketTooLarge, MqttProtocolError, type Packet } from "../../modules/mqtt/codec";
import { MemoryOutbox } from "../../modules/mqtt/flash-outbox";
import { missing } from "../support/requires";
import { Mosquitto } from "../support/mosquitto";
import { until } from "../support/until";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const LIMIT = 41 * 1024;

/** A fixed header: first byte, then the remaining length as MQTT's variable byte integer. */
function header(first: number, remaining: number): Uint8Array {
  const out = [first];
  do {
    let d = remaining % 128;
    remaining = Math.floor(remaining / 128);
    if (remaining > 0) d |= 128;
    out.push(d);
  } while (remaining > 0);
  return Uint8Array.from(out);
}

const publish = (topic: string, payload: Uint8Array, qos: 0 | 1, messageId?: number): Packet => ({ cmd: "publish", topic, payload, qos, retain: false, dup: false, messageId });

describe("MqttDecoder refuses an oversized packet from its fixed header", () => {
  it("a header announcing 1 MiB, with 64 KiB of body in the same chunk: refused, the buffer never grows", () => {
    const d = new MqttDecoder(LIMIT, 5);
    const bytes = new Uint8Array(4 + 64 * 1024);
    bytes.set(header(0x30, (1 << 20) - 4));
    let err: unknown;
    try {
      d.push(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MqttPacketTooLarge);
    expect((err as MqttPacketTooLarge).size).toBe(1 << 20);
    expect((err as Error).message).toMatch(/1048576 bytes exceeds the limit of 41984/);
    expect(d.capacity).toBeLessThanOrEqual(256);
    expect(d.buffered).toBeLessThanOrEqual(5);
  });

  it("the 2-byte header alone is enough to refuse (nothing of the body has come yet)", () => {
    const d = new MqttDecoder(100, 4);
    d.push(Uint8Array.of(0x30));
    expect(() => d.push(Uint8Array.of(0x7f))).toThrow(MqttPacketTooLarge); // 2 + 127 > 100
    expect(d.capacity).toBeLessThanOrEqual(256);
  });

  it("a remaining length of more than 4 bytes, dripped a byte per call: refused at the 4th, at most 5 bytes held", () => {
    const d = new MqttDecoder(LIMIT, 4);
    const drip = Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0xff, 0x7f);
    let thrown = "";
    let held = 0;
    for (const b of drip) {
      try {
        d.push(Uint8Array.of(b));
        held = Math.max(held, d.buffered);
      } catch (e) {
        thrown = (e as Error).message;
        break;
      }
    }
    expect(thrown).toMatch(/more than 4 bytes/);
    expect(held).toBeLessThanOrEqual(4);
    expect(d.capacity).toBeLessThanOrEqual(256);
  });

  it("an allowed 40 KiB packet dripped a byte per call: memory follows what arrived (never past the packet), and is let go after", () => {
    const d = new MqttDecoder(LIMIT, 4);
    const payload = new Uint8Array(40 * 1024).map((_, i) => i * 7);
    const wire = encodePacket(publish("xsmeter/n1/cmd/price", payload, 1, 5));
    let got: Packet[] = [];
    let worst = 0; // the buffer's size over what it held, at its worst once past the small buffer
    for (let i = 0; i < wire.length; i++) {
      got = got.concat(d.push(wire.subarray(i, i + 1)));
      if (d.buffered > 256) worst = Math.max(worst, d.capacity / d.buffered);
      expect(d.capacity).toBeLessThanOrEqual(wire.length);
    }
    expect(worst).toBeLessThanOrEqual(2);
    expect(got).toHaveLength(1);
    expect((got[0] as { payload: Uint8Array }).payload).toEqual(payload);
    expect(d.buffered).toBe(0);
    expect(d.capacity).toBeLessThanOrEqual(256);
  });

  it("a packet at exactly the limit is taken, one byte more is not (the limit counts the whole packet, header included)", () => {
    const at = encodePacket(publish("t", new Uint8Array(LIMIT - 8), 0));
    const size = at.length; // 1 + 3 length bytes + 3 of topic + the payload
    expect(new MqttDecoder(size, 4).push(at)).toHaveLength(1);
    expect(() => new MqttDecoder(size - 1, 4).push(at)).toThrow(MqttPacketTooLarge);
  });

  it("whole packets around a partial one are decoded in place, whatever the cut", () => {
    const packets = [publish("a/b", enc("x".repeat(300)), 1, 1), { cmd: "pingresp" } as Packet, publish("a/c", enc("y"), 0)];
    const stream = new Uint8Array(packets.reduce((n, p) => n + encodePacket(p).length, 0));
    let o = 0;
    for (const p of packets) { const b = encodePacket(p); stream.set(b, o); o += b.length; }
    for (const cut of [1, 2, 3, 100, 303, 305, stream.length - 1]) {
      const d = new MqttDecoder(LIMIT, 4);
      const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(got.map((p) => p.cmd), `cut at ${cut}`).toEqual(["publish", "pingresp", "publish"]);
      expect(dec((got[0] as { payload: Uint8Array }).payload)).toBe("x".repeat(300));
    }
  });

  it("3.1.1 (skipLargePublish): an oversized QoS 1 PUBLISH is read past unstored and returned with its packet id; the next packet decodes", () => {
    const big = encodePacket(publish("xsmeter/n1/cmd/price", new Uint8Array(100 * 1024).fill(0x41), 1, 77));
    const next = encodePacket(publish("xsmeter/n1/cmd/load", enc("{}"), 1, 78));
    const stream = new Uint8Array(big.length + next.length);
    stream.set(big);
    stream.set(next, big.length);
    for (const chunk of [1, 3, 1000, stream.length]) {
      const d = new MqttDecoder(LIMIT, 4, true);
      const got: Packet[] = [];
      let peak = 0;
      for (let i = 0; i < stream.length; i += chunk) {
        got.push(...d.push(stream.subarray(i, i + chunk)));
        peak = Math.max(peak, d.capacity);
      }
      expect(got, `chunks of ${chunk}`).toMatchObject([
        { cmd: "publish", tooLarge: big.length, qos: 1, messageId: 77, topic: "" },
        { cmd: "publish", topic: "xsmeter/n1/cmd/load", messageId: 78 },
      ]);
      expect((got[0] as { payload: Uint8Array }).payload.length).toBe(0);
      expect(peak, `chunks of ${chunk}`).toBeLessThanOrEqual(256);
    }
  });

  it("3.1.1: any other oversized packet, and an oversized PUBLISH whose topic runs past its end, still break the stream", () => {
    expect(() => new MqttDecoder(LIMIT, 4, true).push(header(0x90, 50_000))).toThrow(MqttPacketTooLarge); // SUBACK
    const h = header(0x32, 50_000); // QoS 1 PUBLISH of 50,000 bytes
    const lying = new Uint8Array(h.length + 50_000);
    lying.set(h);
    lying[h.length] = 0xff; // topic length 65535: with its packet id, past the 50,000
    lying[h.length + 1] = 0xff;
    expect(() => new MqttDecoder(LIMIT, 4, true).push(lying)).toThrow(/runs past the end/);
    const zeroId = new Uint8Array(h.length + 50_000);
    zeroId.set(h);
    zeroId[h.length + 1] = 1; // topic of 1 byte, then packet id 0
    expect(() => new MqttDecoder(LIMIT, 4, true).push(zeroId)).toThrow(/packet identifier 0/);
  });
});

// ---------- the client, against scripted brokers ----------

const clock = nodeClock();
const random = { fill: (b: Uint8Array) => void getRandomValues(b) };

async function scripted(onConnect: (send: (b: Uint8Array) => void, version: number) => void) {
  const seen: Packet[] = [];
  let connections = 0;
  const server = createServer((sock) => {
    connections++;
    const d = new MqttDecoder();
    sock.on("data", (b) => {
      let packets: Packet[] = [];
      try { packets = d.push(new Uint8Array(b)); } catch { sock.destroy(); return; }
      for (const p of packets) {
        seen.push(p);
        if (p.cmd === "connect") {
          sock.write(encodePacket({ cmd: "connack", sessionPresent: false, returnCode: 0 }, p.protocolVersion));
          onConnect((bytes) => sock.write(bytes), p.protocolVersion);
        }
      }
    });
    sock.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { port: (server.address() as AddressInfo).port, seen, connections: () => connections, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function meterClient(port: number, extra: Partial<MqttClientOptions>) {
  const reasons: string[] = [];
  const memory: { bytes: number; capacity: number }[] = [];
  const c = new MqttClient({ network: new NodeNetwork(), clock, random, host: "127.0.0.1", port, clientId: "meter-big", outbox: new MemoryOutbox(), clean: false, minBackoffMs: 5_000, maxBackoffMs: 5_000, ...extra });
  c.onDisconnect = (r) => { reasons.push(r); memory.push(c.decoderBuffered); };
  return { c, reasons, memory };
}

describe("MqttClient and an oversized packet from the broker", () => {
  it("5.0: tells the broker its real limit, and on a header announcing 1 MiB sends DISCONNECT 0x95 and drops the link, buffering none of it", async () => {
    const broker = await scripted((send) => {
      // header announcing 1 MiB, then 16 KiB of its body: a meter that buffered would hold them
      send(header(0x30, (1 << 20) - 4));
      send(new Uint8Array(16 * 1024));
    });
    const { c, reasons } = meterClient(broker.port, { protocolVersion: 5 });
    let heldAtRefusal: { bytes: number; capacity: number } | undefined;
    c.onDisconnect = (r) => { reasons.push(r); heldAtRefusal ??= c.decoderBuffered; };
    c.start();
    await until("the refusal", () => reasons.length > 0, 5000);
    c.kill();
    await broker.close();
    expect(broker.seen.find((p) => p.cmd === "connect")).toMatchObject({ properties: { maximumPacketSize: DEFAULT_MAX_PACKET } });
    expect(DEFAULT_MAX_PACKET).toBe(41 * 1024);
    expect(broker.seen.filter((p) => p.cmd === "disconnect")).toEqual([{ cmd: "disconnect", reasonCode: 0x95 }]);
    expect(reasons[0]).toMatch(/packet too large from broker: packet of 1048576 bytes exceeds the limit of 41984/);
    expect(c.stats.tooLarge).toBe(1);
    expect(c.stats.protocolErrors).toBe(0);
    expect(heldAtRefusal!.capacity).toBeLessThanOrEqual(256);
  });

  it("3.1.1: an oversized QoS 1 PUBLISH is acknowledged unread and never delivered; the link stays up and the next message is delivered", async () => {
    const big = encodePacket(publish("xsmeter/n1/cmd/price", new Uint8Array(200 * 1024), 1, 9));
    const broker = await scripted((send) => {
      send(big.subarray(0, 1000)); // in pieces, as a socket delivers it
      send(big.subarray(1000));
      send(encodePacket(publish("xsmeter/n1/cmd/load", enc("after"), 1, 10)));
    });
    const { c, reasons } = meterClient(broker.port, { protocolVersion: 4 });
    const delivered: string[] = [];
    c.onMessage((_t, p) => delivered.push(dec(p)));
    c.start();
    await until("the message after it", () => delivered.length > 0, 5000);
    await until("both acknowledged", () => broker.seen.filter((p) => p.cmd === "puback").length === 2, 5000);
    expect(broker.seen.filter((p) => p.cmd === "puback").map((p) => (p as { messageId: number }).messageId)).toEqual([9, 10]);
    expect(delivered).toEqual(["after"]);
    expect(c.isConnected).toBe(true);
    expect(reasons).toEqual([]);
    expect(c.stats.tooLarge).toBe(1);
    expect(c.decoderBuffered.capacity).toBeLessThanOrEqual(256);
    expect(broker.connections()).toBe(1);
    c.kill();
    await broker.close();
  });
});

// ---------- against mosquitto: a persistent session holding an oversized downlink ----------

describe.skipIf(missing("mosquitto"))("an oversized downlink waiting in a persistent mosquitto session", () => {
  for (const version of [4, 5] as const) {
    it(`MQTT ${version === 5 ? "5.0: mosquitto drops it for the meter (our Maximum Packet Size)" : "3.1.1: the meter acknowledges it unread, so it is not sent again"}; the next command arrives, the link stays up`, async () => {
      const broker = new Mosquitto(await freePort());
      await broker.start();
      try {
        const net = new NodeNetwork();
        const topic = `xsmeter/big${version}/cmd/price`;
        const mk = () => meterClient(broker.port, { protocolVersion: version, clientId: `meter-big-${version}`, minBackoffMs: 100, maxBackoffMs: 200 });
        const sender = new MqttClient({ network: net, clock, random, host: "127.0.0.1", port: broker.port, clientId: `sender-${version}`, outbox: new MemoryOutbox(), clean: true });
        sender.start();
        let m = mk();
        m.c.subscribe(topic, 1);
        m.c.start();
        await until("both connected", () => m.c.isConnected && sender.isConnected);
        await new Promise((r) => setTimeout(r, 200)); // the SUBSCRIBE is through
        m.c.kill(); // the meter is off: the broker queues for its session
        sender.publish(topic, new Uint8Array(100 * 1024).fill(0x7b), 1);
        await until("queued", () => sender.stats.acked >= 1);
        m = mk();
        m.c.subscribe(topic, 1);
        const delivered: string[] = [];
        m.c.onMessage((_t, p) => delivered.push(p.length > 100 ? `${p.length} bytes` : dec(p)));
        m.c.start();
        await until("meter back", () => m.c.isConnected);
        sender.publish(topic, enc("good"), 1);
        await until("the good command", () => delivered.includes("good"), 5000);
        expect(delivered).toEqual(["good"]);
        expect(m.reasons).toEqual([]);
        expect(m.c.stats.tooLarge).toBe(version === 5 ? 0 : 1);
        // a third boot: nothing is waiting any more (it was acknowledged, or dropped by the broker)
        await new Promise((r) => setTimeout(r, 200));
        m.c.kill();
        const again = mk();
        again.c.subscribe(topic, 1);
        const later: number[] = [];
        again.c.onMessage((_t, p) => later.push(p.length));
        again.c.start();
        await until("meter up again", () => again.c.isConnected);
        await new Promise((r) => setTimeout(r, 500));
        expect(later).toEqual([]);
        expect(again.c.stats.tooLarge).toBe(0);
        again.c.kill();
        sender.stop();
      } finally {
        await broker.stop();
        rmSync(broker.dir, { recursive: true, force: true });
      }
    }, 30_000);
  }
});
