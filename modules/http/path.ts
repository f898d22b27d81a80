import { utf8DecodeStrict } from "../core/bytes";

/**
 * Decodes and normalises a request path before routing: percent-decoding,
 * strict UTF-8, no NUL or control characters, no encoded "/" or "\", and no
 * "." / ".." segments (a traversal is refused, not resolved: nothing on this
 * server needs it, and resolving hides attacks from the log). Returns
 * undefined when the path must be answered with 400.
 */
export function normalisePath(raw: string): string | undefined {
  if (raw.length === 0 || raw.charCodeAt(0) !== 0x2f) return undefined;
  const bytes = new Uint8Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      const h = hexValue(raw.charCodeAt(i + 1));
      const l = hexValue(raw.charCodeAt(i + 2));
      if (h < 0 || l < 0) return undefined;
      const b = (h << 4) | l;
      // An encoded separator would let "a%2F..%2Fb" pass the segment check.
      if (b === 0x2f || b === 0x5c) return undefined;
      bytes[n++] = b;
      i += 2;
    } else if (c <= 0x20 || c >= 0x7f || c === 0x5c) {
      return undefined;
    } else {
      bytes[n++] = c;
    }
  }
  const text = utf8DecodeStrict(bytes, 0, n);
  if (text === undefined) return undefined;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x20 || text.charCodeAt(i) === 0x7f) return undefined;
  const segments = text.split("/");
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i];
    if (s === "." || s === "..") return undefined;
    if (s === "" && i < segments.length - 1) return undefined; // "//" inside the path
  }
  return text;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Parses "a=1&b=x+y" (query strings and urlencoded form bodies). Invalid
 * percent-escapes or invalid UTF-8 make the whole thing undefined (400).
 * Later duplicates win; at most `maxPairs` pairs are kept.
 */
export function parseUrlEncoded(text: string, maxPairs = 64): Map<string, string> | undefined {
  const out = new Map<string, string>();
  if (text.length === 0) return out;
  const pairs = text.split("&");
  if (pairs.length > maxPairs) return undefined;
  for (const pair of pairs) {
    if (pair.length === 0) continue;
    const eq = pair.indexOf("=");
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodeComponent(eq < 0 ? "" : pair.slice(eq + 1));
    if (key === undefined || value === undefined) return undefined;
    out.set(key, value);
  }
  return out;
}

/** Percent-decoding with "+" as space and strict UTF-8. */
export function decodeComponent(s: string): string | undefined {
  if (s.indexOf("%") < 0 && s.indexOf("+") < 0) {
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7e) return undefined;
    return s;
  }
  const bytes = new Uint8Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2b) bytes[n++] = 0x20;
    else if (c === 0x25) {
      const h = hexValue(s.charCodeAt(i + 1));
      const l = hexValue(s.charCodeAt(i + 2));
      if (h < 0 || l < 0) return undefined;
      bytes[n++] = (h << 4) | l;
      i += 2;
    } else if (c > 0x7e) return undefined;
    else bytes[n++] = c;
  }
  return utf8DecodeStrict(bytes, 0, n);
}

/** Percent-encodes a component for URLs we generate. */
export function encodeComponent(s: string): string {
  return encodeURIComponent(s);
}
