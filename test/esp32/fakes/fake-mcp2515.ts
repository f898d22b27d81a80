// A fake MCP2515 after its datasheet (DS20001801): the SPI instruction set,
// configuration-mode-only registers, three transmit buffers sent by TXP
// priority (then higher buffer number), two receive buffers with masks,
// filters, rollover and overflow, interrupt flags, TEC/REC and bus-off.
import type { CanFrame } from "../../../modules/can/can-port";
import type { SpiTransport } from "../../../hosts/esp32/spi-transport";

const CANSTAT = 0x0e, CANCTRL = 0x0f, TEC = 0x1c, REC = 0x1d, CANINTE = 0x2b, CANINTF = 0x2c, EFLG = 0x2d;
const BIT_MODIFIABLE = new Set([0x0c, 0x0d, CANCTRL, 0x28, 0x29, 0x2a, CANINTE, CANINTF, EFLG, 0x30, 0x40, 0x50, 0x60, 0x70]);
const CONFIG_ONLY = (a: number): boolean => a < 0x0e || (a >= 0x10 && a < 0x1c) || (a >= 0x20 && a < 0x28) || (a >= 0x28 && a <= 0x2a);

export class FakeMcp2515 implements SpiTransport {
  readonly r = new Uint8Array(128);
  /** Frames that went out on the bus, in bus order. */
  readonly sent: CanFrame[] = [];
  /** Nobody acknowledges: every attempt is an ACK error (TEC += 8). */
  noAck = false;
  ignoredWrites = 0;
  private rxCleared = 0;

  constructor() { this.reset(); }

  get intPinLow(): boolean { return (this.r[CANINTF] & this.r[CANINTE]) !== 0; }
  get mode(): number { return this.r[CANSTAT] & 0xe0; }

  reset(): void {
    this.r.fill(0);
    this.r[CANCTRL] = 0x87;
    this.r[CANSTAT] = 0x80;
  }

  transfer(b: Uint8Array): void {
    const op = b[0];
    if (op === 0xc0) this.reset();
    else if (op === 0x03) for (let i = 2; i < b.length; i++) b[i] = this.r[(b[1] + i - 2) & 0x7f];
    else if (op === 0x02) for (let i = 2; i < b.length; i++) this.writeReg(b[1] + i - 2, b[i]);
    else if (op === 0x05) {
      // Only some registers take a bit mask; on the others BIT MODIFY acts as a write (mask forced to 0xFF).
      const mask = BIT_MODIFIABLE.has(b[1] & 0x7f) ? b[2] : 0xff;
      this.writeReg(b[1], (this.r[b[1] & 0x7f] & ~mask) | (b[3] & mask));
    }
    else if ((op & 0xf8) === 0x40) {
      const base = [0x31, 0x36, 0x41, 0x46, 0x51, 0x56][op & 7];
      for (let i = 1; i < b.length; i++) this.r[base + i - 1] = b[i];
    } else if ((op & 0xf8) === 0x80) {
      for (let n = 0; n < 3; n++) if (op & (1 << n)) this.r[0x30 + 16 * n] |= 0x08;
    } else if ((op & 0xf9) === 0x90) {
      const n = (op >> 2) & 1, start = 0x61 + 16 * n + (op & 2 ? 4 : 0);
      for (let i = 1; i < b.length; i++) b[i] = this.r[start + i - 1];
      this.rxCleared |= 1 << n; // cleared when CS rises
    } else if (op === 0xa0) {
      const f = this.r[CANINTF];
      b[1] = (f & 3) | ((this.r[0x30] & 8) >> 1) | ((f & 4) << 1) | ((this.r[0x40] & 8) << 1) | ((f & 8) << 2) | ((this.r[0x50] & 8) << 3) | ((f & 0x10) << 3);
    } else throw new Error(`fake MCP2515: unknown instruction 0x${op.toString(16)}`);
  }

  flush(deselect?: boolean): void {
    if (deselect && this.rxCleared) { this.r[CANINTF] &= ~this.rxCleared; this.rxCleared = 0; }
  }

  private writeReg(a: number, v: number): void {
    a &= 0x7f;
    if (CONFIG_ONLY(a) && this.mode !== 0x80) { this.ignoredWrites++; return; }
    if (a === CANSTAT || a === TEC || a === REC) return; // read-only
    if (a === EFLG) { this.r[a] = (this.r[a] & 0x3f) | (v & this.r[a] & 0xc0); return; } // only RXnOVR clear
    this.r[a] = v;
    if (a === CANCTRL) {
      const req = v & 0xe0;
      if (!(this.r[EFLG] & 0x20) || req === 0x80) this.r[CANSTAT] = (this.r[CANSTAT] & 0x1f) | req;
    }
  }

