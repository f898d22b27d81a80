/**
 * The ingest worker's MQTT session, built on the mqtt room's codec (not on
 * MqttClient, which acknowledges a QoS 1 message as soon as its handler
 * returns): messages are collected for a short window (`batchMs`, or until
 * `maxBatch` arrived), handed to `handle` as a batch, and their PUBACKs go out
 * only when `handle` resolves — after the store committed them — in one socket
 * write. The window is what makes a commit cheap per row: at 1,800 messages/s
 * a batch per event-loop turn was one commit per 1–3 rows (docs/headend-scaling.md). If it rejects (database down), nothing is
 * acknowledged and the connection is dropped: the broker keeps the batch in the
 * persistent session and sends it again on the next connection.
 *
 * When the broker's connection drops, what arrived and is not yet stored is
 * still stored (never acknowledged: its packet ids belonged to that connection).
 * A broker that dies loses what it had not saved (mosquitto saves a snapshot now
 * and then, docs/headend-scaling.md), and messages it had already sent us may
 * be among those: throwing them away would lose them for good. If the broker
 * did keep them it sends them again and the store's keys count the duplicates.
 *
 * MQTT 5: session expiry (the session outlives a head-end restart), Receive
 * Maximum bounds how many unacknowledged messages the broker sends us, and
 * `group` subscribes as $share/<group>/<filter> so several workers split the
 * fleet. A 3.1.1 broker gets clean = false and plain filters.
 */
import { connect, type Socket } from "node:net";
import { encodePacket, MqttDecoder, type Packet, type ProtocolVersion } from "../../../modules/mqtt/codec";
import { credentialsOf } from "../broker/failover-network";

export interface Message {
  topic: string;
  payload: Uint8Array;
  retain: boolean;
  /** A 3.1.1 PUBLISH over MAX_PACKET, read past unstored: its size (no topic, no payload). */
  tooLarge?: number;
}

/** Largest packet taken (told to 5.0 brokers, which then drop larger ones): parse.ts refuses payloads over 16 KiB anyway. */
export const MAX_PACKET = 64 * 1024;

export interface SubscriberOptions {
  /** One broker URL, or several comma-separated (nodes of a cluster): each reconnect tries the next. */
  url: string;
  clientId: string;
  filters: readonly string[];
  /** Shared-subscription group ($share/<group>/…), MQTT 5 only. */
  group?: string;
  protocolVersion?: 4 | 5;
  /** Seconds the broker keeps the session while we are away (default 7 days). */
  sessionExpirySec?: number;
  /** Unacknowledged QoS 1 messages the broker may send us at once (default 2000). */
  receiveMaximum?: number;
  keepaliveSec?: number;
  /**
   * Wait before the first reconnect after an established connection drops (default 200 ms, then
   * doubling to 5 s). On a NATS cluster make it longer than JetStream's leader elections: a session
   * resumed while the survivors elect can come back without its subscriptions (nats-server 2.9,
   * docs/headend-scaling.md), and what is published until it subscribes again never reaches it.
   */
  reconnectDelayMs?: number;
  /** How long the first message of a batch waits for more before the batch is stored (default 25 ms). */
  batchMs?: number;
  /** A batch is stored at once when this many messages wait (default 1000). */
  maxBatch?: number;
  handle(batch: Message[]): Promise<void>;
  log?(line: string): void;
}

export interface SubscriberStats {
  connects: number;
  received: number;
  acked: number;
  batches: number;
  /** Batches whose store write failed: left unacknowledged for the broker to resend. */
  failedBatches: number;
  protocolErrors: number;
  /** SUBACKs that refused a filter (NATS: its JetStream consumer could not be made yet); each one reconnects. */
  refusedSubscriptions: number;
  /** Reconnects whose CONNACK said the broker had no session for us: what it held for us is gone. */
  sessionsLost: number;
}

