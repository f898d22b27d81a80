/**
 * Checks on what a meter sent beyond its shape (parse.ts reads the shape): a
 * compromised or fake meter may send well-formed JSON with values no meter
 * measures. Each check turns the item into a reject with a fixed reason (never
 * text from the message, so the reasons stay a short list), before anything
 * reaches the meter's history. Numbers that pass are exact and finite in every
 * layer: JavaScript, SQLite, PostgreSQL's BIGINT/DOUBLE, the roll-up sums.
 */
import type { IngestItem } from "../store/store";

export interface ValidationLimits {
  /** Nesting of arrays and objects in a payload (the firmware's deepest is 2). */
  maxDepth: number;
  /** How far ahead of the head-end's clock a time may be (meters' clocks drift; NTP may lag). */
  futureSkewMs: number;
  /**
   * The earliest time taken: a meter whose clock was never set (1970 + uptime) is kept aside.
   * A fixed date, not an age: old readings from a long outage are the retention horizon's to judge.
   */
  earliest: number;
  /** Largest magnitude of a measured value: 1e15 keeps a year of 10,000 meters' sums finite and exact to 1e-1. */
  maxAbsValue: number;
  /** Largest event or firmware-report body kept (characters of its JSON). */
  maxBodyChars: number;
}

export const DEFAULT_LIMITS: Readonly<ValidationLimits> = Object.freeze({
  maxDepth: 8,
  futureSkewMs: 10 * 60_000,
  earliest: Date.UTC(2020, 0, 1),
  maxAbsValue: 1e15,
  maxBodyChars: 2048,
});

/** Event types and firmware versions/phases: short plain words (they are shown on pages and in CSV). */
const WORD = /^[A-Za-z0-9_.:+-]{1,64}$/;

/**
 * A reason to refuse the payload before it is parsed, or undefined: nesting deeper
 * than `maxDepth` (JSON.parse takes 8,000 levels in 16 KiB, but JSON.stringify of
 * the result overflows the stack, which failed the whole batch and had the broker
 * resend it for ever). One pass over the bytes, strings skipped.
 */
export function precheck(payload: Uint8Array, limits: ValidationLimits = DEFAULT_LIMITS): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < payload.length; i++) {
    const c = payload[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limits.maxDepth) return `JSON nested deeper than ${limits.maxDepth} levels`;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}

/** The item as it is, or a reject saying which check it failed. */
export function validate(item: IngestItem, topic: string, payload: Uint8Array, now: number, limits: ValidationLimits = DEFAULT_LIMITS): IngestItem {
  const reason = check(item, now, limits);
  return reason === undefined ? item : { kind: "reject", topic: topic.slice(0, 512), payload, reason, t: now };
}

function check(item: IngestItem, now: number, l: ValidationLimits): string | undefined {
  const time = (t: number, what: string) => (t > now + l.futureSkewMs ? `${what} is in the future` : t < l.earliest ? `${what} is before ${new Date(l.earliest).toISOString().slice(0, 10)}` : undefined);
  const value = (v: number) => Math.abs(v) <= l.maxAbsValue;
  switch (item.kind) {
    case "reading":
      if (!value(item.v)) return `value beyond ±${l.maxAbsValue}`;
      return time(item.t, "reading time");
    case "pq": {
      const nums = [...item.u, ...item.i, ...item.p, ...item.thdu, ...item.thdi, item.f, item.u2 ?? 0];
      if (!nums.every(value)) return `aggregate value beyond ±${l.maxAbsValue}`;
      if (item.end - item.start > 86_400_000) return "aggregate interval longer than a day";
      return time(item.start, "aggregate start") ?? time(item.end, "aggregate end");
    }
    case "event":
      if (!WORD.test(item.type)) return "event type is not a plain word";
      if (item.body.length > l.maxBodyChars) return `event body over ${l.maxBodyChars} characters`;
      return time(item.t, "event time");
    case "firmware":
      if (!WORD.test(item.running) || (item.phase !== "" && !WORD.test(item.phase))) return "firmware version or phase is not a plain word";
      if (item.body.length > l.maxBodyChars) return `firmware report over ${l.maxBodyChars} characters`;
      return undefined;
    default:
      return undefined;
  }
}