  /** The bus side: transmits every pending buffer in priority order. */
  runBus(): void {
    if (this.mode !== 0x00 && this.mode !== 0x40) return;
    for (;;) {
      let best = -1, bestP = -1;
      for (let n = 0; n < 3; n++) {
        const ctrl = this.r[0x30 + 16 * n];
        if (ctrl & 0x08 && (ctrl & 3) >= bestP) { best = n; bestP = ctrl & 3; }
      }
      if (best < 0 || this.r[EFLG] & 0x20) return;
      const base = 0x30 + 16 * best;
      if (this.noAck) {
        this.r[base] |= 0x10; // TXERR
        this.addTec(8);
        if (this.r[EFLG] & 0x20) return;
        continue;
      }
      this.sent.push(this.decode(base + 1));
      this.r[base] &= ~0x18;
      this.r[CANINTF] |= 0x04 << best;
      if (this.r[TEC] > 0) this.setTec(this.r[TEC] - 1);
    }
  }

  /** A frame arrives from the bus; returns where it went. */
  receive(f: CanFrame): "rxb0" | "rxb1" | "overflow" | "rejected" {
    if (this.mode !== 0x00 && this.mode !== 0x60) return "rejected";
    const hit0 = this.accepts(0, f), hit1 = this.accepts(1, f);
    const bukt = (this.r[0x60] & 0x04) !== 0;
    let target = -1;
    if (hit0 && !(this.r[CANINTF] & 1)) target = 0;
    else if ((hit0 && bukt && !(this.r[CANINTF] & 2)) || (hit1 && !(this.r[CANINTF] & 2))) target = 1;
    if (target < 0) {
      if (!hit0 && !hit1) return "rejected";
      this.r[EFLG] |= hit0 && !bukt ? 0x40 : 0x80;
      this.r[CANINTF] |= 0x20;
      return "overflow";
    }
    this.encode(0x61 + 16 * target, f);
    this.r[CANINTF] |= 1 << target;
    return target === 0 ? "rxb0" : "rxb1";
  }

  /** Error confinement (ISO 11898-1): TEC > 127 error passive, > 255 bus off. */
  addTec(n: number): void { this.setTec(this.r[TEC] + n); }

  /** 128 × 11 recessive bits seen: back to error active with counters at 0. */
  completeBusOffRecovery(): void {
    if (!(this.r[EFLG] & 0x20)) return;
    this.r[TEC] = 0;
    this.r[REC] = 0;
    this.r[EFLG] &= 0xc0;
    this.r[CANINTF] |= 0x20;
  }

  private setTec(v: number): void {
    const before = this.r[EFLG];
    if (v > 255) {
      this.r[TEC] = 255;
      this.r[EFLG] |= 0x20;
      for (let n = 0; n < 3; n++) this.r[0x30 + 16 * n] &= ~0x08; // bus off aborts pending transmissions
    } else this.r[TEC] = v;
    const t = this.r[TEC];
    this.r[EFLG] = (this.r[EFLG] & ~0x15) | (t >= 96 ? 0x05 : 0) | (t > 127 ? 0x10 : 0);
    if (this.r[EFLG] !== before) this.r[CANINTF] |= 0x20;
  }

  private accepts(n: number, f: CanFrame): boolean {
    const ctrl = this.r[0x60 + 16 * n];
    if ((ctrl & 0x60) === 0x60) return true;
    const mask = this.idAt(n === 0 ? 0x20 : 0x24, f.extended);
    const filters = n === 0 ? [0x00, 0x04] : [0x08, 0x10, 0x14, 0x18];
    return filters.some((a) => {
      const ext = (this.r[a + 1] & 0x08) !== 0;
      return ext === f.extended && ((this.idAt(a, f.extended) ^ f.id) & mask) === 0;
    });
  }

  private idAt(a: number, extended: boolean): number {
    const r = this.r;
    const sid = (r[a] << 3) | (r[a + 1] >> 5);
    return extended ? ((sid << 18) | ((r[a + 1] & 3) << 16) | (r[a + 2] << 8) | r[a + 3]) >>> 0 : sid;
  }

  private decode(a: number): CanFrame {
    const r = this.r;
    const extended = (r[a + 1] & 0x08) !== 0;
    const rtr = (r[a + 4] & 0x40) !== 0;
    const dlc = r[a + 4] & 0x0f;
    return { id: this.idAt(a, extended), extended, rtr, dlc, data: rtr ? new Uint8Array(0) : r.slice(a + 5, a + 5 + dlc) };
  }

  private encode(a: number, f: CanFrame): void {
    const r = this.r;
    const sid = f.extended ? f.id >>> 18 : f.id;
    r[a] = sid >> 3;
    r[a + 1] = ((sid & 7) << 5) | (f.extended ? 0x08 | ((f.id >>> 16) & 3) : f.rtr ? 0x10 : 0);
    r[a + 2] = f.extended ? (f.id >>> 8) & 0xff : 0;
    r[a + 3] = f.extended ? f.id & 0xff : 0;
    r[a + 4] = f.dlc | (f.extended && f.rtr ? 0x40 : 0);
    r.set(f.data, a + 5);
  }
}
