// Globals the XS engine adds (hand-written after the Moddable SDK's xs/includes/xs.d.ts,
// only what hosts/esp32 and hosts/lin use).
declare function trace(...log: (string | number | boolean)[]): void;

declare class HostBuffer {
  readonly byteLength: number;
  private brand: boolean;
}

/** The byte containers ECMA-419 IO accepts. */
type ByteBuffer = ArrayBuffer | HostBuffer | Uint8Array | Int8Array | Uint8ClampedArray | DataView;

/** A native class / function bound by name from C (xsmc). */
declare function Native(name: string): new (...args: any[]) => any;
declare function native(name: string): (...args: any[]) => any;

declare const device: typeof import("embedded:provider/builtin").default;
