import type { FlashCounterStore } from "./counter-store";

/**
 * Freshness values (SecOC): a 32-bit counter per sender, sent truncated to
 * its low 8 bits. The sender never reuses a value, even across a reset:
 * it reserves counters in blocks of BLOCK, persisting the end of the block
 * before using it, and restarts at that end after a reset (some values are
 * skipped, none reused). The receiver rebuilds the full value from its last
 * accepted one and accepts only strictly greater values.
 */
export const FRESHNESS_BLOCK = 1024;
export const TRUNC_BITS = 8;

export class FreshnessSender {
  private counter: number;
  private reservedEnd: number;

  constructor(private readonly store: FlashCounterStore, private readonly key: number) {
    const stored = store.get(key) ?? 0;
    this.counter = stored; // every value below `stored` may have been used before the reset
    this.reservedEnd = stored + FRESHNESS_BLOCK;
    store.set(key, this.reservedEnd);
  }

  /** The next unused freshness value (persists a new block when needed). */
  next(): number {
    const v = ++this.counter;
    if (v >= this.reservedEnd) {
      this.reservedEnd = v + FRESHNESS_BLOCK;
      this.store.set(this.key, this.reservedEnd);
    }
    return v;
  }

  /** Jumps to the start of a fresh block (used to answer a resync). */
  jumpToNextBlock(): number {
    this.counter = this.reservedEnd;
    this.reservedEnd = this.counter + FRESHNESS_BLOCK;
    this.store.set(this.key, this.reservedEnd);
    return this.counter;
  }

  get current(): number {
    return this.counter;
  }
}

/**
 * The receiver's view of one sender. `last` is persisted when it enters a
 * new block; after a receiver reset it restarts at the end of the persisted
 * block, so frames it accepted before cannot be replayed, and asks the sender
 * to resync (the sender jumps to its next block, above that end).
 */
export class FreshnessReceiver {
  private last: number;

  constructor(private readonly store: FlashCounterStore, private readonly key: number) {
    const floor = store.get(key);
    this.last = floor === undefined ? 0 : floor + FRESHNESS_BLOCK - 1;
    this.needsResync = floor !== undefined;
  }

  /** True until a sync frame with a full freshness value was accepted after a reset. */
  needsResync: boolean;

  get lastAccepted(): number {
    return this.last;
  }

  /** Full value for the truncated bits: the smallest value > last with those low bits. */
  candidate(low: number): number {
    const mask = (1 << TRUNC_BITS) - 1;
    let full = this.last - (this.last & mask) + (low & mask);
    if (full <= this.last) full += mask + 1;
    return full;
  }

  /** Records an accepted value (the caller checked the MAC and that it is > last). */
  accept(full: number): void {
    if (!(full > this.last)) throw new Error(`freshness ${full} not above ${this.last}`);
    const oldBlock = Math.floor(this.last / FRESHNESS_BLOCK);
    this.last = full;
    const block = Math.floor(full / FRESHNESS_BLOCK);
    if (block !== oldBlock || this.store.get(this.key) === undefined) this.store.set(this.key, block * FRESHNESS_BLOCK);
    this.needsResync = false;
  }
}
