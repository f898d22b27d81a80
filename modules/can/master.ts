import type { Clock, TimerId } from "../core/clock";
import type { ObisCode } from "../core/obis";
import { readU32LE } from "../core/bytes";
import type { CanFrame, CanPort } from "./can-port";
import { BROADCAST, MAX_NODE, MESSAGES, MSG_RESYNC, MSG_SYNC, canId, fromRawValue, messageByNumber, messageForCode, msgOf, nodeOf, type MessageDef } from "./protocol";
import { FrameAuthenticator, aboveWithLow32, readLow32 } from "./authenticator";
import { FreshnessReceiver } from "../secure/freshness";
import type { FlashCounterStore } from "../secure/counter-store";
import { FailureGuard, type FailureGuardOptions, type LockState } from "../secure/failure-guard";
import { canNodeKey } from "../secure/node-keys";
import type { BlockCipherFactory } from "../secure/block-cipher";

export interface CanMasterOptions {
  clock: Clock;
  networkKey: Uint8Array;
  /** The AES behind each slave's CMAC (default the TypeScript AES; the board passes its native cipher). */
  cipher?: BlockCipherFactory;
  /** Persists the last accepted freshness per slave (keys 1..63). */
  store: FlashCounterStore;
  /** Quantities to read each cycle (default: every message of the protocol). */
  codes?: readonly ObisCode[];
  /** Slaves known in advance (others are discovered when they answer). */
  slaves?: readonly number[];
  /** Wait for answers to one request (ms). */
  timeoutMs?: number;
  /** Unicast retries for a slave that did not answer a broadcast. */
  retries?: number;
  /** A slave is reported missing after this many cycles without any answer. */
  missingAfterCycles?: number;
  guard?: FailureGuardOptions;
  /**
   * Frames of a locked identifier still verified per request, when they answer it from a
   * slave it waits for (default 2): the genuine slave's answer gets through a lock-out
   * that forgeries caused, and a brute force gets at most this many guesses per request.
   */
  lockedChecksPerRequest?: number;
  onReading?: (node: number, code: ObisCode, value: number, at: number) => void;
  onMissing?: (node: number) => void;
  onDiscovered?: (node: number) => void;
  onAuthFailure?: (id: number, reason: string) => void;
  onAlarm?: (id: number, failures: number) => void;
  onCycle?: (result: CycleResult) => void;
}

export interface CycleResult {
  cycle: number;
  startMs: number;
  endMs: number;
  /** Answers accepted this cycle, and time from its request to each (ms). */
  answers: { node: number; code: ObisCode; latencyMs: number }[];
  missing: number[];
}

export interface MasterStats {
  cycles: number;
  requests: number;
  accepted: number;
  retries: number;
  timeouts: number;
  authFailures: number;
  replays: number;
  lockedDrops: number;
  /** Authentic answers taken from a locked identifier (the request's own answer). */
  lockedAccepted: number;
  /** Authenticated resync requests sent; sync frames without a request of ours (refused). */
  resyncRequests: number;
  unsolicitedSyncs: number;
  alarms: number;
}

/** An identifier of a slave's quantity that is locked out: its value is stale since `since`. */
export interface Lockout extends LockState {
  id: number;
  code?: ObisCode;
}

interface SlaveState {
  node: number;
  auth: FrameAuthenticator;
  fresh: FreshnessReceiver;
  lastSeenCycle: number;
  missing: boolean;
  values: Map<ObisCode, { value: number; at: number }>;
  /** The floor of our outstanding resync request (a sync answer must be bound to it), or -1. */
  resyncFloor: number;
}

/**
 * The master poller: per cycle, for each quantity a broadcast remote frame,
 * then unicast retries to known slaves that stayed silent; verifies every
 * answer (MAC, freshness strictly increasing, lockout after repeated
 * failures); discovers new slaves and reports missing ones.
 */
