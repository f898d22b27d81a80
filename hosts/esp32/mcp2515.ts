import type { CanErrorEvent, CanFrame, CanPort } from "../../modules/can/can-port";
import { frameProblem } from "../../modules/can/can-port";
import { bitTiming, DLC_RTR, EFLG, INT, MODE, OP, REG, RXCTRL, SIDL_IDE, SIDL_SRR, TXCTRL } from "./mcp2515-registers";
import type { SpiTransport } from "./spi-transport";

/** One acceptance mask with its filters: a frame passes when (id & mask) === (filter & mask). */
export interface AcceptanceRule { mask: number; filters: number[]; extended: boolean }

export interface Mcp2515Options {
  oscillatorHz: number;
  bitrate: number;
  /** RXB0 (up to 2 filters) and RXB1 (up to 4 filters); omitted: accept every frame. */
  rxb0?: AcceptanceRule;
  rxb1?: AcceptanceRule;
  /** Transmit priority 0..3 of a frame (3 is sent first); default: lower identifier, higher priority. */
  priority?: (frame: CanFrame) => number;
}

const defaultPriority = (f: CanFrame): number => 3 - Math.min(3, f.extended ? f.id >>> 27 : f.id >>> 9);

/**
 * The MCP2515 CAN controller over SPI behind the CanPort. Call `service()`
 * when its INT pin goes low (or poll it): it drains the receive buffers,
 * acknowledges transmissions and reports error-state changes.
 */
export class Mcp2515 implements CanPort {
  private readonly buf = new Uint8Array(16);
  /** A received frame's bytes, apart from buf (a receiver may send, which reuses buf, inside its callback). */
  private readonly rx = new Uint8Array(8);
  /** rx's first n bytes for each DLC n, made once. */
  private readonly views: readonly Uint8Array[] = Array.from({ length: 9 }, (_, n) => this.rx.subarray(0, n));
  /** The one frame object handed to receivers, refilled per frame (CanPort: lent for the call only). */
  private readonly frame: CanFrame = { id: 0, extended: false, rtr: false, dlc: 0, data: this.views[0] };
  private frameCb: (f: CanFrame) => void = () => {};
  private errorCb: (e: CanErrorEvent) => void = () => {};
  private busOff = false;
  sent = 0;
  received = 0;

  constructor(private readonly spi: SpiTransport, private readonly options: Mcp2515Options) {}

  /** Resets the chip, programs bit timing, filters and interrupts, and enters normal mode. */
  begin(): void {
    this.command(1, OP.RESET);
    if ((this.read(REG.CANSTAT) & MODE.MASK) !== MODE.CONFIG) throw new Error("MCP2515: no chip answers (not in configuration mode after reset)");
    const t = bitTiming(this.options.oscillatorHz, this.options.bitrate);
    this.write(REG.CNF1, t.cnf1);
    this.write(REG.CNF2, t.cnf2);
    this.write(REG.CNF3, t.cnf3);
    this.setRule(REG.RXM0, [REG.RXF0, REG.RXF1], this.options.rxb0, REG.RXB0CTRL, RXCTRL.BUKT);
    this.setRule(REG.RXM1, [REG.RXF2, REG.RXF3, REG.RXF4, REG.RXF5], this.options.rxb1, REG.RXB1CTRL, 0);
    this.write(REG.CANINTE, INT.RX0 | INT.RX1 | INT.TX0 | INT.TX1 | INT.TX2 | INT.ERR);
    this.setMode(MODE.NORMAL);
  }

  setMode(mode: number): void {
    this.bitModify(REG.CANCTRL, MODE.MASK, mode);
    const now = this.read(REG.CANSTAT) & MODE.MASK;
    if (now !== mode) throw new Error(`MCP2515: mode 0x${mode.toString(16)} requested, chip reports 0x${now.toString(16)}`);
  }

  onFrame(cb: (frame: CanFrame) => void): void { this.frameCb = cb; }
  onError(cb: (event: CanErrorEvent) => void): void { this.errorCb = cb; }

  /** Loads the first free transmit buffer and requests its transmission; false when all three are busy or the bus is off. */
  send(frame: CanFrame): boolean {
    const problem = frameProblem(frame);
    if (problem) throw new RangeError(`MCP2515: ${problem}`);
    if (this.busOff) return false;
    for (let n = 0; n < 3; n++) {
      const ctrl = REG.TXB0CTRL + 16 * n;
      if (this.read(ctrl) & TXCTRL.TXREQ) continue;
      this.write(ctrl, (this.options.priority ?? defaultPriority)(frame) & TXCTRL.TXP);
      const b = this.buf;
      b[0] = OP.LOAD_TX + 2 * n;
      encodeId(frame, b, 1);
      b[5] = frame.dlc | (frame.rtr ? DLC_RTR : 0);
      const len = frame.rtr ? 0 : frame.dlc;
      for (let i = 0; i < len; i++) b[6 + i] = frame.data[i];
      this.spi.transfer(b.subarray(0, 6 + len));
      this.spi.flush(true);
      this.command(1, OP.RTS | (1 << n));
      this.sent++;
      return true;
    }
    return false;
  }

