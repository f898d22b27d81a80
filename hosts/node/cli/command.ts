/** A subcommand of `xsmeter`. Each lives in its own file and is listed in commands.ts. */
export interface Command {
  /** One or more words, e.g. "analyze" or "can dbc". */
  name: string;
  /** One line for `xsmeter --help`. */
  summary: string;
  /** Usage text for `xsmeter <name> --help`. */
  usage: string;
  /** Runs with the arguments after the command's words; resolves to the exit code. */
  run(args: string[]): Promise<number>;
}

/** An error whose message is shown to the user as is (no stack), with exit code 2. */
export class UsageError extends Error {}
