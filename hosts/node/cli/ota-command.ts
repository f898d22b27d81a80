/**
 * `xsmeter ota keygen|sign|verify`: the utility's side of signed firmware
 * updates. Keys are Ed25519: the private key file holds the 32-byte seed in
 * hex (mode 0600), the public key file the 32-byte key in hex — the meter is
 * built with the public key and accepts only images it verifies.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { fromHex, toHex } from "../../../modules/core/bytes";
import { publicKeyFromSeed } from "../../../modules/secure/ed25519";
import { buildImage, headerSigned, parseHeader } from "../../../modules/ota/image";
import { UsageError, type Command } from "./command";
import { offerFirmware } from "../sim/utility";

function option(args: string[], name: string, required = true): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= args.length) {
    if (required) throw new UsageError(`ota: --${name} is required`);
    return undefined;
  }
  return args[i + 1];
}

function readKey(path: string, what: string): Uint8Array {
  if (!existsSync(path)) throw new UsageError(`ota: no ${what} file ${path}`);
  const key = fromHex(readFileSync(path, "utf8").trim());
  if (key.length !== 32) throw new UsageError(`ota: ${path} does not hold a 32-byte ${what} in hex`);
  return key;
}

export const otaCommand: Command = {
  name: "ota",
  summary: "signed firmware images: keygen, sign, verify (Ed25519, A/B slots on the meter), offer one to a running sim",
  usage: `xsmeter ota keygen --out NAME            writes NAME.key (private, 0600) and NAME.pub
       xsmeter ota sign --key NAME.key --version X.Y.Z --in firmware.bin --out image.xsota
       xsmeter ota verify --pub NAME.pub --in image.xsota
       xsmeter ota offer --mqtt URL --seed N --version X.Y.Z [--selftest fail] [--forge] [--size BYTES] [--ctr N]
                                               offers a signed sim image to a running \`xsmeter sim\` (its broker URL
                                               and seed): served over HTTP, followed until confirmed, refused or rolled back;
                                               --ctr: the command counter (default: the Unix second); no answer
                                               within 10 s ends with a hint (seed? node? broker?)`,
  async run(args) {
    const verb = args[0];
    if (verb === "keygen") {
      const out = option(args, "out")!;
      if (existsSync(`${out}.key`) && !args.includes("--force")) throw new UsageError(`ota keygen: ${out}.key exists (use --force to overwrite)`);
      const seed = new Uint8Array(randomBytes(32));
      writeFileSync(`${out}.key`, `${toHex(seed)}\n`, { mode: 0o600 });
      writeFileSync(`${out}.pub`, `${toHex(publicKeyFromSeed(seed))}\n`);
      console.log(`wrote ${out}.key (keep it secret) and ${out}.pub (build it into the firmware)`);
      return 0;
    }
    if (verb === "sign") {
      const seed = readKey(option(args, "key")!, "private key");
      const version = option(args, "version")!;
      const input = option(args, "in")!;
      if (!existsSync(input)) throw new UsageError(`ota sign: no firmware file ${input}`);
      const firmware = new Uint8Array(readFileSync(input));
      const image = buildImage(firmware, version, createHash("sha256").update(firmware).digest("hex"), seed, option(args, "product", false) ?? "xsmeter");
      const out = option(args, "out")!;
      writeFileSync(out, image);
      console.log(`wrote ${out}: xsmeter ${version}, ${firmware.length} firmware bytes, ${image.length - firmware.length} header bytes`);
      return 0;
    }
    if (verb === "verify") {
      const pub = readKey(option(args, "pub")!, "public key");
      const input = option(args, "in")!;
      if (!existsSync(input)) throw new UsageError(`ota verify: no image file ${input}`);
      const image = new Uint8Array(readFileSync(input));
      const h = parseHeader(image);
      const signed = headerSigned(h, pub);
      const firmware = image.subarray(h.length);
      const sizeOk = firmware.length === h.manifest.size;
      const hashOk = sizeOk && createHash("sha256").update(firmware).digest("hex") === h.manifest.sha256;
      console.log(JSON.stringify({ ...h.manifest, signature: signed ? "valid" : "INVALID", size_ok: sizeOk, sha256_ok: hashOk }));
      return signed && hashOk ? 0 : 1;
    }
    if (verb === "offer") {
      const mqtt = option(args, "mqtt")!;
      if (!/^mqtt:\/\//.test(mqtt)) throw new UsageError(`ota offer: --mqtt must be mqtt://host:port (got ${mqtt})`);
      const seed = Number(option(args, "seed")!);
      if (!Number.isInteger(seed)) throw new UsageError("ota offer: --seed must be the sim's seed (an integer)");
      const version = option(args, "version")!;
      if (!/^\d+\.\d+\.\d+$/.test(version)) throw new UsageError(`ota offer: --version must be X.Y.Z (got ${version})`);
      const selftest = option(args, "selftest", false);
      if (selftest !== undefined && selftest !== "pass" && selftest !== "fail") throw new UsageError("ota offer: --selftest is pass or fail");
      const size = option(args, "size", false);
      const ctrText = option(args, "ctr", false);
      const ctr = ctrText === undefined ? undefined : Number(ctrText);
      if (ctr !== undefined && (!Number.isSafeInteger(ctr) || ctr < 0 || ctr > 0xffffffff)) throw new UsageError("ota offer: --ctr is an integer 0..4294967295");
      const { outcome, hint, result } = await offerFirmware({ brokerUrl: mqtt, seed, version, selftest, forge: args.includes("--forge"), size: size ? Number(size) : undefined, ctr, log: (l) => console.log(l) });
      console.log(`ota offer: ${outcome}`);
      if (hint) console.error(`ota offer: ${hint}`);
      const held = typeof result?.error === "string" ? /not above (\d+)/.exec(result.error) : null;
      if (held) console.error(`ota offer: the meter holds counter ${held[1]}; pass --ctr ${Number(held[1]) + 1} or higher`);
      if (outcome === "no answer") return 3;
      return outcome === "confirmed" ? 0 : 1;
    }
    throw new UsageError("ota: choose keygen, sign, verify or offer (see xsmeter ota --help)");
  },
};
