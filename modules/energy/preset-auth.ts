/** The preset verifier: HMAC-SHA-256 with the meter's installer key, compared in constant time. */
import { constantTimeEqual } from "../core/bytes";
import { hmacSha256 } from "../secure/hmac";
import type { PresetVerifier } from "./registers";

export function hmacPresetVerifier(key: Uint8Array): PresetVerifier {
  return (message, proof) => constantTimeEqual(hmacSha256(key, message), proof);
}
