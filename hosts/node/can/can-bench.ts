import { VirtualClock } from "../../../modules/core/virtual-clock";
import { NorFlashSim } from "../flash/nor-flash-sim";
import { FlashCounterStore } from "../../../modules/secure/counter-store";
import { VirtualCanBus, type BusTraffic } from "./virtual-bus";
import { CanMaster, type CycleResult } from "../../../modules/can/master";
import { CanSlave } from "../../../modules/can/slave";
import { MESSAGES, MSG_SYNC, canId, messageForCode } from "../../../modules/can/protocol";
import { bestCaseBits, worstCaseBits } from "../../../modules/can/frame-bits";
import { canResponseTimes, type RtaMessage } from "../../../modules/can/rta";
import { CandumpWriter } from "./candump";

export interface CanBenchOptions {
  slaves: number;
  bitRate?: number;
  cycles?: number;
  /** Poll period (ms); also the RTA's minimum inter-arrival time. */
  periodMs?: number;
  /** Modelled slave time from request to answer queued (ms): receive + read + CMAC. */
  slaveProcessingMs?: number;
  seed?: number;
  candump?: boolean;
}

export interface CanBenchResult {
  slaves: number;
  bitRate: number;
  quantities: number;
  cycles: number;
  slaveProcessingMs: number;
  /** First request of a cycle → each answer (ms), over all cycles: min / mean / max of the first and last slave. */
  requestToFirstAnswerMs: number;
  requestToLastAnswerMs: number;
  /** One request then N answers, bus only (best / worst stuffing), ms. */
  busOnlyPerRequestMs: [number, number];
  /** A full cycle (all quantities): measured mean and max, and the goal 1.1 × (worst bus bound + node time). */
  cycleMeanMs: number;
  cycleMaxMs: number;
  cycleGoalMs: number;
  withinGoal: boolean;
  busLoadPct: number;
  /** Davis et al. (2007) bound vs. the worst response seen, over all messages. */
  rtaWorstBoundMs: number;
  rtaViolations: number;
  worstResponseSeenMs: number;
  missedAnswers: number;
  /** CPU the master needs per cycle to verify every answer at ANSWER_NODE_MS each (not modelled on the bus). */
  masterVerifyPerCycleMs: number;
  candump?: string;
}

/**
 * Modelled node time of one authenticated answer: the XS probe
 * can-poll/authenticatedAnswer costs ≈5,460 computrons (read, scale, CMAC,
 * queue), ≈2.7 ms at the ~2 M computrons/s of an ESP32 (REFERENCES §11).
 * The master spends about the same verifying each answer.
 */
export const ANSWER_NODE_MS = 2.7;

const NETWORK_KEY = Uint8Array.from({ length: 16 }, (_, i) => (i * 29 + 7) & 255);

