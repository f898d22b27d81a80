/**
 * `xsmeter cmd price|load|config|firmware`: signs a downlink command as the meter
 * checks it, sends it over MQTT, waits for xsmeter/<node>/cmd/result and prints it.
 * The counter comes from --ctr, else from a per-meter, per-kind counter file (above
 * the last accepted one and at least the Unix second); when the meter refuses it as
 * replayed and says which counter it holds, the command is sent once more above it.
 */
import { existsSync, readFileSync } from "node:fs";
import { fromHex } from "../../../modules/core/bytes";
import { parseHeader } from "../../../modules/ota/image";
import { cloudMacKey } from "../sim/cloud";
import { simNetworkKey } from "../sim/utility";
import { meterCounter, sendCommand, type CommandResult, type DownlinkKind, type Signer } from "../mqtt/downlink-sender";
import { defaultCounterFile, MAX_CTR, nextCounter, saveCounter } from "./counter-file";
import { parseDuration } from "./sim-command";
import { UsageError, type Command } from "./command";

const USAGE = `xsmeter cmd KIND --mqtt URL (--seed N | --key-file FILE | --signer FILE.key) [--node ID] [options]
  KIND is one of:
    price    --slots FILE.json          a price table: [{"start","durationMs","importMinorPerKWh","exportMinorPerKWh","renewableShare"}, …]
    load     --id ID (--on | --off | --run DURATION --by ISO-TIME)
    config   --set KEY=VALUE [--set …]  e.g. --set publishIntervalMs=30000
    firmware --url URL (--image FILE.xsota | --version X.Y.Z --size BYTES --sha256 HEX)
  --mqtt URL        the broker the meter uses (mqtt://host:port)
  --seed N          a running \`xsmeter sim\`: its seed gives the key and the node (sim-N)
  --key-file FILE   the meter's 32-byte cloud MAC key in hex (HMAC-SHA256, "h1." commands); needs --node
  --signer FILE.key the utility's Ed25519 seed in hex (\`xsmeter ota keygen\`; "e1." commands); needs --node
  --node ID         the meter's node id in the topics (default sim-N with --seed)
  --ctr N           the command counter (default: next from the counter file, at least the Unix second)
  --ctr-file FILE   per-meter, per-kind counters (default ${"$"}XSMETER_STATE_DIR or ~/.local/state/xsmeter/counters.json)
  --timeout S       how long to wait for cmd/result (default 10)
Exit code: 0 accepted, 1 refused, 3 no answer (with a hint), 2 usage.`;

interface Common {
  mqtt: string;
  node: string;
  signer: Signer;
  ctr?: number;
  ctrFile: string;
  timeoutMs: number;
}

function readHexFile(file: string, what: string, bytes: number): Uint8Array {
  if (!existsSync(file)) throw new UsageError(`cmd: no ${what} file ${file}`);
  const text = readFileSync(file, "utf8").trim();
  if (!/^[0-9a-fA-F]*$/.test(text) || text.length !== bytes * 2) throw new UsageError(`cmd: ${file} does not hold a ${bytes}-byte ${what} in hex`);
  return fromHex(text.toLowerCase());
}