  /** Handles every pending interrupt flag; returns the number of frames received. */
  service(): number {
    let frames = 0;
    for (let guard = 0; guard < 8; guard++) {
      const flags = this.read(REG.CANINTF);
      if (flags === 0) break;
      if (flags & INT.RX0) { this.takeRx(0); frames++; }
      if (flags & INT.RX1) { this.takeRx(1); frames++; }
      const tx = flags & (INT.TX0 | INT.TX1 | INT.TX2);
      if (tx) this.bitModify(REG.CANINTF, tx, 0);
      if (flags & (INT.ERR | INT.MERR)) this.handleError(flags & (INT.ERR | INT.MERR));
    }
    return frames;
  }

  /** Transmit and receive error counters and flags, read from the chip. */
  counters(): { tec: number; rec: number; eflg: number } {
    return { tec: this.read(REG.TEC), rec: this.read(REG.REC), eflg: this.read(REG.EFLG) };
  }

  private handleError(bits: number): void {
    const { tec, rec, eflg } = this.counters();
    const state = eflg & EFLG.TXBO ? "bus-off" : eflg & (EFLG.TXEP | EFLG.RXEP) ? "error-passive" : "error-active";
    const kind = eflg & EFLG.TXBO ? "bus-off" : this.busOff ? "recovered" : eflg & (EFLG.RX0OVR | EFLG.RX1OVR) ? "overrun" : bits & INT.MERR ? "message" : "error";
    this.busOff = (eflg & EFLG.TXBO) !== 0;
    if (eflg & (EFLG.RX0OVR | EFLG.RX1OVR)) this.bitModify(REG.EFLG, EFLG.RX0OVR | EFLG.RX1OVR, 0);
    this.bitModify(REG.CANINTF, bits, 0);
    this.errorCb({ state, tec, rec, kind });
  }

  private takeRx(n: number): void {
    const b = this.buf;
    b.fill(0, 0, 14);
    b[0] = OP.READ_RX + 4 * n;
    this.spi.transfer(b.subarray(0, 14));
    this.spi.flush(true); // CS rising clears RXnIF
    const sidh = b[1], sidl = b[2];
    const extended = (sidl & SIDL_IDE) !== 0;
    const id = extended
      ? ((sidh << 21) | ((sidl >> 5) << 18) | ((sidl & 3) << 16) | (b[3] << 8) | b[4]) >>> 0
      : (sidh << 3) | (sidl >> 5);
    const rtr = extended ? (b[5] & DLC_RTR) !== 0 : (sidl & SIDL_SRR) !== 0;
    const dlc = Math.min(8, b[5] & 0x0f);
    this.received++;
    const f = this.frame;
    if (!rtr) for (let i = 0; i < 8; i++) this.rx[i] = b[6 + i];
    f.id = id;
    f.extended = extended;
    f.rtr = rtr;
    f.dlc = dlc;
    f.data = this.views[rtr ? 0 : dlc];
    this.frameCb(f);
  }

  private setRule(maskReg: number, filterRegs: number[], rule: AcceptanceRule | undefined, ctrlReg: number, extra: number): void {
    if (!rule) {
      this.write(ctrlReg, RXCTRL.RXM_ANY | extra);
      return;
    }
    if (rule.filters.length > filterRegs.length) throw new RangeError(`MCP2515: at most ${filterRegs.length} filters on this buffer`);
    this.writeId(maskReg, rule.mask, rule.extended, false);
    // Unused filters repeat the first so they accept nothing new.
    filterRegs.forEach((reg, i) => this.writeId(reg, rule.filters[Math.min(i, rule.filters.length - 1)], rule.extended, true));
    this.write(ctrlReg, extra);
  }

  private writeId(reg: number, id: number, extended: boolean, isFilter: boolean): void {
    const b = this.buf;
    b[0] = OP.WRITE;
    b[1] = reg;
    encodeId({ id, extended }, b, 2);
    if (!isFilter) b[3] &= ~SIDL_IDE; // a mask has no IDE bit
    this.spi.transfer(b.subarray(0, 6));
    this.spi.flush(true);
  }

  private read(reg: number): number {
    const b = this.buf;
    b[0] = OP.READ;
    b[1] = reg;
    b[2] = 0;
    this.spi.transfer(b.subarray(0, 3));
    this.spi.flush(true);
    return b[2];
  }

  private write(reg: number, value: number): void {
    this.command(3, OP.WRITE, reg, value);
  }

  private bitModify(reg: number, mask: number, value: number): void {
    this.command(4, OP.BIT_MODIFY, reg, mask, value);
  }

  private command(length: number, a: number, b = 0, c = 0, d = 0): void {
    const buf = this.buf;
    buf[0] = a; buf[1] = b; buf[2] = c; buf[3] = d;
    this.spi.transfer(buf.subarray(0, length));
    this.spi.flush(true);
  }
}

/** SIDH, SIDL, EID8, EID0 of an identifier, at `at` in `into`. */
function encodeId(f: { id: number; extended: boolean }, into: Uint8Array, at: number): void {
  if (f.extended) {
    into[at] = (f.id >>> 21) & 0xff;
    into[at + 1] = (((f.id >>> 18) & 7) << 5) | SIDL_IDE | ((f.id >>> 16) & 3);
    into[at + 2] = (f.id >>> 8) & 0xff;
    into[at + 3] = f.id & 0xff;
  } else {
    into[at] = f.id >>> 3;
    into[at + 1] = (f.id & 7) << 5;
    into[at + 2] = 0;
    into[at + 3] = 0;
  }
}
