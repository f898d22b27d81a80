// bench:hostile-headend — what hostile input costs at the MQTT decoder and the head-end, each
// beside the same figure for honest input in the same run (issues 14/18):
//  - bytes the MQTT decoder holds after a header announcing 1 MiB (+64 KiB of body), beside an
//    honest 40 KiB downlink arriving in 1,460-byte segments (the largest it must hold);
//  - ingest CPU per message: the hostile corpus (checks on) beside honest readings, with and
//    without the new checks (precheck + validate + guard);
//  - one sign-in check: the http room's pure-TypeScript PBKDF2 on the event loop (before) beside
//    node:crypto's (now, off the loop), 20,000 iterations.
import { performance } from "node:perf_hooks";
import { encodePacket, MqttDecoder } from "../modules/mqtt/codec";
import { DEFAULT_MAX_PACKET } from "../modules/mqtt/client";
import { SqliteStore } from "../hosts/headend/store/sqlite-store";
import { Ingest } from "../hosts/headend/ingest/ingest";
import { parseMessage } from "../hosts/headend/ingest/parse";
import { checkPassword, passwordRecord, ITERATIONS } from "../hosts/headend/web/passwords";
import { pbkdf2Sha256 } from "../modules/http/auth";
import { utf8Encode } from "../modules/core/bytes";

const enc = (s: string) => new TextEncoder().encode(s);

function decoderFigures(): Record<string, number> {
  const hostile = new MqttDecoder(DEFAULT_MAX_PACKET, 5);
  const attack = new Uint8Array(4 + 64 * 1024);
  attack.set([0x30, 0xfc, 0xff, 0x3f]);
  try { hostile.push(attack); } catch { /* refused from its header */ }
  const honest = new MqttDecoder(DEFAULT_MAX_PACKET, 5);
  const wire = encodePacket({ cmd: "publish", topic: "xsmeter/n1/cmd/price", payload: new Uint8Array(40 * 1024), qos: 1, retain: false, dup: false, messageId: 1 }, 5);
  let peak = 0;
  for (let i = 0; i < wire.length; i += 1460) {
    honest.push(wire.subarray(i, i + 1460));
    peak = Math.max(peak, honest.capacity);
  }
  // a 3.1.1 session reading past a 1 MiB PUBLISH, in segments
  const skip = new MqttDecoder(DEFAULT_MAX_PACKET, 4, true);
  const big = encodePacket({ cmd: "publish", topic: "xsmeter/n1/cmd/price", payload: new Uint8Array(1 << 20), qos: 1, retain: false, dup: false, messageId: 2 });
  let skipPeak = 0;
  for (let i = 0; i < big.length; i += 1460) {
    skip.push(big.subarray(i, i + 1460));
    skipPeak = Math.max(skipPeak, skip.capacity);
  }
  return { "decoder bytes held: 1 MiB header (5.0)": hostile.capacity, "decoder bytes held: 1 MiB PUBLISH read past (3.1.1)": skipPeak, "decoder bytes held: honest 40 KiB downlink": peak };
}

function corpus(now: number): { topic: string; payload: Uint8Array; retain: boolean }[] {
  const r = (extra: string) => enc(`{"boot":1,"seq":5,"t":${now - 1000},"v":1${extra}}`);
  const t = "xsmeter/town-a/meter/1/1-0:1.7.0";
  return [
    { topic: t, payload: enc('{"boot":1,"seq":'), retain: false },
    { topic: t, payload: r(',"x":1e308'), retain: false },
    { topic: t, payload: enc(`{"boot":1,"seq":5,"t":${now - 1000},"v":1e308}`), retain: false },
    { topic: "xsmeter/town-a/event", payload: enc(`{"boot":1,"seq":1,"t":${now},"meterId":1,"type":"dip","x":${"[".repeat(8000)}${"]".repeat(8000)}}`), retain: false },
    { topic: "xsmeter/../meter/1/1-0:1.7.0", payload: r(""), retain: false },
    { topic: "xsmeter/town-a/meter/007/1-0:1.7.0", payload: r(""), retain: false },
    { topic: t, payload: enc(`{"boot":1,"seq":5,"t":${Date.UTC(3000, 0, 1)},"v":1}`), retain: false },
    { topic: t, payload: enc("x".repeat(15_000)), retain: false },
  ];
}

async function ingestFigures(): Promise<Record<string, number>> {
  const now = Date.now();
  const store = new SqliteStore(":memory:");
  await store.migrate();
  const ing = new Ingest({ store, mqttUrl: "mqtt://127.0.0.1:1" });
  const N = 20_000;
  const honest = Array.from({ length: N }, (_, k) => ({ topic: `xsmeter/n${k % 100}/meter/${k % 7}/1-0:1.7.0`, payload: enc(JSON.stringify({ boot: 1, seq: k + 1, t: now - 60_000 + k, v: 500 + (k % 13), u: "W" })), retain: false }));
  // parse alone (as before the checks), then the whole read + guard path, each over the same messages
  let t = performance.now();
  for (const m of honest) parseMessage(m.topic, m.payload, now);
  const parseUs = ((performance.now() - t) * 1000) / N;
  const read = (ing as unknown as { read(m: unknown, t: number): unknown }).read.bind(ing);
  t = performance.now();
  const items = honest.map((m) => read(m, now));
  await ing.guard.apply(items as never, now);
  const checkedUs = ((performance.now() - t) * 1000) / N;
  const bad = corpus(now);
  const reps = 200;
  t = performance.now();
  for (let k = 0; k < reps; k++) for (const m of bad) read(m, now);
  const hostileUs = ((performance.now() - t) * 1000) / (reps * bad.length);
  await store.close();
  return { "ingest µs/message: honest, parse only (before)": parseUs, "ingest µs/message: honest, parse + checks + guard": checkedUs, "ingest µs/message: hostile corpus, checks": hostileUs };
}

async function signInFigures(): Promise<Record<string, number>> {
  const rec = passwordRecord("a long password");
  const salt = Buffer.from(rec.split("$")[2], "hex");
  let t = performance.now();
  pbkdf2Sha256(utf8Encode("a long guess!"), new Uint8Array(salt), ITERATIONS);
  const pureMs = performance.now() - t;
  t = performance.now();
  await checkPassword(rec, "a long guess!");
  const nativeMs = performance.now() - t;
  return { "sign-in check ms: pure TS on the event loop (before)": pureMs, "sign-in check ms: node:crypto, off the loop (now)": nativeMs };
}

export async function run(): Promise<Record<string, number>> {
  return { ...decoderFigures(), ...(await ingestFigures()), ...(await signInFigures()) };
}

if (process.argv[1]?.endsWith("hostile-headend.js")) {
  const r = await run();
  if (process.argv.includes("--json")) console.log(JSON.stringify(r, null, 2));
  else for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(56)}${Number.isInteger(v) ? v : v.toFixed(2)}`);
}
