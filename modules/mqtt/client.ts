/**
 * MQTT 3.1.1 / 5.0 client session over the Network port: connect with a persistent
 * session (clean = false) and a last will, keep-alive pings, reconnect with
 * exponential backoff and jitter, QoS 0 and 1 out (QoS 1 through the outbox,
 * which keeps a message until its PUBACK), QoS 0/1/2 in, subscriptions renewed
 * on every connection. A malformed packet from the broker, a dead link or a
 * silent broker all end the connection with a reason and lead to a reconnect;
 * the outbox is untouched, so nothing is lost.
 *
 * MQTT 5 (`protocolVersion: 5`), where it is cheap: a session expiry (the
 * persistent session of 3.1.1's clean = 0), the broker's Receive Maximum
 * bounds the QoS 1 messages in flight, its Server Keep Alive replaces ours,
 * topic aliases shorten repeated topics when the broker offers them, CONNACK
 * and DISCONNECT reason codes are logged by name, and a PUBACK reason code ≥
 * 0x80 is reported (`onPublishError`) while the message stays in the outbox
 * (sent again on the next connection). A broker that answers a 5.0 CONNECT
 * with 3.1.1's "unacceptable protocol version" gets 3.1.1 from then on.
 *
 * A packet over `maxPacketBytes` is refused from its fixed header, its body
 * never buffered: 5.0 brokers are told the limit, and one sent anyway ends the
 * link with DISCONNECT 0x95; in 3.1.1 an oversized PUBLISH is read past and
 * acknowledged (a persistent session would otherwise resend it after every
 * reconnect and keep the meter offline), any other ends the link.
 */
import type { Clock, TimerId } from "../core/clock";
import type { Log, Network, Random, Socket } from "../core/ports";
import { SILENT_LOG } from "../core/ports";
import { encodePacket, hasWildcard, MqttDecoder, MqttPacketTooLarge, MqttProtocolError, type Packet, type Properties, type QoS, type Will } from "./codec";
import { MAX_DOWNLINK_BYTES } from "./downlink-envelope";
import { reasonName } from "./reason-codes";
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
  /** The last will; a function is asked again at each CONNECT (CloudLink's will carries the attempt's order). */
  will?: Will | (() => Will);
  username?: string;
  password?: Uint8Array;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** QoS 1 messages sent and not yet acknowledged, at most. */
  maxInflight?: number;
  connectTimeoutMs?: number;
  log?: Log;
  /** 4 = MQTT 3.1.1 (default); 5 = MQTT 5.0, falling back to 3.1.1 if the broker refuses it. */
  protocolVersion?: 4 | 5;
  /** MQTT 5: seconds the broker keeps the session after the link drops (default: 0 if clean, else 0xFFFFFFFF = never ends, as 3.1.1). */
  sessionExpirySec?: number;
  /** MQTT 5: replace repeated topics by topic aliases when the broker allows some (default true). */
  topicAliases?: boolean;
  /** MQTT 5: QoS 1/2 messages the broker may have in flight to us at once (default: not sent, i.e. 65535). */
  receiveMaximum?: number;
  /** MQTT 5: content type sent with every publish (e.g. "application/json"; none by default: it costs bytes). */
  contentType?: string;
  /**
   * MQTT 5: a QoS 1 message the broker refused on this many connections is dropped from the outbox
   * (default 3; Infinity keeps it for ever). A message no broker will take (an ACL that stays, a
   * topic it rejects, a packet too large for it) would otherwise fill the outbox until every new
   * reading is lost; a transient refusal (quota, a permission restored) gets the next connections.
   */
  maxRefusals?: number;
  /**
   * Largest packet taken from the broker, whole (default 41 KiB: CloudLink's 40 KiB downlink, its
   * topic and header). Told to 5.0 brokers (Maximum Packet Size), which then drop a larger message
   * for us; one that comes anyway ends the connection (DISCONNECT 0x95). A 3.1.1 broker cannot be
   * told: a larger PUBLISH is read past unstored and acknowledged, anything else ends the connection.
   * Decided from the fixed header: no byte of a refused body is buffered.
   */
  maxPacketBytes?: number;
}