export class CanMaster {
  readonly stats: MasterStats = { cycles: 0, requests: 0, accepted: 0, retries: 0, timeouts: 0, authFailures: 0, replays: 0, lockedDrops: 0, lockedAccepted: 0, resyncRequests: 0, unsolicitedSyncs: 0, alarms: 0 };
  private readonly slaves = new Map<number, SlaveState>();
  private readonly guard: FailureGuard;
  private readonly defs: MessageDef[];
  /** The quantities of the cycle running (defs, or the ones given to pollCycle). */
  private cycleDefs: MessageDef[];
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly missingAfter: number;
  private readonly lockedChecks: number;
  /** Locked frames verified for the request in flight. */
  private lockedChecked = 0;
  private running = false;
  private periodTimer: TimerId | undefined;
  // state of the request in flight
  private current: MessageDef | undefined;
  private pending = new Set<number>();
  private requestAt = 0;
  private attempt = 0;
  private waitTimer: TimerId | undefined;
  private defIndex = 0;
  private result: CycleResult | undefined;
  private done: ((r: CycleResult) => void) | undefined;

  constructor(private readonly port: CanPort, private readonly options: CanMasterOptions) {
    this.timeoutMs = options.timeoutMs ?? 20;
    this.retries = options.retries ?? 2;
    this.missingAfter = options.missingAfterCycles ?? 2;
    this.lockedChecks = options.lockedChecksPerRequest ?? 2;
    this.defs = (options.codes ?? MESSAGES.map((m) => m.code)).map((c) => this.defFor(c));
    this.cycleDefs = this.defs;
    this.guard = new FailureGuard({
      ...options.guard,
      onAlarm: (id, n) => {
        this.stats.alarms++;
        options.onAlarm?.(id, n);
      },
    });
    for (const n of options.slaves ?? []) this.slave(n);
    // slaves this master accepted frames from before a reset: known, and asked to resync
    for (const n of options.store.keys()) if (n >= 1 && n <= MAX_NODE) this.slave(n);
    port.onFrame((f) => this.onFrame(f));
  }

  /** Nodes known to the master (answered once, or configured). */
  get knownSlaves(): number[] {
    return [...this.slaves.keys()].sort((a, b) => a - b);
  }

  get missingSlaves(): number[] {
    return [...this.slaves.values()].filter((s) => s.missing).map((s) => s.node).sort((a, b) => a - b);
  }

  /** Latest accepted value of a slave's quantity. */
  value(node: number, code: ObisCode): { value: number; at: number } | undefined {
    return this.slaves.get(node)?.values.get(messageForCode(code)?.code ?? code);
  }

  failures(id: number): number {
    return this.guard.failures(id);
  }

  /** The slave's identifiers locked out now (their values are stale): what the page, display and MQTT show. */
  lockouts(node: number, now = this.options.clock.now()): Lockout[] {
    const out: Lockout[] = [];
    for (const msg of [MSG_SYNC, ...this.cycleIds()]) {
      const id = canId(msg, node);
      const l = this.guard.lockState(id, now);
      if (l) out.push({ id, code: messageByNumber(msg)?.code, ...l });
    }
    return out;
  }

  private cycleIds(): number[] {
    return [...this.defs, ...this.cycleDefs].map((d) => d.msg).filter((m, i, a) => a.indexOf(m) === i);
  }

  /** Polls every `periodMs` (a cycle still running when the next is due is not restarted). */
  start(periodMs: number): void {
    this.stop();
    this.periodTimer = this.options.clock.every(periodMs, () => {
      if (!this.running) this.pollCycle();
    });
  }

  stop(): void {
    if (this.periodTimer !== undefined) this.options.clock.cancel(this.periodTimer);
    this.periodTimer = undefined;
  }

