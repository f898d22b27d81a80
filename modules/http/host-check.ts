/**
 * DNS rebinding (issue 14 item 8): a foreign page whose name the attacker
 * re-points at the meter's address reaches the meter from the household's
 * own browser, but every request it makes carries the attacker's name in
 * Host and its own origin in Origin. So every request must name the meter
 * (its own names, any IP literal — a literal cannot be rebound — or
 * localhost), and every POST must come from a page of the same host.
 */

/** The host part of a Host header or an origin's authority, lower-case, without port or trailing dot; undefined when malformed. */
export function hostName(authority: string): string | undefined {
  const a = authority.trim().toLowerCase();
  if (a.startsWith("[")) {
    const close = a.indexOf("]");
    if (close < 0 || !/^(:\d{1,5})?$/.test(a.slice(close + 1))) return undefined;
    const v6 = a.slice(1, close);
    return /^[0-9a-f:.]+$/.test(v6) && v6.includes(":") ? `[${v6}]` : undefined;
  }
  const m = /^([a-z0-9.-]{1,253})(:\d{1,5})?$/.exec(a);
  return m ? m[1].replace(/\.$/, "") : undefined;
}

function isIpv4(host: string): boolean {
  const parts = host.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** Whether a Host header names this meter: an IP literal, localhost, or one of `names`. */
export function hostAllowed(header: string | undefined, names: readonly string[]): boolean {
  if (header === undefined) return true; // HTTP/1.0 without Host: no name to rebind
  const host = hostName(header);
  if (host === undefined) return false;
  if (host.startsWith("[") || isIpv4(host) || host === "localhost") return true;
  for (const n of names) if (n.toLowerCase().replace(/\.$/, "") === host) return true;
  return false;
}

/**
 * Whether a POST comes from a page of this meter: its Origin (or, without
 * one, its Referer) names the same host and port as the request's Host.
 * Without either, the request is refused: every browser sends Origin on a
 * POST, and a script can send it too.
 */
export function sameOrigin(host: string | undefined, origin: string | undefined, referer: string | undefined): boolean {
  const from = origin ?? referer;
  if (host === undefined || from === undefined || from === "null") return false;
  const m = /^https?:\/\/([^/?#]+)(?:[/?#]|$)/i.exec(from);
  return !!m && m[1].toLowerCase() === host.trim().toLowerCase();
}
