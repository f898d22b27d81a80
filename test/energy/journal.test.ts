import { describe, expect, it } from "vitest";
import { crc32 as nodeCrc } from "node:zlib";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";
import { Journal } from "../../modules/energy/journal";
import { torture } from "../../hosts/node/flash/torture";

describe("Journal", () => {
  it("appends records, recovers the newest at boot, levels wear across sectors", () => {
    const flash = new NorFlashSim({ size: 4 * 4096, strictProgram: true });
    const j = new Journal(flash, 128);
    expect(j.open().newest).toBeUndefined();
    for (let i = 0; i < 32 * 4 * 3 + 5; i++) j.append(1, Uint8Array.of(i & 255, i >> 8));
    const j2 = new Journal(flash, 128);
    const scan = j2.open();
    const last = 32 * 4 * 3 + 4;
    expect(scan.newest!.seq).toBe(last + 1);
    expect(Array.from(scan.newest!.payload.subarray(0, 2))).toEqual([last & 255, last >> 8]);
    expect(scan.corrupt).toBe(0);
    const counts = flash.eraseCounts();
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    // The record CRC is the IEEE CRC-32 (checked against zlib).
    const raw = new Uint8Array(128);
    flash.read(0, raw);
    const crc = raw[124] | (raw[125] << 8) | (raw[126] << 16) | (raw[127] << 24);
    expect(crc >>> 0).toBe(nodeCrc(raw.subarray(0, 124)));
    expect(j2.append(1, new Uint8Array(4))).toBe(last + 2);
  });

  it("rejects a torn record and a flipped bit, keeping the previous record", () => {
    const flash = new NorFlashSim({ size: 2 * 4096, seed: 5 });
    const j = new Journal(flash, 128);
    j.open();
    j.append(1, Uint8Array.of(1));
    flash.cutAfterBytes(60);
    expect(() => j.append(1, Uint8Array.of(2))).toThrow(PowerCut);
    flash.reboot();
    const j2 = new Journal(flash, 128);
    const scan = j2.open();
    expect(scan.newest!.payload[0]).toBe(1);
    expect(scan.corrupt).toBe(1);
    // The next record goes after the torn slot, never on top of it.
    j2.append(1, Uint8Array.of(3));
    flash.program(256 + 6, Uint8Array.of(0x00)); // corrupt it: clear the bits of its first payload byte (3)
    const scan3 = new Journal(flash, 128).open();
    expect(scan3.newest!.payload[0]).toBe(1);
    expect(scan3.corrupt).toBe(2);
    expect(() => j.append(0, new Uint8Array(1))).toThrow(RangeError);
    expect(() => j.append(1, new Uint8Array(200))).toThrow(RangeError);
  });
});

describe("T13 torture: random power cuts during writes and erases", () => {
  for (const varying of [false, true]) {
    it(`${varying ? "varying three-phase" : "2300 W constant"} load, 5,000 cuts`, () => {
      const r = torture({ cuts: 5000, varying, seed: varying ? 2 : 1 });
      console.log(`T13 ${varying ? "varying" : "constant"}: ${JSON.stringify({ ...r, eraseCounts: `${Math.min(...r.eraseCounts)}..${Math.max(...r.eraseCounts)}` })}`);
      expect(r.cuts).toBe(5000);
      expect(r.cutsInErase).toBeGreaterThan(100);
      expect(r.forwardJumps).toBe(0);
      expect(r.corruptAccepted).toBe(0);
      expect(r.tornRejected).toBeGreaterThan(0);
      expect(r.worstLossWh).toBeGreaterThan(0);
      expect(r.worstLossWh).toBeLessThanOrEqual(r.boundWh);
    });
  }
  it("torn erases that leave old records intact (prefix mode), 1,000 cuts on 4 sectors", () => {
    const r = torture({ cuts: 1000, varying: true, seed: 3, tornErase: "prefix", sectors: 4 });
    expect(r.forwardJumps).toBe(0);
    expect(r.corruptAccepted).toBe(0);
    expect(r.worstLossWh).toBeLessThanOrEqual(r.boundWh);
  });
});
