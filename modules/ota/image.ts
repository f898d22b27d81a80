/**
 * A firmware image: header (magic, manifest, Ed25519 signature) then the
 * firmware bytes. The signature covers a domain label and the manifest, and
 * the manifest carries the firmware's size and SHA-256, so one signature
 * check plus one hash binds every byte.
 *
 *   "XSOT" | format u8 = 1 | manifest length u16 BE | manifest (UTF-8 JSON) | signature (64) | firmware
 */
import { concatBytes, readU16BE, toHex, utf8DecodeStrict, utf8Encode } from "../core/bytes";
import { sign, verify } from "../secure/ed25519";

export interface Manifest {
  product: string;
  /** "major.minor.patch", compared numerically. */
  version: string;
  size: number;
  /** SHA-256 of the firmware bytes, hex. */
  sha256: string;
}

export interface ImageHeader {
  manifest: Manifest;
  manifestBytes: Uint8Array;
  signature: Uint8Array;
  /** Bytes before the firmware starts. */
  length: number;
}

export class OtaError extends Error {
  override name = "OtaError";
}

const MAGIC = Object.freeze([0x58, 0x53, 0x4f, 0x54]); // "XSOT" (frozen: xsl keeps it in flash)
const FORMAT = 1;
const DOMAIN = utf8Encode("xsmeter-ota-v1\u0000");
export const MAX_HEADER = 1024;

/** What the header's signature covers: the domain label, then the manifest. */
export function signedBytes(manifestBytes: Uint8Array): Uint8Array {
  return concatBytes(DOMAIN, manifestBytes);
}

export function parseVersion(v: string): [number, number, number] {
  const m = /^(\d{1,5})\.(\d{1,5})\.(\d{1,5})$/.exec(v);
  if (!m) throw new OtaError(`bad version ${JSON.stringify(v)} (want major.minor.patch)`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** <0, 0, >0 as a is older, equal, newer than b. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** Builds a signed image (host side: `xsmeter ota sign`). */
export function buildImage(firmware: Uint8Array, version: string, sha256Hex: string, seed: Uint8Array, product = "xsmeter"): Uint8Array {
  parseVersion(version);
  const manifestBytes = utf8Encode(JSON.stringify({ product, version, size: firmware.length, sha256: sha256Hex }));
  if (manifestBytes.length + 7 + 64 > MAX_HEADER) throw new OtaError("manifest too long");
  const signature = sign(signedBytes(manifestBytes), seed);
  const head = new Uint8Array(7);
  head.set(MAGIC, 0);
  head[4] = FORMAT;
  head[5] = manifestBytes.length >> 8;
  head[6] = manifestBytes.length & 255;
  return concatBytes(head, manifestBytes, signature, firmware);
}

/** Parses the header at the start of `bytes` (at least the whole header); throws OtaError on anything malformed. */
export function parseHeader(bytes: Uint8Array): ImageHeader {
  if (bytes.length < 7) throw new OtaError("truncated image: no header");
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) throw new OtaError("not an xsmeter image (bad magic)");
  if (bytes[4] !== FORMAT) throw new OtaError(`unknown image format ${bytes[4]}`);
  const n = readU16BE(bytes, 5);
  const length = 7 + n + 64;
  if (length > MAX_HEADER) throw new OtaError("image header too long");
  if (bytes.length < length) throw new OtaError("truncated image header");
  const manifestBytes = bytes.slice(7, 7 + n);
  const text = utf8DecodeStrict(manifestBytes);
  if (text === undefined) throw new OtaError("manifest is not UTF-8");
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch {
    throw new OtaError("manifest is not JSON");
  }
  if (typeof m !== "object" || m === null || typeof m.product !== "string" || typeof m.version !== "string" || !Number.isInteger(m.size) || m.size < 0 || typeof m.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(m.sha256)) {
    throw new OtaError("manifest lacks product, version, size or sha256");
  }
  parseVersion(m.version);
  return { manifest: m, manifestBytes, signature: bytes.slice(7 + n, length), length };
}

/** True when the header's signature verifies under `publicKey`. */
export function headerSigned(h: ImageHeader, publicKey: Uint8Array): boolean {
  return verify(signedBytes(h.manifestBytes), h.signature, publicKey);
}

export function manifestTag(h: ImageHeader): string {
  return toHex(h.signature.subarray(0, 8));
}
