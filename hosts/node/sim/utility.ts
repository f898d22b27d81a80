/**
 * The simulated utility's side of a firmware update, for `xsmeter ota offer`
 * against a running `xsmeter sim`: signs a sim image with the utility key the
 * sim's meter trusts (derived from the seed), serves it over HTTP with Range
 * requests, sends the HMAC-signed offer on xsmeter/sim-<seed>/cmd/firmware and
 * follows xsmeter/sim-<seed>/firmware until the meter confirms the new version,
 * refuses it, or rolls back.
 */
import { getRandomValues, randomBytes } from "node:crypto";
import { MqttClient } from "../../../modules/mqtt/client";
import { MemoryOutbox } from "../../../modules/mqtt/flash-outbox";
import { parseHeader } from "../../../modules/ota/image";
import { NodeNetwork } from "../http/node-network";
import { nodeClock } from "../node-clock";
import { cloudMacKey } from "./cloud";
import { simFirmwareImage, simUtilitySeed } from "./meter";
import { Prng } from "./prng";
import { startFirmwareServer } from "./firmware-server";
import { isOurResult, signCommand } from "../mqtt/downlink-sender";
import { OfferFollower } from "./offer-follower";
import { statusWord } from "../../../modules/mqtt/report-order";

/** The household's network key for a seed (as HouseholdSim derives it). */
export function simNetworkKey(seed: number): Uint8Array {
  const rng = new Prng(seed, "network-key");
  return new Uint8Array(16).map(() => rng.int(0, 255));
}

let lastCtr = 0;

export interface OfferOptions {
  brokerUrl: string;
  seed: number;
  version: string;
  selftest?: "pass" | "fail";
  /** Sign with a random key instead of the utility's (the meter must refuse it). */
  forge?: boolean;
  size?: number;
  timeoutMs?: number;
  /** The command counter (default: the Unix second, above this process's previous offer). */
  ctr?: number;
  /** How long to wait for the meter's first answer (cmd/result or a firmware state) before giving up with a hint (default 10 s). */
  answerMs?: number;
  log?: (line: string) => void;
}

export type OfferOutcome = "confirmed" | "refused" | "failed" | "rolled back" | "timeout" | "no answer";

export async function offerFirmware(o: OfferOptions): Promise<{ outcome: OfferOutcome; states: Record<string, unknown>[]; hint?: string; result?: Record<string, unknown> }> {
  const log = o.log ?? (() => {});
  const networkKey = simNetworkKey(o.seed);
  const node = `sim-${o.seed}`;
  const signer = o.forge ? new Uint8Array(randomBytes(32)) : simUtilitySeed(networkKey);
  const image = simFirmwareImage(o.version, signer, { selftest: o.selftest, size: o.size });
  const m = parseHeader(image).manifest;
  const server = await startFirmwareServer(0);
  const url = server.add(`xsmeter-${o.version}.xsota`, image);
  log(`serving ${url} (${image.length} bytes, ${o.forge ? "FORGED signature" : "signed by the sim utility"}, self-test ${o.selftest ?? "pass"})`);
  const u = new URL(o.brokerUrl);
  const clock = nodeClock();
  const client = new MqttClient({ network: new NodeNetwork(), clock, random: { fill: (b) => void getRandomValues(b) }, host: u.hostname || "127.0.0.1", port: u.port ? Number(u.port) : 1883, clientId: `utility-${node}-${Date.now()}`, outbox: new MemoryOutbox(), clean: true });
  const follower = new OfferFollower(log);
  const states = follower.states;
  let refused = false;
  const outcome = (): OfferOutcome | undefined => (refused ? "refused" : follower.outcome);
  let sentAt = 0;
  let status: string | undefined;
  let result: Record<string, unknown> | undefined;
  client.subscribe(`xsmeter/${node}/firmware`, 1);
  client.subscribe(`xsmeter/${node}/cmd/result`, 1);
  client.subscribe(`xsmeter/${node}/status`, 1);
  client.onMessage((topic, payload, retain) => {
    const text = new TextDecoder().decode(payload);
    if (topic.endsWith("/status")) { status = statusWord(text); return; }
    let body: Record<string, unknown>;
    try { body = JSON.parse(text) as Record<string, unknown>; } catch { return; }
    if (typeof body !== "object" || body === null) return;
    if (topic.endsWith("/cmd/result")) {
      // ours (kind and ctr echoed when the meter gives them), or a refusal before the counter was read (ctr -1)
      if (!sentAt || !isOurResult(body, "firmware", sentAt)) return;
      result = body;
      log(`cmd/result ${JSON.stringify(body)}`);
      if (!body.ok) refused = true;
      return;
    }
    follower.report(body, retain); // newest first: an older report resent after a newer one is passed over
  });
  client.start();
  const until = async (ok: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    return ok();
  };
  try {
    if (!(await until(() => client.isConnected, 5000))) throw new Error(`no MQTT connection to ${o.brokerUrl}`);
    await new Promise((r) => setTimeout(r, 200)); // let the retained state arrive first
    // the counter (u32 on the meter): seconds, and above this process's previous offer
    sentAt = lastCtr = o.ctr ?? Math.max(Math.floor(Date.now() / 1000), lastCtr + 1);
    follower.offered = o.version;
    const topic = `xsmeter/${node}/cmd/firmware`;
    const json = JSON.stringify({ ctr: sentAt, version: m.version, size: m.size, sha256: m.sha256, url });
    client.publish(topic, new TextEncoder().encode(signCommand(topic, json, { hmacKey: cloudMacKey(networkKey, node) })), 1);
    log(`offered ${m.version} on ${topic} (ctr ${sentAt})`);
    const answerMs = o.answerMs ?? 10_000;
    if (!(await until(() => result !== undefined || states.length > 0, answerMs))) {
      const seen = status === undefined ? `nothing on xsmeter/${node}/status: wrong seed (node ${node}) or another broker?` : `xsmeter/${node}/status is "${status}"`;
      return { outcome: "no answer", states, hint: `no answer to the offer within ${answerMs / 1000} s; ${seen} If both are right, the key may not match (a meter may leave forged commands unanswered).` };
    }
    await until(() => outcome() !== undefined, o.timeoutMs ?? 60_000);
    return { outcome: outcome() ?? "timeout", states, result };
  } finally {
    client.stop();
    await server.close();
  }
}
