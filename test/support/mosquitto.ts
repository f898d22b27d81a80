// Debian's mosquitto for integration tests: started on a port given by the test (freePort()),
// configured in a private temporary directory, stopped (or killed) by the test.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MOSQUITTO = "/usr/sbin/mosquitto";

/** Anonymous, with sessions persisted (saved at every change) so a restart keeps queued messages. */
export function persistentConf(dir: string): string[] {
  return ["allow_anonymous true", "persistence true", `persistence_location ${dir}/`, "autosave_interval 1", "autosave_on_changes true", "max_queued_messages 100000", "max_inflight_messages 100"];
}

export class Mosquitto {
  private proc?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), "xsm-mosq-"));

  /** `conf(dir)` gives the configuration lines after the listener (default: persistentConf). */
  constructor(readonly port: number, conf: (dir: string) => string[] = persistentConf) {
    chmodSync(this.dir, 0o777); // mosquitto started as root drops to the "mosquitto" user: it must write here
    writeFileSync(join(this.dir, "m.conf"), [`listener ${port} 127.0.0.1`, ...conf(this.dir), `log_dest file ${this.dir}/log`, "log_type all", ""].join("\n"));
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Starts it and waits until its port accepts connections (5 s at most). */
  async start(): Promise<void> {
    const proc = spawn(MOSQUITTO, ["-c", join(this.dir, "m.conf")], { stdio: "ignore" });
    this.proc = proc;
    let failed: Error | undefined; // e.g. ENOENT: reported here, not as an uncaught error in vitest
    proc.on("error", (e) => { failed = e; });
    for (let i = 0; i < 100; i++) {
      if (failed) throw new Error(`${MOSQUITTO} did not start: ${failed.message}`);
      const up = await new Promise<boolean>((r) => {
        const s = connect(this.port, "127.0.0.1");
        s.on("connect", () => { s.destroy(); r(true); });
        s.on("error", () => r(false));
      });
      if (up) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`mosquitto did not start on port ${this.port} (log: ${this.dir}/log)`);
  }

  /** SIGTERM for a clean stop (sessions saved), SIGKILL for a crash. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => { p.once("exit", () => r()); p.kill(signal); });
  }
}
