// Moddable's "crypt" module (modules/crypt/digest/crypt.js, included by hosts/esp32/manifest.json),
// reduced to the block cipher the CMAC uses. encrypt(data, result): data holds at least one block,
// result (at least one block) receives it and is returned; without result a new ArrayBuffer is made.
declare module "crypt" {
  export class BlockCipher {
    constructor(cipher: "AES" | "DES" | "TDES", key: ArrayBuffer);
    encrypt(data: ArrayBuffer, result?: ArrayBuffer): ArrayBuffer;
    decrypt(data: ArrayBuffer, result?: ArrayBuffer): ArrayBuffer;
    readonly keySize: number;
    readonly blockSize: number;
  }
}
