import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { NorFlashSim } from "../flash/nor-flash-sim";
import { join } from "node:path";
import { DAY, HOUR, MINUTE, SECOND } from "../../../modules/core/clock";
import type { Household } from "../../../modules/core/household";
import { passwordFile } from "../http/password-file";
import { startWebServer } from "../http/serve";
import { CandumpWriter } from "../can/candump";
import { startEmbeddedBroker } from "../mqtt/embedded-broker";
import { startHeadend, type Headend } from "../../headend/headend";
import { printHeadend } from "../../headend/cli";
import { cloudMacKey } from "../sim/cloud";
import type { SimCloud } from "../sim/cloud";
import { SimMeter } from "../sim/meter";
import { createDisplayMirror } from "../ui/display-mirror";
import type { Clock } from "../../../modules/core/clock";
import { HouseholdSim } from "../sim/household-sim";
import { runFast } from "../sim/run";
import { UsageError, type Command } from "./command";
import { nodeClock } from "../node-clock";
import { loadRecording } from "../recordings/load";
import { RecordingError, type Recording } from "../recordings/recording";

/**
 * `xsmeter sim` (and `npm start`): the simulated household network.
 * Real time by default, until Ctrl-C; `--speed N --duration D` runs N times
 * faster than real time on a virtual clock (`--speed max`: as fast as the CPU
 * allows) and can write a deterministic report.
 */
const USAGE = `xsmeter sim [options]
  --slaves N          slave meters on the bus (default 4)
  --seed N            seed of every random model (default 7)
  --http-port N       web page port on 127.0.0.1 (default 8080; 0 = any free port)
  --headend-port N    the utility's head-end dashboard port (default 8090; 0 = any free port); real time only
  --no-headend        do not start the head-end beside the household
  --mqtt-port N       embedded MQTT broker port (default 1883; 0 = any free port)
  --mqtt URL          use an external MQTT broker instead of the embedded one
  --mqtt-version 4|5  MQTT 3.1.1 (default) or 5.0 for the cloud link (5.0 falls back to 3.1.1 on a broker
                      without it, e.g. the embedded one)
  --speed N|max       run N times faster than real time on a virtual clock (default 1 = real time)
  --duration D        how long to simulate, e.g. 1d, 6h, 30m, 90s (with --speed; default 1d)
  --start DATE        simulated start (ISO date; default 2026-03-20 for --speed, now for real time)
  --report FILE.json  write the run's report (energy, bill, decisions, events, bus, auth failures)
  --candump FILE      write the bus traffic in candump format (with --link can)
  --link can|direct   aggregator↔slaves: authenticated CAN on the bit-timed virtual bus (default in real
                      time), or in memory (default with --speed: a CAN day takes ~15 min of CPU)
  --samples           slaves measure 12-bit waveform samples (default in real time; slow for --speed)
  --recording FILE    in real time, one meter measures this recording (.cfg/.cff COMTRADE, .wav, .csv t,u,i),
                      first phase, looped, instead of the waveform generator
  --recording-meter N which meter measures the recording (default 1)
  --ha-switching      let Home Assistant switch loads marked switchable over xsmeter/<node>/load/<id>/set
                      (that topic is NOT authenticated: off by default, the relays are then read-only)`;

interface SimArgs {
  slaves: number;
  seed: number;
  httpPort: number;
  /** The head-end's dashboard port; undefined = no head-end. */
  headendPort?: number;
  mqttPort: number;
  mqtt?: string;
  mqttVersion: 4 | 5;
  speed: number; // 1 = real time, Infinity = max
  durationMs: number;
  start?: number;
  report?: string;
  candump?: string;
  samples: boolean;
  haSwitching?: boolean;
  link?: "can" | "direct";
  recording?: string;
  recordingMeter: number;
}

export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text);
  if (!m) throw new UsageError(`sim: bad duration ${JSON.stringify(text)} (e.g. 1d, 6h, 30m, 90s)`);
  const unit = { ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: DAY }[(m[2] ?? "s") as "ms" | "s" | "m" | "h" | "d"];
  const ms = Number(m[1]) * unit;
  if (!(ms > 0)) throw new UsageError("sim: duration must be > 0");
  return ms;
}