  /**
   * Runs one poll cycle; `done` (and onCycle) get its result. `codes` reads
   * other quantities than the configured ones for this cycle only (e.g. the
   * 10-min aggregate, protocol PQ10_CODES, once per 10 min).
   */
  pollCycle(done?: (r: CycleResult) => void, codes?: readonly ObisCode[]): void {
    if (this.running) throw new Error("a poll cycle is already running");
    this.cycleDefs = codes ? codes.map((c) => this.defFor(c)) : this.defs;
    this.running = true;
    this.done = done;
    this.stats.cycles++;
    const now = this.options.clock.now();
    this.result = { cycle: this.stats.cycles, startMs: now, endMs: now, answers: [], missing: [] };
    // a slave whose receiver state was restored after a reset must resync first
    let resyncs = 0;
    for (const s of this.slaves.values()) if (s.fresh.needsResync) this.requestResync(s), resyncs++;
    this.defIndex = 0;
    // the requests (message 22) lose arbitration to the polls: give the sync answers one timeout first
    if (resyncs > 0) this.waitTimer = this.options.clock.after(this.timeoutMs, () => {
      this.waitTimer = undefined;
      this.nextRequest();
    });
    else this.nextRequest();
  }

  private defFor(code: ObisCode): MessageDef {
    const d = messageForCode(code);
    if (!d) throw new Error(`no CAN message for OBIS ${code}`);
    return d;
  }

  private slave(node: number): SlaveState {
    let s = this.slaves.get(node);
    if (!s) {
      const key = canNodeKey(this.options.networkKey, node);
      s = { node, auth: new FrameAuthenticator(key, this.options.cipher), fresh: new FreshnessReceiver(this.options.store, node), lastSeenCycle: this.stats.cycles, missing: false, values: new Map(), resyncFloor: -1 };
      this.slaves.set(node, s);
    }
    return s;
  }

  /** An authenticated request: "send me a sync frame above my last accepted value" (the floor binds the answer). */
  private requestResync(s: SlaveState): void {
    const floor = s.fresh.lastAccepted;
    const id = canId(MSG_RESYNC, s.node);
    const data = new Uint8Array(8);
    s.auth.sealRequest(id, data, floor);
    s.resyncFloor = floor;
    this.stats.requests++;
    this.stats.resyncRequests++;
    this.port.send({ id, extended: false, rtr: false, dlc: 8, data });
  }

  private send(msg: number, node: number): void {
    this.stats.requests++;
    this.port.send({ id: canId(msg, node), extended: false, rtr: true, dlc: 8, data: new Uint8Array(0) });
  }

  private nextRequest(): void {
    if (this.defIndex >= this.cycleDefs.length) return this.finishCycle();
    this.current = this.cycleDefs[this.defIndex++];
    // missing slaves hear the broadcast (and come back by answering it) but get no retries
    this.pending = new Set([...this.slaves.values()].filter((s) => !s.missing).map((s) => s.node));
    this.attempt = 0;
    this.lockedChecked = 0;
    this.requestAt = this.options.clock.now();
    this.send(this.current.msg, BROADCAST);
    this.arm();
  }

  private arm(): void {
    this.waitTimer = this.options.clock.after(this.timeoutMs, () => this.onTimeout());
  }

  private onTimeout(): void {
    this.waitTimer = undefined;
    if (this.pending.size === 0) return this.nextRequest();
    this.stats.timeouts++;
    if (this.attempt < this.retries && this.current) {
      this.attempt++;
      for (const n of this.pending) {
        this.stats.retries++;
        this.send(this.current.msg, n);
      }
      this.arm();
    } else this.nextRequest();
  }

  private finishCycle(): void {
    const r = this.result!;
    for (const s of this.slaves.values()) {
      const silent = this.stats.cycles - s.lastSeenCycle;
      if (!s.missing && silent >= this.missingAfter) {
        s.missing = true;
        this.options.onMissing?.(s.node);
      }
      if (s.missing) r.missing.push(s.node);
    }
    r.endMs = this.options.clock.now();
    this.running = false;
    this.current = undefined;
    this.options.onCycle?.(r);
    const done = this.done;
    this.done = undefined;
    done?.(r);
  }