export interface MqttStats {
  connects: number;
  disconnects: number;
  protocolErrors: number;
  sent: number;
  resent: number;
  acked: number;
  received: number;
  /** MQTT 5: QoS 1 messages the broker refused (PUBACK reason ≥ 0x80, or too large for it); kept in the outbox. */
  refused: number;
  /** MQTT 5: refused messages dropped after `maxRefusals` connections refused them. */
  discarded: number;
  /** MQTT 5: publishes sent with a topic alias instead of the topic. */
  aliased: number;
  /** MQTT 5: DISCONNECTs received from the broker. */
  serverDisconnects: number;
  /** Most QoS 1 messages in flight at once. */
  inflightPeak: number;
  /** Messages a handler threw on (acknowledged anyway: a persistent session would redeliver them for ever). */
  handlerErrors: number;
  /** Packets over `maxPacketBytes` from the broker (each refused from its fixed header, its body never buffered). */
  tooLarge: number;
}

/** `properties`: the MQTT 5 properties of the PUBLISH (content type, user properties, …), if any. */
export type MessageHandler = (topic: string, payload: Uint8Array, retain: boolean, properties?: Properties) => void;

export class MqttClient {
  readonly stats: MqttStats = { connects: 0, disconnects: 0, protocolErrors: 0, sent: 0, resent: 0, acked: 0, received: 0, refused: 0, discarded: 0, aliased: 0, serverDisconnects: 0, inflightPeak: 0, handlerErrors: 0, tooLarge: 0 };
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
  private readonly o: Required<Omit<MqttClientOptions, "will" | "username" | "password" | "sessionExpirySec" | "contentType" | "receiveMaximum">> & MqttClientOptions;
  /** The version spoken: the option's, until a 3.1.1-only broker makes it 4. */
  private version: 4 | 5;
  /** What the broker's CONNACK allows (MQTT 5; the 3.1.1 values otherwise). */
  private window: number;
  private keepaliveSec: number;
  private aliasMax = 0;
  private brokerMaxPacket = 0;
  private retainAvailable = true;
  private maxQos = 2;
  private aliases = new Map<string, number>();
  /** Connections in a row the broker closed after our 5.0 CONNECT, before any CONNACK. */
  private silentRefusals = 0;
  private connectSent = false;
  /** Outbox ids the broker refused on this connection: not sent again until the next one. */
  private refused = new Set<number>();
  /** Outbox id → connections that refused it (RAM: a reboot gives a message its chances again). */
  private readonly refusals = new Map<number, number>();
  /** Called after each CONNACK (session up) and each loss of the connection (with the reason). */
  onConnect?: () => void;
  onDisconnect?: (reason: string) => void;
  /** MQTT 5: the broker refused a QoS 1 message (reason code ≥ 0x80): kept in the outbox, dropped after maxRefusals connections. */
  onPublishError?: (topic: string, reasonCode: number, reason: string) => void;

