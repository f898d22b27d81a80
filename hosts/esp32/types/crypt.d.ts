// Moddable's "crypt" module (modules/crypt/digest/crypt.js and modCrypt.c, included by hosts/esp32/manifest.json)
// exports class BlockCipher at run time, but the SDK's typings/crypt.d.ts declares only Digest. This file adds
// the block cipher the CMAC uses (native-aes.ts): hosts/esp32/manifest.json hands it to mcconfig's tsc as a
// compilerOptions "types" entry, where it merges with the SDK's declaration; tsconfig.esp32.json includes it
// beside moddable.d.ts's Digest. After modCrypt.c: the key is an ArrayBuffer (16, 24 or 32 bytes for AES);
// encrypt(data, result): data holds at least one block, result (at least one block) receives it and is
// returned; without result a new ArrayBuffer is made.
declare module "crypt" {
  export class BlockCipher {
    constructor(cipher: "AES" | "DES" | "TDES", key: ArrayBuffer);
    encrypt(data: ArrayBuffer, result?: ArrayBuffer): ArrayBuffer;
    decrypt(data: ArrayBuffer, result?: ArrayBuffer): ArrayBuffer;
    readonly keySize: number;
    readonly blockSize: number;
  }
}
