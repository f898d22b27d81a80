/**
 * An ingest worker: the fleet's messages from the broker, decoded, checked,
 * stored in one transaction per batch, acknowledged after the commit
 * (subscriber.ts). Counts what it stored, what were resends, and what it kept
 * aside. No message can fail its batch: whatever reading one throws is caught
 * and the message kept aside (a failed batch is never acknowledged, so the
 * broker would send the same poison again for ever and block the fleet).
 */
import type { HeadendStore, IngestItem, IngestOutcome } from "../store/store";
import { IngestGuard, type GuardStats } from "./guard";
import { FLEET_FILTERS, MAX_PAYLOAD, parseMessage } from "./parse";
import { Subscriber, type Message, type SubscriberStats } from "./subscriber";
import { DEFAULT_LIMITS, precheck, validate, type ValidationLimits } from "./validate";

export interface IngestOptions {
  store: HeadendStore;
  mqttUrl: string;
  /** The MQTT client id: the persistent session's name (one per worker). */
  clientId?: string;
  /** Shared-subscription group: several workers with the same group split the fleet (MQTT 5). */
  group?: string;
  protocolVersion?: 4 | 5;
  /** First reconnect delay after the broker connection drops (Subscriber's reconnectDelayMs). */
  reconnectDelayMs?: number;
  /** How long a batch waits for more messages (ms; subscriber.ts). */
  batchMs?: number;
  now?: () => number;
  log?(line: string): void;
  /** Called after each batch is stored (the dashboard's live counters, the bench's latency). */
  onStored?(outcome: IngestOutcome, items: IngestItem[]): void;
  /** Budgets of new meters and of reject rows (one guard may be shared by the workers of a process). */
  guard?: IngestGuard;
  limits?: ValidationLimits;
}

export interface IngestStats extends IngestOutcome {
  mqtt: SubscriberStats;
  guard: GuardStats;
}

export class Ingest {
  private readonly totals: IngestOutcome = { stored: 0, duplicates: 0, rejected: 0 };
  readonly subscriber: Subscriber;
  readonly guard: IngestGuard;

  constructor(private readonly o: IngestOptions) {
    const now = o.now ?? Date.now;
    this.guard = o.guard ?? new IngestGuard(o.store);
    this.subscriber = new Subscriber({
      url: o.mqttUrl,
      clientId: o.clientId ?? "xsmeter-headend",
      filters: FLEET_FILTERS,
      group: o.group,
      protocolVersion: o.protocolVersion ?? 5,
      reconnectDelayMs: o.reconnectDelayMs,
      batchMs: o.batchMs,
      log: o.log,
      handle: async (batch) => void (await this.take(batch, now())),
    });
  }

  get stats(): IngestStats {
    return { ...this.totals, mqtt: { ...this.subscriber.stats }, guard: { ...this.guard.stats, byReason: { ...this.guard.stats.byReason } } };
  }

  /** One batch from the broker: read, checked, through the guard's budgets, stored in one transaction. */
  async take(batch: Message[], t: number): Promise<IngestOutcome> {
    const items = await this.guard.apply(batch.map((m) => this.read(m, t)), t);
    const r = await this.o.store.ingest(items);
    this.totals.stored += r.stored;
    this.totals.duplicates += r.duplicates;
    this.totals.rejected += r.rejected;
    this.o.onStored?.(r, items);
    return r;
  }

  private read(m: Message, t: number): IngestItem {
    const reject = (reason: string): IngestItem => ({ kind: "reject", topic: m.topic.slice(0, 512), payload: m.payload, reason, t });
    const limits = this.o.limits ?? DEFAULT_LIMITS;
    if (m.tooLarge !== undefined) return reject("packet over the ingest's limit, not read");
    try {
      // a payload over parse.ts's size limit is refused for its size, unread
      const early = m.payload.length <= MAX_PAYLOAD ? precheck(m.payload, limits) : undefined;
      if (early) return reject(early);
      return validate(parseMessage(m.topic, m.payload, t), m.topic, m.payload, t, limits);
    } catch (e) {
      return reject(`payload could not be read (${e instanceof RangeError ? "too deep" : "parser error"})`);
    }
  }

  start(): void {
    this.subscriber.start();
  }

  kill(): void {
    this.subscriber.kill();
  }

  stop(): Promise<void> {
    return this.subscriber.stop();
  }
}