export function parseSimArgs(args: string[]): SimArgs {
  const out: SimArgs = { slaves: 4, seed: 7, httpPort: 8080, headendPort: 8090, mqttPort: 1883, mqttVersion: 4, speed: 1, durationMs: DAY, samples: false, recordingMeter: 1 };
  const int = (name: string, v: string | undefined, lo: number, hi: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < lo || n > hi) throw new UsageError(`sim: ${name} needs an integer ${lo}..${hi}`);
    return n;
  };
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    const v = args[k + 1];
    switch (a) {
      case "--slaves": out.slaves = int(a, v, 1, 16); k++; break;
      case "--seed": out.seed = int(a, v, 0, 2 ** 32 - 1); k++; break;
      case "--http-port": out.httpPort = int(a, v, 0, 65535); k++; break;
      case "--headend-port": out.headendPort = int(a, v, 0, 65535); k++; break;
      case "--no-headend": out.headendPort = undefined; break;
      case "--mqtt-port": out.mqttPort = int(a, v, 0, 65535); k++; break;
      case "--mqtt":
        if (!v || !/^mqtts?:\/\//.test(v)) throw new UsageError("sim: --mqtt needs a URL like mqtt://host:1883");
        out.mqtt = v; k++; break;
      case "--mqtt-version":
        if (v !== "4" && v !== "5") throw new UsageError("sim: --mqtt-version is 4 (3.1.1) or 5 (5.0)");
        out.mqttVersion = v === "5" ? 5 : 4; k++; break;
      case "--speed":
        if (v === "max") out.speed = Infinity;
        else {
          const n = Number(v);
          if (!(n >= 1)) throw new UsageError("sim: --speed needs a number ≥ 1 or max");
          out.speed = n;
        }
        k++; break;
      case "--duration": out.durationMs = parseDuration(v ?? ""); k++; break;
      case "--start": {
        const t = Date.parse(v ?? "");
        if (Number.isNaN(t)) throw new UsageError("sim: --start needs an ISO date, e.g. 2026-03-20");
        out.start = t; k++; break;
      }
      case "--report": if (!v) throw new UsageError("sim: --report needs a file"); out.report = v; k++; break;
      case "--candump": if (!v) throw new UsageError("sim: --candump needs a file"); out.candump = v; k++; break;
      case "--samples": out.samples = true; break;
      case "--ha-switching": out.haSwitching = true; break;
      case "--recording": if (!v) throw new UsageError("sim: --recording needs a file (.cfg, .cff, .wav or .csv)"); out.recording = v; k++; break;
      case "--recording-meter": out.recordingMeter = int(a, v, 1, 16); k++; break;
      case "--link":
        if (v !== "can" && v !== "direct") throw new UsageError("sim: --link is can or direct");
        out.link = v; k++; break;
      default: throw new UsageError(`sim: unknown option ${a}; see xsmeter sim --help`);
    }
  }
  if (out.recording && out.speed !== 1) throw new UsageError("sim: --recording runs in real time only (drop --speed)");
  if (out.recordingMeter > out.slaves) throw new UsageError(`sim: --recording-meter ${out.recordingMeter} but only ${out.slaves} slaves`);
  return out;
}

/** Reads the --recording file; a malformed or missing one is a usage error naming the file and the fault. */
export function openRecording(args: SimArgs): { meterId: number; recording: Recording } | undefined {
  if (!args.recording) return undefined;
  try {
    return { meterId: args.recordingMeter, recording: loadRecording(args.recording) };
  } catch (e) {
    if (e instanceof RecordingError) throw new UsageError(`sim: --recording ${args.recording}: ${e.message}`);
    throw e;
  }
}

