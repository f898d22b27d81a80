import type { Clock } from "../core/clock";
import type { ObisCode } from "../core/obis";
import { writeU32LE } from "../core/bytes";
import { TokenBucket } from "../core/token-bucket";
import type { CanFrame, CanPort } from "./can-port";
import { BROADCAST, MSG_RESYNC, MSG_SYNC, canId, messageByNumber, msgOf, nodeOf, toRawValue } from "./protocol";
import { FrameAuthenticator, nearestWithLow32, readLow32 } from "./authenticator";
import { FreshnessSender } from "../secure/freshness";
import type { FlashCounterStore } from "../secure/counter-store";
import { canNodeKey } from "../secure/node-keys";
import type { BlockCipherFactory } from "../secure/block-cipher";

export interface CanSlaveOptions {
  /** Node number 1..63 (also its priority among answers: lower answers first). */
  node: number;
  /** The network key; the slave derives its own key from it (or give `nodeKey`). */
  networkKey?: Uint8Array;
  nodeKey?: Uint8Array;
  /** The AES behind the CMAC (default the TypeScript AES; the board passes its native cipher). */
  cipher?: BlockCipherFactory;
  /** Where the freshness counter survives resets. */
  store: FlashCounterStore;
  /** Current value of an OBIS code, or undefined when this meter does not have it. */
  read: (code: ObisCode) => number | undefined;
  /** Time for the rate limits, and with `processingMs` > 0 the modelled time from request to answer queued. */
  clock?: Clock;
  processingMs?: number;
  /**
   * Resync requests checked at once (default 4), then one per `resyncIntervalMs` (default 5 s):
   * the limit applies before the CMAC, so a flood costs neither CPU nor flash.
   */
  resyncBurst?: number;
  resyncIntervalMs?: number;
  /** How far ahead of the counter an authentic request may move it (default 4 × 1024). */
  maxResyncStep?: number;
  /**
   * Answers per message at once (default 4), then `answersPerSecond` per message (default 4;
   * a 1 s poll asks each message once, three times with both retries): remote frames carry
   * no MAC, so this bounds what anyone on the bus can make the slave spend (a CMAC and a
   * freshness value per answer, a flash write per 1024 values) without starving the other
   * messages; an answer the attacker provoked still reaches the master, which takes it.
   */
  answerBurst?: number;
  answersPerSecond?: number;
  /** The freshness counter reached its end (2^53, not in this universe's lifetime) or a request was refused; the meter's alarm. */
  onAlarm?: (reason: string) => void;
}

export interface SlaveStats {
  answers: number;
  /** The port refused the frame (TX queue full). */
  dropped: number;
  /** Remote frames on the sync message (the unauthenticated resync of old firmware): ignored. */
  unauthenticatedSync: number;
  /** Resync requests answered, refused for their MAC or their step, and not checked (rate limit). */
  resyncs: number;
  resyncForged: number;
  resyncTooFar: number;
  resyncLimited: number;
  /** Quantity requests not answered because of the answer rate limit. */
  answersLimited: number;
}

/**
 * The slave responder: answers the master's remote frames (broadcast or to
 * its node) with an authenticated data frame, and the master's authenticated
 * resync request (a data frame naming the floor its answer must exceed) with a
 * sync frame above that floor, bound to the request.
 */
export class CanSlave {
  readonly node: number;
  readonly stats: SlaveStats = { answers: 0, dropped: 0, unauthenticatedSync: 0, resyncs: 0, resyncForged: 0, resyncTooFar: 0, resyncLimited: 0, answersLimited: 0 };
  private readonly auth: FrameAuthenticator;
  private readonly fresh: FreshnessSender;
  private readonly resyncLimit?: TokenBucket;
  private readonly answerLimits = new Map<number, TokenBucket>();
  private readonly answerBurst: number;
  private readonly answerIntervalMs: number;
  private readonly maxStep: number;

