/**
 * A token bucket: at most `burst` events at once, then one per `intervalMs`.
 * Used wherever outside traffic could make the meter do work at the
 * sender's pace (answers to forged commands, CAN resyncs): the sender gets
 * the configured rate, never its own. Time comes from the caller (a Clock's
 * now()), so it costs no timer and allocates nothing per event.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  /** Events refused since construction (the caller's "dropped" figure). */
  refused = 0;

  constructor(readonly burst: number, readonly intervalMs: number, now: number) {
    if (!(burst >= 1) || !(intervalMs > 0)) throw new RangeError(`token bucket: burst ${burst}, interval ${intervalMs} ms`);
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token if there is one (true), else counts a refusal (false). */
  take(now: number): boolean {
    // a clock set back (NTP) must not mint tokens or stall the bucket for ever
    if (now < this.last) this.last = now;
    const earned = (now - this.last) / this.intervalMs;
    if (earned > 0) {
      this.tokens = Math.min(this.burst, this.tokens + earned);
      this.last = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.refused++;
    return false;
  }
}
