import type { CanFrame } from "./can-port";

/**
 * A CAN controller modelled on the STM32's bxCAN: three transmit mailboxes
 * (the one with the lowest identifier is offered to arbitration first, ties
 * by mailbox number), two receive FIFOs of three messages (a fourth message
 * is lost and counted as an overrun) and 14 acceptance filter banks in 32-bit
 * mask mode, each assigned to FIFO 0 or 1. With no bank active every frame is
 * accepted into FIFO 0.
 */
export const TX_MAILBOXES = 3;
export const RX_FIFO_DEPTH = 3;
export const FILTER_BANKS = 14;

export interface FilterBank {
  /** Identifier and mask over (id, extended, rtr): a bit set in the mask must match. */
  id: number;
  mask: number;
  /** Also compare the RTR bit (bxCAN can). */
  rtr?: boolean;
  rtrMask?: boolean;
  extended?: boolean;
  fifo: 0 | 1;
}

export class BxCanController {
  readonly mailboxes: (CanFrame | undefined)[] = [undefined, undefined, undefined];
  readonly fifos: CanFrame[][] = [[], []];
  readonly filters: (FilterBank | undefined)[] = new Array(FILTER_BANKS).fill(undefined);
  overruns = 0;
  filtered = 0;

  /** Puts a frame in a free mailbox; false when all three are busy. */
  queue(frame: CanFrame): boolean {
    for (let i = 0; i < TX_MAILBOXES; i++) {
      if (!this.mailboxes[i]) {
        this.mailboxes[i] = frame;
        return true;
      }
    }
    return false;
  }

  /** The mailbox offered to arbitration: lowest identifier, then lowest mailbox number. */
  nextMailbox(): number {
    let best = -1;
    for (let i = 0; i < TX_MAILBOXES; i++) {
      const f = this.mailboxes[i];
      if (f && (best < 0 || f.id < this.mailboxes[best]!.id)) best = i;
    }
    return best;
  }

  /** Frees a mailbox after a successful transmission. */
  complete(mailbox: number): void {
    this.mailboxes[mailbox] = undefined;
  }

  get pendingTx(): number {
    let n = 0;
    for (const f of this.mailboxes) if (f) n++;
    return n;
  }

  setFilter(bank: number, filter: FilterBank | undefined): void {
    if (!(bank >= 0 && bank < FILTER_BANKS)) throw new RangeError(`filter bank ${bank} not in 0..${FILTER_BANKS - 1}`);
    this.filters[bank] = filter;
  }

  /** The FIFO a received frame goes to, or -1 when no filter accepts it. */
  match(frame: CanFrame): number {
    let any = false;
    for (const f of this.filters) {
      if (!f) continue;
      any = true;
      if ((f.extended ?? false) !== frame.extended) continue;
      if (((frame.id ^ f.id) & f.mask) !== 0) continue;
      if (f.rtrMask && (f.rtr ?? false) !== frame.rtr) continue;
      return f.fifo;
    }
    return any ? -1 : 0;
  }

  /** Stores a received frame; false when filtered out or lost to an overrun. */
  receive(frame: CanFrame): boolean {
    const fifo = this.match(frame);
    if (fifo < 0) {
      this.filtered++;
      return false;
    }
    const q = this.fifos[fifo];
    if (q.length >= RX_FIFO_DEPTH) {
      this.overruns++;
      return false;
    }
    q.push(frame);
    return true;
  }

  /** Takes the oldest frame, FIFO 0 first. */
  take(): CanFrame | undefined {
    return this.fifos[0].shift() ?? this.fifos[1].shift();
  }
}
