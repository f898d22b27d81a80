/**
 * The meter's link to the utility's cloud: publishes a Household's readings
 * (one message per meter and OBIS code, with a per-meter sequence number so
 * the cloud can drop duplicates), Home Assistant discovery, availability, and
 * takes authenticated downlink commands (prices, loads, configuration,
 * firmware offers).
 *
 * Topics (<node> = this aggregator):
 *   xsmeter/<node>/status                      {"state":"online"|"offline","boot","seq"[,"t"]} (retained; the
 *     "offline" is the last will: give MqttClient `will: () => link.will()`; order: report-order.ts)
 *   xsmeter/<node>/firmware                    {"boot","seq","running",…} (retained; publishFirmware)
 *   xsmeter/<node>/meter/<meterId>/<obis>      {"boot","seq","t","v","u"}  QoS 1
 *     (<obis> as "1-0:1.8.0", or "1-0:1_8_0" with obisTopics "underscored": obis-topic.ts)
 *   (seq restarts at 1 on each boot; (meter, boot, seq) is unique, so give `boot` from a
 *   persisted boot counter or the cloud would take new readings for duplicates)
 *   xsmeter/<node>/event                       {"seq","t","type",…} QoS 1 (PQ events)
 *   xsmeter/<node>/meter/<meterId>/pq/10min    the meter's 10-min power-quality aggregate, once per
 *     interval, QoS 1: {"boot","seq","start","end","u":[V…],"i":[A…],"p":[W…],"thdu":[%…],"thdi":[%…],
 *     "f","u2"? (three-phase),"flagged"} — arrays per phase, start/end ms UTC, seq from the meter's counter
 *   xsmeter/<node>/availability/<meterId>      "online" / "offline" (retained, on change: a slave off the bus)
 *   homeassistant/sensor/<node>/<object>/config  retained discovery (payloads: ha-discovery.ts)
 *   xsmeter/<node>/cmd/<kind>                  downlink: kind = price | load | config | firmware
 *   xsmeter/<node>/cmd/result                  {"kind","ctr","ok","error"?,"refused"?}
 *     the result of an authentic command: QoS 1 (through the outbox). A refusal (forged,
 *     replayed, malformed, unknown kind: `refused` says which) goes out at QoS 0 and at most
 *     `refusalBurst` at once then one per `refusalIntervalMs`: forged traffic never writes
 *     flash and never pushes readings out of the outbox. `ctr` is the ctr the command carried
 *     (-1 when it carried none readable), so a sender knows which of its commands it was.
 *
 * A downlink payload is "h1.<HMAC-SHA256 hex>.<json>" or "e1.<Ed25519 signature hex>.<json>",
 * the MAC/signature over utf8(topic) ‖ "\n" ‖ json; the JSON carries "ctr", which must be
 * above the last one accepted for that command kind and at most `maxCtrStep` above it
 * (downlink-counters.ts), persisted through `counters`, so a replay is refused even after a
 * reboot. Nothing a downlink carries can throw out of the MQTT callback: every refusal is
 * counted in `stats` with its reason in `lastRefusal`, and the MQTT client acknowledges the
 * message anyway, so a persistent broker does not deliver it again. Energy totals are never
 * published lower than before (HA reads a lower total_increasing value as a meter reset).
 */
import type { Clock, TimerId } from "../core/clock";
import type { ActionResult, Household, PqAggregate, PriceSlot } from "../core/household";
import { OBIS } from "../core/obis";
import { concatBytes, constantTimeEqual, utf8Encode } from "../core/bytes";
import { TokenBucket } from "../core/token-bucket";
import { hmacSha256 } from "../secure/hmac";
import { verify } from "../secure/ed25519";
import { MAX_DOWNLINK_BYTES, ctrOf, parseBody, parseEnvelope, type Envelope } from "./downlink-envelope";
import { DEFAULT_MAX_CTR_STEP, isCommandKind, staleReason, type CommandKind, type KindCounters } from "./downlink-counters";

export type { CommandKind, CounterStore, KindCounters } from "./downlink-counters";
import { statusPayload } from "./report-order";
import type { Will } from "./codec";
import { haTopics, pqEntities, readingEntity, type HaContext, type HaDeviceInfo } from "./ha-discovery";
import { OBIS_TOPIC_FORMS, readingTopic, type ObisTopicForm } from "./obis-topic";

