// Debian's PostgreSQL 15 for tests: a private cluster in a temporary directory on a free port,
// started with initdb/pg_ctl (as the "postgres" user when we are root: the server refuses root),
// trust authentication on loopback only, stopped and removed by the test.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../hosts/node/free-port";

const BIN = "/usr/lib/postgresql/15/bin";

export class PostgresServer {
  readonly dir = mkdtempSync(join(tmpdir(), "xsm-pg-"));
  port = 0;

  /** fsync off by default (tests: speed, nothing to survive); the benchmark turns it on to measure what a deployment pays. */
  constructor(private readonly opts: { fsync?: boolean } = {}) {}

  private run(cmd: string, args: string[]): void {
    const full = [join(BIN, cmd), ...args];
    if (process.getuid?.() === 0) execFileSync("runuser", ["-u", "postgres", "--", ...full], { stdio: "pipe" });
    else execFileSync(full[0], args, { stdio: "pipe" });
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    this.port = await freePort();
    chmodSync(this.dir, 0o777);
    if (process.getuid?.() === 0) execFileSync("chown", ["postgres", this.dir]);
    this.run("initdb", ["-D", join(this.dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
    this.run("pg_ctl", ["-D", join(this.dir, "data"), "-l", join(this.dir, "log"), "-w", "-o", `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=${this.opts.fsync ? "on" : "off"} -c shared_buffers=32MB -c max_connections=40`, "start"]);
  }

  /** immediate = a crash (no checkpoint), fast = a clean stop. */
  stop(mode: "fast" | "immediate" = "fast"): void {
    try { this.run("pg_ctl", ["-D", join(this.dir, "data"), "-m", mode, "-w", "stop"]); } catch { /* not running */ }
  }

  remove(): void {
    this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
