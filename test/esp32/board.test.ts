import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { boardConfig, DEFAULTS } from "../../hosts/esp32/board-config";
import { Stpm3x } from "../../hosts/esp32/stpm3x";
import { STPM } from "../../hosts/esp32/stpm3x-registers";
import { StpmFrontEnd } from "../../hosts/esp32/stpm-front-end";
import { FakeStpm3x } from "./fakes/fake-stpm3x";

const scales = { vRms: 0.01, iRms: 0.001, power: 0.5, energy: 0.25, vSample: 1, iSample: 1 };

describe("the board's partition table", () => {
  const rows = readFileSync(join(__dirname, "../../hosts/esp32/partitions.csv"), "utf8")
    .split("\n").filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => l.split(",").map((c) => c.trim()))
    .map(([name, type, sub, offset, size]) => ({ name, type, sub, offset: Number(offset), size: Number(size) }));

  it("fits 4 MB without overlaps, app slots 64 KiB-aligned from 0x10000, journal in whole sectors", () => {
    let end = 0;
    for (const r of rows) {
      expect(r.offset, r.name).toBeGreaterThanOrEqual(end);
      expect(r.offset % 4096, r.name).toBe(0);
      end = r.offset + r.size;
    }
    expect(end).toBeLessThanOrEqual(4 * 1024 * 1024);
    const apps = rows.filter((r) => r.type === "app");
    expect(apps.map((a) => a.sub)).toEqual(["ota_0", "ota_1"]);
    expect(apps[0].offset).toBe(0x10000);
    for (const a of apps) expect(a.offset % 0x10000).toBe(0);
    expect(rows.find((r) => r.name === "otadata")).toBeDefined();
    const journal = rows.find((r) => r.name === DEFAULTS.journalPartition);
    expect(journal?.type).toBe("data");
    expect(journal!.size % 4096).toBe(0);
  });
});

describe("board configuration", () => {
  it("fills defaults and rejects bad values clearly", () => {
    const c = boardConfig({ role: "aggregator", can: { controller: "mcp2515" } });
    expect(c.role).toBe("aggregator");
    expect(c.can.controller).toBe("mcp2515");
    expect(c.can.bitrate).toBe(125_000);
    expect(() => boardConfig({ role: "master" })).toThrow(/role/);
    expect(() => boardConfig({ can: { bitrate: 100_000 } })).toThrow(/bitrate/);
  });
});

describe("STPM3x front end of a slave", () => {
  it("books import and export from the signed energy counter and keeps readings on a bus fault", () => {
    const chip = new FakeStpm3x();
    const fe = new StpmFrontEnd(new Stpm3x(chip, scales), scales.energy, 0);
    chip.live[STPM.RMS1] = (5000 << 15) | 23000;
    chip.live[STPM.PH1_ACTIVE_POWER] = 2000;
    chip.live[STPM.PH1_APPARENT_POWER] = 2500;
    chip.live[STPM.PH1_ACTIVE_ENERGY] = 100;
    fe.measure(1000);
    chip.live[STPM.PH1_ACTIVE_ENERGY] = 140; // +40 LSB import
    fe.measure(2000);
    chip.live[STPM.PH1_ACTIVE_ENERGY] = 120; // −20 LSB export
    fe.measure(3000);
    const r = fe.readings();
    expect(r.voltageV).toBeCloseTo(230, 9);
    expect(r.currentA).toBeCloseTo(5, 9);
    expect(r.powerW).toBe(1000);
    expect(r.powerFactor).toBeCloseTo(0.8, 12);
    expect(r.importWh).toBe(40 * 0.25);
    expect(r.exportWh).toBe(20 * 0.25);
    chip.corruptAnswers = 1000;
    fe.measure(4000);
    expect(fe.failures).toBe(1);
    expect(fe.readings().t).toBe(3000);
    expect(fe.readings().importWh).toBe(10);
  });
});
