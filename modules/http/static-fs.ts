import type { HttpRequest } from "./request-parser";
import type { Response } from "./response";

/** One file of the read-only in-image file system (generated at build time). */
export interface StaticAsset {
  path: string;
  type: string;
  /** Strong ETag (quoted). */
  etag: string;
  /** Uncompressed size. */
  size: number;
  /** The gzip-compressed file, base64. */
  gzip: string;
  /** The file itself, base64, for the rare client that does not accept gzip. */
  plain: string;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export function base64Decode(s: string): Uint8Array {
  const clean = s.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let n = 0;
  for (let i = 0; i < clean.length; i++) {
    acc = (acc << 6) | B64.indexOf(clean[i]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 255;
    }
  }
  return out;
}

/**
 * Serves the generated assets: gzip bytes as stored when the client accepts
 * gzip (every browser), the plain copy otherwise; ETag and
 * If-None-Match give 304 without a body.
 */
export class StaticFs {
  private files = new Map<string, { asset: StaticAsset; gz: Uint8Array; plain?: Uint8Array }>();

  constructor(assets: readonly StaticAsset[]) {
    for (const a of assets) this.files.set(a.path, { asset: a, gz: base64Decode(a.gzip) });
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  paths(): string[] {
    return [...this.files.keys()];
  }

  serve(req: HttpRequest, res: Response): boolean {
    const f = this.files.get(req.path);
    if (!f) return false;
    res.header("ETag", f.asset.etag).header("Cache-Control", "public, max-age=3600").header("Vary", "Accept-Encoding");
    const inm = req.headers.get("if-none-match");
    if (inm !== undefined && (inm === "*" || inm.split(",").some((t) => t.trim().replace(/^W\//, "") === f.asset.etag))) {
      res.status(304).send();
      return true;
    }
    if (acceptsGzip(req.headers.get("accept-encoding"))) {
      res.header("Content-Encoding", "gzip").send(f.gz, f.asset.type);
    } else {
      if (!f.plain) f.plain = base64Decode(f.asset.plain);
      res.send(f.plain, f.asset.type);
    }
    return true;
  }
}

function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  for (const part of header.toLowerCase().split(",")) {
    const [coding, ...params] = part.trim().split(";");
    if (coding.trim() !== "gzip" && coding.trim() !== "*") continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (!q || Number(q.slice(2)) > 0) return true;
  }
  return false;
}
