/**
 * Ports shared by several rooms of modules/. A host implements them for one
 * runtime (hosts/node: simulators; hosts/esp32: the board). Ports used by one
 * room only live beside their user (CanPort in can/, Canvas in ui/).
 */

/**
 * NOR flash (SPI NOR as on ESP32 boards): erase sets a whole sector to 0xFF;
 * program can only clear bits (new = old & data) and must not cross a page.
 * A power cut may leave a program or erase half done ("torn bits"). Offsets
 * are relative to the partition.
 */
export interface Flash {
  readonly size: number;
  /** Erase unit, 4096 on SPI NOR. */
  readonly sectorSize: number;
  /** Largest program unit, 256 on SPI NOR. */
  readonly pageSize: number;
  /** Copies `into.length` bytes starting at `offset` into `into`. */
  read(offset: number, into: Uint8Array): void;
  /** Programs bytes (AND semantics) within one page. */
  program(offset: number, data: Uint8Array): void;
  /** Erases the sector with the given index (offset / sectorSize). */
  eraseSector(sector: number): void;
}

/** A window onto part of a flash (a partition), so each user owns its sectors. */
export function flashPartition(flash: Flash, offset: number, size: number): Flash {
  if (offset % flash.sectorSize !== 0 || size % flash.sectorSize !== 0 || offset + size > flash.size) {
    throw new RangeError(`partition ${offset}+${size} not sector-aligned inside flash of ${flash.size}`);
  }
  const first = offset / flash.sectorSize;
  const check = (at: number, length: number): void => {
    if (at < 0 || at + length > size) throw new RangeError(`flash access ${at}+${length} outside partition of ${size}`);
  };
  return {
    size,
    sectorSize: flash.sectorSize,
    pageSize: flash.pageSize,
    read(at, into) {
      check(at, into.length);
      flash.read(offset + at, into);
    },
    program(at, data) {
      check(at, data.length);
      flash.program(offset + at, data);
    },
    eraseSector(sector) {
      check(sector * flash.sectorSize, flash.sectorSize);
      flash.eraseSector(first + sector);
    },
  };
}

/**
 * A TCP connection, shaped after ECMA-419's embedded:io/socket/tcp so the
 * board's adapter is thin. Bytes arrive through the handlers given at creation.
 */
export interface Socket {
  /** Queues bytes to send; returns false once the host's buffer is over its limit (back-pressure). */
  write(bytes: Uint8Array): boolean;
  /** Bytes queued but not yet sent. */
  readonly pending: number;
  /** Closes after queued bytes are sent. */
  close(): void;
  readonly remoteAddress: string;
}

export interface SocketHandlers {
  onData(bytes: Uint8Array): void;
  /** The write queue drained (after write returned false). */
  onDrain?(): void;
  /** The connection closed; `error` says why when it was not a clean close. */
  onClose(error?: string): void;
}

export interface ConnectHandlers extends SocketHandlers {
  onConnect(): void;
}

export interface Listener {
  readonly port: number;
  close(): void;
}

export interface Network {
  /** Listens on `port` (0 = any free port); `accept` returns the handlers of each new connection. */
  listen(port: number, accept: (socket: Socket) => SocketHandlers, host?: string): Promise<Listener>;
  /** Opens a connection; failures are reported through onClose(error). */
  connect(host: string, port: number, handlers: ConnectHandlers): Socket;
}

/** A relay in front of a load (embedded:io/digital on the board). */
export interface Relay {
  set(closed: boolean): void;
  get(): boolean;
}

/** Where diagnostics go (console on Node, trace() on Moddable). */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const SILENT_LOG: Log = Object.freeze({ info() {}, warn() {}, error() {} });

/** A source of entropy (crypto.getRandomValues on Node, the ESP32 RNG on the board). */
export interface Random {
  fill(into: Uint8Array): void;
}
