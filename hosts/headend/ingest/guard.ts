/**
 * What stands between a flood of hostile messages and the database: a budget of
 * new meters (a fake meter inventing ids would otherwise grow the meters table,
 * the fleet page and every fleet query without end), and a budget of rejects
 * written to the rejects table (a flood of garbage would otherwise write a row,
 * up to 16 KiB, per message). Beyond a budget the item is still counted, by
 * reason, in `stats`; nothing from the message reaches a meter's history.
 * Budgets are token buckets on the head-end's clock: a burst, then a rate.
 */
import { TokenBucket } from "../../../modules/core/token-bucket";
import type { HeadendStore, IngestItem } from "../store/store";

export interface GuardOptions {
  /** New meters (node, meterId) taken at once — a fleet's first start — then per minute. */
  newMetersBurst?: number;
  newMetersPerMinute?: number;
  /** Meters one node may have: an aggregator polls a bounded CAN bus. */
  maxMetersPerNode?: number;
  /** Reject rows written at once, then per minute; the rest are only counted. */
  rejectsBurst?: number;
  rejectsPerMinute?: number;
  /** Bytes of a rejected payload kept in its row (the reason and the length say the rest). */
  rejectPayloadBytes?: number;
}

export interface GuardStats {
  /** New meters let in, and refused (over the budget or the per-node cap). */
  newMeters: number;
  meterBudgetRefused: number;
  /** Rejects written to the store, and only counted (over the reject budget). */
  rejectsWritten: number;
  rejectsCounted: number;
  /** Every reject by reason, written or not (the reasons are a fixed list: see parse.ts, validate.ts and here). */
  byReason: Record<string, number>;
}

const defaults: Required<GuardOptions> = { newMetersBurst: 20_000, newMetersPerMinute: 600, maxMetersPerNode: 64, rejectsBurst: 1_000, rejectsPerMinute: 600, rejectPayloadBytes: 1024 };

export class IngestGuard {
  readonly stats: GuardStats = { newMeters: 0, meterBudgetRefused: 0, rejectsWritten: 0, rejectsCounted: 0, byReason: {} };
  private readonly o: Required<GuardOptions>;
  private readonly meters = new Set<string>();
  private readonly perNode = new Map<string, number>();
  private newMeterBudget?: TokenBucket;
  private rejectBudget?: TokenBucket;
  private loaded?: Promise<void>;

  constructor(private readonly store: HeadendStore, options: GuardOptions = {}) {
    this.o = { ...defaults, ...options };
  }

  /** The batch as it goes to the store: meters over budget turned into rejects, rejects over budget left out. */
  async apply(items: IngestItem[], now: number): Promise<IngestItem[]> {
    await (this.loaded ??= this.load());
    this.newMeterBudget ??= new TokenBucket(this.o.newMetersBurst, 60_000 / this.o.newMetersPerMinute, now);
    this.rejectBudget ??= new TokenBucket(this.o.rejectsBurst, 60_000 / this.o.rejectsPerMinute, now);
    const out: IngestItem[] = [];
    for (const raw of items) {
      const it = this.admitMeter(raw, now);
      if (it.kind !== "reject") {
        out.push(it);
        continue;
      }
      this.stats.byReason[it.reason] = (this.stats.byReason[it.reason] ?? 0) + 1;
      if (!this.rejectBudget.take(now)) {
        this.stats.rejectsCounted++;
        continue;
      }
      this.stats.rejectsWritten++;
      // the reason stays as it is (the page groups by it); a cut payload shows as exactly rejectPayloadBytes
      out.push(it.payload.length > this.o.rejectPayloadBytes ? { ...it, payload: it.payload.subarray(0, this.o.rejectPayloadBytes) } : it);
    }
    return out;
  }

  /** The meters the store knows are not new: read once, at the first batch. */
  private async load(): Promise<void> {
    for (const m of await this.store.meters(0)) this.remember(m.node, m.meterId);
  }

  private remember(node: string, meterId: number): void {
    const key = `${node}/${meterId}`;
    if (this.meters.has(key)) return;
    this.meters.add(key);
    this.perNode.set(node, (this.perNode.get(node) ?? 0) + 1);
  }

  private admitMeter(it: IngestItem, now: number): IngestItem {
    if (it.kind !== "reading" && it.kind !== "pq" && it.kind !== "event") return it;
    if (this.meters.has(`${it.node}/${it.meterId}`)) return it;
    const refuse = (reason: string): IngestItem => {
      this.stats.meterBudgetRefused++;
      return { kind: "reject", topic: `${it.node}/${it.meterId}`, payload: new TextEncoder().encode(JSON.stringify(it).slice(0, 512)), reason, t: now };
    };
    if ((this.perNode.get(it.node) ?? 0) >= this.o.maxMetersPerNode) return refuse(`node already has ${this.o.maxMetersPerNode} meters`);
    if (!this.newMeterBudget!.take(now)) return refuse("new meters over the budget per minute");
    this.stats.newMeters++;
    this.remember(it.node, it.meterId);
    return it;
  }
}