  constructor(options: MqttClientOptions) {
    this.o = { keepaliveSec: 30, clean: false, minBackoffMs: 500, maxBackoffMs: 30_000, maxInflight: 32, connectTimeoutMs: 10_000, log: SILENT_LOG, protocolVersion: 4, topicAliases: true, maxRefusals: 3, maxPacketBytes: DEFAULT_MAX_PACKET, ...options };
    this.version = this.o.protocolVersion;
    this.window = this.o.maxInflight;
    this.keepaliveSec = this.o.keepaliveSec;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Bytes of a partial packet from the broker held now, and the buffer holding them (memory under a slow or hostile broker). */
  get decoderBuffered(): { bytes: number; capacity: number } {
    return { bytes: this.decoder.buffered, capacity: this.decoder.capacity };
  }

  /** The MQTT version of the session: 4 (3.1.1) or 5. */
  get protocolVersion(): 4 | 5 {
    return this.version;
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
    // a topic no broker takes must not reach the outbox, where it would block every later message
    if (topic === "" || hasWildcard(topic) || topic.indexOf("\u0000") >= 0) throw new MqttProtocolError(`publish: invalid topic name ${JSON.stringify(topic)}`);
    if (qos === 0) {
      if (!this.connected) return false;
      this.sendPublish(this.encodePublish(topic, payload, 0, retain, false));
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

  /**
   * A PUBLISH's bytes; with MQTT 5 the content type if configured, and a topic
   * alias when the broker allows them: the first use of a topic on a connection
   * sends topic and alias, later ones the alias alone (an empty topic). A new
   * alias counts only once `sendPublish` writes it — a packet refused or failing
   * to encode must not leave the broker an alias it never saw.
   */
  private encodePublish(topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean, dup: boolean, messageId?: number): Outgoing {
    // [MQTT-3.2.2-14]: no RETAIN to a broker that said it keeps none (it would disconnect us for it)
    const p: Packet = { cmd: "publish", topic, payload, qos, retain: retain && this.retainAvailable, dup, messageId };
    if (this.version !== 5) return { bytes: encodePacket(p, 4), topic, alias: 0, byAlias: false };
    let props: Properties | undefined;
    if (this.o.contentType !== undefined) props = { contentType: this.o.contentType };
    let alias = 0;
    let byAlias = false;
    if (this.aliasMax > 0) {
      const known = this.aliases.get(topic);
      if (known !== undefined) {
        p.topic = ""; // the topic was checked when its alias was set up
        (props ??= {}).topicAlias = known;
        byAlias = true;
      } else if (this.aliases.size < this.aliasMax) {
        alias = this.aliases.size + 1;
        (props ??= {}).topicAlias = alias;
      }
    }
    if (props) p.properties = props;
    return { bytes: encodePacket(p, 5), topic, alias, byAlias };
  }

  private sendPublish(out: Outgoing): void {
    if (out.alias) this.aliases.set(out.topic, out.alias);
    if (out.byAlias) this.stats.aliased++;
    this.write(out.bytes);
  }

  private connectPacket(): Packet {
    const p: Packet = { cmd: "connect", protocolId: "MQTT", protocolVersion: this.version, clientId: this.o.clientId, clean: this.o.clean, keepalive: this.o.keepaliveSec, will: typeof this.o.will === "function" ? this.o.will() : this.o.will, username: this.o.username, password: this.o.password };
    if (this.version === 5) {
      // clean = false must outlive the link, as in 3.1.1: a session expiry of 0 would end it at once.
      const expiry = this.o.sessionExpirySec ?? (this.o.clean ? 0 : 0xffffffff);
      // Tell the broker our packet limit: it drops a larger message instead of breaking our session.
      p.properties = { maximumPacketSize: this.o.maxPacketBytes };
      if (expiry > 0) p.properties.sessionExpiryInterval = expiry;
      if (this.o.receiveMaximum !== undefined) p.properties.receiveMaximum = this.o.receiveMaximum;
    }
    return p;
  }

  private open(): void {
    // 3.1.1 brokers cannot be told our limit: an oversized PUBLISH is read past and acknowledged
    this.decoder = new MqttDecoder(this.o.maxPacketBytes, this.version, this.version !== 5);
    this.connectSent = false;
    let socket: Socket | undefined;
    socket = this.o.network.connect(this.o.host, this.o.port, {
      onConnect: () => {
        if (this.socket !== socket) return;
        this.connectSent = true;
        this.send(this.connectPacket());
      },
      onData: (bytes) => {
        if (this.socket !== socket) return;
        let packets: Packet[];
        try {
          packets = this.decoder.push(bytes);
        } catch (e) {
          if (e instanceof MqttPacketTooLarge) {
            this.stats.tooLarge++;
            this.goodbye(0x95); // [MQTT-3.1.2-25]: the broker sent more than our Maximum Packet Size
            this.lost(`packet too large from broker: ${e.message}`);
            return;
          }
          this.stats.protocolErrors++;
          this.goodbye(0x81); // malformed packet
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
        const reason = error ? `connection closed: ${error}` : "connection closed by broker";
        // Some 3.1.1 brokers close on a 5.0 CONNECT without a CONNACK: twice in a row, speak 3.1.1
        // (a 5.0 broker takes 3.1.1 too, so a wrong guess costs only 5.0's extras).
        if (this.version === 5 && this.connectSent && !this.connected && ++this.silentRefusals >= 2) {
          this.version = 4;
          this.attempt = 0;
          this.lost(`${reason}; twice closed after a 5.0 CONNECT without a CONNACK: reconnecting with 3.1.1`);
          return;
        }
        this.lost(reason);
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
        this.silentRefusals = 0;
        if (p.returnCode !== 0) {
          if (this.version === 5 && (p.returnCode === 0x01 || p.returnCode === 0x84)) {
            // 0x01 is 3.1.1's "unacceptable protocol version", 0x84 5.0's: speak 3.1.1 from now on.
            this.version = 4;
            this.attempt = 0;
            this.o.log.warn(`mqtt: broker does not speak MQTT 5 (code ${p.returnCode}): falling back to 3.1.1`);
            this.lost("broker refused MQTT 5; reconnecting with 3.1.1");
            return;
          }
          this.lost(`broker refused the connection (${this.version === 5 ? `reason ${reasonName(p.returnCode)}${why(p.properties)}` : `return code ${p.returnCode}`})`);
          return;
        }
        this.connected = true;
        this.attempt = 0;
        this.stats.connects++;
        this.lastSent = this.pingAt = 0;
        this.accept(p.properties);
        const period = (this.keepaliveSec * 1000) / 4;
        if (this.keepaliveSec > 0) this.timers.push(this.o.clock.every(period, () => this.keepAlive()));
        if (this.subscriptions.size) this.send({ cmd: "subscribe", messageId: this.packetId(), subscriptions: [...this.subscriptions].map(([topic, qos]) => ({ topic, qos })) });
        this.inflight.clear();
        this.pump();
        this.onConnect?.();
        return;
      case "puback": {
        const id = this.inflight.get(p.messageId);
        if (id === undefined) return; // late ack of an earlier connection: the message is resent anyway
        this.inflight.delete(p.messageId);
        const rc = p.reasonCode ?? 0;
        if (rc >= 0x80) {
          this.refuse(id, rc, why(p.properties));
          this.pump();
          return;
        }
        this.o.outbox.ack(id);
        this.everSent.delete(id);
        this.retained.delete(id);
        this.refusals.delete(id);
        this.stats.acked++;
        this.pump();
        return;
      }
      case "publish":
        if (p.tooLarge !== undefined) {
          this.dropLarge(p);
          return;
        }
        if (p.topic === "") {
          // 5.0: a topic alias, though we allow none (our Topic Alias Maximum is 0); 3.1.1 has no empty topics
          this.stats.protocolErrors++;
          this.goodbye(0x94);
          this.lost(`protocol error from broker: ${this.version === 5 ? "a topic alias, though we allow none" : "a PUBLISH without a topic name"}`);
          return;
        }
        if (p.qos === 2) {
          this.send({ cmd: "pubrec", messageId: p.messageId! });
          if (this.qos2.has(p.messageId!)) return;
          this.qos2.add(p.messageId!);
        }
        this.stats.received++;
        this.deliver(p);
        // acknowledged whatever the handlers made of it: a message they refused (or choked on)
        // must not come back from a persistent session on every reconnect
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
        for (const g of p.granted) if (g >= 0x80) this.o.log.warn(`mqtt: broker refused a subscription (${this.version === 5 ? `reason ${reasonName(g)}` : "return code 0x80"}${why(p.properties)})`);
        return;
      case "pubrec":
      case "pubcomp":
      case "unsuback":
        return;
      case "disconnect":
        if (this.version === 5) {
          // 5.0 brokers say why they close (session taken over, shutting down, …): log it, reconnect with backoff.
          this.stats.serverDisconnects++;
          const to = p.properties?.serverReference ? `; server reference ${p.properties.serverReference}` : "";
          this.lost(`broker disconnected: reason ${reasonName(p.reasonCode ?? 0)}${why(p.properties)}${to}`);
          return;
        }
        this.stats.protocolErrors++;
        this.lost("protocol error from broker: unexpected disconnect packet");
        return;
      default:
        this.stats.protocolErrors++;
        this.lost(`protocol error from broker: unexpected ${p.cmd} packet`);
    }
  }

  /**
   * A 3.1.1 PUBLISH over our limit, read past unstored: acknowledged as the protocol wants (a persistent
   * session would otherwise send it again on every reconnect and keep the link down), never delivered.
   */
  private dropLarge(p: Packet & { cmd: "publish" }): void {
    this.stats.tooLarge++;
    this.o.log.warn(`mqtt: dropped a PUBLISH of ${p.tooLarge} bytes from the broker (limit ${this.o.maxPacketBytes}), read past unstored`);
    if (p.qos === 1) this.send({ cmd: "puback", messageId: p.messageId! });
    if (p.qos === 2) {
      this.send({ cmd: "pubrec", messageId: p.messageId! });
      this.qos2.add(p.messageId!);
    }
  }

  /** Hands a message to every handler; one that throws is counted and logged, the others still run. */
  private deliver(p: Packet & { cmd: "publish" }): void {
    for (const h of this.handlers) {
      try {
        h(p.topic, p.payload, p.retain, p.properties);
      } catch (e) {
        this.stats.handlerErrors++;
        this.o.log.warn(`mqtt: handler failed on a message to ${p.topic.slice(0, 80)}: ${(e as Error)?.message ?? String(e)}`);
      }
    }
  }

  /** Takes in what a 5.0 CONNACK allows; 3.1.1 values when it has no properties. */
  private accept(props: Properties | undefined): void {
    this.refused.clear(); // refused messages get another chance on each new connection
    this.aliases.clear(); // aliases live as long as the connection
    this.window = Math.max(1, Math.min(this.o.maxInflight, props?.receiveMaximum ?? 65535));
    this.keepaliveSec = props?.serverKeepAlive ?? this.o.keepaliveSec;
    this.aliasMax = this.version === 5 && this.o.topicAliases ? props?.topicAliasMaximum ?? 0 : 0;
    this.brokerMaxPacket = props?.maximumPacketSize ?? 0;
    this.retainAvailable = props?.retainAvailable ?? true;
    this.maxQos = props?.maximumQoS ?? 2;
    if (props?.maximumQoS === 0) this.o.log.warn("mqtt: broker allows QoS 0 only: QoS 1 messages stay in the outbox");
    if (props?.retainAvailable === false) this.o.log.warn("mqtt: broker keeps no retained messages: publishing without RETAIN");
  }

  /**
   * A QoS 1 message the broker will not take: reported, and kept in the outbox for the next
   * connection — until `maxRefusals` connections have refused it, then dropped (logged as an error).
   */
  private refuse(id: number, code: number, detail: string): void {
    this.stats.refused++;
    const topic = this.o.outbox.get(id)?.topic ?? "?";
    const reason = `${reasonName(code)}${detail}`;
    const times = (this.refusals.get(id) ?? 0) + 1;
    const limit = this.o.maxRefusals;
    if (times >= limit) {
      this.refusals.delete(id);
      this.o.outbox.ack(id);
      this.everSent.delete(id);
      this.retained.delete(id);
      this.stats.discarded++;
      this.o.log.error(`mqtt: broker refused a message to ${topic} on ${times} connections: ${reason}; dropped from the outbox`);
    } else {
      this.refusals.set(id, times);
      this.refused.add(id);
      this.o.log.warn(`mqtt: broker refused a message to ${topic}: ${reason}; kept in the outbox (${times} of ${limit} refusals)`);
    }
    this.onPublishError?.(topic, code, reason);
  }

  /** MQTT 5: tell the broker why we drop the link (best effort; 3.1.1 has no such packet). */
  private goodbye(reasonCode: number): void {
    if (this.version !== 5 || !this.socket) return;
    try {
      this.send({ cmd: "disconnect", reasonCode });
    } catch {
      // the link is going anyway
    }
  }

  private keepAlive(): void {
    const now = this.o.clock.now();
    const ka = this.keepaliveSec * 1000;
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
    for (const id of this.o.outbox.ids()) {
      // the window: our maxInflight, and with MQTT 5 the broker's Receive Maximum
      if (this.inflight.size >= this.window || this.socket.pending > 65536) return;
      // the packet id comes from the outbox id: in flight is one map look-up (right even if re-entered)
      const messageId = (id % 0xffff) + 1;
      if (this.inflight.get(messageId) === id || this.refused.has(id)) continue;
      const e = this.o.outbox.get(id);
      if (!e) continue;
      if (this.maxQos === 0) {
        // [MQTT-3.2.2-11]: no QoS 1 to it; QoS 0 would lose the reading, so keep it and say why
        this.refuse(id, 0x9b, " (the broker takes QoS 0 only)");
        continue;
      }
      const dup = this.everSent.has(id);
      const out = this.encodePublish(e.topic, e.payload, 1, e.retain || this.retained.has(id), dup, messageId);
      if (this.brokerMaxPacket && out.bytes.length > this.brokerMaxPacket) {
        // the broker would drop the link for it, again after every reconnect: keep it, report it
        this.refuse(id, 0x95, ` (${out.bytes.length} bytes, the broker takes ${this.brokerMaxPacket})`);
        continue;
      }
      this.inflight.set(messageId, id);
      this.everSent.add(id);
      if (this.inflight.size > this.stats.inflightPeak) this.stats.inflightPeak = this.inflight.size;
      if (dup) this.stats.resent++;
      else this.stats.sent++;
      this.sendPublish(out);
      if (!this.socket) return;
    }
  }

  private send(p: Packet): void {
    if (!this.socket) return;
    this.write(encodePacket(p, this.version));
  }

  private write(bytes: Uint8Array): void {
    if (!this.socket) return;
    this.lastSent = this.o.clock.now();
    this.socket.write(bytes);
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

/** An encoded PUBLISH, and the topic alias it sets up (0: none) or uses. */
interface Outgoing {
  bytes: Uint8Array;
  topic: string;
  alias: number;
  byAlias: boolean;
}

/** Largest packet taken from the broker by default: a full downlink (CloudLink's cap), plus 1 KiB for topic, header and properties. */
export const DEFAULT_MAX_PACKET = MAX_DOWNLINK_BYTES + 1024;

/** " (reason string)" of a 5.0 packet, or nothing. */
function why(props: Properties | undefined): string {
  return props?.reasonString ? ` (${props.reasonString})` : "";
}
