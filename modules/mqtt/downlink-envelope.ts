/**
 * The envelope of a downlink command, "h1.<HMAC-SHA256 hex>.<json>" or
 * "e1.<Ed25519 signature hex>.<json>", checked for shape before any
 * cryptography: an exact tag length (64 / 128 hex digits), a size cap, UTF-8.
 * Every refusal is a value with a reason, never a throw: the caller runs in
 * the MQTT socket's callback, where a throw would end the meter.
 */
import { fromHex, utf8DecodeStrict } from "../core/bytes";

export type Scheme = "h1" | "e1";

export interface Envelope {
  scheme: Scheme;
  tag: Uint8Array;
  /** The JSON text as sent (what the MAC/signature covers). */
  json: string;
}

/** Largest downlink payload taken: a full price table (384 slots, checkPriceTable's maximum) is ≈ 34 KiB. */
export const MAX_DOWNLINK_BYTES = 40 * 1024;

const TAG_HEX: Readonly<Record<Scheme, number>> = Object.freeze({ h1: 64, e1: 128 });
const HEX = /^[0-9a-f]*$/;

export function parseEnvelope(payload: Uint8Array, maxBytes = MAX_DOWNLINK_BYTES): Envelope | { error: string } {
  if (payload.length > maxBytes) return { error: `malformed command: ${payload.length} bytes, more than ${maxBytes}` };
  const text = utf8DecodeStrict(payload);
  if (text === undefined) return { error: "malformed command: not UTF-8" };
  const scheme = text.slice(0, 2);
  if ((scheme !== "h1" && scheme !== "e1") || text[2] !== ".") return { error: "malformed command: expected h1.<mac>.<json> or e1.<signature>.<json>" };
  const dot = text.indexOf(".", 3);
  const hex = dot < 0 ? "" : text.slice(3, dot);
  const want = TAG_HEX[scheme];
  if (dot < 0 || hex.length !== want || !HEX.test(hex)) return { error: `malformed command: ${scheme} needs ${want} lower-case hex digits then "."` };
  return { scheme, tag: fromHex(hex), json: text.slice(dot + 1) };
}

/** The body's fields once the envelope authenticated: a JSON object with a u32 `ctr`. */
export function parseBody(json: string): { ctr: number; body: Record<string, unknown> } | { error: string } {
  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch {
    return { error: "malformed command: body is not JSON" };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { error: "malformed command: body must be a JSON object" };
  const ctr = carriedCtr(body as Record<string, unknown>);
  // u32: what the board's counter store keeps (a ctr in seconds lasts until 2106)
  if (ctr < 0) return { error: "malformed command: ctr must be an integer 0..4294967295" };
  return { ctr, body: body as Record<string, unknown> };
}

/** The ctr a body carries if it is a u32, else -1 (what a refusal echoes). */
export function carriedCtr(body: Record<string, unknown>): number {
  const ctr = body.ctr;
  return typeof ctr === "number" && Number.isInteger(ctr) && ctr >= 0 && ctr <= 0xffffffff ? ctr : -1;
}

/** Best effort for a refusal's echo: the ctr in a JSON text we did not (or could not) accept. */
export function ctrOf(json: string): number {
  try {
    const body: unknown = JSON.parse(json);
    return typeof body === "object" && body !== null && !Array.isArray(body) ? carriedCtr(body as Record<string, unknown>) : -1;
  } catch {
    return -1;
  }
}
