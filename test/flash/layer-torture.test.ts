// Power cuts at random bytes against the record log and its single-record variant, in every
// store's record shape (the energy journal's own run, with its registers, is in test/energy).
import { describe, expect, it } from "vitest";
import { BOOKING_SHAPE, CALIBRATION_SHAPE, COUNTER_SHAPE, logShape, PRICE_SHAPE, tortureLayer, type LayerShape } from "../../hosts/node/flash/layer-torture";

const SHAPES: [LayerShape, number][] = [
  [logShape("energy journal (128 B records)", 128, 16), 1500],
  [logShape("energy journal on 2 sectors", 128, 2), 1000],
  [BOOKING_SHAPE, 600],
  [CALIBRATION_SHAPE, 600],
  [PRICE_SHAPE, 400],
  [COUNTER_SHAPE, 800],
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
});
