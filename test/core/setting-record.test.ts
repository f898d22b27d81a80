import { describe, expect, it } from "vitest";
import { SettingRecord, type SettingSlot } from "../../modules/core/setting-record";
import { RamFlash } from "../../modules/core/ram-flash";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";
import type { Flash } from "../../modules/core/ports";

/** A toy layer: [sequence u32 LE][value u8][checksum u8 = sum of the five bytes before]. */
const encode = (sequence: number, value: number) => {
  const b = new Uint8Array(6);
  new DataView(b.buffer).setUint32(0, sequence >>> 0, true);
  b[4] = value;
  b[5] = (b[0] + b[1] + b[2] + b[3] + b[4]) & 255;
  return b;
};
function decoder(rec: SettingRecord) {
  return (slot: SettingSlot) => {
    const b = new Uint8Array(6);
    if (rec.read(slot, b)) return undefined;
    if (((b[0] + b[1] + b[2] + b[3] + b[4]) & 255) !== b[5]) return undefined;
    return { sequence: new DataView(b.buffer).getUint32(0, true), value: b[4] };
  };
}
function save(rec: SettingRecord, value: number) {
  const cur = rec.newest(decoder(rec));
  rec.write(SettingRecord.target(cur), encode(cur ? cur.record.sequence + 1 : 1, value));
}

describe("setting record", () => {
  it("alternates slots, the newest sequence wins, across a u32 wrap", () => {
    const flash = new RamFlash(4 * 4096);
    const rec = new SettingRecord(flash, 0, 2);
    expect(rec.newest(decoder(rec))).toBeUndefined();
    save(rec, 10);
    save(rec, 11);
    save(rec, 12);
    expect(rec.newest(decoder(rec))).toEqual({ slot: 0, record: { sequence: 3, value: 12 } });
    rec.write(1, encode(0xffffffff, 20));
    rec.write(0, encode(0, 21)); // 0 follows 0xFFFFFFFF
    expect(rec.newest(decoder(rec))!.record.value).toBe(21);
  });

  it("keeps the previous setting when power is cut anywhere in a save", () => {
    for (let cut = 0; cut < 4096 * 2 + 6; cut += 97) {
      const flash = new NorFlashSim({ size: 4 * 4096, seed: cut });
      const rec = new SettingRecord(flash, 0, 2);
      save(rec, 1);
      save(rec, 2);
      flash.cutAfterBytes(cut);
      try { save(rec, 3); } catch (e) { if (!(e instanceof PowerCut)) throw e; }
      flash.reboot();
      const got = new SettingRecord(flash, 0, 2).newest(decoder(new SettingRecord(flash, 0, 2)))!.record.value;
      expect([2, 3], `cut after ${cut} bytes`).toContain(got);
    }
  });

  it("refuses slots outside the flash and a record larger than a slot", () => {
    expect(() => new SettingRecord(new RamFlash(3 * 4096) as Flash, 2, 1)).toThrow(RangeError);
    expect(() => new SettingRecord(new RamFlash(2 * 4096), 0, 1).write(0, new Uint8Array(4097))).toThrow(RangeError);
  });
});
