/**
 * `xsmeter headend`: runs the head-end, manages its users and node keys, and
 * sends downlinks from the command line (recorded in the same database as the
 * dashboard's, with the meter's result).
 */
import { getRandomValues } from "node:crypto";
import { createInterface } from "node:readline";
import { fromHex } from "../../modules/core/bytes";
import { MqttClient } from "../../modules/mqtt/client";
import { MemoryOutbox } from "../../modules/mqtt/flash-outbox";
import { credentialsOf, FailoverNetwork, parseEndpoints, redactUrls } from "./broker/failover-network";
import { NodeNetwork } from "../node/http/node-network";
import { nodeClock } from "../node/node-clock";
import { UsageError, type Command } from "../node/cli/command";
import { cloudMacKey } from "../node/sim/cloud";
import { simNetworkKey } from "../node/sim/utility";
import { openStore, startHeadend } from "./headend";
import { DownlinkSender } from "./downlink/sender";
import { CommandError } from "./downlink/commands";
import { passwordRecord } from "./web/passwords";
import { parseMessage } from "./ingest/parse";
import { DEFAULT_MAX_REJECTS } from "./store/store";

const USAGE = `xsmeter headend [--mqtt URL[,URL…]] [--db FILE] [--http-port N] [--workers N] [--retention-days N] [--max-rejects N] [--mqtt-version 4|5] [--reconnect-delay-ms N] [--secure-cookies]
       runs the head-end: ingest from the broker, the dashboard on http://127.0.0.1:N/ (default 8080);
       --reconnect-delay-ms: the ingest's first wait after a broker connection drops (default 200; on NATS
       longer than JetStream's elections, e.g. 8000); mqtt://user:password@host for a broker with ACLs
xsmeter headend user add NAME --role viewer|operator [--db FILE]     password read from stdin (10+ characters)
xsmeter headend key NODE HEX [--db FILE]                             the node's 32-byte downlink HMAC key
xsmeter headend key NODE --sim-seed N [--db FILE]                    the key a \`xsmeter sim --seed N\` node uses
xsmeter headend send price|load|config|firmware NODE JSON [--mqtt URL] [--db FILE] [--wait SECONDS]
       e.g. send load sim-1 '{"id":"boiler","on":false}'; waits for the meter's result (default 10 s)
defaults: --mqtt mqtt://127.0.0.1:1883, --db xsmeter-headend.db`;

function opt(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith("--")) throw new UsageError(`headend: --${name} needs a value`);
  args.splice(i, 2);
  return v;
}

function int(v: string | undefined, name: string, lo: number, hi: number, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new UsageError(`headend: --${name} needs an integer ${lo}..${hi}`);
  return n;
}

async function readLine(prompt: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) { rl.close(); return line; }
  return "";
}

export const headendCommand: Command = {
  name: "headend",
  summary: "the utility's head-end: fleet ingest exactly once, database, dashboard, downlinks and firmware campaigns",
  usage: USAGE,
  async run(argv) {
    const args = [...argv];
    const db = opt(args, "db") ?? "xsmeter-headend.db";
    const mqtt = opt(args, "mqtt") ?? "mqtt://127.0.0.1:1883";
    // one broker, or a cluster's nodes comma-separated (docs/headend-scaling.md)
    try { parseEndpoints(mqtt); } catch (e) { throw new UsageError(`headend: --mqtt needs mqtt://host:port[,mqtt://host:port…]: ${(e as Error).message}`); }
    const httpPort = opt(args, "http-port");
    const workers = opt(args, "workers");
    const retention = opt(args, "retention-days");
    const maxRejects = opt(args, "max-rejects");
    const mv = opt(args, "mqtt-version");
    const reconnect = opt(args, "reconnect-delay-ms");
    // behind a TLS proxy: cookies marked Secure, so a browser never sends them over plain HTTP
    const secure = args.indexOf("--secure-cookies");
    if (secure >= 0) args.splice(secure, 1);
    if (mv !== undefined && mv !== "4" && mv !== "5") throw new UsageError("headend: --mqtt-version is 4 or 5");
    const verb = args[0];
    if (verb === "user") {
      const role = opt(args, "role");
      if (args[1] !== "add" || !args[2]) throw new UsageError("headend user add NAME --role viewer|operator");
      if (role !== "viewer" && role !== "operator") throw new UsageError("headend user add: --role viewer or operator");
      if (!/^[A-Za-z0-9_.-]{1,32}$/.test(args[2])) throw new UsageError("headend user add: names are 1–32 letters, digits, _ . -");
      const password = await readLine(`password for ${args[2]}: `);
      let record: string;
      try { record = passwordRecord(password); } catch (e) { throw new UsageError(`headend user add: ${(e as Error).message}`); }
      const store = await openStore(db);
      await store.putUser({ name: args[2], role, record });
      await store.close();
      console.log(`user ${args[2]} (${role}) saved in ${db}`);
      return 0;
    }
    if (verb === "key") {
      const node = args[1];
      const seed = opt(args, "sim-seed");
      if (!node || !/^[A-Za-z0-9_-]{1,64}$/.test(node)) throw new UsageError("headend key NODE HEX | --sim-seed N");
      const key = seed !== undefined ? cloudMacKey(simNetworkKey(int(seed, "sim-seed", 0, 2 ** 31, 0)), node) : /^[0-9a-fA-F]{64}$/.test(args[2] ?? "") ? fromHex(args[2].toLowerCase()) : undefined;
      if (!key) throw new UsageError("headend key: give 64 hex digits or --sim-seed N");
      const store = await openStore(db);
      await store.setNodeKey(node, key);
      await store.close();
      console.log(`downlink key for ${node} saved in ${db}`);
      return 0;
    }
    if (verb === "send") {
      const wait = int(opt(args, "wait"), "wait", 0, 600, 10);
      return send(args.slice(1), db, mqtt, wait);
    }
    if (verb !== undefined) throw new UsageError(`headend: unknown subcommand ${verb}; see xsmeter headend --help`);
    const h = await startHeadend({
      mqttUrl: mqtt, db,
      httpPort: int(httpPort, "http-port", 0, 65535, 8080),
      workers: int(workers, "workers", 1, 16, 1),
      retentionDays: int(retention, "retention-days", 0, 36500, 0),
      maxRejects: int(maxRejects, "max-rejects", 1, 100_000_000, DEFAULT_MAX_REJECTS),
      protocolVersion: mv === "4" ? 4 : 5,
      reconnectDelayMs: int(reconnect, "reconnect-delay-ms", 0, 600_000, 200),
      secureCookies: secure >= 0,
      log: (l) => console.error(l),
    });
    printHeadend(h.url, db, mqtt, h.setupToken);
    await new Promise<void>((r) => { process.once("SIGINT", r); process.once("SIGTERM", r); });
    await h.stop();
    return 0;
  },
};