/** Simulates one master and N slaves at 125 kbit/s (by default) for some poll cycles. */
export function runCanBench(o: CanBenchOptions): CanBenchResult {
  const bitRate = o.bitRate ?? 125_000;
  const cyclesWanted = o.cycles ?? 5;
  const proc = o.slaveProcessingMs ?? ANSWER_NODE_MS;
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const bus = new VirtualCanBus(clock, { bitRate });
  const master = new CanMaster(bus.attach("master"), {
    clock,
    networkKey: NETWORK_KEY,
    store: new FlashCounterStore(new NorFlashSim({ size: 8192 })),
    slaves: Array.from({ length: o.slaves }, (_, i) => i + 1),
    timeoutMs: 5 + o.slaves * 1.2,
  });
  for (let n = 1; n <= o.slaves; n++) {
    new CanSlave(bus.attach(`slave${n}`), {
      node: n,
      networkKey: NETWORK_KEY,
      store: new FlashCounterStore(new NorFlashSim({ size: 8192 })),
      read: (code) => n * 100 + (messageForCode(code)?.msg ?? 0),
      clock,
      processingMs: proc,
      answersPerSecond: Infinity, // the bench polls back to back to measure the bus, faster than any configured poll
    });
  }
  const traffic: BusTraffic[] = [];
  const dump = o.candump ? new CandumpWriter() : undefined;
  bus.onTraffic((t) => {
    traffic.push(t);
    dump?.add(t.endMs, t.frame);
  });
  const results: CycleResult[] = [];
  const period = o.periodMs ?? Math.max(100, Math.ceil((MESSAGES.length * (o.slaves * 1.1 + 1) + 20) / 50) * 50);
  let missed = 0;
  for (let c = 0; c < cyclesWanted; c++) {
    const start = clock.now();
    master.pollCycle((r) => results.push(r));
    clock.runUntil(start + period);
    const r = results[results.length - 1];
    if (r) missed += MESSAGES.length * o.slaves - r.answers.length;
  }
  const bit = 1000 / bitRate;
  const q = MESSAGES.length;
  const busBest = (bestCaseBits(0) + o.slaves * bestCaseBits(8)) * bit;
  const busWorst = (worstCaseBits(0) + o.slaves * worstCaseBits(8)) * bit;
  // cycle = first request queued → last answer of the last quantity
  const cycleMs = results.map((r) => lastAnswerEnd(traffic, r) - r.startMs);
  const first = results.flatMap((r) => r.answers.filter((a) => a.node === 1).map((a) => a.latencyMs));
  const last = results.flatMap((r) => r.answers.filter((a) => a.node === o.slaves).map((a) => a.latencyMs));
  const goal = 1.1 * q * (busWorst + proc);
  // RTA of the message set: requests (remote, master) and answers (8 bytes, slaves), one instance per period
  const set: RtaMessage[] = [];
  for (const m of MESSAGES) {
    set.push({ name: `req${m.msg}`, priority: canId(m.msg, 0) * 2 + 1, c: worstCaseBits(0) * bit, t: period });
    for (let n = 1; n <= o.slaves; n++) set.push({ name: `ans${m.msg}.${n}`, priority: canId(m.msg, n) * 2, c: worstCaseBits(8) * bit, t: period });
  }
  void MSG_SYNC;
  const rta = canResponseTimes(set, bit);
  const bound = new Map(rta.map((r) => [r.priority, r.r]));
  let violations = 0;
  let worstSeen = 0;
  for (const t of traffic) {
    const prio = t.frame.id * 2 + (t.frame.rtr ? 1 : 0);
    const resp = t.endMs + 3 * bit - t.queuedMs; // C includes the IFS
    worstSeen = Math.max(worstSeen, resp);
    const b = bound.get(prio);
    if (b !== undefined && resp > b + 1e-6) violations++;
  }
  const span = clock.now() - results[0].startMs;
  return {
    slaves: o.slaves,
    bitRate,
    quantities: q,
    cycles: results.length,
    slaveProcessingMs: proc,
    requestToFirstAnswerMs: round(mean(first)),
    requestToLastAnswerMs: round(mean(last)),
    busOnlyPerRequestMs: [round(busBest), round(busWorst)],
    cycleMeanMs: round(mean(cycleMs)),
    cycleMaxMs: round(Math.max(...cycleMs)),
    cycleGoalMs: round(goal),
    withinGoal: Math.max(...cycleMs) <= goal,
    busLoadPct: round((100 * bus.stats.busyBits * bit) / span),
    rtaWorstBoundMs: round(Math.max(...rta.map((r) => r.r))),
    rtaViolations: violations,
    worstResponseSeenMs: round(worstSeen),
    missedAnswers: missed,
    masterVerifyPerCycleMs: round(q * o.slaves * ANSWER_NODE_MS),
    candump: dump?.text(),
  };
}

function lastAnswerEnd(traffic: BusTraffic[], r: CycleResult): number {
  let end = r.startMs;
  for (const t of traffic) if (!t.frame.rtr && t.endMs >= r.startMs && t.endMs <= r.endMs + 1e-9) end = Math.max(end, t.endMs);
  return end;
}
function mean(a: number[]): number {
  return a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN;
}
function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
