import { writeFileSync } from "node:fs";
import type { Command } from "./command";
import { UsageError } from "./command";
import { buildDbc } from "../../../modules/can/dbc";
import { runCanBench } from "../can/can-bench";
import { printCanBench } from "../can/can-bench-report";

export const canDbcCommand: Command = {
  name: "can dbc",
  summary: "print a DBC file describing the xsmeter CAN messages",
  usage: "xsmeter can dbc [--nodes N]   (N slaves, 1..63, default 4)",
  async run(args) {
    const at = args.indexOf("--nodes");
    const n = at >= 0 ? Number(args[at + 1]) : 4;
    if (!Number.isInteger(n) || n < 1 || n > 63) throw new UsageError("--nodes must be an integer 1..63");
    process.stdout.write(buildDbc(n));
    return 0;
  },
};

export const benchCanCommand: Command = {
  name: "bench can",
  summary: "simulate a CAN poll cycle with N slaves on the bit-timed virtual bus",
  usage: "xsmeter bench can --slaves N [--bitrate B] [--cycles C] [--json] [--candump FILE]",
  async run(args) {
    const num = (flag: string, dflt: number): number => {
      const at = args.indexOf(flag);
      if (at < 0) return dflt;
      const v = Number(args[at + 1]);
      if (!Number.isFinite(v) || v <= 0) throw new UsageError(`${flag} needs a positive number`);
      return v;
    };
    const slaves = num("--slaves", 2);
    if (!Number.isInteger(slaves) || slaves > 63) throw new UsageError("--slaves must be an integer 1..63");
    const dumpAt = args.indexOf("--candump");
    if (dumpAt >= 0 && !args[dumpAt + 1]) throw new UsageError("--candump needs a file name");
    const r = runCanBench({ slaves, bitRate: num("--bitrate", 125_000), cycles: num("--cycles", 5), candump: dumpAt >= 0 });
    if (dumpAt >= 0) writeFileSync(args[dumpAt + 1], r.candump ?? "");
    delete r.candump;
    printCanBench([r]);
    if (args.includes("--json")) console.log(JSON.stringify(r));
    return 0;
  },
};
