import { Aes128 } from "./aes128";

/**
 * AES-CMAC (NIST SP 800-38B, RFC 4493). `Cmac` keeps the cipher and the two
 * subkeys so a node computing a MAC per frame allocates nothing after setup.
 */

function doubleBlock(src: Uint8Array, dst: Uint8Array): void {
  const carry = src[0] >>> 7;
  for (let i = 0; i < 15; i++) dst[i] = ((src[i] << 1) | (src[i + 1] >>> 7)) & 0xff;
  dst[15] = ((src[15] << 1) & 0xff) ^ (carry ? 0x87 : 0);
}

export class Cmac {
  private readonly aes: Aes128;
  private readonly k1 = new Uint8Array(16);
  private readonly k2 = new Uint8Array(16);
  private readonly x = new Uint8Array(16);

  constructor(key: Uint8Array) {
    this.aes = new Aes128(key);
    const l = this.aes.encryptBlock(new Uint8Array(16));
    doubleBlock(l, this.k1);
    doubleBlock(this.k1, this.k2);
  }

  /** Writes the 16-byte tag of `data` into `out` (default: a new array) and returns it. */
  mac(data: Uint8Array, out: Uint8Array = new Uint8Array(16)): Uint8Array {
    const x = this.x;
    x.fill(0);
    const n = data.length;
    const blocks = n === 0 ? 1 : Math.ceil(n / 16);
    const lastComplete = n > 0 && n % 16 === 0;
    for (let b = 0; b < blocks - 1; b++) {
      const at = b * 16;
      for (let i = 0; i < 16; i++) x[i] ^= data[at + i];
      this.aes.encryptBlock(x, x);
    }
    const at = (blocks - 1) * 16;
    const rest = n - at;
    if (lastComplete) {
      for (let i = 0; i < 16; i++) x[i] ^= data[at + i] ^ this.k1[i];
    } else {
      for (let i = 0; i < 16; i++) {
        const byte = i < rest ? data[at + i] : i === rest ? 0x80 : 0;
        x[i] ^= byte ^ this.k2[i];
      }
    }
    return this.aes.encryptBlock(x, out);
  }
}

/** One-shot AES-128-CMAC (16-byte tag). */
export function aesCmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Cmac(key).mac(data);
}
