/** `xsmeter`: the host command-line tool. Dispatches to the subcommands in commands.ts. */
import { COMMANDS } from "./commands";
import { UsageError, type Command } from "./command";

const VERSION = "0.1.0";

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `xsmeter ${VERSION} — smart-energy-meter firmware for the XS engine: host tools and simulator

Usage: xsmeter <command> [options]      xsmeter <command> --help

Commands:
${lines.join("\n")}
`;
}

/** The command whose words match the longest prefix of argv. */
function resolveCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  let best: { command: Command; rest: string[] } | undefined;
  for (const command of COMMANDS) {
    const words = command.name.split(" ");
    if (words.every((w, i) => argv[i] === w) && (!best || words.length > best.command.name.split(" ").length)) {
      best = { command, rest: argv.slice(words.length) };
    }
  }
  return best;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    process.stdout.write(help());
    return 0;
  }
  if (argv[0] === "--version" || argv[0] === "-v") {
    console.log(VERSION);
    return 0;
  }
  const found = resolveCommand(argv);
  if (!found) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
    if (group.length) console.error(`xsmeter ${argv[0]}: choose one of: ${group.map((c) => c.name).join(", ")}`);
    else console.error(`xsmeter: unknown command ${JSON.stringify(argv[0])}; see xsmeter --help`);
    return 2;
  }
  if (found.rest.includes("--help") || found.rest.includes("-h")) {
    console.log(`${found.command.summary}\n\nUsage: ${found.command.usage}`);
    return 0;
  }
  try {
    return await found.command.run(found.rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`xsmeter: ${e.message}`);
      return 2;
    }
    console.error(`xsmeter ${found.command.name}: ${(e as Error).message}`);
    if (process.env.XSMETER_DEBUG) console.error((e as Error).stack);
    return 1;
  }
}

// `xsmeter analyze … | head -1`: the reader left; stop quietly instead of an EPIPE stack trace
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