/** Splits args into the common options and the kind's own (name → values). */
function parseArgs(args: string[]): { common: Common; own: Map<string, string[]> } {
  const own = new Map<string, string[]>();
  const flags = new Set(["--on", "--off"]);
  let mqtt: string | undefined, seed: number | undefined, keyFile: string | undefined, signerFile: string | undefined, node: string | undefined;
  let ctr: number | undefined, ctrFile = defaultCounterFile(), timeoutMs = 10_000;
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    if (flags.has(a)) { own.set(a, ["1"]); continue; }
    if (!a.startsWith("--")) throw new UsageError(`cmd: unexpected ${JSON.stringify(a)}; see xsmeter cmd --help`);
    const v = args[++k];
    if (v === undefined) throw new UsageError(`cmd: ${a} needs a value`);
    switch (a) {
      case "--mqtt": mqtt = v; break;
      case "--seed": seed = Number(v); if (!Number.isInteger(seed) || seed < 0) throw new UsageError("cmd: --seed is the sim's seed (an integer ≥ 0)"); break;
      case "--key-file": keyFile = v; break;
      case "--signer": signerFile = v; break;
      case "--node": node = v; break;
      case "--ctr": ctr = Number(v); if (!Number.isSafeInteger(ctr) || ctr < 0 || ctr > MAX_CTR) throw new UsageError(`cmd: --ctr is an integer 0..${MAX_CTR}`); break;
      case "--ctr-file": ctrFile = v; break;
      case "--timeout": { const s = Number(v); if (!(s > 0 && s <= 600)) throw new UsageError("cmd: --timeout is seconds, 0 < S ≤ 600"); timeoutMs = s * 1000; break; }
      default: own.set(a, [...(own.get(a) ?? []), v]);
    }
  }
  if (!mqtt || !/^mqtt:\/\/[^/]+/.test(mqtt)) throw new UsageError(`cmd: --mqtt mqtt://host:port is required${mqtt ? ` (got ${mqtt})` : ""}`);
  const ways = [seed !== undefined, keyFile !== undefined, signerFile !== undefined].filter(Boolean).length;
  if (ways !== 1) throw new UsageError("cmd: give exactly one of --seed N (a sim), --key-file FILE (HMAC key) or --signer FILE.key (Ed25519)");
  node ??= seed !== undefined ? `sim-${seed}` : undefined;
  if (!node) throw new UsageError("cmd: --node ID is required with --key-file or --signer (the meter's id in xsmeter/<node>/…)");
  if (!/^[A-Za-z0-9_-]+$/.test(node)) throw new UsageError(`cmd: --node ${JSON.stringify(node)}: letters, digits, _ and - only`);
  const signer: Signer = seed !== undefined
    ? { hmacKey: cloudMacKey(simNetworkKey(seed), node) }
    : keyFile !== undefined ? { hmacKey: readHexFile(keyFile, "MAC key", 32) } : { ed25519Seed: readHexFile(signerFile!, "Ed25519 seed", 32) };
  return { common: { mqtt, node, signer, ctr, ctrFile, timeoutMs }, own };
}

function one(own: Map<string, string[]>, name: string, kind: string): string {
  const v = own.get(name);
  if (!v) throw new UsageError(`cmd ${kind}: ${name} is required`);
  if (v.length > 1) throw new UsageError(`cmd ${kind}: ${name} given twice`);
  own.delete(name);
  return v[0];
}

function take(own: Map<string, string[]>, name: string): string | undefined {
  const v = own.get(name);
  own.delete(name);
  return v?.[0];
}

