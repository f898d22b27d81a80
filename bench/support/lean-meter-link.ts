/**
 * The benchmark's cheap meter transport: what the firmware's CloudLink publishes (the same topics and
 * payloads, built by CloudLink itself), carried by a minimal MQTT 3.1.1 session instead of the full
 * MqttClient, so 10,000 meters in one process cost less CPU than the head-end they load.
 *
 * Cheap because: a meter's packets of one event-loop turn (its 11 readings) go out in ONE socket write
 * (all meters' writes done in one pass per turn); packets are encoded once, by the codec, and kept
 * encoded in the outbox; one timer sends keep-alive pings for the whole fleet.
 *
 * Still a real QoS 1 client where the figures depend on it: clean = false with a last will, every
 * QoS 1 PUBLISH kept until its PUBACK, and after a reconnect (a broker restart) the unacknowledged
 * ones resent with DUP set, in order — so "lost" in the figures is the broker's loss, not ours.
 */
import { connect, type Socket } from "node:net";
import { encodePacket, MqttDecoder, type Packet } from "../../modules/mqtt/codec";

export interface LeanOptions {
  host: string;
  port: number;
  clientId: string;
  will: { topic: string; payload: Uint8Array; qos: 1; retain: boolean };
  keepaliveSec?: number;
}

/** The fleet's shared write pass: meters with bytes waiting write them once per event-loop turn. */
const dirty = new Set<LeanMeterLink>();
let passScheduled = false;
function schedulePass(m: LeanMeterLink): void {
  dirty.add(m);
  if (passScheduled) return;
  passScheduled = true;
  setImmediate(() => {
    passScheduled = false;
    for (const d of dirty) d.writeOut();
    dirty.clear();
  });
}

const fleet = new Set<LeanMeterLink>();
let pinger: NodeJS.Timeout | undefined;

export class LeanMeterLink {
  private sock?: Socket;
  private connected = false;
  private running = false;
  private decoder = new MqttDecoder(1 << 16, 4);
  private readonly outbox = new Map<number, Uint8Array>();
  private chunks: Uint8Array[] = [];
  private readonly subs: string[] = [];
  private nextId = 1;
  private lastSent = 0;
  private backoff = 500;
  private handler?: (topic: string, payload: Uint8Array, retain: boolean) => void;

  constructor(private readonly o: LeanOptions) {}

  get isConnected(): boolean {
    return this.connected;
  }

  /** QoS 1 messages not yet acknowledged by the broker (the meter's outbox). */
  get unacked(): number {
    return this.outbox.size;
  }

  start(): void {
    this.running = true;
    fleet.add(this);
    pinger ??= setInterval(pingFleet, 10_000);
    this.open();
  }

  stop(): void {
    this.running = false;
    fleet.delete(this);
    if (fleet.size === 0 && pinger) { clearInterval(pinger); pinger = undefined; }
    if (this.connected) this.sock?.end(encodePacket({ cmd: "disconnect" }, 4));
    else this.sock?.destroy();
  }

  /** CloudLink's `mqtt` port. */
  publish(topic: string, payload: Uint8Array, qos: 0 | 1 = 1, retain = false): boolean {
    if (qos === 0) { if (this.connected) this.queue(encodePacket({ cmd: "publish", topic, payload, qos: 0, retain, dup: false }, 4)); return true; }
    const id = this.id();
    const bytes = encodePacket({ cmd: "publish", topic, payload, qos: 1, retain, dup: false, messageId: id }, 4);
    this.outbox.set(id, bytes);
    if (this.connected) this.queue(bytes);
    return true;
  }

  subscribe(filter: string, qos: 0 | 1 | 2 = 1): void {
    this.subs.push(filter);
    if (this.connected) this.queue(encodePacket({ cmd: "subscribe", messageId: this.id(), subscriptions: [{ topic: filter, qos: Math.min(qos, 1) as 0 | 1 }] }, 4));
  }

  onMessage(h: (topic: string, payload: Uint8Array, retain: boolean) => void): void {
    this.handler = h;
  }

  /** Called by the shared pass: everything queued this turn in one write. */
  writeOut(): void {
    if (!this.chunks.length || !this.sock || !this.connected) { this.chunks = []; return; }
    this.sock.write(this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks));
    this.chunks = [];
    this.lastSent = Date.now();
  }

  ping(now: number): void {
    if (this.connected && now - this.lastSent > ((this.o.keepaliveSec ?? 60) * 1000) / 2) this.queue(encodePacket({ cmd: "pingreq" }, 4));
  }

  private queue(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    schedulePass(this);
  }

  private open(): void {
    this.decoder = new MqttDecoder(1 << 16, 4);
    const sock = connect({ host: this.o.host, port: this.o.port, noDelay: true });
    this.sock = sock;
    sock.on("connect", () => {
      sock.write(encodePacket({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId: this.o.clientId, clean: false, keepalive: this.o.keepaliveSec ?? 60, will: this.o.will }, 4));
    });
    sock.on("data", (b: Buffer) => {
      let packets: Packet[];
      try { packets = this.decoder.push(new Uint8Array(b.buffer, b.byteOffset, b.length)); } catch { sock.destroy(); return; }
      for (const p of packets) this.packet(p);
    });
    sock.on("error", () => {});
    sock.on("close", () => {
      if (this.sock !== sock) return;
      this.connected = false;
      this.chunks = [];
      if (!this.running) return;
      // spread the fleet's reconnects, as real meters' random back-off does
      setTimeout(() => { if (this.running) this.open(); }, this.backoff * (0.5 + Math.random()));
      this.backoff = Math.min(this.backoff * 2, 5000);
    });
  }

  private packet(p: Packet): void {
    switch (p.cmd) {
      case "connack":
        if (p.returnCode !== 0) { this.sock?.destroy(); return; }
        this.connected = true;
        this.backoff = 500;
        for (const f of this.subs) this.queue(encodePacket({ cmd: "subscribe", messageId: this.id(), subscriptions: [{ topic: f, qos: 1 }] }, 4));
        // the outbox again, oldest first, DUP set (bit 3 of the first byte): the broker may have them already
        for (const bytes of this.outbox.values()) { const again = bytes.slice(); again[0] |= 0x08; this.queue(again); }
        return;
      case "puback":
        this.outbox.delete(p.messageId);
        return;
      case "publish":
        if (p.qos === 1) this.queue(encodePacket({ cmd: "puback", messageId: p.messageId! }, 4));
        this.handler?.(p.topic, p.payload, p.retain);
        return;
      default:
        return;
    }
  }

  private id(): number {
    do { this.nextId = this.nextId >= 0xffff ? 1 : this.nextId + 1; } while (this.outbox.has(this.nextId));
    return this.nextId;
  }
}

function pingFleet(): void {
  const now = Date.now();
  for (const m of fleet) m.ping(now);
}
