// Power cuts at random bytes against the record log and its single-record variant, in every
// store's record shape (the energy journal's own run, with its registers, is in test/energy).
import { describe, expect, it } from "vitest";
import type { Flash } from "../../modules/core/ports";
import { crc32, writeU32LE } from "../../modules/core/bytes";
import { BOOKING_SHAPE, CALIBRATION_SHAPE, COUNTER_SHAPE, logShape, OUTBOX_BURST_SHAPE, OUTBOX_SHAPE, PRICE_SHAPE, tortureLayer, type LayerShape } from "../../hosts/node/flash/layer-torture";

const SHAPES: [LayerShape, number][] = [
  [logShape("energy journal (128 B records)", 128, 16), 1500],
  [logShape("energy journal on 2 sectors", 128, 2), 1000],
  [BOOKING_SHAPE, 600],
  [CALIBRATION_SHAPE, 600],
  [PRICE_SHAPE, 400],
  [COUNTER_SHAPE, 800],
  [OUTBOX_SHAPE, 800],
  [OUTBOX_BURST_SHAPE, 400],
];

describe("power cuts at any byte, every store's record shape", () => {
  for (const [shape, cuts] of SHAPES) {
    it(`${shape.name}: ${cuts} cuts, nothing lost, no forward jump, no corrupt record accepted`, () => {
      const r = tortureLayer(shape, { cuts, seed: 17 });
      console.log(`${shape.name}: ${JSON.stringify({ ...r, eraseCounts: `${Math.min(...r.eraseCounts)}..${Math.max(...r.eraseCounts)}` })}`);
      expect(r.cuts).toBe(cuts);
      expect(r.writes).toBeGreaterThan(cuts / 2);
      expect([r.lost, r.forwardJumps, r.empty, r.corruptAccepted]).toEqual([0, 0, 0, 0]);
      // Wear levelled: every sector erased about as often (a cut inside an erase repeats that erase).
      expect(Math.max(...r.eraseCounts)).toBeLessThanOrEqual(1.5 * Math.min(...r.eraseCounts) + 2);
    });
  }

  it("catches a store that loses its newest write (the harness can fail)", () => {
    const forgetful: LayerShape = { ...CALIBRATION_SHAPE, name: "forgetful", open: (f) => { const s = CALIBRATION_SHAPE.open(f); return { write: s.write, readBack: () => { const n = s.readBack(); return n === undefined ? n : n - 1; } }; } };
    expect(tortureLayer(forgetful, { cuts: 50, seed: 1 }).lost).toBeGreaterThan(0);
  });

  it("catches an outbox whose acknowledgements do not reach flash (acked messages back after a reboot)", () => {
    // a flash that turns every acked record (type 5) it programs in one piece into a valid record of a type the outbox ignores
    const noAcks = (f: Flash): Flash => ({
      size: f.size, sectorSize: f.sectorSize, pageSize: f.pageSize,
      read: (o, into) => f.read(o, into),
      eraseSector: (s) => f.eraseSector(s),
      program: (o, d) => {
        if (d[0] !== 0xa6 || d[1] !== 5 || d.length !== 12 + (d[2] | (d[3] << 8))) return f.program(o, d);
        const r = Uint8Array.from(d);
        r[1] = 9;
        writeU32LE(r, r.length - 4, crc32(r, 0, r.length - 4));
        f.program(o, r);
      },
    });
    const leaky: LayerShape = { ...OUTBOX_SHAPE, name: "leaky", open: (f) => OUTBOX_SHAPE.open(noAcks(f)) };
    expect(tortureLayer(leaky, { cuts: 50, seed: 1 }).corruptAccepted).toBeGreaterThan(0);
  });
});