async function serve(household: Household, clock: Clock, args: SimArgs): Promise<{ url: string; close(): Promise<void> }> {
  // The display mirror (ui room) renders the aggregator's household as the touch display shows it.
  const display = createDisplayMirror(household, clock);
  // The http room's web server: dashboard, power graphs, prices, load control (sign-in), display mirror.
  // The sign-in record lives beside the aggregator's flash file, so a restart keeps the password.
  const password = passwordFile(join(tmpdir(), `xsmeter-sim-${args.seed}-aggregator.password`));
  // No password yet: the setup code that claims the meter, printed here as the board shows it on its display.
  const onSetupCode = (code: string): void => console.log(`Setup code: ${code}  (the web page asks for it to set the first password)`);
  return startWebServer({ household, clock, port: args.httpPort, display, storedPassword: password.stored, savePassword: password.save, onSetupCode });
}

/** The embedded MQTT broker on loopback (mqtt room), unless an external one is given. */
async function startBroker(args: SimArgs): Promise<{ url: string; close(): Promise<void> } | undefined> {
  if (args.mqtt) return undefined;
  return startEmbeddedBroker({ port: args.mqttPort });
}

function printTopics(broker: string, cloud: SimCloud): void {
  const t = cloud.topics;
  console.log(`MQTT broker: ${broker} (cloud link as node "${cloud.node}", readings every 10 s)`);
  console.log(`  status     ${t.status}  (retained; last will "offline")`);
  console.log(`  readings   ${t.readings}`);
  console.log(`  pq 10 min  ${t.pq}  (once per meter per 10-min interval)`);
  console.log(`  events     ${t.event}`);
  console.log(`  discovery  ${t.discovery}  (retained, Home Assistant)`);
  console.log(`  commands   ${t.cmd}  (HMAC-signed) → ${t.result}`);
  console.log(`  household  xsmeter/${cloud.node}/household, relays xsmeter/${cloud.node}/load/<id>/state (Home Assistant)`);
  console.log(`  HA switch  ${cloud.ha.switchingEnabled ? `xsmeter/${cloud.node}/load/<id>/set (unauthenticated; loads marked switchable only)` : "off (relays read-only; --ha-switching enables the unauthenticated command topic)"}`);
}

async function runRealTime(args: SimArgs): Promise<number> {
  const recording = openRecording(args);
  const clock = nodeClock();
  // Each slave journals its energy in a flash file, as on the board: its counters continue across runs.
  const slaveFlash = (id: number) => new NorFlashSim({ size: 16 * 4096, file: join(tmpdir(), `xsmeter-sim-${args.seed}-meter-${id}.flash`) });
  const sim = new HouseholdSim(clock, { seed: args.seed, slaves: args.slaves, frontEnd: "pipeline", link: args.link ?? "can", recording, slaveFlash });
  sim.start();
  const broker = await startBroker(args);
  const web = await serve(sim.aggregator.store, clock, args);
  console.log(`xsmeter sim: ${args.slaves} slaves and an aggregator in real time (seed ${args.seed}), ${sim.master ? "authenticated CAN at 125 kbit/s, a key per node" : "in-memory link"}`);
  console.log(`Web page: ${web.url}`);
  if (recording) console.log(`Meter ${recording.meterId} measures ${args.recording} (${recording.recording.sampleRate} S/s, looped)`);
  const brokerUrl = broker ? broker.url : args.mqtt!;
  // The aggregator as a device: flash with boot counter, OTA slots and config; downlinks wired (meter.ts).
  const flashFile = join(tmpdir(), `xsmeter-sim-${args.seed}-aggregator.flash`); // boot counter, outbox, settings, firmware
  const meter = new SimMeter({ aggregator: sim.aggregator, clock, brokerUrl, networkKey: sim.networkKey, node: `sim-${args.seed}`, flashFile, protocolVersion: args.mqttVersion, ha: { switching: args.haSwitching, device: { configurationUrl: web.url }, log: (l) => console.log(l) } });
  meter.start();
  printTopics(brokerUrl, meter.cloud);
  console.log(`  firmware   xsmeter/sim-${args.seed}/firmware  (retained: running ${meter.runningVersion}, boot ${meter.boot}; flash ${flashFile})`);
  const headend = args.headendPort === undefined ? undefined : await startSimHeadend(args, brokerUrl, sim.networkKey, broker !== undefined);
  console.log("Ctrl-C to stop.");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  meter.stop();
  sim.stop();
  await web.close();
  await new Promise((r) => setTimeout(r, 100)); // let the "offline" status and DISCONNECT reach the broker
  await headend?.stop();
  await broker?.close();
  console.log("xsmeter sim: stopped");
  return 0;
}

