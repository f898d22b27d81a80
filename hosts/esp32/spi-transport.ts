/**
 * The part of ECMA-419's SPI class the drivers use: `transfer` sends the
 * buffer and replaces its bytes with those received (full duplex); `flush(true)`
 * ends the transaction by deselecting the chip. An `embedded:io/spi` instance
 * fits this as it is; the tests give a fake chip.
 */
export interface SpiTransport {
  transfer(buffer: Uint8Array): void;
  flush(deselect?: boolean): void;
}
