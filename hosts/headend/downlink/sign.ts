/**
 * A downlink as the meter's CloudLink checks it: "h1.<HMAC-SHA256 hex>.<json>",
 * the MAC over utf8(topic) ‖ "\n" ‖ json with the node's own key, and a counter
 * `ctr` above every one the node accepted before (the store hands out counters
 * above every one it sent to that node, and at least the current second, so a
 * rebuilt head-end database still counts above the meter's last).
 */
import { hmacSha256 } from "../../../modules/secure/hmac";
import { concatBytes, toHex, utf8Encode } from "../../../modules/core/bytes";

export function downlinkTopic(node: string, kind: string): string {
  return `xsmeter/${node}/cmd/${kind}`;
}

export function signDownlink(key: Uint8Array, topic: string, body: Record<string, unknown>): Uint8Array {
  const json = JSON.stringify(body);
  const mac = hmacSha256(key, concatBytes(utf8Encode(topic), Uint8Array.of(10), utf8Encode(json)));
  return utf8Encode(`h1.${toHex(mac)}.${json}`);
}