/** The command's body for its kind, from the kind's own options (each used up; leftovers are an error). */
export function commandBody(kind: DownlinkKind, own: Map<string, string[]>, now = Date.now()): Record<string, unknown> {
  let body: Record<string, unknown>;
  if (kind === "price") {
    const file = one(own, "--slots", kind);
    if (!existsSync(file)) throw new UsageError(`cmd price: no file ${file}`);
    let slots: unknown;
    try { slots = JSON.parse(readFileSync(file, "utf8")); } catch (e) { throw new UsageError(`cmd price: ${file}: not JSON (${(e as Error).message})`); }
    if (!Array.isArray(slots)) throw new UsageError(`cmd price: ${file} must hold an array of slots`);
    body = { slots };
  } else if (kind === "load") {
    const id = one(own, "--id", kind);
    const on = take(own, "--on"), off = take(own, "--off"), run = take(own, "--run"), by = take(own, "--by");
    if ([on, off, run].filter((x) => x !== undefined).length !== 1) throw new UsageError("cmd load: give one of --on, --off or --run DURATION --by TIME");
    if (run !== undefined) {
      if (by === undefined) throw new UsageError("cmd load: --run needs --by TIME (the deadline, ISO)");
      const deadline = Date.parse(by);
      if (Number.isNaN(deadline)) throw new UsageError(`cmd load: --by ${JSON.stringify(by)} is not an ISO time`);
      if (deadline <= now) throw new UsageError(`cmd load: --by ${by} is in the past`);
      body = { id, durationMs: parseDuration(run), deadline };
    } else body = { id, on: on !== undefined };
  } else if (kind === "config") {
    const sets = own.get("--set");
    own.delete("--set");
    if (!sets) throw new UsageError("cmd config: --set KEY=VALUE is required");
    const config: Record<string, number> = {};
    for (const s of sets) {
      const m = /^([A-Za-z][A-Za-z0-9_]*)=(.+)$/.exec(s);
      if (!m || !Number.isFinite(Number(m[2]))) throw new UsageError(`cmd config: --set ${JSON.stringify(s)}: expected KEY=NUMBER`);
      config[m[1]] = Number(m[2]);
    }
    body = { config };
  } else {
    const url = one(own, "--url", kind);
    if (!/^https?:\/\//.test(url)) throw new UsageError(`cmd firmware: --url must be http(s)://… (got ${url})`);
    const image = take(own, "--image");
    if (image !== undefined) {
      if (!existsSync(image)) throw new UsageError(`cmd firmware: no image ${image}`);
      const m = parseHeader(new Uint8Array(readFileSync(image))).manifest;
      body = { version: m.version, url, size: m.size, sha256: m.sha256 };
    } else {
      const version = one(own, "--version", kind), size = Number(one(own, "--size", kind)), sha256 = one(own, "--sha256", kind);
      if (!Number.isSafeInteger(size) || size <= 0) throw new UsageError("cmd firmware: --size is the firmware's byte count");
      if (!/^[0-9a-f]{64}$/.test(sha256)) throw new UsageError("cmd firmware: --sha256 is 64 lower-case hex digits");
      body = { version, url, size, sha256 };
    }
  }
  if (own.size) throw new UsageError(`cmd ${kind}: unknown option${own.size > 1 ? "s" : ""} ${[...own.keys()].join(", ")}`);
  return body;
}

function print(r: CommandResult): number {
  console.log(JSON.stringify(r));
  return r.ok === true ? 0 : 1;
}

export const cmdCommand: Command = {
  name: "cmd",
  summary: "send a signed downlink (price, load, config, firmware) to a meter over MQTT and print its cmd/result",
  usage: USAGE,
  async run(args) {
    const kind = args[0] as DownlinkKind;
    if (!["price", "load", "config", "firmware"].includes(kind)) throw new UsageError("cmd: choose price, load, config or firmware (see xsmeter cmd --help)");
    const { common: c, own } = parseArgs(args.slice(1));
    const body = commandBody(kind, own);
    const key = `${c.node}/${kind}`;
    let ctr = c.ctr ?? nextCounter(c.ctrFile, key);
    const log = (l: string) => console.error(l);
    for (let attempt = 0; ; attempt++) {
      const out = await sendCommand({ brokerUrl: c.mqtt, node: c.node, kind, body, ctr, signer: c.signer, timeoutMs: c.timeoutMs, log });
      if (!out.answered) {
        console.error(`xsmeter cmd ${kind}: ${out.hint}`);
        return 3;
      }
      const r = out.result;
      if (r.ok === true) {
        saveCounter(c.ctrFile, key, ctr);
        return print(r);
      }
      const held = /replay/i.test(r.error ?? "") ? meterCounter(r) : undefined;
      // once, and only for a counter we chose: an explicit --ctr is the user's to change
      if (held !== undefined && c.ctr === undefined && attempt === 0 && held < MAX_CTR) {
        log(`the meter holds counter ${held} for ${kind}: sending again with ctr ${held + 1}`);
        ctr = held + 1;
        continue;
      }
      if (held !== undefined) console.error(`xsmeter cmd ${kind}: the meter holds counter ${held}; pass --ctr ${held + 1} or higher`);
      else if (/forged/i.test(r.error ?? "")) console.error(`xsmeter cmd ${kind}: the meter could not verify the signature: wrong --seed, --key-file or --signer for node ${c.node}?`);
      return print(r);
    }
  },
};
