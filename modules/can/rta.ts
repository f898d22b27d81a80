/**
 * Worst-case response times of CAN messages, after Davis, Burns, Bril and
 * Lukkien (2007), "Controller Area Network (CAN) schedulability analysis:
 * refuted, revisited and revised": non-preemptive fixed priority, blocking by
 * the longest lower-priority frame, and every instance q within the level-m
 * busy period examined (the original analysis checked only the first).
 */
export interface RtaMessage {
  name: string;
  /** Priority: lower value = higher priority (the CAN identifier). */
  priority: number;
  /** Worst-case transmission time (stuffed frame incl. IFS), ms. */
  c: number;
  /** Minimum inter-arrival time, ms. */
  t: number;
  /** Queuing jitter, ms. */
  j?: number;
}

export interface RtaResult {
  name: string;
  priority: number;
  /** Worst-case response time from queueing to the end of the frame, ms (Infinity if unschedulable). */
  r: number;
  instances: number;
}

export function canResponseTimes(messages: readonly RtaMessage[], bitMs: number): RtaResult[] {
  return messages.map((m) => {
    const hp = messages.filter((k) => k !== m && k.priority < m.priority);
    const lp = messages.filter((k) => k !== m && k.priority > m.priority);
    const jm = m.j ?? 0;
    const b = lp.length ? Math.max(...lp.map((k) => k.c)) : 0;
    // level-m busy period (Davis et al. eq. 12)
    let t = m.c;
    for (let i = 0; i < 10000; i++) {
      let next = b;
      for (const k of [...hp, m]) next += Math.ceil((t + (k.j ?? 0)) / k.t) * k.c;
      if (next === t) break;
      t = next;
      if (t > 1e9) return { name: m.name, priority: m.priority, r: Infinity, instances: 0 };
    }
    const qMax = Math.ceil((t + jm) / m.t);
    let r = 0;
    for (let q = 0; q < qMax; q++) {
      let w = b + q * m.c;
      for (let i = 0; i < 10000; i++) {
        let next = b + q * m.c;
        for (const k of hp) next += Math.ceil((w + (k.j ?? 0) + bitMs) / k.t) * k.c;
        if (next === w) break;
        w = next;
        if (w > 1e9) return { name: m.name, priority: m.priority, r: Infinity, instances: qMax };
      }
      r = Math.max(r, jm + w - q * m.t + m.c);
    }
    return { name: m.name, priority: m.priority, r, instances: qMax };
  });
}
