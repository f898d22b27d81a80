// `xsmeter obis CODE` filters; `xsmeter bench can` refuses a bad --bitrate (and any
// unknown argument) instead of ignoring it, and its help gives the defaults it uses;
// `xsmeter can dbc --poll-ms` sets the cycle times.
import { afterEach, describe, expect, it, vi } from "vitest";
import { obisCommand } from "../../hosts/node/cli/obis-command";
import { benchCanCommand, canDbcCommand, parseBitRate } from "../../hosts/node/cli/can-command";
import { UsageError } from "../../hosts/node/cli/command";
import { OBIS } from "../../modules/core/obis";

function capture() {
  const out: string[] = [], err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
  vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => { out.push(String(c)); return true; });
  return { out, err };
}
afterEach(() => vi.restoreAllMocks());

describe("xsmeter obis", () => {
  it("CODE shows that quantity only; a prefix or a word filters; no match says so", async () => {
    let c = capture();
    expect(await obisCommand.run(["1-0:32.7.0"])).toBe(0);
    expect(c.out).toHaveLength(1);
    expect(c.out[0]).toMatch(/^1-0:32\.7\.0\s+voltage_l1\s+V\s+10\^-2\s+Voltage L1$/);
    vi.restoreAllMocks(); c = capture();
    expect(await obisCommand.run(["thd_current", "--json"])).toBe(0);
    expect(JSON.parse(c.out[0]).map((q: { key: string }) => q.key)).toEqual(OBIS.all().filter((q) => q.key.includes("thd_current")).map((q) => q.key));
    vi.restoreAllMocks(); c = capture();
    expect(await obisCommand.run(["1-0:32."])).toBe(0);
    expect(c.out.every((l) => l.startsWith("1-0:32."))).toBe(true);
    expect(c.out.length).toBeGreaterThan(1);
    vi.restoreAllMocks(); c = capture();
    expect(await obisCommand.run(["9-9:99.9.9"])).toBe(1);
    expect(c.err[0]).toMatch(/no quantity matches "9-9:99\.9\.9"/);
    vi.restoreAllMocks(); c = capture();
    expect(await obisCommand.run([])).toBe(0);
    expect(c.out).toHaveLength(OBIS.all().length);
  });
});

describe("xsmeter bench can / can dbc arguments", () => {
  it("a bad --bitrate is refused, saying what a bit rate is", async () => {
    for (const bad of ["bad", "0", "-125000", "5000", "2M", "125000.5", ""]) {
      await expect(benchCanCommand.run(["--bitrate", bad]), bad).rejects.toThrow(/is not a CAN bit rate: give bits\/s 10000\.\.1000000/);
    }
    await expect(benchCanCommand.run(["--bitrate"])).rejects.toThrow(/--bitrate needs a value/);
    await expect(benchCanCommand.run(["--bitrate=250000"])).rejects.toThrow(/unknown argument "--bitrate=250000"/);
    await expect(benchCanCommand.run(["--slaves", "0"])).rejects.toThrow(UsageError);
    expect([parseBitRate("125000"), parseBitRate("250k"), parseBitRate("1M")]).toEqual([125_000, 250_000, 1_000_000]);
  });

  it("help shows the defaults the command really uses", async () => {
    expect(benchCanCommand.usage).toMatch(/--slaves N.*default 2/);
    expect(benchCanCommand.usage).toMatch(/--bitrate B.*default 125000/);
    expect(benchCanCommand.usage).toMatch(/--cycles C.*default 5/);
    const c = capture();
    expect(await benchCanCommand.run(["--json"])).toBe(0);
    const r = JSON.parse(c.out.filter((l) => l.startsWith("{")).pop()!);
    expect(r).toMatchObject({ slaves: 2, bitRate: 125_000 });
  });

  it("can dbc --poll-ms sets the polled frames' cycle time; bad values refused", async () => {
    const c = capture();
    expect(await canDbcCommand.run(["--nodes", "1", "--poll-ms", "500"])).toBe(0);
    const text = c.out.join("");
    expect(text).toMatch(/BA_ "GenMsgCycleTime" BO_ \d+ 500;/);
    expect(text).not.toMatch(/BA_ "GenMsgCycleTime" BO_ \d+ 1000;/);
    await expect(canDbcCommand.run(["--nodes", "64"])).rejects.toThrow(/--nodes must be an integer 1\.\.63/);
    await expect(canDbcCommand.run(["--poll-ms", "x"])).rejects.toThrow(/--poll-ms must be/);
  });
});