/** What `xsmeter headend` and `npm start` print: where the dashboard is and how to sign in. */
export function printHeadend(url: string, db: string, mqtt: string, setupToken?: string): void {
  console.log(`Head-end dashboard: ${url} (database ${db}, fleet from ${redactUrls(mqtt)})`);
  if (setupToken) console.log(`  no user yet: open ${url}setup with the one-time set-up token ${setupToken} (or: xsmeter headend user add NAME --role operator --db ${db})`);
  else console.log(`  sign in with a user added by: xsmeter headend user add NAME --role operator --db ${db}`);
}

async function send(args: string[], db: string, mqtt: string, waitS: number): Promise<number> {
  const [kind, node, json] = args;
  if (!kind || !node || !json) throw new UsageError("headend send KIND NODE JSON");
  let body: Record<string, unknown>;
  try { body = JSON.parse(json) as Record<string, unknown>; } catch { throw new UsageError("headend send: the JSON does not parse"); }
  const store = await openStore(db);
  const sender = new DownlinkSender({ store, mqttUrl: mqtt, clientId: `xsmeter-headend-cli-${process.pid}` });
  const endpoints = parseEndpoints(mqtt);
  // our own look at the result (the running head-end's ingest records it too; the second match is a no-op)
  const listen = new MqttClient({ network: new FailoverNetwork(new NodeNetwork(), endpoints), clock: nodeClock(), random: { fill: (b) => void getRandomValues(b) }, host: endpoints[0].host, port: endpoints[0].port, clientId: `xsmeter-headend-cli-r-${process.pid}`, outbox: new MemoryOutbox(), clean: true, ...credentialsOf(mqtt) });
  let result: { ok: boolean; error?: string } | undefined;
  let ctr = -2;
  listen.subscribe(`xsmeter/${node}/cmd/result`, 1);
  listen.onMessage((topic, payload) => {
    const it = parseMessage(topic, payload, Date.now());
    if (it.kind !== "result" || (it.ctr !== ctr && !(it.ctr === -1 && it.cmd === kind))) return;
    result = { ok: it.ok, error: it.error };
    void store.ingest([it]);
  });
  listen.start();
  sender.start();
  try {
    const until = async (ok: () => boolean, ms: number) => { const end = Date.now() + ms; while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 50)); return ok(); };
    if (!(await until(() => sender.client.isConnected && listen.isConnected, 5000))) { console.error(`headend send: no MQTT connection to ${mqtt}`); return 1; }
    await new Promise((r) => setTimeout(r, 100)); // the subscription in place before the command goes
    let row;
    try { row = await sender.send(node, kind, body, `cli:${process.env.USER ?? "unknown"}`); } catch (e) { if (e instanceof CommandError) throw new UsageError(`headend send: ${e.message}`); throw e; }
    ctr = row.ctr;
    console.log(`sent ${kind} to ${node} (counter ${row.ctr})`);
    if (waitS === 0) return 0;
    if (!(await until(() => result !== undefined, waitS * 1000))) { console.log(`no result from ${node} within ${waitS} s (the meter may be offline; the dashboard shows it when it comes)`); return 1; }
    console.log(result!.ok ? `${node} accepted it` : `${node} refused it: ${result!.error ?? "no reason given"}`);
    return result!.ok ? 0 : 1;
  } finally {
    await new Promise((r) => setTimeout(r, 100)); // let the PUBACK of our publish arrive
    sender.stop();
    listen.stop();
    await store.close();
  }
}
