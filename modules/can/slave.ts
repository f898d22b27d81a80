import type { Clock } from "../core/clock";
import type { ObisCode } from "../core/obis";
import { writeU32LE } from "../core/bytes";
import type { CanFrame, CanPort } from "./can-port";
import { BROADCAST, MSG_SYNC, canId, messageByNumber, msgOf, nodeOf, toRawValue } from "./protocol";
import { FrameAuthenticator } from "./authenticator";
import { FreshnessSender } from "../secure/freshness";
import type { FlashCounterStore } from "../secure/counter-store";
import { canNodeKey } from "../secure/node-keys";

export interface CanSlaveOptions {
  /** Node number 1..63 (also its priority among answers: lower answers first). */
  node: number;
  /** The network key; the slave derives its own key from it (or give `nodeKey`). */
  networkKey?: Uint8Array;
  nodeKey?: Uint8Array;
  /** Where the freshness counter survives resets. */
  store: FlashCounterStore;
  /** Current value of an OBIS code, or undefined when this meter does not have it. */
  read: (code: ObisCode) => number | undefined;
  /** Needed with `processingMs` > 0: the modelled time from request to answer queued. */
  clock?: Clock;
  processingMs?: number;
}

/**
 * The slave responder: answers the master's remote frames (broadcast or to
 * its node) with an authenticated data frame, and a resync request with a
 * sync frame carrying the full freshness value of a fresh block.
 */
export class CanSlave {
  readonly node: number;
  private readonly auth: FrameAuthenticator;
  private readonly fresh: FreshnessSender;
  answers = 0;
  dropped = 0;

  constructor(private readonly port: CanPort, private readonly options: CanSlaveOptions) {
    if (!(options.node >= 1 && options.node <= 63)) throw new RangeError(`slave node ${options.node} not in 1..63`);
    const key = options.nodeKey ?? (options.networkKey && canNodeKey(options.networkKey, options.node));
    if (!key) throw new Error("CanSlave needs networkKey or nodeKey");
    this.node = options.node;
    this.auth = new FrameAuthenticator(key);
    this.fresh = new FreshnessSender(options.store, options.node);
    port.onFrame((f) => this.onFrame(f));
  }

  get freshness(): number {
    return this.fresh.current;
  }

  private onFrame(f: CanFrame): void {
    if (!f.rtr || f.extended) return;
    const target = nodeOf(f.id);
    if (target !== BROADCAST && target !== this.node) return;
    const msg = msgOf(f.id);
    const run = (): void => {
      this.answer(msg);
    };
    const delay = this.options.processingMs ?? 0;
    if (delay > 0 && this.options.clock) this.options.clock.after(delay, run);
    else run();
  }

  /** Builds and queues the answer to message `msg` (also usable without a request). */
  answer(msg: number): boolean {
    const id = canId(msg, this.node);
    const data = new Uint8Array(8);
    if (msg === MSG_SYNC) {
      this.auth.sealSync(id, data, this.fresh.jumpToNextBlock());
    } else {
      const def = messageByNumber(msg);
      if (!def) return false;
      const value = this.options.read(def.code);
      if (value === undefined || !Number.isFinite(value)) return false;
      writeU32LE(data, 0, toRawValue(def, value) >>> 0);
      this.auth.sealQuantity(id, data, this.fresh.next());
    }
    const ok = this.port.send({ id, extended: false, rtr: false, dlc: 8, data });
    if (ok) this.answers++;
    else this.dropped++;
    return ok;
  }
}
