import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uiCommand } from "../../hosts/node/cli/ui-command";
import { UsageError } from "../../hosts/node/cli/command";
import { decodePng } from "../../hosts/node/ui/png";

describe("xsmeter ui render", () => {
  it("writes the golden picture of a screen, deterministically", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xsm-ui-"));
    const out = join(dir, "prices.png");
    expect(await uiCommand.run(["prices", "--out", out, "--size", "320x240"])).toBe(0);
    const png = readFileSync(out);
    expect(decodePng(new Uint8Array(png)).width).toBe(320);
    expect(png.equals(readFileSync(join(__dirname, "golden", "prices-320x240.png")))).toBe(true);
  });

  it("--size all draws the three layouts (320x240, 480x320 and the lin build's 240x320 portrait)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xsm-ui-"));
    expect(await uiCommand.run(["loads", "--out", join(dir, "loads.png"), "--size", "all"])).toBe(0);
    for (const [w, h] of [[320, 240], [480, 320], [240, 320]]) {
      const file = join(dir, `loads-${w}x${h}.png`);
      expect(readFileSync(file).equals(readFileSync(join(__dirname, "golden", `loads-${w}x${h}.png`)))).toBe(true);
      const d = decodePng(new Uint8Array(readFileSync(file)));
      expect([d.width, d.height]).toEqual([w, h]);
    }
  });

  it("rejects unknown screens, missing --out and bad sizes with a usage error", async () => {
    await expect(uiCommand.run(["nope", "--out", "x.png"])).rejects.toBeInstanceOf(UsageError);
    await expect(uiCommand.run(["home"])).rejects.toBeInstanceOf(UsageError);
    await expect(uiCommand.run(["home", "--out", "x.png", "--size", "640x480"])).rejects.toBeInstanceOf(UsageError);
    await expect(uiCommand.run(["home", "--out", "x.png", "--size", "big"])).rejects.toBeInstanceOf(UsageError);
  });
});
