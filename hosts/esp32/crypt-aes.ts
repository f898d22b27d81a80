import type { BlockCipher, BlockCipherFactory } from "../../modules/secure/block-cipher";

/** What the adapter needs of Moddable's crypt BlockCipher (hosts/esp32/types/crypt.d.ts). */
export interface CryptCipher {
  encrypt(data: ArrayBuffer, result: ArrayBuffer): ArrayBuffer;
}
export type CryptCipherClass = new (name: "AES", key: ArrayBuffer) => CryptCipher;

/** True when the array is its whole 16-byte ArrayBuffer: the C can take that buffer as it is. */
function wholeBlock(a: Uint8Array): boolean {
  return a.byteOffset === 0 && a.byteLength === 16 && a.buffer.byteLength === 16;
}

/**
 * The BlockCipher port over a native cipher that takes ArrayBuffers (Moddable's crypt reads
 * xsmcToArrayBuffer, so a view is not enough). The CMAC's blocks are whole 16-byte buffers and are
 * never encrypted in place, so its hot path passes them straight through: one native call, no copy.
 * Anything else (an offset view, src === dst) goes through two scratch buffers of its own.
 */
export class CryptAes implements BlockCipher {
  private readonly inBuf = new ArrayBuffer(16);
  private readonly outBuf = new ArrayBuffer(16);
  private readonly inView = new Uint8Array(this.inBuf);
  private readonly outView = new Uint8Array(this.outBuf);

  constructor(private readonly cipher: CryptCipher) {}

  encryptBlock(src: Uint8Array, dst: Uint8Array): void {
    if (src !== dst && wholeBlock(src) && wholeBlock(dst)) {
      this.cipher.encrypt(src.buffer as ArrayBuffer, dst.buffer as ArrayBuffer);
      return;
    }
    this.inView.set(src.subarray(0, 16));
    this.cipher.encrypt(this.inBuf, this.outBuf);
    dst.set(this.outView);
  }
}

/** A BlockCipherFactory over a crypt-style cipher class; refuses keys that are not 16 bytes, as Aes128 does. */
export function cryptAes(Cipher: CryptCipherClass): BlockCipherFactory {
  return (key) => {
    if (key.length !== 16) throw new RangeError(`AES-128 key must be 16 bytes, got ${key.length}`);
    return new CryptAes(new Cipher("AES", key.slice().buffer as ArrayBuffer));
  };
}
