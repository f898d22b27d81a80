import { OBIS } from "../../../modules/core/obis";
import type { Command } from "./command";

export const obisCommand: Command = {
  name: "obis",
  summary: "list every quantity of the data model: OBIS code, key, unit, scaler",
  usage: "xsmeter obis [--json]",
  async run(args) {
    const all = OBIS.all();
    if (args.includes("--json")) {
      console.log(JSON.stringify(all));
      return 0;
    }
    for (const q of all) console.log(`${q.code.padEnd(14)} ${q.key.padEnd(26)} ${(q.unit || "-").padEnd(5)} 10^${q.scale}  ${q.name}`);
    return 0;
  },
};