  private onFrame(f: CanFrame): void {
    if (f.rtr || f.extended) return;
    const node = nodeOf(f.id);
    const msg = msgOf(f.id);
    // node 0 is ours; message 22 is our own resync request (a forged one is the slave's business)
    if (node === BROADCAST || node > MAX_NODE || msg === MSG_RESYNC) return;
    const now = this.options.clock.now();
    const locked = this.guard.locked(f.id, now);
    if (locked && !this.mayCheckLocked(node, msg)) {
      this.stats.lockedDrops++;
      return;
    }
    if (f.dlc !== 8 || f.data.length !== 8) return this.reject(f.id, now, "length");
    const def = msg === MSG_SYNC ? undefined : messageByNumber(msg);
    if (msg !== MSG_SYNC && !def) return this.reject(f.id, now, "unknown message");
    const known = this.slaves.has(node);
    const s = known ? this.slaves.get(node)! : this.peek(node);
    if (msg === MSG_SYNC) {
      // only the answer to our own request: the floor we sent is in its MAC
      if (!known || s.resyncFloor < 0) {
        this.stats.unsolicitedSyncs++;
        return;
      }
      const full = aboveWithLow32(readLow32(f.data), s.resyncFloor);
      if (!s.auth.checkSync(f.id, f.data, full, s.resyncFloor)) return this.reject(f.id, now, "mac", s, known);
      if (!(full > s.fresh.lastAccepted)) return this.reject(f.id, now, "replay", s, known);
      s.fresh.accept(full);
      s.resyncFloor = -1;
      return this.seen(s, known);
    }
    const full = s.fresh.candidate(f.data[4]);
    if (!s.auth.checkQuantity(f.id, f.data, full)) {
      if (full > 256 && s.auth.checkQuantity(f.id, f.data, full - 256)) return this.reject(f.id, now, "replay", s, known);
      // either forged, or a genuine sender more than 255 values ahead: ask for a resync (it proves itself with a full-freshness MAC)
      if (known) s.fresh.needsResync = true;
      return this.reject(f.id, now, "mac", s, known);
    }
    s.fresh.accept(full);
    if (locked) this.stats.lockedAccepted++;
    this.seen(s, known);
    const value = fromRawValue(def!, readU32LE(f.data, 0) | 0);
    s.values.set(def!.code, { value, at: now });
    this.stats.accepted++;
    this.options.onReading?.(node, def!.code, value, now);
    if (this.current && def === this.current && this.pending.delete(node)) {
      this.result?.answers.push({ node, code: def!.code, latencyMs: now - this.requestAt });
      if (this.pending.size === 0 && this.waitTimer !== undefined) {
        this.options.clock.cancel(this.waitTimer);
        this.waitTimer = undefined;
        this.nextRequest();
      }
    }
  }

  /** A locked identifier's frame is verified only as the answer to our request in flight, a few per request. */
  private mayCheckLocked(node: number, msg: number): boolean {
    if (!this.current || this.current.msg !== msg || !this.pending.has(node) || this.lockedChecked >= this.lockedChecks) return false;
    this.lockedChecked++;
    return true;
  }

  /** A candidate state for an unknown node; kept only when its frame authenticates. */
  private peek(node: number): SlaveState {
    const key = canNodeKey(this.options.networkKey, node);
    return { node, auth: new FrameAuthenticator(key, this.options.cipher), fresh: new FreshnessReceiver(this.options.store, node), lastSeenCycle: this.stats.cycles, missing: false, values: new Map(), resyncFloor: -1 };
  }

  private seen(s: SlaveState, known: boolean): void {
    if (!known) {
      this.slaves.set(s.node, s);
      this.options.onDiscovered?.(s.node);
    }
    s.lastSeenCycle = this.stats.cycles;
    if (s.missing) s.missing = false;
  }

  private reject(id: number, now: number, reason: string, s?: SlaveState, known?: boolean): void {
    if (reason === "replay") this.stats.replays++;
    else this.stats.authFailures++;
    this.guard.fail(id, now);
    this.options.onAuthFailure?.(id, reason);
    void s;
    void known;
  }
}