/** What CloudLink needs of an MQTT session (MqttClient has it). */
export interface MqttPublisher {
  publish(topic: string, payload: Uint8Array, qos?: 0 | 1, retain?: boolean): boolean;
  subscribe(filter: string, qos?: 0 | 1 | 2): void;
  onMessage(handler: (topic: string, payload: Uint8Array, retain: boolean) => void): void;
  /** Called after every CONNACK (MqttClient's onConnect), if the session can say so. */
  onConnect?(handler: () => void): void;
}

export interface FirmwareOffer {
  version: string;
  url: string;
  size: number;
  sha256: string;
}

export interface CloudLinkOptions {
  node: string;
  household: Household;
  mqtt: MqttPublisher;
  clock: Clock;
  /** HMAC-SHA256 key of this meter (derived per meter, never a shared default). */
  macKey?: Uint8Array;
  /** Ed25519 public key of the utility, for signed commands. */
  signerPublicKey?: Uint8Array;
  /** The last accepted ctr of each command kind (storeCounters over the board's FlashCounterStore). */
  counters: KindCounters;
  /** Largest accepted step of a kind's ctr (default 2^24; see downlink-counters.ts). */
  maxCtrStep?: number;
  /** Largest downlink payload taken (default 40 KiB: a full price table). */
  maxDownlinkBytes?: number;
  /** A cloud load command may run a load for at most this long (default 24 h)… */
  maxLoadDurationMs?: number;
  /** …and set a deadline at most this far ahead (default 7 days). */
  maxLoadHorizonMs?: number;
  /** Refusals published at once (default 10), then one per `refusalIntervalMs` (default 1 s). */
  refusalBurst?: number;
  refusalIntervalMs?: number;
  /**
   * Ed25519 verifications at once (default 2), then one per `signatureIntervalMs` (default
   * 60 s): one costs ≈ 54 M XS computrons (≈ 27 s of the board's main loop), so without a
   * budget a stream of forged "e1." commands would stop the meter. An "e1." command beyond
   * the budget is refused as busy (the sender sends it again later), before any arithmetic.
   */
  signatureBurst?: number;
  signatureIntervalMs?: number;
  /**
   * How a reading's topic writes its OBIS code: "dotted" (default, 1-0:1.8.0) or
   * "underscored" (1-0:1_8_0) for a broker that refuses "." in topics (NATS).
   */
  obisTopics?: ObisTopicForm;
  /** This boot's number (a counter the app keeps in flash, +1 per boot); part of the duplicate key. */
  boot?: number;
  periodMs?: number;
  /** What HA discovery says of the devices (firmware version, model, the meter's page). */
  ha?: HaDeviceInfo;
  onPrices?(slots: PriceSlot[]): ActionResult;
  onConfig?(config: Record<string, unknown>): ActionResult;
  onFirmwareOffer?(offer: FirmwareOffer): ActionResult;
}

export interface CloudLinkStats {
  readings: number;
  /** 10-min aggregates published. */
  aggregates: number;
  /** Publishing an aggregate threw (e.g. a full outbox); it is tried again at the next household change. */
  aggregateErrors: number;
  lowerTotalsSuppressed: number;
  commandsAccepted: number;
  forged: number;
  replayed: number;
  malformed: number;
  /** "e1." commands refused unchecked because the signature budget was spent. */
  busy: number;
  /** Refusals published on cmd/result (QoS 0). */
  refusalsSent: number;
  /** Refusals not published because the rate limit was spent (the refusal is still counted above). */
  refusalsDropped: number;
}

type Refusal = "forged" | "replayed" | "malformed" | "busy";

const NL = Uint8Array.of(10);