export class Subscriber {
  readonly stats: SubscriberStats = { connects: 0, received: 0, acked: 0, batches: 0, failedBatches: 0, protocolErrors: 0, refusedSubscriptions: 0, sessionsLost: 0 };
  private sock?: Socket;
  private running = false;
  private connected = false;
  private pending: { msg: Message; id?: number }[] = [];
  private flushing = false;
  private timer?: NodeJS.Timeout;
  /** When the oldest message waiting for the next batch arrived. */
  private firstAt = 0;
  private backoff = 200;
  private ping?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private nextId = 1;
  private readonly urls: string[];
  private turn = 0;
  private readonly version: ProtocolVersion;
  onConnect?: () => void;
  /** Called when the broker granted every filter (from then on nothing published is missed). */
  onSubscribed?: () => void;

  constructor(private readonly o: SubscriberOptions) {
    this.version = o.protocolVersion ?? 5;
    this.urls = o.url.split(",").map((u) => u.trim()).filter((u) => u.length > 0);
    if (this.urls.length === 0) throw new Error("no broker URL given");
    if (o.group && this.version !== 5) throw new Error("shared subscriptions need MQTT 5");
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** The first wait before reconnecting after an established connection drops (SubscriberOptions). */
  get reconnectDelayMs(): number {
    return this.o.reconnectDelayMs ?? 200;
  }

  start(): void {
    this.running = true;
    this.open();
  }

  /** Clean stop: DISCONNECT (the session stays on the broker for its expiry). */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.retry);
    while (this.flushing) await new Promise((r) => setTimeout(r, 5));
    if (this.sock && this.connected) this.sock.write(encodePacket({ cmd: "disconnect" }, this.version));
    this.teardown();
  }

  /** A crash: no DISCONNECT, nothing more acknowledged (what is in flight the broker sends again). */
  kill(): void {
    this.running = false;
    clearTimeout(this.retry);
    this.teardown();
  }

  private open(): void {
    const u = new URL(this.urls[this.turn % this.urls.length]);
    // 3.1.1 cannot tell the broker our limit: an oversized PUBLISH is read past and kept aside as a reject
    const decoder = new MqttDecoder(MAX_PACKET, this.version, this.version !== 5);
    const sock = connect({ host: u.hostname || "127.0.0.1", port: u.port ? Number(u.port) : 1883, noDelay: true });
    this.sock = sock;
    sock.on("connect", () => {
      const props = this.version === 5 ? { sessionExpiryInterval: this.o.sessionExpirySec ?? 7 * 86400, receiveMaximum: this.o.receiveMaximum ?? 2000, maximumPacketSize: MAX_PACKET } : undefined;
      // a broker with ACLs (hosts/headend/broker/mosquitto): the head-end's account from the URL
      const { username, password } = credentialsOf(this.urls[0]);
      sock.write(encodePacket({ cmd: "connect", protocolId: "MQTT", protocolVersion: this.version, clientId: this.o.clientId, clean: false, keepalive: this.o.keepaliveSec ?? 30, username, password, properties: props }, this.version));
    });
    sock.on("data", (bytes: Buffer) => {
      let packets: Packet[];
      try {
        packets = decoder.push(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
      } catch (e) {
        this.stats.protocolErrors++;
        this.o.log?.(`mqtt: ${(e as Error).message}; reconnecting`);
        sock.destroy();
        return;
      }
      for (const p of packets) this.packet(p);
    });
    sock.on("error", () => {});
    sock.on("close", () => {
      if (this.sock !== sock) return;
      const wasConnected = this.connected;
      this.teardown(true);
      this.turn++; // a cluster: the next attempt goes to the next node
      if (!this.running) return;
      if (wasConnected) this.backoff = Math.max(this.backoff, this.reconnectDelayMs);
      this.retry = setTimeout(() => this.open(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 5000);
    });
  }

  private packet(p: Packet): void {
    switch (p.cmd) {
      case "connack": {
        if (p.returnCode !== 0) {
          this.o.log?.(`mqtt: broker refused the connection (code ${p.returnCode})`);
          this.sock?.destroy();
          return;
        }
        this.connected = true;
        this.backoff = 200;
        if (this.stats.connects > 0 && !p.sessionPresent) {
          this.stats.sessionsLost++;
          this.o.log?.("mqtt: the broker has no session for us any more: messages it held for us are lost");
        }
        this.stats.connects++;
        const topics = this.o.filters.map((f) => ({ topic: this.o.group ? `$share/${this.o.group}/${f}` : f, qos: 1 as const }));
        this.sock!.write(encodePacket({ cmd: "subscribe", messageId: this.id(), subscriptions: topics }, this.version));
        const ka = (this.o.keepaliveSec ?? 30) * 500;
        this.ping = setInterval(() => this.sock?.write(encodePacket({ cmd: "pingreq" }, this.version)), ka);
        this.onConnect?.();
        return;
      }
      case "publish":
        this.stats.received++;
        if (this.pending.length === 0) this.firstAt = Date.now();
        this.pending.push({ msg: { topic: p.topic, payload: p.payload.slice(), retain: p.retain, tooLarge: p.tooLarge }, id: p.qos > 0 ? p.messageId : undefined });
        if (p.qos === 2) this.sock?.write(encodePacket({ cmd: "pubrec", messageId: p.messageId! }, this.version));
        this.schedule();
        return;
      case "suback":
        // A refused filter would leave the session up but deaf to part of the fleet (NATS after a node's
        // death, until the survivors elect new JetStream leaders): drop it and subscribe again from a fresh
        // connection, with back-off; the persistent session keeps what arrives meanwhile.
        if (p.granted.some((g) => g >= 0x80)) {
          this.stats.refusedSubscriptions++;
          this.o.log?.(`mqtt: broker refused ${p.granted.filter((g) => g >= 0x80).length} of ${p.granted.length} subscriptions; reconnecting`);
          this.backoff = Math.max(this.backoff, 1000);
          this.sock?.destroy();
          return;
        }
        this.onSubscribed?.();
        return;
      case "pubrel":
        this.sock?.write(encodePacket({ cmd: "pubcomp", messageId: p.messageId }, this.version));
        return;
      case "disconnect":
        this.o.log?.(`mqtt: broker disconnected us (reason ${p.reasonCode ?? 0})`);
        return;
      default:
        return;
    }
  }

  /** Stores the batch when it is full, or `batchMs` after its first message; never two at once. */
  private schedule(): void {
    if (this.flushing) return;
    if (this.pending.length >= (this.o.maxBatch ?? 1000)) {
      clearTimeout(this.timer);
      this.timer = undefined;
      setImmediate(() => void this.flush());
      return;
    }
    if (this.timer) return;
    // measured from the oldest waiting message: those that came during a slow commit do not wait twice
    const wait = Math.max(0, (this.o.batchMs ?? 25) - (Date.now() - this.firstAt));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    const sock = this.sock;
    try {
      await this.o.handle(batch.map((b) => b.msg));
      this.stats.batches++;
      // acks for the connection that delivered them; after a reconnect the broker resends them anyway
      if (sock === this.sock && this.connected) this.ack(sock!, batch);
    } catch (e) {
      this.stats.failedBatches++;
      this.o.log?.(`ingest: batch of ${batch.length} not stored (${(e as Error).message}); left to the broker to resend`);
      this.pending = [];
      this.sock?.destroy();
    } finally {
      this.flushing = false;
      if (this.pending.length) this.schedule();
    }
  }

  /** The batch's PUBACKs in one write: one syscall per batch, not one per message. */
  private ack(sock: Socket, batch: { id?: number }[]): void {
    const acks: Uint8Array[] = [];
    for (const b of batch) if (b.id !== undefined) acks.push(encodePacket({ cmd: "puback", messageId: b.id }, this.version));
    if (acks.length === 0) return;
    sock.write(Buffer.concat(acks));
    this.stats.acked += acks.length;
  }

  private id(): number {
    const id = this.nextId;
    this.nextId = id >= 0xffff ? 1 : id + 1;
    return id;
  }

  /**
   * `keep`: the broker's connection dropped (its crash or ours to it): the waiting messages are stored
   * anyway, without their ids — acknowledging one on the next connection would acknowledge another
   * message. Otherwise (kill, stop) they are dropped: unacknowledged, so the broker has them.
   */
  private teardown(keep = false): void {
    this.connected = false;
    clearInterval(this.ping);
    clearTimeout(this.timer);
    this.timer = undefined;
    if (keep && this.running) {
      for (const p of this.pending) p.id = undefined;
      if (this.pending.length) this.schedule();
    } else this.pending = [];
    this.sock?.destroy();
    this.sock = undefined;
  }
}
