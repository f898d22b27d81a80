// A stand-in for Moddable's crypt BlockCipher with its calling convention (ArrayBuffers in and out,
// as modCrypt.c's xsmcToArrayBuffer needs) and node:crypto's AES-128-ECB inside; counts its calls.
import { createCipheriv } from "node:crypto";
import type { CryptCipher } from "../../../hosts/esp32/crypt-aes";

export class NodeCryptCipher implements CryptCipher {
  static calls = 0;
  private readonly key: Uint8Array;
  constructor(name: "AES", key: ArrayBuffer) {
    if (name !== "AES") throw new Error(`crypt stand-in: cipher ${name}`);
    if (!(key instanceof ArrayBuffer)) throw new TypeError("crypt reads the key with xsmcToArrayBuffer: an ArrayBuffer");
    this.key = new Uint8Array(key);
  }
  encrypt(data: ArrayBuffer, result: ArrayBuffer): ArrayBuffer {
    if (!(data instanceof ArrayBuffer) || !(result instanceof ArrayBuffer)) throw new TypeError("crypt wants ArrayBuffers");
    if (data.byteLength < 16 || result.byteLength < 16) throw new Error("bad size");
    NodeCryptCipher.calls++;
    const c = createCipheriv("aes-128-ecb", this.key, null);
    c.setAutoPadding(false);
    new Uint8Array(result).set(Buffer.concat([c.update(new Uint8Array(data, 0, 16)), c.final()]));
    return result;
  }
}
