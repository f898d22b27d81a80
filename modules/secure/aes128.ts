/**
 * AES-128 block encryption (FIPS 197), table-driven: four 256-entry T-tables,
 * so one block costs 40 table look-ups per round column instead of GF(2^8)
 * arithmetic (it matters under the XS interpreter).
 * Only encryption is provided: CMAC and CTR never need the inverse cipher.
 * The tables are built at import, into consts: when Moddable preloads this
 * module they stay in flash (about 4.4 KB not taken from RAM at the first key),
 * and xsl no longer warns "no const" for lazily assigned module variables.
 */

const T0 = new Uint32Array(256), T1 = new Uint32Array(256), T2 = new Uint32Array(256), T3 = new Uint32Array(256);

function buildTables(): Uint8Array {
  const sbox = new Uint8Array(256);
  // multiplicative inverse via log/antilog tables over generator 3
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  let x = 1;
  for (let i = 0; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x ^= (x << 1) ^ (x & 0x80 ? 0x11b : 0);
    x &= 0xff;
  }
  for (let i = 0; i < 256; i++) {
    const inv = i === 0 ? 0 : exp[(255 - log[i]) % 255];
    let s = inv;
    let r = inv;
    for (let k = 0; k < 4; k++) {
      r = ((r << 1) | (r >>> 7)) & 0xff;
      s ^= r;
    }
    sbox[i] = s ^ 0x63;
  }
  for (let i = 0; i < 256; i++) {
    const s = sbox[i];
    const s2 = ((s << 1) ^ (s & 0x80 ? 0x11b : 0)) & 0xff;
    const s3 = s2 ^ s;
    const t = ((s2 << 24) | (s << 16) | (s << 8) | s3) >>> 0;
    T0[i] = t;
    T1[i] = ((t >>> 8) | (t << 24)) >>> 0;
    T2[i] = ((t >>> 16) | (t << 16)) >>> 0;
    T3[i] = ((t >>> 24) | (t << 8)) >>> 0;
  }
  return sbox;
}
const SBOX = buildTables();

export class Aes128 {
  /** 44 round-key words (11 round keys). */
  private readonly rk = new Int32Array(44);

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError(`AES-128 key must be 16 bytes, got ${key.length}`);
    const sbox = SBOX;
    const rk = this.rk;
    for (let i = 0; i < 4; i++) rk[i] = (key[4 * i] << 24) | (key[4 * i + 1] << 16) | (key[4 * i + 2] << 8) | key[4 * i + 3];
    let rcon = 1;
    for (let i = 4; i < 44; i++) {
      let t = rk[i - 1];
      if (i % 4 === 0) {
        // RotWord, SubWord, Rcon
        t = (sbox[(t >>> 16) & 255] << 24) | (sbox[(t >>> 8) & 255] << 16) | (sbox[t & 255] << 8) | sbox[(t >>> 24) & 255];
        t ^= rcon << 24;
        rcon = ((rcon << 1) ^ (rcon & 0x80 ? 0x11b : 0)) & 0xff;
      }
      rk[i] = rk[i - 4] ^ t;
    }
  }

  /**
   * Encrypts the 16 bytes of `input` at `inOffset` into `output` at `outOffset`
   * (may be the same array); allocates only when no output is given.
   */
  encryptBlock(input: Uint8Array, output: Uint8Array = new Uint8Array(16), inOffset = 0, outOffset = 0): Uint8Array {
    const rk = this.rk;
    const sbox = SBOX;
    const p = inOffset;
    let s0 = ((input[p] << 24) | (input[p + 1] << 16) | (input[p + 2] << 8) | input[p + 3]) ^ rk[0];
    let s1 = ((input[p + 4] << 24) | (input[p + 5] << 16) | (input[p + 6] << 8) | input[p + 7]) ^ rk[1];
    let s2 = ((input[p + 8] << 24) | (input[p + 9] << 16) | (input[p + 10] << 8) | input[p + 11]) ^ rk[2];
    let s3 = ((input[p + 12] << 24) | (input[p + 13] << 16) | (input[p + 14] << 8) | input[p + 15]) ^ rk[3];
    let k = 4;
    for (let round = 1; round < 10; round++) {
      const t0 = T0[s0 >>> 24] ^ T1[(s1 >>> 16) & 255] ^ T2[(s2 >>> 8) & 255] ^ T3[s3 & 255] ^ rk[k];
      const t1 = T0[s1 >>> 24] ^ T1[(s2 >>> 16) & 255] ^ T2[(s3 >>> 8) & 255] ^ T3[s0 & 255] ^ rk[k + 1];
      const t2 = T0[s2 >>> 24] ^ T1[(s3 >>> 16) & 255] ^ T2[(s0 >>> 8) & 255] ^ T3[s1 & 255] ^ rk[k + 2];
      const t3 = T0[s3 >>> 24] ^ T1[(s0 >>> 16) & 255] ^ T2[(s1 >>> 8) & 255] ^ T3[s2 & 255] ^ rk[k + 3];
      s0 = t0; s1 = t1; s2 = t2; s3 = t3;
      k += 4;
    }
    // last round: SubBytes, ShiftRows, AddRoundKey (no MixColumns)
    const o0 = ((sbox[s0 >>> 24] << 24) | (sbox[(s1 >>> 16) & 255] << 16) | (sbox[(s2 >>> 8) & 255] << 8) | sbox[s3 & 255]) ^ rk[40];
    const o1 = ((sbox[s1 >>> 24] << 24) | (sbox[(s2 >>> 16) & 255] << 16) | (sbox[(s3 >>> 8) & 255] << 8) | sbox[s0 & 255]) ^ rk[41];
    const o2 = ((sbox[s2 >>> 24] << 24) | (sbox[(s3 >>> 16) & 255] << 16) | (sbox[(s0 >>> 8) & 255] << 8) | sbox[s1 & 255]) ^ rk[42];
    const o3 = ((sbox[s3 >>> 24] << 24) | (sbox[(s0 >>> 16) & 255] << 16) | (sbox[(s1 >>> 8) & 255] << 8) | sbox[s2 & 255]) ^ rk[43];
    const q = outOffset;
    output[q] = o0 >>> 24; output[q + 1] = o0 >>> 16; output[q + 2] = o0 >>> 8; output[q + 3] = o0;
    output[q + 4] = o1 >>> 24; output[q + 5] = o1 >>> 16; output[q + 6] = o1 >>> 8; output[q + 7] = o1;
    output[q + 8] = o2 >>> 24; output[q + 9] = o2 >>> 16; output[q + 10] = o2 >>> 8; output[q + 11] = o2;
    output[q + 12] = o3 >>> 24; output[q + 13] = o3 >>> 16; output[q + 14] = o3 >>> 8; output[q + 15] = o3;
    return output;
  }
}
