/**
 * MQTT 3.1.1 client session over the Network port: connect with a persistent
 * session (clean = false) and a last will, keep-alive pings, reconnect with
 * exponential backoff and jitter, QoS 0 and 1 out (QoS 1 through the outbox,
 * which keeps a message until its PUBACK), QoS 0/1/2 in, subscriptions renewed
 * on every connection. A malformed packet from the broker, a dead link or a
 * silent broker all end the connection with a reason and lead to a reconnect;
 * the outbox is untouched, so nothing is lost.
 */
import type { Clock, TimerId } from "../core/clock";
import type { Log, Network, Random, Socket } from "../core/ports";
import { SILENT_LOG } from "../core/ports";
import { encodePacket, MqttDecoder, type Packet, type QoS, type Will } from "./codec";
import type { Outbox } from "./flash-outbox";

export interface MqttClientOptions {
  network: Network;
  clock: Clock;
  random: Random;
  host: string;
  port: number;
  clientId: string;
  outbox: Outbox;
  keepaliveSec?: number;
  clean?: boolean;
  will?: Will;
  username?: string;
  password?: Uint8Array;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** QoS 1 messages sent and not yet acknowledged, at most. */
  maxInflight?: number;
  connectTimeoutMs?: number;
  log?: Log;
}

export interface MqttStats {
  connects: number;
  disconnects: number;
  protocolErrors: number;
  sent: number;
  resent: number;
  acked: number;
  received: number;
}

export type MessageHandler = (topic: string, payload: Uint8Array, retain: boolean) => void;

export class MqttClient {
  readonly stats: MqttStats = { connects: 0, disconnects: 0, protocolErrors: 0, sent: 0, resent: 0, acked: 0, received: 0 };
  private socket?: Socket;
  private decoder = new MqttDecoder();
  private connected = false;
  private running = false;
  private attempt = 0;
  private timers: TimerId[] = [];
  private reconnectTimer?: TimerId;
  private inflight = new Map<number, number>(); // packet id → outbox id
  private everSent = new Set<number>(); // outbox ids sent at least once (DUP on resend)
  private subscriptions = new Map<string, QoS>();
  private handlers: MessageHandler[] = [];
  private qos2 = new Set<number>();
  private lastSent = 0;
  private pingAt = 0;
  private nextPacketId = 1;
  private readonly o: Required<Omit<MqttClientOptions, "will" | "username" | "password">> & MqttClientOptions;
  /** Called after each CONNACK (session up) and each loss of the connection (with the reason). */
  onConnect?: () => void;
  onDisconnect?: (reason: string) => void;

  constructor(options: MqttClientOptions) {
    this.o = { keepaliveSec: 30, clean: false, minBackoffMs: 500, maxBackoffMs: 30_000, maxInflight: 32, connectTimeoutMs: 10_000, log: SILENT_LOG, ...options };
  }

  get isConnected(): boolean {
    return this.connected;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.open();
  }

  /** Stops (a clean DISCONNECT when connected: the broker then does not send the will). */
  stop(): void {
    this.running = false;
    if (this.reconnectTimer !== undefined) this.o.clock.cancel(this.reconnectTimer);
    if (this.socket && this.connected) this.send({ cmd: "disconnect" });
    this.teardown();
  }

  /** Drops the link abruptly (a test's cut cable, a reboot): no DISCONNECT, the will fires. */
  kill(): void {
    this.running = false;
    if (this.reconnectTimer !== undefined) this.o.clock.cancel(this.reconnectTimer);
    this.teardown();
  }

  onMessage(handler: MessageHandler): void {
    this.handlers.push(handler);
  }

  subscribe(filter: string, qos: QoS = 1): void {
    this.subscriptions.set(filter, qos);
    if (this.connected) this.send({ cmd: "subscribe", messageId: this.packetId(), subscriptions: [{ topic: filter, qos }] });
  }

  /**
   * QoS 1: stored in the outbox first (throws OutboxFull when it is full), sent when
   * the link allows. QoS 0: sent now if connected, else dropped (returns false).
   */
  publish(topic: string, payload: Uint8Array, qos: 0 | 1 = 1, retain = false): boolean {
    if (qos === 0) {
      if (!this.connected) return false;
      this.send({ cmd: "publish", topic, payload, qos: 0, retain, dup: false });
      return true;
    }
    const id = this.o.outbox.add(topic, payload, retain); // the outbox keeps the flag across a reboot
    if (retain) this.retained.add(id);
    this.pump();
    return true;
  }
  private retained = new Set<number>();

  private packetId(): number {
    const id = this.nextPacketId;
    this.nextPacketId = id >= 0xffff ? 1 : id + 1;
    return id;
  }

