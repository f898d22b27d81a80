// ECMA-419 IO classes as the Moddable SDK implements them: hand-written after the
// SDK's typings/embedded_io/*.d.ts, reduced to what the board code uses.
declare module "embedded:io/_common" {
  export type PinSpecifier = number;
  export type PortSpecifier = number;
}

declare module "embedded:io/spi" {
  import type { PinSpecifier, PortSpecifier } from "embedded:io/_common";
  export interface SPIOptions {
    out?: PinSpecifier;
    in?: PinSpecifier;
    clock: PinSpecifier;
    select?: PinSpecifier;
    active?: 0 | 1;
    hz: number;
    mode?: number;
    port?: PortSpecifier;
    format?: "buffer";
    target?: unknown;
  }
  export default class SPI {
    constructor(options: SPIOptions);
    read(byteLength: number): ArrayBuffer;
    read(buffer: ByteBuffer): void;
    write(buffer: ByteBuffer): void;
    /** Full duplex: sends the buffer's bytes and replaces them with the bytes received. */
    transfer(buffer: ByteBuffer): void;
    /** Ends the transaction; with deselect true the select pin goes inactive. */
    flush(deselect?: boolean): void;
    close(): void;
    format: "buffer";
  }
}

declare module "embedded:io/digital" {
  import type { PinSpecifier } from "embedded:io/_common";
  export interface DigitalOptions {
    pin: PinSpecifier;
    mode: number;
    edge?: number;
    onReadable?: (this: Digital) => void;
    format?: "number";
    target?: unknown;
  }
  export default class Digital {
    static readonly Input: number;
    static readonly InputPullUp: number;
    static readonly InputPullDown: number;
    static readonly InputPullUpDown: number;
    static readonly Output: number;
    static readonly OutputOpenDrain: number;
    static readonly Rising: number;
    static readonly Falling: number;
    constructor(options: DigitalOptions);
    read(): 0 | 1;
    write(value: 0 | 1): void;
    close(): void;
    format: "number";
  }
}

declare module "embedded:io/socket/tcp" {
  export type TCPOptions = (({ address: string } | { host: string }) & { port: number } | { from: unknown }) & {
    nodelay?: boolean;
    onReadable?: (this: TCP, bytes: number) => void;
    onWritable?: (this: TCP, bytes: number) => void;
    onError?: (this: TCP) => void;
    format?: "number" | "buffer";
    target?: unknown;
  };
  export default class TCP {
    constructor(options: TCPOptions);
    readonly remoteAddress: string | undefined;
    readonly remotePort: number | undefined;
    read(byteLength?: number): number | ArrayBuffer | undefined;
    write(value: number | ByteBuffer): void;
    close(): void;
    format: "number" | "buffer";
  }
}

declare module "embedded:io/socket/listener" {
  import TCP from "embedded:io/socket/tcp";
  export default class Listener {
    constructor(options: {
      port?: number;
      address?: string;
      onReadable?: (this: Listener, requests: number) => void;
      format?: "socket/tcp";
      target?: unknown;
    });
    read(): TCP | undefined;
    close(): void;
    readonly port: number;
    format: "socket/tcp";
  }
}

declare module "embedded:provider/builtin" {
  import Digital from "embedded:io/digital";
  import SPI from "embedded:io/spi";
  import type { PinSpecifier } from "embedded:io/_common";
  const device: {
    io: { Digital: typeof Digital; SPI: typeof SPI };
    SPI?: { default: ConstructorParameters<typeof SPI>[0] };
    pin: { [name: string]: PinSpecifier };
  };
  export default device;
}
