import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDuration, parseSimArgs } from "../../hosts/node/cli/sim-command";
import { UsageError } from "../../hosts/node/cli/command";

const CLI = join(__dirname, "../../bin/xsmeter.js");
const built = existsSync(join(__dirname, "../../dist/hosts/node/cli/main.js"));

describe("xsmeter sim arguments", () => {
  it("parses durations and options", () => {
    expect(parseDuration("1d")).toBe(86_400_000);
    expect(parseDuration("90m")).toBe(5_400_000);
    expect(parseDuration("15")).toBe(15_000);
    const a = parseSimArgs(["--speed", "3600", "--duration", "6h", "--seed", "9", "--slaves", "2", "--http-port", "0"]);
    expect(a).toMatchObject({ speed: 3600, durationMs: 6 * 3_600_000, seed: 9, slaves: 2, httpPort: 0 });
    expect(parseSimArgs(["--speed", "max"]).speed).toBe(Infinity);
    expect(parseSimArgs([]).mqttVersion).toBe(4);
    expect(parseSimArgs(["--mqtt-version", "5"]).mqttVersion).toBe(5);
    expect(parseSimArgs([]).headendPort).toBe(8090);
    expect(parseSimArgs(["--headend-port", "0"]).headendPort).toBe(0);
    expect(parseSimArgs(["--no-headend"]).headendPort).toBeUndefined();
  });

  it("rejects bad input with a usage error", () => {
    for (const bad of [["--slaves", "0"], ["--slaves", "x"], ["--speed", "0.5"], ["--duration", "1w"], ["--duration"], ["--mqtt", "http://x"], ["--bogus"], ["--start", "yesterday"], ["--http-port", "70000"], ["--mqtt-version", "3"], ["--mqtt-version"]]) {
      expect(() => parseSimArgs(bad), bad.join(" ")).toThrow(UsageError);
    }
  });
});

describe.skipIf(!built)("xsmeter sim (the built CLI)", () => {
  it("writes the same report bytes for the same seed", () => {
    const dir = mkdtempSync(join(tmpdir(), "xsm-sim-"));
    const run = (file: string): string => {
      execFileSync(process.execPath, [CLI, "sim", "--speed", "max", "--duration", "2h", "--seed", "11", "--report", join(dir, file)], { encoding: "utf8" });
      return readFileSync(join(dir, file), "utf8");
    };
    const a = run("a.json");
    expect(run("b.json")).toBe(a);
    expect(JSON.parse(a).bus.cycles).toBe(7200);
  });

  it("npm start: serves the page in real time and stops cleanly on Ctrl-C", async () => {
    const child = spawn(process.execPath, [CLI, "sim", "--http-port", "0", "--mqtt-port", "0", "--headend-port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 15_000);
      child.stdout.on("data", () => {
        const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/xsmeter/);
    // The display mirror (ui room's DisplayApp on a framebuffer) as PNG, and a touch on it. Before a
    // password is set (no password file from an earlier run) the sim prints the setup code and the
    // mirror is off, since a board's display shows the code.
    const mirror = await fetch(`${url}display.png`);
    if (/Setup code: \d{4} \d{4}/.test(out)) expect(mirror.status).toBe(403);
    else {
      const png = new Uint8Array(await mirror.arrayBuffer());
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    }
    // Touching it is a control action: not without signing in.
    expect((await fetch(`${url}display/touch`, { method: "POST", body: "x=1&y=2" })).status).toBeGreaterThanOrEqual(400);
    expect(out).toMatch(/MQTT broker: mqtt:\/\/127\.0\.0\.1:\d+/);
    // the utility's head-end beside it: its dashboard asks for a sign-in, and says how to get one
    await new Promise((r) => setTimeout(r, 500));
    const he = /Head-end dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
    expect(he, out).not.toBeNull();
    expect(out).toMatch(/set-up token [0-9a-f]{24}|xsmeter headend user add/);
    const login = await fetch(he![1], { redirect: "manual" });
    expect([login.status, login.headers.get("location")]).toEqual([303, "/login"]);
    await new Promise((r) => setTimeout(r, 2500));
    expect(child.exitCode).toBeNull(); // still running
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(out).toMatch(/stopped/);
  }, 30_000);
});
