/**
 * An image header's Ed25519 signature check in bounded steps (Ed25519Verification):
 * one check costs ~54 M computrons in XS, 20–35 s on an ESP32, so the updater steps
 * it from the clock and the main loop keeps running between steps (CAN polling,
 * display, MQTT keep-alive). The slots create the check with their own key and, at
 * `begin`, accept it in place of their one-shot check only when it is complete,
 * passed, theirs (same key) and for exactly the header they are given.
 */
import { bytesEqual } from "../core/bytes";
import { DEFAULT_STEP_BUDGET, Ed25519Verification } from "../secure/ed25519";
import { parseHeader, signedBytes, type ImageHeader } from "./image";

export class SignedHeaderCheck {
  readonly header: ImageHeader;
  private readonly key: Uint8Array;
  private readonly verification: Ed25519Verification;

  /** Parses the header (throws OtaError when malformed) and sets up its check under `publicKey`. */
  constructor(headerBytes: Uint8Array, publicKey: Uint8Array) {
    this.header = parseHeader(headerBytes);
    this.key = publicKey.slice();
    this.verification = new Ed25519Verification(this.key, signedBytes(this.header.manifestBytes), this.header.signature);
  }

  /** One bounded step (`budget` field multiplications, ≈11 k computrons each in XS); true once done. */
  step(budget: number = DEFAULT_STEP_BUDGET): boolean {
    return this.verification.step(budget);
  }

  get done(): boolean {
    return this.verification.done;
  }

  /** True once done with a valid signature. */
  get passed(): boolean {
    return this.verification.result();
  }

  /** Whether this passed check covers header `h` under `publicKey` (byte for byte). */
  vouchesFor(h: ImageHeader, publicKey: Uint8Array): boolean {
    return this.passed && bytesEqual(this.key, publicKey) && bytesEqual(this.header.manifestBytes, h.manifestBytes) && bytesEqual(this.header.signature, h.signature);
  }
}

/** A check of `check`'s kind that vouches for `h` under `publicKey` (a look-alike object never does). */
export function checkVouches(check: unknown, h: ImageHeader, publicKey: Uint8Array): boolean {
  return check instanceof SignedHeaderCheck && check.vouchesFor(h, publicKey);
}
