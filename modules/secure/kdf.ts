import { Cmac } from "./cmac";
import { utf8Encode } from "../core/bytes";

/**
 * Key derivation, NIST SP 800-108 in counter mode with AES-CMAC as the PRF:
 *   K(i) = CMAC(KI, [i]_8 ‖ Label ‖ 0x00 ‖ Context ‖ [L]_16)
 * with an 8-bit counter i (starting at 1) and L the output length in bits
 * (16-bit, big-endian). Used to give each node its own key from the network
 * key, so no two meters share a key (ETSI EN 303 645 §5.1/5.4).
 */
export function deriveKey(
  networkKey: Uint8Array,
  label: string | Uint8Array,
  context: string | Uint8Array,
  lengthBytes = 16,
): Uint8Array {
  if (!(lengthBytes > 0 && lengthBytes <= 255 * 16 && lengthBytes * 8 <= 0xffff)) {
    throw new RangeError(`deriveKey: bad output length ${lengthBytes}`);
  }
  const lab = typeof label === "string" ? utf8Encode(label) : label;
  const ctx = typeof context === "string" ? utf8Encode(context) : context;
  const cmac = new Cmac(networkKey);
  const input = new Uint8Array(1 + lab.length + 1 + ctx.length + 2);
  input.set(lab, 1);
  input[1 + lab.length] = 0x00;
  input.set(ctx, 2 + lab.length);
  const bits = lengthBytes * 8;
  input[input.length - 2] = bits >>> 8;
  input[input.length - 1] = bits & 0xff;
  const out = new Uint8Array(lengthBytes);
  const block = new Uint8Array(16);
  for (let i = 1, at = 0; at < lengthBytes; i++, at += 16) {
    input[0] = i;
    cmac.mac(input, block);
    out.set(block.subarray(0, Math.min(16, lengthBytes - at)), at);
  }
  return out;
}
