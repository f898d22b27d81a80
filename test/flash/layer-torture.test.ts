// Power cuts at random bytes against the record log and its single-record variant, in every
// store's record shape (the energy journal's own run, with its registers, is in test/energy).
import { describe, expect, it } from "vitest";
import type { Flash } from "../../modules/core/ports";
import { BOOKING_SHAPE, CALIBRATION_SHAPE, COUNTER_SHAPE, logShape, OUTBOX_ACK_SHAPE, OUTBOX_BURST_SHAPE, OUTBOX_SHAPE, PRICE_SHAPE, tortureLayer, type LayerShape } from "../../hosts/node/flash/layer-torture";

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
    const forgetful: LayerShape = { ...CALIBRATION_SHAPE, name: "forgetful", open: (f, run) => { const s = CALIBRATION_SHAPE.open(f, run); return { write: s.write, readBack: () => { const n = s.readBack(); return n === undefined ? n : n - 1; } }; } };
    expect(tortureLayer(forgetful, { cuts: 50, seed: 1 }).lost).toBeGreaterThan(0);
  });

  it("cuts fall in the outbox's acknowledgement write too, and a torn one sends that message again at most", () => {
    const before = { ...OUTBOX_ACK_SHAPE.cuts };
    const r = tortureLayer(OUTBOX_ACK_SHAPE, { cuts: 1500, seed: 23 });
    const inAck = OUTBOX_ACK_SHAPE.cuts.inAck - before.inAck;
    console.log(`${r.shape}: ${r.writes} writes, ${r.lost + r.forwardJumps + r.empty + r.corruptAccepted} failures; cuts in the ack byte: ${inAck} of ${r.cuts} (${OUTBOX_ACK_SHAPE.cuts.ackBack - before.ackBack} read back waiting), in an add or its erase: ${OUTBOX_ACK_SHAPE.cuts.inAdd - before.inAdd}`);
    expect(inAck).toBeGreaterThan(15);
    expect([r.lost, r.forwardJumps, r.empty, r.corruptAccepted]).toEqual([0, 0, 0, 0]);
    expect(Math.max(...r.eraseCounts)).toBeLessThanOrEqual(1.5 * Math.min(...r.eraseCounts) + 2);
  });

  it("catches an outbox whose acknowledgements do not reach flash (acknowledged messages back after a reboot)", () => {
    // a flash that drops the outbox's one-byte acknowledgement writes
    const noAcks = (f: Flash): Flash => ({
      size: f.size, sectorSize: f.sectorSize, pageSize: f.pageSize,
      read: (o, into) => f.read(o, into),
      eraseSector: (s) => f.eraseSector(s),
      program: (o, d) => { if (!(d.length === 1 && d[0] === 0)) f.program(o, d); },
    });
    const leaky: LayerShape = { ...OUTBOX_SHAPE, name: "leaky", open: (f, run) => OUTBOX_SHAPE.open(noAcks(f), run) };
    expect(tortureLayer(leaky, { cuts: 50, seed: 1 }).corruptAccepted).toBeGreaterThan(0);
  });
});
