import { typescriptAes, type BlockCipher, type BlockCipherFactory } from "./block-cipher";

/**
 * AES-CMAC (NIST SP 800-38B, RFC 4493). `Cmac` keeps the cipher and the two
 * subkeys so a node computing a MAC per frame allocates nothing after setup.
 * The AES comes through the BlockCipher port (default: the TypeScript AES); the
 * board passes its native cipher, which takes the AES out of XS.
 */

function doubleBlock(src: Uint8Array, dst: Uint8Array): void {
  const carry = src[0] >>> 7;
  for (let i = 0; i < 15; i++) dst[i] = ((src[i] << 1) | (src[i + 1] >>> 7)) & 0xff;
  dst[15] = ((src[15] << 1) & 0xff) ^ (carry ? 0x87 : 0);
}

export class Cmac {
  private readonly aes: BlockCipher;
  private readonly k1 = new Uint8Array(16);
  private readonly k2 = new Uint8Array(16);
  private readonly x = new Uint8Array(16);
  /** The chaining value alternates between x and y, so no block is encrypted in place. */
  private readonly y = new Uint8Array(16);
  // 32-bit views of the same bytes: XOR is bytewise, so a word XOR is four byte XORs in one
  // element access (XS pays per element access; with the AES native it is most of what is left)
  private readonly k1w = new Uint32Array(this.k1.buffer);
  private readonly k2w = new Uint32Array(this.k2.buffer);
  private readonly xw = new Uint32Array(this.x.buffer);
  private readonly yw = new Uint32Array(this.y.buffer);

  constructor(key: Uint8Array, cipher: BlockCipherFactory = typescriptAes) {
    this.aes = cipher(key);
    const l = new Uint8Array(16);
    this.aes.encryptBlock(l, l);
    doubleBlock(l, this.k1);
    doubleBlock(this.k1, this.k2);
  }

  /** Writes the 16-byte tag of `data` into `out` (default: a new array) and returns it. */
  mac(data: Uint8Array, out: Uint8Array = new Uint8Array(16)): Uint8Array {
    let x = this.x, y = this.y;
    x.fill(0);
    const n = data.length;
    const blocks = n === 0 ? 1 : Math.ceil(n / 16);
    for (let b = 0; b < blocks - 1; b++) {
      const at = b * 16;
      for (let i = 0; i < 16; i++) x[i] ^= data[at + i];
      this.aes.encryptBlock(x, y);
      const t = x; x = y; y = t;
    }
    const at = (blocks - 1) * 16;
    const rest = n - at;
    // a one-block message (every CAN frame's) is copied in by one native call
    if (blocks === 1) x.set(data);
    else for (let i = 0; i < rest; i++) x[i] ^= data[at + i];
    if (rest < 16) x[rest] ^= 0x80; // padding 10…0 and subkey K2; a complete last block takes K1
    const k = rest === 16 ? this.k1w : this.k2w;
    const w = x === this.x ? this.xw : this.yw;
    w[0] ^= k[0]; w[1] ^= k[1]; w[2] ^= k[2]; w[3] ^= k[3];
    this.aes.encryptBlock(x, out);
    return out;
  }
}

/** One-shot AES-128-CMAC (16-byte tag). */
export function aesCmac(key: Uint8Array, data: Uint8Array, cipher: BlockCipherFactory = typescriptAes): Uint8Array {
  return new Cmac(key, cipher).mac(data);
}
