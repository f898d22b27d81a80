/**
 * An ingest worker: the fleet's messages from the broker, decoded, stored in
 * one transaction per batch, acknowledged after the commit (subscriber.ts).
 * Counts what it stored, what were resends, and what it kept aside.
 */
import type { HeadendStore, IngestItem, IngestOutcome } from "../store/store";
import { FLEET_FILTERS, parseMessage } from "./parse";
import { Subscriber, type SubscriberStats } from "./subscriber";

export interface IngestOptions {
  store: HeadendStore;
  mqttUrl: string;
  /** The MQTT client id: the persistent session's name (one per worker). */
  clientId?: string;
  /** Shared-subscription group: several workers with the same group split the fleet (MQTT 5). */
  group?: string;
  protocolVersion?: 4 | 5;
  /** How long a batch waits for more messages (ms; subscriber.ts). */
  batchMs?: number;
  now?: () => number;
  log?(line: string): void;
  /** Called after each batch is stored (the dashboard's live counters, the bench's latency). */
  onStored?(outcome: IngestOutcome, items: IngestItem[]): void;
}

export interface IngestStats extends IngestOutcome {
  mqtt: SubscriberStats;
}

export class Ingest {
  private readonly totals: IngestOutcome = { stored: 0, duplicates: 0, rejected: 0 };
  readonly subscriber: Subscriber;

  constructor(private readonly o: IngestOptions) {
    const now = o.now ?? Date.now;
    this.subscriber = new Subscriber({
      url: o.mqttUrl,
      clientId: o.clientId ?? "xsmeter-headend",
      filters: FLEET_FILTERS,
      group: o.group,
      protocolVersion: o.protocolVersion ?? 5,
      batchMs: o.batchMs,
      log: o.log,
      handle: async (batch) => {
        const t = now();
        const items = batch.map((m) => parseMessage(m.topic, m.payload, t));
        const r = await o.store.ingest(items);
        this.totals.stored += r.stored;
        this.totals.duplicates += r.duplicates;
        this.totals.rejected += r.rejected;
        o.onStored?.(r, items);
      },
    });
  }

  get stats(): IngestStats {
    return { ...this.totals, mqtt: { ...this.subscriber.stats } };
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