  private open(): void {
    this.decoder = new MqttDecoder();
    let socket: Socket | undefined;
    socket = this.o.network.connect(this.o.host, this.o.port, {
      onConnect: () => {
        if (this.socket !== socket) return;
        this.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId: this.o.clientId, clean: this.o.clean, keepalive: this.o.keepaliveSec, will: this.o.will, username: this.o.username, password: this.o.password });
      },
      onData: (bytes) => {
        if (this.socket !== socket) return;
        let packets: Packet[];
        try {
          packets = this.decoder.push(bytes);
        } catch (e) {
          this.stats.protocolErrors++;
          this.lost(`protocol error from broker: ${(e as Error).message}`);
          return;
        }
        for (const p of packets) {
          if (this.socket !== socket) return;
          this.handle(p);
        }
      },
      onDrain: () => this.pump(),
      onClose: (error) => {
        if (this.socket !== socket) return;
        this.lost(error ? `connection closed: ${error}` : "connection closed by broker");
      },
    });
    this.socket = socket;
    this.timers.push(this.o.clock.after(this.o.connectTimeoutMs, () => {
      if (!this.connected && this.socket === socket) this.lost("no CONNACK in time");
    }));
  }

  private handle(p: Packet): void {
    switch (p.cmd) {
      case "connack":
        if (p.returnCode !== 0) {
          this.lost(`broker refused the connection (return code ${p.returnCode})`);
          return;
        }
        this.connected = true;
        this.attempt = 0;
        this.stats.connects++;
        this.lastSent = this.pingAt = 0;
        const period = (this.o.keepaliveSec * 1000) / 4;
        if (this.o.keepaliveSec > 0) this.timers.push(this.o.clock.every(period, () => this.keepAlive()));
        if (this.subscriptions.size) this.send({ cmd: "subscribe", messageId: this.packetId(), subscriptions: [...this.subscriptions].map(([topic, qos]) => ({ topic, qos })) });
        this.inflight.clear();
        this.pump();
        this.onConnect?.();
        return;
      case "puback": {
        const id = this.inflight.get(p.messageId);
        if (id === undefined) return; // late ack of an earlier connection: the message is resent anyway
        this.inflight.delete(p.messageId);
        this.o.outbox.ack(id);
        this.everSent.delete(id);
        this.retained.delete(id);
        this.stats.acked++;
        this.pump();
        return;
      }
      case "publish":
        if (p.qos === 2) {
          this.send({ cmd: "pubrec", messageId: p.messageId! });
          if (this.qos2.has(p.messageId!)) return;
          this.qos2.add(p.messageId!);
        }
        this.stats.received++;
        for (const h of this.handlers) h(p.topic, p.payload, p.retain);
        if (p.qos === 1) this.send({ cmd: "puback", messageId: p.messageId! });
        return;
      case "pubrel":
        this.qos2.delete(p.messageId);
        this.send({ cmd: "pubcomp", messageId: p.messageId });
        return;
      case "pingresp":
        this.pingAt = 0;
        return;
      case "suback":
        if (p.granted.includes(0x80)) this.o.log.warn("mqtt: broker refused a subscription");
        return;
      case "pubrec":
      case "pubcomp":
      case "unsuback":
        return;
      default:
        this.stats.protocolErrors++;
        this.lost(`protocol error from broker: unexpected ${p.cmd} packet`);
    }
  }

  private keepAlive(): void {
    const now = this.o.clock.now();
    const ka = this.o.keepaliveSec * 1000;
    if (this.pingAt && now - this.pingAt > ka / 2) {
      this.lost("keep-alive timeout: no PINGRESP");
      return;
    }
    if (!this.pingAt && now - this.lastSent >= ka / 2) {
      this.pingAt = now;
      this.send({ cmd: "pingreq" });
    }
  }

  /** Sends waiting outbox entries, oldest first, up to the in-flight window. */
  private pump(): void {
    if (!this.connected || !this.socket) return;
    const busy = new Set(this.inflight.values());
    for (const id of this.o.outbox.ids()) {
      if (this.inflight.size >= this.o.maxInflight || this.socket.pending > 65536) return;
      if (busy.has(id)) continue;
      const e = this.o.outbox.get(id);
      if (!e) continue;
      const messageId = (id % 0xffff) + 1;
      const dup = this.everSent.has(id);
      this.inflight.set(messageId, id);
      this.everSent.add(id);
      if (dup) this.stats.resent++;
      else this.stats.sent++;
      this.send({ cmd: "publish", topic: e.topic, payload: e.payload, qos: 1, retain: e.retain || this.retained.has(id), dup, messageId });
      if (!this.socket) return;
    }
  }

  private send(p: Packet): void {
    if (!this.socket) return;
    this.lastSent = this.o.clock.now();
    this.socket.write(encodePacket(p));
  }

  private lost(reason: string): void {
    const was = this.connected;
    this.teardown();
    if (was) this.stats.disconnects++;
    this.o.log.warn(`mqtt: ${reason}`);
    this.onDisconnect?.(reason);
    if (!this.running) return;
    // exponential backoff with "equal jitter": half fixed, half random
    const base = Math.min(this.o.maxBackoffMs, this.o.minBackoffMs * 2 ** Math.min(this.attempt, 20));
    const r = new Uint8Array(2);
    this.o.random.fill(r);
    const delay = base / 2 + ((r[0] * 256 + r[1]) / 65536) * (base / 2);
    this.attempt++;
    this.reconnectTimer = this.o.clock.after(delay, () => {
      this.reconnectTimer = undefined;
      if (this.running) this.open();
    });
  }

  private teardown(): void {
    for (const t of this.timers) this.o.clock.cancel(t);
    this.timers = [];
    this.connected = false;
    this.inflight.clear();
    const s = this.socket;
    this.socket = undefined;
    if (s) s.close();
  }
}
