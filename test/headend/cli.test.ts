// `xsmeter headend` from the built CLI: a user added with the password on stdin, a node key, a load
// command sent to a meter's CloudLink over mosquitto and its result waited for, bad input refused.
import { afterAll, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { missing } from "../support/requires";
import { Mosquitto } from "../support/mosquitto";
import { until } from "../support/until";
import { freePort } from "../../hosts/node/free-port";
import { toHex } from "../../modules/core/bytes";
import { SqliteStore } from "../../hosts/headend/store/sqlite-store";
import { FakeNode, TEST_KEY } from "./support/fake-node";

const CLI = join(__dirname, "../../bin/xsmeter.js");
const built = existsSync(join(__dirname, "../../dist/hosts/node/cli/main.js"));

const run = (args: string[], input?: string) => spawnSync(process.execPath, [CLI, "headend", ...args], { encoding: "utf8", input, timeout: 30_000 });

describe.skipIf(!built || missing("mosquitto"))("xsmeter headend (the built CLI)", () => {
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => { for (const c of cleanups.reverse()) await c(); });

  it("adds a user from stdin, stores a node key, sends a load command and reports the meter's answer", async () => {
    const db = join(mkdtempSync(join(tmpdir(), "xsm-he-cli-")), "he.db");
    const add = run(["user", "add", "olga", "--role", "operator", "--db", db], "a-long-password\n");
    expect(add.status, add.stderr).toBe(0);
    const s = new SqliteStore(db);
    await s.migrate();
    expect((await s.user("olga"))?.record).toMatch(/^pbkdf2-sha256\$20000\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
    await s.close();
    expect(run(["user", "add", "x", "--role", "admin", "--db", db], "a-long-password\n").status).toBe(2);
    expect(run(["user", "add", "y", "--role", "viewer", "--db", db], "short\n").status).toBe(2);
    expect(run(["key", "n1", toHex(TEST_KEY), "--db", db]).status).toBe(0);
    expect(run(["key", "n1", "abc", "--db", db]).status).toBe(2);

    const mq = new Mosquitto(await freePort());
    await mq.start();
    cleanups.push(() => mq.stop());
    const meter = new FakeNode("n1", mq.url, []);
    meter.start();
    cleanups.push(() => meter.stop());
    await until("meter connected", () => meter.client.isConnected, 5000);
    const child = spawn(process.execPath, [CLI, "headend", "send", "load", "n1", '{"id":"boiler","on":true}', "--mqtt", mq.url, "--db", db], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code, out).toBe(0);
    expect(out).toMatch(/sent load to n1 \(counter \d+\)\nn1 accepted it/);
    expect(meter.results.at(-1)).toMatchObject({ kind: "load", ok: true });
    const bad = run(["send", "load", "n1", "{bad", "--mqtt", mq.url, "--db", db]);
    expect([bad.status, bad.stderr]).toEqual([2, expect.stringContaining("does not parse")]);
    const noKey = run(["send", "load", "n2", '{"id":"x","on":true}', "--mqtt", mq.url, "--db", db]);
    expect([noKey.status, noKey.stderr]).toEqual([2, expect.stringContaining("no downlink key for node n2")]);
  }, 60_000);
});
