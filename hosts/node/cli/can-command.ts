import { writeFileSync } from "node:fs";
import type { Command } from "./command";
import { UsageError } from "./command";
import { buildDbc } from "../../../modules/can/dbc";
import { runCanBench } from "../can/can-bench";
import { printCanBench } from "../can/can-bench-report";

export const canDbcCommand: Command = {
  name: "can dbc",
  summary: "print a DBC file describing the xsmeter CAN messages (requests, answers, cycle times)",
  usage: "xsmeter can dbc [--nodes N] [--poll-ms P]   (N slaves 1..63, default 4; P the master's poll period in ms, default 1000)",
  async run(args) {
    const o = options(args, { "--nodes": "4", "--poll-ms": "1000" }, "can dbc");
    const n = Number(o["--nodes"]);
    if (!Number.isInteger(n) || n < 1 || n > 63) throw new UsageError(`can dbc: --nodes must be an integer 1..63 (got ${o["--nodes"]})`);
    const poll = Number(o["--poll-ms"]);
    if (!Number.isInteger(poll) || poll < 10 || poll > 3_600_000) throw new UsageError(`can dbc: --poll-ms must be an integer 10..3600000 (got ${o["--poll-ms"]})`);
    process.stdout.write(buildDbc(n, { pollPeriodMs: poll }));
    return 0;
  },
};

/** --name VALUE options with defaults; flags in `flags`; anything else is refused (never silently ignored). */
function options(args: string[], defaults: Record<string, string>, cmd: string, flags: string[] = []): Record<string, string> {
  const out: Record<string, string> = { ...defaults };
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    if (flags.includes(a)) { out[a] = "1"; continue; }
    if (!(a in defaults)) throw new UsageError(`${cmd}: unknown argument ${JSON.stringify(a)}; see xsmeter ${cmd} --help`);
    const v = args[++k];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${cmd}: ${a} needs a value`);
    out[a] = v;
  }
  return out;
}

/** "125000", "125k", "1M" → bits per second, within classical CAN's 10 kbit/s .. 1 Mbit/s. */
export function parseBitRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKM]?)$/.exec(text);
  const v = m ? Number(m[1]) * (m[2] === "M" ? 1e6 : m[2] ? 1e3 : 1) : NaN;
  if (!Number.isInteger(v) || v < 10_000 || v > 1_000_000) throw new UsageError(`bench can: --bitrate ${JSON.stringify(text)} is not a CAN bit rate: give bits/s 10000..1000000 (e.g. 125000, 250k, 1M)`);
  return v;
}

export const benchCanCommand: Command = {
  name: "bench can",
  summary: "simulate a CAN poll cycle with N slaves on the bit-timed virtual bus",
  usage: "xsmeter bench can [--slaves N] [--bitrate B] [--cycles C] [--json] [--candump FILE]\n  --slaves N   slaves on the bus, 1..63 (default 2)\n  --bitrate B  bits/s, 10000..1000000, e.g. 125000, 250k, 1M (default 125000)\n  --cycles C   poll cycles, 1..1000 (default 5)",
  async run(args) {
    const o = options(args, { "--slaves": "2", "--bitrate": "125000", "--cycles": "5", "--candump": "" }, "bench can", ["--json"]);
    const slaves = Number(o["--slaves"]);
    if (!Number.isInteger(slaves) || slaves < 1 || slaves > 63) throw new UsageError(`bench can: --slaves must be an integer 1..63 (got ${o["--slaves"]})`);
    const cycles = Number(o["--cycles"]);
    if (!Number.isInteger(cycles) || cycles < 1 || cycles > 1000) throw new UsageError(`bench can: --cycles must be an integer 1..1000 (got ${o["--cycles"]})`);
    const dump = o["--candump"];
    const r = runCanBench({ slaves, bitRate: parseBitRate(o["--bitrate"]), cycles, candump: dump !== "" });
    if (dump) writeFileSync(dump, r.candump ?? "");
    delete r.candump;
    printCanBench([r]);
    if (o["--json"]) console.log(JSON.stringify(r));
    return 0;
  },
};
