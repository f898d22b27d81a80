import { OBIS, type Quantity } from "../../../modules/core/obis";
import { UsageError, type Command } from "./command";

/** A quantity matches a word by its OBIS code (exact, in any spelling OBIS.get takes, or a prefix such as 1-0:32.), its key or its name. */
function matches(q: Quantity, word: string): boolean {
  const w = word.toLowerCase();
  if (/^\d+-\d+:/.test(word)) {
    let exact: string | undefined;
    try { exact = OBIS.get(word)?.code; } catch { /* a prefix such as 1-0:32. is no full code */ }
    return exact !== undefined ? q.code === exact : q.code.startsWith(word);
  }
  return q.key.toLowerCase().includes(w) || q.name.toLowerCase().includes(w);
}

export const obisCommand: Command = {
  name: "obis",
  summary: "list the quantities of the data model (all, or those matching CODE/word): OBIS code, key, unit, scaler",
  usage: "xsmeter obis [CODE|WORD …] [--json]   e.g. xsmeter obis 1-0:32.7.0, xsmeter obis 1-0:32 (prefix), xsmeter obis thd",
  async run(args) {
    const words = args.filter((a) => a !== "--json");
    const unknown = words.find((a) => a.startsWith("--"));
    if (unknown) throw new UsageError(`obis: unknown option ${unknown}; see xsmeter obis --help`);
    const all = OBIS.all();
    const picked = words.length ? all.filter((q) => words.some((w) => matches(q, w))) : all;
    if (picked.length === 0) {
      console.error(`xsmeter obis: no quantity matches ${words.map((w) => JSON.stringify(w)).join(" or ")} (xsmeter obis lists all ${all.length})`);
      return 1;
    }
    if (args.includes("--json")) {
      console.log(JSON.stringify(picked));
      return 0;
    }
    for (const q of picked) console.log(`${q.code.padEnd(14)} ${q.key.padEnd(26)} ${(q.unit || "-").padEnd(5)} 10^${q.scale}  ${q.name}`);
    return 0;
  },
};
