/**
 * The utility's side of a downlink command, for `xsmeter cmd` and `xsmeter ota offer`:
 * signs the JSON as the meter's CloudLink checks it ("h1.<HMAC-SHA256>.<json>" with the
 * meter's cloud MAC key, or "e1.<Ed25519>.<json>" with the utility's signing seed, both
 * over utf8(topic) ‖ "\n" ‖ json), publishes it on xsmeter/<node>/cmd/<kind> and waits
 * for the meter's xsmeter/<node>/cmd/result.
 *
 * Results are read defensively: older meters answer {"kind","ctr","ok","error"} with
 * ctr −1 for any refusal before the counter was read; newer ones echo the refused ctr
 * and may say which counter they hold. A result is ours when its kind (if given) is
 * ours and its ctr (if given) is ours or −1.
 */
import { statusWord } from "../../../modules/mqtt/report-order";
import { getRandomValues } from "node:crypto";
import { MqttClient } from "../../../modules/mqtt/client";
import { MemoryOutbox } from "../../../modules/mqtt/flash-outbox";
import { hmacSha256 } from "../../../modules/secure/hmac";
import { sign } from "../../../modules/secure/ed25519";
import { concatBytes, toHex, utf8Encode } from "../../../modules/core/bytes";
import { NodeNetwork } from "../http/node-network";
import { nodeClock } from "../node-clock";

export type DownlinkKind = "price" | "load" | "config" | "firmware";

export type Signer = { hmacKey: Uint8Array } | { ed25519Seed: Uint8Array };

/** The payload CloudLink verifies. */
export function signCommand(topic: string, json: string, signer: Signer): string {
  const signed = concatBytes(utf8Encode(topic), Uint8Array.of(10), utf8Encode(json));
  if ("hmacKey" in signer) return `h1.${toHex(hmacSha256(signer.hmacKey, signed))}.${json}`;
  return `e1.${toHex(sign(signed, signer.ed25519Seed))}.${json}`;
}

export interface CommandResult {
  kind?: string;
  ctr?: number;
  ok?: boolean;
  error?: string;
  [k: string]: unknown;
}

/** Whether a cmd/result answers the command of `kind` sent with `ctr`. */
export function isOurResult(r: CommandResult, kind: string, ctr: number): boolean {
  if (typeof r !== "object" || r === null) return false;
  if (r.kind !== undefined && r.kind !== kind) return false;
  return r.ctr === undefined || r.ctr === ctr || r.ctr === -1;
}

/** The counter a "replayed" refusal says the meter holds (result field, or the error text), if any. */
export function meterCounter(r: CommandResult): number | undefined {
  for (const k of ["last", "lastCtr", "last_ctr", "expected"]) {
    const v = r[k];
    if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return k === "expected" ? v - 1 : v;
  }
  const m = /not above (\d+)/.exec(r.error ?? "");
  return m ? Number(m[1]) : undefined;
}

export interface SendOptions {
  brokerUrl: string;
  node: string;
  kind: DownlinkKind;
  /** The command's fields; `ctr` is added. */
  body: Record<string, unknown>;
  ctr: number;
  signer: Signer;
  timeoutMs?: number;
  log?(line: string): void;
}

export type SendOutcome =
  | { answered: true; result: CommandResult }
  | { answered: false; connected: boolean; status?: string; hint: string };

/** Sends one signed command and waits for its result (or says why it may not have come). */
export async function sendCommand(o: SendOptions): Promise<SendOutcome> {
  const u = new URL(o.brokerUrl);
  if (u.protocol !== "mqtt:") throw new Error(`${o.brokerUrl}: only mqtt://host:port (plain TCP)`);
  const clock = nodeClock();
  const client = new MqttClient({
    network: new NodeNetwork(), clock, random: { fill: (b) => void getRandomValues(b) },
    host: u.hostname || "127.0.0.1", port: u.port ? Number(u.port) : 1883,
    clientId: `xsmeter-cmd-${process.pid}-${Date.now()}`, outbox: new MemoryOutbox(), clean: true,
  });
  const base = `xsmeter/${o.node}`;
  let result: CommandResult | undefined;
  let status: string | undefined;
  let sent = false;
  client.onMessage((topic, payload) => {
    const text = new TextDecoder().decode(payload);
    if (topic === `${base}/status`) { status = statusWord(text); return; } // {"state",…} or earlier firmware's bare word
    if (topic !== `${base}/cmd/result` || !sent) return;
    let r: CommandResult;
    try { r = JSON.parse(text) as CommandResult; } catch { return; }
    if (!result && isOurResult(r, o.kind, o.ctr)) result = r;
  });
  client.subscribe(`${base}/cmd/result`, 1);
  client.subscribe(`${base}/status`, 1);
  client.start();
  const until = async (ok: () => boolean, ms: number): Promise<boolean> => {
    const end = Date.now() + ms;
    while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    return ok();
  };
  try {
    if (!(await until(() => client.isConnected, 5000))) {
      return { answered: false, connected: false, hint: `no MQTT connection to ${o.brokerUrl}: is the broker running there (host, port)?` };
    }
    await new Promise((r) => setTimeout(r, 150)); // the retained status, and our subscriptions in place
    const topic = `${base}/cmd/${o.kind}`;
    const json = JSON.stringify({ ctr: o.ctr, ...o.body });
    sent = true;
    client.publish(topic, utf8Encode(signCommand(topic, json, o.signer)), 1);
    o.log?.(`sent ${topic} ctr ${o.ctr}: ${json}`);
    const timeoutMs = o.timeoutMs ?? 10_000;
    if (await until(() => result !== undefined, timeoutMs)) return { answered: true, result: result! };
    const seen = status === undefined
      ? `no meter ever announced itself on ${base}/status on this broker: wrong meter id (--node ${o.node}) or another broker?`
      : status === "offline"
        ? `${base}/status is "offline": the meter is not connected to this broker now`
        : `${base}/status is "${status}": the meter is there but did not answer`;
    const hint = `no ${base}/cmd/result within ${timeoutMs / 1000} s. ${seen} If the id and broker are right, the key may be wrong (wrong --seed or --key-file): a meter may leave forged commands unanswered when it rate-limits them.`;
    return { answered: false, connected: true, status, hint };
  } finally {
    client.stop();
  }
}
