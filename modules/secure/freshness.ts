import type { FlashCounterStore } from "./counter-store";

/**
 * Freshness values (SecOC): a counter per sender, sent truncated to its low
 * 8 bits. The sender never reuses a value, even across a reset: it reserves
 * counters in blocks of BLOCK, persisting the end of the block before using
 * it, and restarts at that end after a reset (some values are skipped, none
 * reused). The receiver rebuilds the full value from its last accepted one
 * and accepts only strictly greater values.
 *
 * The counter is 53 bits (a JS safe integer), kept in the u32 counter store
 * as a low word (key) and a high word (key + HIGH_WORD, written first, and
 * only when it changes): 2^32 values were ~10 years of polling at 13 frames/s,
 * 2^53 are 20 million years at a full bus, so the counter cannot run out and
 * no store write can be asked a value beyond u32 (the old end threw in
 * FlashCounterStore.set on every answer and at every boot). MACs of values
 * below 2^32 are byte-for-byte those of the 32-bit protocol.
 */
export const FRESHNESS_BLOCK = 1024;
export const TRUNC_BITS = 8;
/** Store key offset of a counter's high word (outside the CAN master's slave keys 1..63). */
export const HIGH_WORD = 0x48490000; // "HI"
const WORD = 0x100000000;
/** The last value a sender may use: beyond it the sender stops (safe state) and raises its alarm. */
export const FRESHNESS_MAX = Number.MAX_SAFE_INTEGER - FRESHNESS_BLOCK;

/** A 53-bit value from the store (undefined when the low word was never written). */
function load(store: FlashCounterStore, key: number): number | undefined {
  const lo = store.get(key);
  if (lo === undefined) return undefined;
  return (store.get(key + HIGH_WORD) ?? 0) * WORD + lo;
}

/** Persists a 53-bit value: high word first, so a cut between the two writes can only move it up. */
function save(store: FlashCounterStore, key: number, value: number): void {
  const hi = Math.floor(value / WORD);
  if (hi !== (store.get(key + HIGH_WORD) ?? 0)) store.set(key + HIGH_WORD, hi);
  store.set(key, value - hi * WORD);
}

export class FreshnessSender {
  private counter: number;
  private reservedEnd: number;
  /** True once the counter reached FRESHNESS_MAX: no value is handed out any more (next() returns -1). */
  exhausted = false;

  constructor(private readonly store: FlashCounterStore, private readonly key: number, private readonly onExhausted?: () => void) {
    const stored = load(store, key) ?? 0;
    this.counter = stored; // every value below `stored` may have been used before the reset
    this.reservedEnd = stored;
    if (!this.reserve(stored + FRESHNESS_BLOCK)) this.counter = FRESHNESS_MAX;
  }

  /** The next unused freshness value (persists a new block when needed), or -1 once exhausted. */
  next(): number {
    if (this.exhausted) return -1;
    const v = this.counter + 1;
    if (v >= this.reservedEnd && !this.reserve(v + FRESHNESS_BLOCK)) return -1;
    this.counter = v;
    return v;
  }

  /**
   * The value of a sync answer above `floor` (what the master asked for): normally
   * just the next value; only when the master is ahead (it restarted above its
   * persisted block) does the counter move up to `floor`, at most `maxStep` ahead.
   * Returns -1 when `floor` is further ahead than that (or the counter is exhausted).
   */
  above(floor: number, maxStep: number): number {
    if (floor > this.counter) {
      if (floor - this.counter > maxStep) return -1;
      this.counter = floor;
    }
    return this.next();
  }

  get current(): number {
    return this.counter;
  }

  /** Persists a new end of block; false (exhausted, alarm raised once) when it would pass FRESHNESS_MAX. */
  private reserve(end: number): boolean {
    if (end > FRESHNESS_MAX) {
      if (!this.exhausted) {
        this.exhausted = true;
        this.onExhausted?.();
      }
      return false;
    }
    save(this.store, this.key, end);
    this.reservedEnd = end;
    return true;
  }
}

/**
 * The receiver's view of one sender. `last` is persisted when it enters a
 * new block; after a receiver reset it restarts at the end of the persisted
 * block, so frames it accepted before cannot be replayed, and asks the sender
 * to resync (an authenticated request naming that end; the sender answers above it).
 */
export class FreshnessReceiver {
  private last: number;

  constructor(private readonly store: FlashCounterStore, private readonly key: number) {
    const floor = load(store, key);
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
    const lap = 1 << TRUNC_BITS;
    let full = this.last - (this.last % lap) + (low % lap);
    if (full <= this.last) full += lap;
    return full;
  }

  /** Records an accepted value (the caller checked the MAC and that it is > last). */
  accept(full: number): void {
    if (!(full > this.last)) throw new Error(`freshness ${full} not above ${this.last}`);
    const oldBlock = Math.floor(this.last / FRESHNESS_BLOCK);
    this.last = full;
    const block = Math.floor(full / FRESHNESS_BLOCK);
    if (block !== oldBlock || this.store.get(this.key) === undefined) save(this.store, this.key, block * FRESHNESS_BLOCK);
    this.needsResync = false;
  }
}
