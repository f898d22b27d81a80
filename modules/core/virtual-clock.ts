import type { Clock, TimerId } from "./clock";

/**
 * A deterministic clock for tests and the simulator: time moves only when
 * `advance`/`runUntil` is called, and timers fire in (due time, creation order),
 * so the same program gives the same sequence of events, faster than real time.
 */
interface VirtualTimer {
  id: TimerId;
  due: number;
  seq: number;
  period: number; // 0 for one-shot
  callback: () => void;
}

export class VirtualClock implements Clock {
  private time: number;
  private nextId = 1;
  private seq = 0;
  private heap: VirtualTimer[] = [];
  private live = new Map<TimerId, VirtualTimer>();

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  after(delayMs: number, callback: () => void): TimerId {
    return this.add(delayMs, 0, callback);
  }

  every(periodMs: number, callback: () => void): TimerId {
    if (!(periodMs > 0)) throw new RangeError("every: period must be > 0");
    return this.add(periodMs, periodMs, callback);
  }

  cancel(id: TimerId): void {
    this.live.delete(id); // lazily dropped from the heap when it surfaces
  }

  /** Number of timers still pending. */
  get pending(): number {
    return this.live.size;
  }

  /** Due time of the next live timer, or Infinity. */
  nextDue(): number {
    this.dropCancelled();
    return this.heap.length ? this.heap[0].due : Infinity;
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  advance(ms: number): void {
    this.runUntil(this.time + ms);
  }

  /** Fires timers in order until `t`, then sets the time to `t`. */
  runUntil(t: number): void {
    for (;;) {
      this.dropCancelled();
      const top = this.heap[0];
      if (!top || top.due > t) break;
      this.pop();
      this.time = top.due;
      if (top.period > 0) {
        top.due += top.period;
        top.seq = this.seq++;
        this.push(top);
      } else {
        this.live.delete(top.id);
      }
      top.callback();
    }
    if (t > this.time) this.time = t;
  }

  private add(delayMs: number, period: number, callback: () => void): TimerId {
    const timer: VirtualTimer = {
      id: this.nextId++,
      due: this.time + Math.max(0, delayMs),
      seq: this.seq++,
      period,
      callback,
    };
    this.live.set(timer.id, timer);
    this.push(timer);
    return timer.id;
  }

  private dropCancelled(): void {
    while (this.heap.length && this.live.get(this.heap[0].id) !== this.heap[0]) this.pop();
  }

  private before(a: VirtualTimer, b: VirtualTimer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(timer: VirtualTimer): void {
    const h = this.heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l], h[m])) m = l;
      if (r < h.length && this.before(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}