export class CloudLink {
  readonly stats: CloudLinkStats = { readings: 0, aggregates: 0, aggregateErrors: 0, lowerTotalsSuppressed: 0, commandsAccepted: 0, forged: 0, replayed: 0, malformed: 0, busy: 0, refusalsSent: 0, refusalsDropped: 0 };
  /** Why the last downlink was refused (for the log and the page). */
  lastRefusal?: string;
  private readonly refusals: TokenBucket;
  private readonly signatures: TokenBucket;
  private seq = new Map<number, number>();
  private lastTotals = new Map<string, number>();
  private discovered = new Set<string>();
  private available = new Map<number, boolean>();
  private eventsSent = 0;
  private timer?: TimerId;
  /** End of the last 10-min interval published, per meter. */
  private pqSent = new Map<number, number>();
  private unsubscribe?: () => void;
  private connects = 0;
  /** Connection attempts that asked for a will: the status order (report-order.ts). */
  private attempts = 0;
  private firmwareSeq = 0;
  private readonly base: string;
  private readonly obisTopics: ObisTopicForm;
  /** Each reading's topic, built once per (meter, code): publishing allocates no topic string. */
  private readonly topics = new Map<string, string>();

  constructor(private readonly o: CloudLinkOptions) {
    if (!/^[A-Za-z0-9_-]+$/.test(o.node)) throw new RangeError(`node id ${JSON.stringify(o.node)}: letters, digits, _ and - only`);
    if (!o.macKey && !o.signerPublicKey) throw new Error("CloudLink needs a MAC key or a signer public key for downlink commands");
    this.obisTopics = o.obisTopics ?? "dotted";
    if (OBIS_TOPIC_FORMS.indexOf(this.obisTopics) < 0) throw new RangeError(`obisTopics ${JSON.stringify(o.obisTopics)}: "dotted" or "underscored"`);
    this.base = `xsmeter/${o.node}`;
    this.refusals = new TokenBucket(o.refusalBurst ?? 10, o.refusalIntervalMs ?? 1000, o.clock.now());
    this.signatures = new TokenBucket(o.signatureBurst ?? 2, o.signatureIntervalMs ?? 60_000, o.clock.now());
  }

  /**
   * A plain "offline" will without order, for a session that cannot ask `will()` at each CONNECT
   * (the bench's lean meters): consumers take it as it comes (report-order.ts).
   */
  static will(node: string) {
    return { topic: `xsmeter/${node}/status`, payload: utf8Encode("offline"), qos: 1 as const, retain: true };
  }

  /** The will of the next connection attempt (MqttClient's `will: () => link.will()`): "offline", seq 2a + 1. */
  will(): Will {
    this.attempts++;
    return { topic: `${this.base}/status`, payload: statusPayload(false, this.o.boot ?? 0, 2 * this.attempts + 1), qos: 1, retain: true };
  }

  /** What a clean stop publishes itself (a DISCONNECT suppresses the will): the same order as this attempt's will. */
  offline(): { topic: string; payload: Uint8Array } {
    return { topic: `${this.base}/status`, payload: statusPayload(false, this.o.boot ?? 0, 2 * this.attempts + 1, this.o.clock.now()) };
  }

  /** A firmware report (retained, QoS 1) with this boot's next firmware seq, so consumers keep the newest. */
  publishFirmware(report: Record<string, unknown>): void {
    const body = { ...report, boot: this.o.boot ?? 0, seq: ++this.firmwareSeq };
    this.o.mqtt.publish(`${this.base}/firmware`, utf8Encode(JSON.stringify(body)), 1, true);
  }

  /** "online" of the current attempt: seq 2a, above every earlier attempt's will (2a − 1). */
  private online(): Uint8Array {
    return statusPayload(true, this.o.boot ?? 0, 2 * this.attempts, this.o.clock.now());
  }

  start(): void {
    this.o.mqtt.onMessage((topic, payload) => this.downlink(topic, payload));
    this.o.mqtt.subscribe(`${this.base}/cmd/+`, 1);
    this.o.mqtt.publish(`${this.base}/status`, this.online(), 1, true);
    // After a connection the broker saw drop, it has published our will ("offline", retained): say
    // "online" again on each reconnect, or the fleet (and HA) would see this node offline until it reboots.
    // The first connection needs none (start() queued it), unless an attempt before it failed: the broker may
    // have taken that CONNECT and will publish its will, newer than the "online" start() queued.
    this.o.mqtt.onConnect?.(() => {
      if (this.connects++ > 0 || this.attempts > 1) this.o.mqtt.publish(`${this.base}/status`, this.online(), 1, true);
    });
    this.publishReadings();
    this.timer = this.o.clock.every(this.o.periodMs ?? 60_000, () => this.publishReadings());
    // A new 10-min aggregate goes out when the household has it, not at the next readings tick.
    // The listener runs inside the household's update (the aggregator's task): a publish that throws stays here.
    this.unsubscribe = this.o.household.onChange(() => {
      try {
        this.publishAggregates();
      } catch {
        this.stats.aggregateErrors++;
      }
    });
  }