  constructor(private readonly port: CanPort, private readonly options: CanSlaveOptions) {
    if (!(options.node >= 1 && options.node <= 63)) throw new RangeError(`slave node ${options.node} not in 1..63`);
    const key = options.nodeKey ?? (options.networkKey && canNodeKey(options.networkKey, options.node));
    if (!key) throw new Error("CanSlave needs networkKey or nodeKey");
    this.node = options.node;
    this.auth = new FrameAuthenticator(key, options.cipher);
    // exhaustion is a state with an alarm, never a throw: the meter still boots and measures
    this.fresh = new FreshnessSender(options.store, options.node, () => options.onAlarm?.(`CAN node ${options.node}: freshness counter at its end, answers stopped (a new network key and a cleared counter store recover it)`));
    this.maxStep = options.maxResyncStep ?? 4 * 1024;
    const now = options.clock?.now() ?? 0;
    if (options.clock) {
      this.resyncLimit = new TokenBucket(options.resyncBurst ?? 4, options.resyncIntervalMs ?? 5000, now);
    }
    this.answerBurst = options.answerBurst ?? 4;
    this.answerIntervalMs = 1000 / (options.answersPerSecond ?? 4); // answersPerSecond Infinity: no limit (benches)
    port.onFrame((f) => this.onFrame(f));
  }

  get freshness(): number {
    return this.fresh.current;
  }

  get exhausted(): boolean {
    return this.fresh.exhausted;
  }

  /** @deprecated use stats.answers */
  get answers(): number {
    return this.stats.answers;
  }

  private onFrame(f: CanFrame): void {
    if (f.extended) return;
    const target = nodeOf(f.id);
    const msg = msgOf(f.id);
    if (!f.rtr) {
      if (msg === MSG_RESYNC && target === this.node) this.onResyncRequest(f);
      return;
    }
    if (target !== BROADCAST && target !== this.node) return;
    if (msg === MSG_SYNC) {
      this.stats.unauthenticatedSync++;
      return;
    }
    if (!messageByNumber(msg)) return;
    if (!this.mayAnswer(msg)) {
      this.stats.answersLimited++;
      return;
    }
    const run = (): void => {
      this.answer(msg);
    };
    const delay = this.options.processingMs ?? 0;
    if (delay > 0 && this.options.clock) this.options.clock.after(delay, run);
    else run();
  }

  /** The per-message answer budget (one bucket per protocol message, made on its first request). */
  private mayAnswer(msg: number): boolean {
    const clock = this.options.clock;
    if (!clock || !(this.answerIntervalMs > 0)) return true;
    let b = this.answerLimits.get(msg);
    if (!b) this.answerLimits.set(msg, (b = new TokenBucket(this.answerBurst, this.answerIntervalMs, clock.now())));
    return b.take(clock.now());
  }

  /** An authenticated request to answer above `floor`: rate-limited before the CMAC, bounded in step. */
  private onResyncRequest(f: CanFrame): void {
    if (f.dlc !== 8 || f.data.length !== 8) return void this.stats.resyncForged++;
    if (this.resyncLimit && !this.resyncLimit.take(this.options.clock!.now())) return void this.stats.resyncLimited++;
    const floor = nearestWithLow32(readLow32(f.data), this.fresh.current);
    if (!this.auth.checkRequest(f.id, f.data, floor)) return void this.stats.resyncForged++;
    const v = this.fresh.above(floor, this.maxStep);
    if (v < 0) {
      this.stats.resyncTooFar++;
      if (!this.fresh.exhausted) this.options.onAlarm?.(`CAN node ${this.node}: resync request ${floor} more than ${this.maxStep} above counter ${this.fresh.current}, refused`);
      return;
    }
    this.stats.resyncs++;
    const id = canId(MSG_SYNC, this.node);
    const data = new Uint8Array(8);
    this.auth.sealSync(id, data, v, floor);
    this.queue(id, data);
  }

  /** Builds and queues the answer to message `msg` (also usable without a request). */
  answer(msg: number): boolean {
    const def = messageByNumber(msg);
    if (!def || this.fresh.exhausted) return false;
    const value = this.options.read(def.code);
    if (value === undefined || !Number.isFinite(value)) return false;
    const fresh = this.fresh.next();
    if (fresh < 0) return false;
    const id = canId(msg, this.node);
    const data = new Uint8Array(8);
    writeU32LE(data, 0, toRawValue(def, value) >>> 0);
    this.auth.sealQuantity(id, data, fresh);
    return this.queue(id, data);
  }

  private queue(id: number, data: Uint8Array): boolean {
    const ok = this.port.send({ id, extended: false, rtr: false, dlc: 8, data });
    if (ok) this.stats.answers++;
    else this.stats.dropped++;
    return ok;
  }
}
