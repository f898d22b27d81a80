/** MCP2515 SPI instructions and registers (Microchip DS20001801, sections 11 and 12). */
export const OP = Object.freeze({
  RESET: 0xc0, READ: 0x03, WRITE: 0x02, BIT_MODIFY: 0x05, READ_STATUS: 0xa0,
  /** LOAD TX BUFFER n at TXBnSIDH: 0x40, 0x42, 0x44. */
  LOAD_TX: 0x40,
  /** REQUEST TO SEND: 0x80 | (1 << n). */
  RTS: 0x80,
  /** READ RX BUFFER n from RXBnSIDH: 0x90, 0x94 (clears RXnIF when CS rises). */
  READ_RX: 0x90,
});

export const REG = Object.freeze({
  RXF0: 0x00, RXF1: 0x04, RXF2: 0x08, RXF3: 0x10, RXF4: 0x14, RXF5: 0x18,
  RXM0: 0x20, RXM1: 0x24,
  CANSTAT: 0x0e, CANCTRL: 0x0f, TEC: 0x1c, REC: 0x1d,
  CNF3: 0x28, CNF2: 0x29, CNF1: 0x2a, CANINTE: 0x2b, CANINTF: 0x2c, EFLG: 0x2d,
  /** TXBnCTRL at 0x30/0x40/0x50, RXBnCTRL at 0x60/0x70; SIDH at +1 … D7 at +13. */
  TXB0CTRL: 0x30, RXB0CTRL: 0x60, RXB1CTRL: 0x70,
});

export const MODE = Object.freeze({ NORMAL: 0x00, SLEEP: 0x20, LOOPBACK: 0x40, LISTEN: 0x60, CONFIG: 0x80, MASK: 0xe0 });

export const INT = Object.freeze({ RX0: 0x01, RX1: 0x02, TX0: 0x04, TX1: 0x08, TX2: 0x10, ERR: 0x20, WAK: 0x40, MERR: 0x80 });
export const EFLG = Object.freeze({ EWARN: 0x01, RXWAR: 0x02, TXWAR: 0x04, RXEP: 0x08, TXEP: 0x10, TXBO: 0x20, RX0OVR: 0x40, RX1OVR: 0x80 });
export const TXCTRL = Object.freeze({ TXP: 0x03, TXREQ: 0x08, TXERR: 0x10, MLOA: 0x20, ABTF: 0x40 });
/** RXB0CTRL: BUKT lets a frame roll over into RXB1 when RXB0 is full; RXM=11 turns filters off. */
export const RXCTRL = Object.freeze({ BUKT: 0x04, RXM_ANY: 0x60 });
export const SIDL_IDE = 0x08;
export const SIDL_SRR = 0x10;
export const DLC_RTR = 0x40;

export interface BitTiming { cnf1: number; cnf2: number; cnf3: number; tq: number; samplePoint: number }

/**
 * CNF1..3 for a bit rate: TQ = 2·(BRP+1)/Fosc; a bit is 1 (sync) + PropSeg +
 * PS1 + PS2 quanta. Prefers 16 quanta a bit and a sample point near 75 %
 * (CiA 301's recommendation up to 800 kbit/s), SJW 1.
 */
export function bitTiming(oscillatorHz: number, bitrate: number): BitTiming {
  for (const tq of [16, 15, 17, 14, 18, 12, 20, 10, 8, 25]) {
    const brp = oscillatorHz / (2 * tq * bitrate) - 1;
    if (!Number.isInteger(brp) || brp < 0 || brp > 63) continue;
    const ps2 = Math.max(2, Math.round(tq * 0.25));
    const rest = tq - 1 - ps2;
    const ps1 = Math.min(8, Math.max(ps2, Math.ceil(rest / 2)));
    const prop = rest - ps1;
    if (prop < 1 || prop > 8 || ps1 > 8 || ps2 > 8) continue;
    return {
      cnf1: brp, // SJW = 1
      cnf2: 0x80 | ((ps1 - 1) << 3) | (prop - 1), // BTLMODE: PS2 from CNF3
      cnf3: ps2 - 1,
      tq,
      samplePoint: (1 + prop + ps1) / tq,
    };
  }
  throw new RangeError(`MCP2515: no bit timing for ${bitrate} bit/s from a ${oscillatorHz} Hz oscillator`);
}