  /** Changes how often readings are published (the utility's `publishIntervalMs` setting). */
  setPeriod(periodMs: number): void {
    if (!(periodMs >= 1000)) throw new RangeError(`publish period ${periodMs} ms`);
    this.o.periodMs = periodMs;
    this.discovered.clear(); // discovery again: its expire_after follows the period
    if (this.timer === undefined) return; // not started: start() uses it
    this.o.clock.cancel(this.timer);
    this.timer = this.o.clock.every(periodMs, () => this.publishReadings());
  }

  stop(): void {
    if (this.timer !== undefined) this.o.clock.cancel(this.timer);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /**
   * Each meter's 10-min aggregate, once per interval (one newer than the last
   * sent), QoS 1 with the meter's next seq, and its discovery the first time.
   */
  publishAggregates(): void {
    const snap = this.o.household.snapshot();
    for (const a of snap.pq10min ?? []) {
      if (a.end <= (this.pqSent.get(a.meterId) ?? -Infinity)) continue;
      const topic = `${this.base}/meter/${a.meterId}/pq/10min`;
      if (!this.discovered.has(`${a.meterId}/pq10`)) this.discoverPq(a, snap.meters.find((m) => m.id === a.meterId), topic);
      this.o.mqtt.publish(topic, utf8Encode(JSON.stringify(pqPayload(a, this.o.boot ?? 0, this.nextSeq(a.meterId)))), 1);
      this.pqSent.set(a.meterId, a.end); // only once it is in the session's hands: a throw leaves it to retry
      this.stats.aggregates++;
    }
  }

  /** HA sensors for the aggregate's voltage and THD per phase and its frequency, and the flag as a problem. */
  private discoverPq(a: PqAggregate, meter: { id: number; name: string; role: "aggregator" | "slave" } | undefined, topic: string): void {
    const m = meter ?? { id: a.meterId, name: `Meter ${a.meterId}`, role: "slave" as const };
    for (const e of pqEntities(this.haContext(), m, a.voltageV.length, topic)) this.o.mqtt.publish(e.topic, utf8Encode(JSON.stringify(e.config)), 1, true);
    this.discovered.add(`${a.meterId}/pq10`);
  }

  private haContext(): HaContext {
    // unknown after three missed readings (the will covers a lost session; this a stuck task)
    return { node: this.o.node, ...this.o.ha, expireAfterS: Math.max(60, Math.ceil((3 * (this.o.periodMs ?? 60_000)) / 1000)) };
  }

  /** One message per meter and OBIS code, plus discovery for codes not announced yet, plus new PQ events. */
  publishReadings(): void {
    const snap = this.o.household.snapshot();
    for (const m of snap.meters) {
      if (this.available.get(m.id) !== m.online) {
        // retained, and only on change: HA's per-meter availability (a slave off the bus goes unavailable)
        this.o.mqtt.publish(haTopics.meterAvailability(this.o.node, m.id), utf8Encode(m.online ? "online" : "offline"), 1, true);
        this.available.set(m.id, m.online);
      }
      for (const code of Object.keys(m.values)) {
        const v = m.values[code];
        if (typeof v !== "number" || !Number.isFinite(v)) continue;
        const q = OBIS.get(code);
        const key = `${m.id}/${code}`;
        if (q?.kind === "energy") {
          const last = this.lastTotals.get(key);
          if (last !== undefined && v < last) {
            this.stats.lowerTotalsSuppressed++;
            continue;
          }
          this.lastTotals.set(key, v);
        }
        if (!this.discovered.has(key)) this.discover(m, code);
        const seq = this.nextSeq(m.id);
        const reading: Record<string, unknown> = { boot: this.o.boot ?? 0, seq, t: snap.t, v, u: q?.unit ?? "" };
        // a lock-out keeps the meter's last values: say they are stale, and since when
        if (m.stale) Object.assign(reading, { stale: true, staleSince: m.stale.since });
        this.o.mqtt.publish(this.readingTopic(key, m.id, code), utf8Encode(JSON.stringify(reading)), 1);
        this.stats.readings++;
      }
    }
    const events = snap.events;
    for (let i = Math.min(this.eventsSent, events.length); i < events.length; i++) {
      const e = events[i];
      this.o.mqtt.publish(`${this.base}/event`, utf8Encode(JSON.stringify({ boot: this.o.boot ?? 0, seq: this.nextSeq(e.meterId), t: e.start, ...e })), 1);
    }
    this.eventsSent = events.length;
    this.publishAggregates();
  }

  private readingTopic(key: string, meterId: number, code: string): string {
    let topic = this.topics.get(key);
    if (topic === undefined) this.topics.set(key, (topic = readingTopic(this.o.node, meterId, code, this.obisTopics)));
    return topic;
  }

  private nextSeq(meterId: number): number {
    const s = (this.seq.get(meterId) ?? 0) + 1;
    this.seq.set(meterId, s);
    return s;
  }

  private discover(m: { id: number; name: string; role: "aggregator" | "slave" }, code: string): void {
    const e = readingEntity(this.haContext(), m, code, this.readingTopic(`${m.id}/${code}`, m.id, code));
    this.o.mqtt.publish(e.topic, utf8Encode(JSON.stringify(e.config)), 1, true);
    this.discovered.add(`${m.id}/${code}`);
  }

  private downlink(topic: string, payload: Uint8Array): void {
    const prefix = `${this.base}/cmd/`;
    if (!topic.startsWith(prefix)) return;
    const kind = topic.slice(prefix.length);
    if (kind === "result") return;
    try {
      this.command(topic, kind, payload);
    } catch (e) {
      // Belt and braces: this runs in the MQTT socket's callback, where a throw would end the meter.
      this.refuse("malformed", kind, -1, `malformed command: ${(e as Error).message}`);
    }
  }

  /** One downlink: shape, then authenticity, then body, then freshness, then the action. */
  private command(topic: string, kind: string, payload: Uint8Array): void {
    if (!isCommandKind(kind)) return this.refuse("malformed", kind, -1, `unknown command kind ${JSON.stringify(kind.slice(0, 32))}`);
    const env = parseEnvelope(payload, this.o.maxDownlinkBytes ?? MAX_DOWNLINK_BYTES);
    if ("error" in env) return this.refuse("malformed", kind, -1, env.error);
    if (env.scheme === "e1" && this.o.signerPublicKey && !this.signatures.take(this.o.clock.now())) return this.refuse("busy", kind, ctrOf(env.json), "busy: signature checks are rate-limited, send again later");
    if (!this.authentic(topic, env)) return this.refuse("forged", kind, ctrOf(env.json), "forged command: authentication failed");
    const parsed = parseBody(env.json);
    if ("error" in parsed) return this.refuse("malformed", kind, ctrOf(env.json), parsed.error);
    const counter = this.o.counters[kind];
    const stale = staleReason(parsed.ctr, counter.load(), this.o.maxCtrStep ?? DEFAULT_MAX_CTR_STEP);
    if (stale) return this.refuse("replayed", kind, parsed.ctr, stale);
    counter.save(parsed.ctr); // before acting: a crash now cannot make it replayable
    let result: ActionResult;
    try {
      result = this.apply(kind, parsed.body);
    } catch (e) {
      // a handler that throws must not take the meter down with it (it runs in the MQTT socket's callback)
      result = { ok: false, error: `${kind}: ${(e as Error).message}` };
    }
    if (result.ok) this.stats.commandsAccepted++;
    // authentic: its result is worth the outbox (QoS 1), and its sender is rate-limited by its ctr
    this.o.mqtt.publish(`${this.base}/cmd/result`, utf8Encode(JSON.stringify({ kind, ctr: parsed.ctr, ...result })), 1);
  }

  private authentic(topic: string, env: Envelope): boolean {
    const signed = concatBytes(utf8Encode(topic), NL, utf8Encode(env.json));
    if (env.scheme === "h1") return !!this.o.macKey && constantTimeEqual(env.tag, hmacSha256(this.o.macKey, signed));
    return !!this.o.signerPublicKey && verify(signed, env.tag, this.o.signerPublicKey);
  }

  /** Counts a refused downlink and tells the sender why, at QoS 0 and rate-limited (never through the flash outbox). */
  private refuse(why: Refusal, kind: string, ctr: number, error: string): void {
    this.stats[why]++;
    this.lastRefusal = error;
    if (!this.refusals.take(this.o.clock.now())) {
      this.stats.refusalsDropped++;
      return;
    }
    this.stats.refusalsSent++;
    this.o.mqtt.publish(`${this.base}/cmd/result`, utf8Encode(JSON.stringify({ kind: kind.slice(0, 32), ctr, ok: false, refused: why, error })), 0);
  }

  private apply(kind: CommandKind, b: Record<string, unknown>): ActionResult {
    const h = this.o.household;
    switch (kind) {
      case "load":
        if (typeof b.id !== "string") return { ok: false, error: "load: id missing" };
        if (typeof b.on === "boolean") return h.switchLoad(b.id, b.on, "cloud");
        if (typeof b.durationMs === "number" && typeof b.deadline === "number") {
          const bad = this.loadBounds(b.durationMs, b.deadline);
          return bad ? { ok: false, error: bad } : h.scheduleLoad(b.id, b.durationMs, b.deadline, "cloud");
        }
        return { ok: false, error: "load: give on, or durationMs and deadline" };
      case "price":
        if (!Array.isArray(b.slots)) return { ok: false, error: "price: slots missing" };
        return this.o.onPrices ? this.o.onPrices(b.slots as PriceSlot[]) : { ok: false, error: "price updates not wired" };
      case "config":
        if (typeof b.config !== "object" || b.config === null || Array.isArray(b.config)) return { ok: false, error: "config: object missing" };
        return this.o.onConfig ? this.o.onConfig(b.config as Record<string, unknown>) : { ok: false, error: "configuration not wired" };
      case "firmware": {
        const f = b as unknown as FirmwareOffer;
        if (typeof f.version !== "string" || typeof f.url !== "string" || typeof f.size !== "number" || typeof f.sha256 !== "string") return { ok: false, error: "firmware: version, url, size, sha256 required" };
        return this.o.onFirmwareOffer ? this.o.onFirmwareOffer({ version: f.version, url: f.url, size: f.size, sha256: f.sha256 }) : { ok: false, error: "firmware offers not wired" };
      }
    }
  }

  /** A load plan from the cloud stays within the configured maxima (a 1e300 ms plan would run for ever). */
  private loadBounds(durationMs: number, deadline: number): string | undefined {
    const maxDuration = this.o.maxLoadDurationMs ?? 24 * 3_600_000;
    const horizon = this.o.maxLoadHorizonMs ?? 7 * 24 * 3_600_000;
    const now = this.o.clock.now();
    if (!(durationMs > 0 && durationMs <= maxDuration)) return `load: durationMs ${durationMs} not in 1..${maxDuration}`;
    if (!(deadline > now && deadline - now <= horizon)) return `load: deadline ${deadline} not within ${horizon} ms after now (${now})`;
    return undefined;
  }
}

/** The pq/10min payload: per-phase arrays at the OBIS registry's resolutions (V 0.01, A 0.001, W 0.1, % 0.01, Hz 0.001). */
export function pqPayload(a: PqAggregate, boot: number, seq: number): Record<string, unknown> {
  const r = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;
  const out: Record<string, unknown> = {
    boot, seq, start: a.start, end: a.end,
    u: a.voltageV.map((x) => r(x, 2)), i: a.currentA.map((x) => r(x, 3)), p: a.powerW.map((x) => r(x, 1)),
    thdu: a.thdVoltagePct.map((x) => r(x, 2)), thdi: a.thdCurrentPct.map((x) => r(x, 2)),
    f: r(a.frequencyHz, 3),
  };
  if (a.unbalancePct !== undefined) out.u2 = r(a.unbalancePct, 3);
  out.flagged = a.flagged;
  return out;
}
