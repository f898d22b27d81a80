// `xsmeter cmd`: signed downlinks from the command line to a running sim meter through
// Debian's mosquitto — accepted with the counter file kept, a replay answered by
// sending once above the meter's counter, an explicit stale --ctr refused with a hint,
// a wrong key named as such, a wrong meter id ending with a hint instead of a hang;
// and `ota offer` ending early with the same kind of hint.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cmdCommand, commandBody } from "../../hosts/node/cli/cmd-command";
import { UsageError } from "../../hosts/node/cli/command";
import { isOurResult, meterCounter, signCommand } from "../../hosts/node/mqtt/downlink-sender";
import { nextCounter, saveCounter } from "../../hosts/node/cli/counter-file";
import { HouseholdSim } from "../../hosts/node/sim/household-sim";
import { SimMeter } from "../../hosts/node/sim/meter";
import { offerFirmware } from "../../hosts/node/sim/utility";
import { cloudMacKey } from "../../hosts/node/sim/cloud";
import { nodeClock } from "../../hosts/node/node-clock";
import { freePort } from "../../hosts/node/free-port";
import { Mosquitto } from "../support/mosquitto";
import { missing } from "../support/requires";
import { createHmac } from "node:crypto";

const dir = mkdtempSync(join(tmpdir(), "xsm-cmd-"));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
  const error = vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
  try {
    const code = await cmdCommand.run(args).catch((e) => { if (e instanceof UsageError) { err.push(e.message); return 2; } throw e; });
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe("xsmeter cmd: arguments, signing, counters", () => {
  afterEach(() => vi.restoreAllMocks());

  it("refuses bad arguments, naming what is wrong", async () => {
    const m = ["--mqtt", "mqtt://127.0.0.1:1"];
    const cases: [string[], RegExp][] = [
      [["nope"], /choose price, load, config or firmware/],
      [["load", "--seed", "3", "--id", "oven", "--on"], /--mqtt mqtt:\/\/host:port is required/],
      [["load", ...m, "--id", "oven", "--on"], /exactly one of --seed/],
      [["load", ...m, "--seed", "3", "--key-file", "k", "--id", "oven", "--on"], /exactly one of --seed/],
      [["load", ...m, "--key-file", join(dir, "none"), "--id", "oven", "--on"], /--node ID is required/],
      [["load", ...m, "--seed", "3", "--ctr", "-1", "--id", "oven", "--on"], /--ctr is an integer/],
      [["load", ...m, "--seed", "3", "--ctr", "4294967296", "--id", "oven", "--on"], /--ctr is an integer/],
      [["load", ...m, "--seed", "3", "--id", "oven"], /one of --on, --off or --run/],
      [["load", ...m, "--seed", "3", "--id", "oven", "--run", "2h"], /--run needs --by/],
      [["config", ...m, "--seed", "3", "--set", "x"], /KEY=NUMBER/],
      [["config", ...m, "--seed", "3", "--set", "a=1", "--colour", "red"], /unknown option --colour/],
      [["firmware", ...m, "--seed", "3", "--url", "ftp://x"], /--url must be http/],
      [["price", ...m, "--seed", "3", "--slots", join(dir, "none.json")], /no file/],
    ];
    for (const [args, want] of cases) {
      const r = await run(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err, args.join(" ")).toMatch(want);
    }
  });

  it("signs as CloudLink verifies: HMAC over topic, newline, JSON", () => {
    const key = new Uint8Array(32).fill(5);
    const s = signCommand("xsmeter/n/cmd/load", '{"ctr":1}', { hmacKey: key });
    expect(s).toBe(`h1.${createHmac("sha256", Buffer.from(key)).update('xsmeter/n/cmd/load\n{"ctr":1}').digest("hex")}.{"ctr":1}`);
    expect(commandBody("load", new Map([["--id", ["ev"]], ["--run", ["2h"]], ["--by", ["2030-01-01T00:00:00Z"]]]))).toEqual({ id: "ev", durationMs: 7_200_000, deadline: Date.UTC(2030, 0, 1) });
  });

  it("reads results defensively (with or without kind and ctr) and the counter a refusal names", () => {
    expect(isOurResult({ kind: "load", ctr: 9, ok: true }, "load", 9)).toBe(true);
    expect(isOurResult({ kind: "price", ctr: 9, ok: true }, "load", 9)).toBe(false);
    expect(isOurResult({ kind: "load", ctr: 8, ok: true }, "load", 9)).toBe(false);
    expect(isOurResult({ kind: "load", ctr: -1, ok: false }, "load", 9)).toBe(true);
    expect(isOurResult({ ok: false }, "load", 9)).toBe(true);
    expect(meterCounter({ error: "replayed command: counter 5 is not above 77" })).toBe(77);
    expect(meterCounter({ error: "replayed", last: 12 })).toBe(12);
    expect(meterCounter({ error: "forged" })).toBeUndefined();
  });

  it("keeps one counter per meter and kind, never lower, at least the Unix second", () => {
    const f = join(dir, "c1.json");
    expect(nextCounter(f, "n/load", 1_000_000)).toBe(1000);
    saveCounter(f, "n/load", 4_000_000_000);
    saveCounter(f, "n/load", 5);
    expect(nextCounter(f, "n/load", 1_000_000)).toBe(4_000_000_001);
    expect(nextCounter(f, "n/price", 1_000_000)).toBe(1000);
    writeFileSync(f, "{not json");
    expect(() => nextCounter(f, "n/load")).toThrow(/not a counter file/);
    writeFileSync(f, '{"n/load": 1e300}');
    expect(() => nextCounter(f, "n/load")).toThrow(/not a counter 0\.\.4294967295/);
  });
});

describe.skipIf(missing("mosquitto"))("xsmeter cmd against a sim meter through mosquitto", () => {
  const SEED = 37;
  let broker: Mosquitto | undefined;
  let sim: HouseholdSim | undefined;
  let meter: SimMeter | undefined;
  beforeAll(async () => {
    broker = new Mosquitto(await freePort());
    await broker.start();
    const clock = nodeClock();
    sim = new HouseholdSim(clock, { seed: SEED, slaves: 1 });
    sim.start();
    meter = new SimMeter({ aggregator: sim.aggregator, clock, brokerUrl: broker.url, networkKey: sim.networkKey, node: `sim-${SEED}` });
    meter.start();
    const end = Date.now() + 5000;
    while (!meter.cloud.client.isConnected && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  });
  afterAll(async () => {
    meter?.stop();
    sim?.stop();
    await new Promise((r) => setTimeout(r, 50));
    await broker?.stop();
  });

  it("sends, prints the result, keeps the counter; a replay goes once above the meter's counter", async () => {
    const file = join(dir, "counters.json");
    const common = ["--mqtt", broker!.url, "--seed", String(SEED), "--ctr-file", file];
    const a = await run(["config", ...common, "--set", "publishIntervalMs=30000"]);
    expect(a.err + a.out).toMatch(/"ok":true/);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.out)).toMatchObject({ kind: "config", ok: true });
    const saved = JSON.parse(readFileSync(file, "utf8"))[`sim-${SEED}/config`];
    expect(saved).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 60);
    // another tool used a far higher counter: the default one is refused as replayed, then sent above it
    const load = sim!.aggregator.store.snapshot().loads.find((l) => l.kind === "switchable")!;
    const high = await run(["load", "--mqtt", broker!.url, "--seed", String(SEED), "--ctr-file", join(dir, "other-tool.json"), "--ctr", "4000000000", "--id", load.id, "--off"]);
    expect(high.code).toBe(0);
    const retry = await run(["load", ...common, "--id", load.id, "--on"]);
    expect(retry.err).toMatch(/holds counter 4000000000.*ctr 4000000001/);
    expect(retry.code).toBe(0);
    expect(JSON.parse(retry.out)).toMatchObject({ ok: true });
    // an explicit stale counter is the user's: refused, with the counter to use
    const stale = await run(["load", ...common, "--ctr", "12", "--id", load.id, "--off"]);
    expect(stale.code).toBe(1);
    expect(stale.err).toMatch(/pass --ctr 4000000002 or higher/);
  });

  it("a wrong key is named; a wrong meter id ends with a hint, not a hang", async () => {
    const key = join(dir, "wrong.key");
    writeFileSync(key, `${Buffer.from(cloudMacKey(new Uint8Array(16), "x")).toString("hex")}\n`);
    const forged = await run(["load", "--mqtt", broker!.url, "--key-file", key, "--node", `sim-${SEED}`, "--ctr-file", join(dir, "c2.json"), "--id", "oven", "--on", "--timeout", "3"]);
    // a meter answers a forged command (or, rate-limiting, stays silent): either way the key is named
    expect(forged.code === 1 || forged.code === 3).toBe(true);
    expect(forged.err).toMatch(/wrong --seed, --key-file|key may be wrong/);
    const t0 = Date.now();
    const nobody = await run(["load", "--mqtt", broker!.url, "--seed", String(SEED), "--node", "sim-999", "--ctr-file", join(dir, "c3.json"), "--id", "oven", "--on", "--timeout", "1"]);
    expect(nobody.code).toBe(3);
    expect(nobody.err).toMatch(/no meter ever announced itself on xsmeter\/sim-999\/status.*wrong meter id/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("ota offer to a node that does not answer ends early with the hint", async () => {
    const r = await offerFirmware({ brokerUrl: broker!.url, seed: 998, version: "1.1.0", answerMs: 1000 });
    expect(r.outcome).toBe("no answer");
    expect(r.hint).toMatch(/nothing on xsmeter\/sim-998\/status: wrong seed/);
  });
});
