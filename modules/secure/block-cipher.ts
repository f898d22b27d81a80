import { Aes128 } from "./aes128";

/**
 * The one thing CMAC needs from AES-128: encrypt one 16-byte block. A port, so
 * the board can put its native cipher behind it (hosts/esp32/native-aes.ts over
 * Moddable's `crypt`) while the host and the tests keep the TypeScript AES, which
 * stays the reference. `src` and `dst` are 16-byte arrays; they may be the same.
 */
export interface BlockCipher {
  encryptBlock(src: Uint8Array, dst: Uint8Array): void;
}

/** Makes a block cipher for a 16-byte key (one per node key; CMAC keeps it). */
export type BlockCipherFactory = (key: Uint8Array) => BlockCipher;

/** The TypeScript AES-128 (modules/secure/aes128.ts): the host's cipher and the reference. */
export const typescriptAes: BlockCipherFactory = (key) => new Aes128(key);