/**
 * The utility's head-end beside the household (hosts/headend): its database a file beside the
 * sim's flash files, the sim node's downlink key registered, its dashboard URL and sign-in printed.
 */
async function startSimHeadend(args: SimArgs, mqttUrl: string, networkKey: Uint8Array, embedded: boolean): Promise<Headend> {
  const node = `sim-${args.seed}`;
  const db = join(tmpdir(), `xsmeter-sim-${args.seed}-headend.db`);
  // the embedded broker (aedes) speaks MQTT 3.1.1: one worker, a persistent 3.1.1 session
  const h = await startHeadend({ mqttUrl, db, httpPort: args.headendPort, protocolVersion: embedded ? 4 : 5, log: (l) => console.error(`headend: ${l}`) });
  await h.store.setNodeKey(node, cloudMacKey(networkKey, node));
  printHeadend(h.url, db, mqttUrl, h.setupToken);
  return h;
}

async function runAccelerated(args: SimArgs): Promise<number> {
  if (args.candump && args.link !== "can") throw new UsageError("sim: --candump needs --link can (the in-memory link has no frames)");
  const candump = args.candump ? new CandumpWriter("can0") : undefined;
  const start = args.start ?? Date.UTC(2026, 2, 20);
  const real0 = performance.now();
  let web: { url: string; close(): Promise<void> } | undefined;
  const { report } = await runFast({
    seed: args.seed,
    slaves: args.slaves,
    frontEnd: args.samples ? "samples" : "power",
    link: args.link ?? "direct",
    start,
    durationMs: args.durationMs,
    pace: Number.isFinite(args.speed) ? args.speed : undefined,
    onStart: async (sim, clock) => {
      if (candump) sim.bus!.onTraffic((t) => candump.add(t.endMs, t.frame));
      if (Number.isFinite(args.speed)) {
        // The server's own time-outs run on real time (a virtual clock at N× would cut connections);
        // the household it shows runs on the virtual clock.
        void clock;
        web = await serve(sim.aggregator.store, nodeClock(), args);
        console.log(`Web page: ${web.url}`);
      }
    },
  });
  await web?.close();
  const seconds = (performance.now() - real0) / 1000;
  const r = report as { meters: { id: number; importWh: number; exportWh: number }[]; bill: { totalMinor: number; currency: string }; decisions: unknown[]; bus: { cycles: number }; authFailures: number };
  console.log(`xsmeter sim: ${args.durationMs / HOUR} h simulated in ${seconds.toFixed(1)} s (seed ${args.seed})`);
  for (const m of r.meters) console.log(`  meter ${m.id}: import ${(m.importWh / 1000).toFixed(3)} kWh, export ${(m.exportWh / 1000).toFixed(3)} kWh`);
  console.log(`  bill ${(r.bill.totalMinor / 100).toFixed(2)} ${r.bill.currency}, ${r.decisions.length} decisions, ${r.bus.cycles} poll cycles, ${r.authFailures} auth failures`);
  if (candump && args.candump) {
    writeFileSync(args.candump, candump.text());
    console.log(`  candump: ${args.candump} (${candump.lines.length} frames)`);
  }
  if (args.report) {
    writeFileSync(args.report, JSON.stringify(report, null, 1) + "\n");
    console.log(`  report: ${args.report}`);
  }
  return 0;
}

export const simCommand: Command = {
  name: "sim",
  summary: "run the simulated household network (real time, or faster with --speed) — what `npm start` runs",
  usage: USAGE,
  async run(args) {
    const parsed = parseSimArgs(args);
    return parsed.speed === 1 ? runRealTime(parsed) : runAccelerated(parsed);
  },
};
