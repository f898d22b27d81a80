// Moddable runtime modules (timer, flash, preference, mc/config, OTA, Poco):
// hand-written after the SDK's typings/*.d.ts, reduced to what the board code uses.
declare module "timer" {
  export type TimerCallback = (timer: Timer) => void;
  class Timer {
    private constructor();
    static set(callback: TimerCallback, interval?: number, repeat?: number): Timer;
    static repeat(callback: TimerCallback, interval: number): Timer;
    static schedule(timer: Timer, interval?: number, repeat?: number): void;
    static clear(timer: Timer | undefined | null): void;
    static delay(milliseconds: number): void;
    private brand: boolean;
  }
  export default Timer;
}

declare module "flash" {
  export default class Flash {
    /** Opens a named partition of the partition table (e.g. "xsjournal"). */
    constructor(partition: string);
    erase(sector: number): void;
    read(offset: number, byteLength: number): ArrayBuffer;
    write(offset: number, byteLength: number, buffer: ByteBuffer): void;
    /** The whole partition memory-mapped, read-only (a petrified HostBuffer); mapped once per instance. */
    map(): ArrayBuffer;
    readonly byteLength: number;
    readonly blockSize: number;
  }
}

declare module "embedded:storage/flash" {
  export interface FlashStatus { size: number; blockLength: number; blocks: number; writeAlign: number; eraseValue: number }
  export class Flash {
    close(): void;
    eraseBlock(start: number, end?: number): void;
    read(byteLength: number, byteOffset: number): ArrayBuffer;
    write(buffer: ByteBuffer, byteOffset: number): void;
    status(): FlashStatus;
    format: "buffer";
  }
  const FlashStorage: { open(options: { path: string; mode?: "r" | "r+" }): Flash };
  export default FlashStorage;
}

declare module "embedded:update" {
  import type { Flash } from "embedded:storage/flash";
  export interface Updater {
    write(bytes: ByteBuffer, byteOffset?: number): void;
    complete(): void;
    close(): void;
    format: "buffer";
  }
  const Update: { open(options: { partition: Flash; mode?: "a" | "w"; byteLength?: number }): Updater };
  export default Update;
}

declare module "preference" {
  const Preference: {
    set(domain: string, key: string, value: string | boolean | number | ArrayBuffer): void;
    get(domain: string, key: string): string | boolean | number | ArrayBuffer | undefined;
    delete(domain: string, key: string): void;
    keys(domain: string): string[];
  };
  export default Preference;
}

declare module "mc/config" {
  const config: { file?: { root: string } } & Record<string, any>;
  export default config;
}

declare module "commodetto/PixelsOut" {
  export default class PixelsOut {
    readonly width: number;
    readonly height: number;
    readonly pixelFormat: number;
  }
}

declare module "commodetto/Bitmap" {
  export type PixelFormat = number;
  export default class Bitmap {
    constructor(width: number, height: number, format: PixelFormat, buffer: ByteBuffer | ArrayBufferLike, offset: number, byteLength?: number);
    readonly width: number;
    readonly height: number;
    readonly pixelFormat: PixelFormat;
    static readonly Monochrome: 3;
    static readonly Gray16: 4;
    static readonly Gray256: 5;
    static readonly RGB565LE: 7;
    static readonly RGB565BE: 8;
  }
}

declare module "commodetto/Poco" {
  import PixelsOut from "commodetto/PixelsOut";
  export interface PocoFont { readonly height: number; readonly ascent: number }
  export default class Poco {
    constructor(pixelsOut: PixelsOut, options?: { pixels?: number; displayListLength?: number; rotation?: 0 | 90 | 180 | 270 });
    begin(x?: number, y?: number, width?: number, height?: number): void;
    end(): void;
    clip(x?: number, y?: number, width?: number, height?: number): void;
    origin(x?: number, y?: number): void;
    makeColor(r: number, g: number, b: number): number;
    fillRectangle(color: number, x: number, y: number, width: number, height: number): void;
    blendRectangle(color: number, blend: number, x: number, y: number, width: number, height: number): void;
    drawPixel(color: number, x: number, y: number): void;
    drawText(text: string, font: PocoFont, color: number, x: number, y: number, width?: number): void;
    getTextWidth(text: string, font: PocoFont): number;
    readonly width: number;
    readonly height: number;
  }
  global {
    /** The board's display (set by the host's setup/target). */
    var screen: PixelsOut | undefined;
  }
}

declare module "crypt" {
  // after the SDK's typings/crypt.d.ts (modules/crypt/digest): native digests
  export class Digest {
    constructor(type: "MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512");
    write(message: string | ArrayBuffer): void;
    close(): ArrayBuffer;
    reset(): void;
    readonly outputSize: number;
  }
}

declare module "net" {
  // after the SDK's typings/net.d.ts (modules/network/net, in examples/manifest_net.json)
  const Net: {
    get(what: "IP" | "MAC" | "SSID" | "BSSID" | "RSSI"): string | number | undefined;
    /** Asynchronous DNS look-up; `address` (dotted) is undefined when the name does not resolve. Throws when lwIP's queue is full. */
    resolve(name: string, callback: (name: string, address?: string) => void): void;
  };
  export default Net;
}
