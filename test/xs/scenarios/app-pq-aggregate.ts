// XS conformance: the slave's 10-min power-quality aggregate — per-second values
// through SecondsAggregator, a metrology "10min" record through pqFromRecord, and
// the CAN stamp that ties the values to their interval. Values are rounded to 9
// significant digits (Math.sqrt / sin may differ in the last ulp between engines).
import { LoadedThdi, SecondsAggregator, pqFromRecord } from "../../../modules/app/pq-aggregate";
import { Aggregator } from "../../../modules/metrology/aggregation";
import { PHASE_FIELDS, type WindowRecord } from "../../../modules/metrology/records";
import { decodePq10Stamp, encodePq10Stamp } from "../../../modules/can/protocol";
import type { PqAggregate } from "../../../modules/core/household";

const T0 = Date.UTC(2026, 2, 20, 10, 0);
const r9 = (x: number) => Number(x.toPrecision(9));

function digest(a: PqAggregate): unknown {
  return { meterId: a.meterId, start: a.start, end: a.end, u: a.voltageV.map(r9), i: a.currentA.map(r9), p: a.powerW.map(r9), thdu: a.thdVoltagePct.map(r9), thdi: a.thdCurrentPct.map(r9), f: r9(a.frequencyHz), u2: a.unbalancePct === undefined ? null : r9(a.unbalancePct), flagged: a.flagged };
}

function seconds(): unknown[] {
  const agg = new SecondsAggregator(2);
  const out: unknown[] = [];
  for (let k = 1; k <= 1200; k++) {
    const a = agg.add(T0 + k * 1000, 1000, { voltageSquared: (229 + (k % 7) * 0.5) ** 2, currentA: 3 + Math.sin(k / 10), powerW: 700 * Math.sin(k / 60), thdVoltagePct: 3.1, thdCurrentPct: 15 + (k % 3), frequencyHz: 50 + 0.02 * Math.sin(k / 45), flagged: k === 777 });
    if (a) out.push(digest(a));
  }
  return out;
}

function records(): unknown[] {
  const out: unknown[] = [];
  const thdi = new LoadedThdi(3, T0);
  const agg = new Aggregator(3, T0, (a) => { const pq = pqFromRecord(5, a, T0); if (pq) { thdi.apply(pq); out.push(digest(pq)); } });
  // 2 s "windows" (the aggregator only sums them): 300 per interval keeps the XS run short.
  const w = { kind: "window", t: 0, duration: 2, f: 50, u2: 0, u0: 0, flagged: false } as WindowRecord;
  for (const f of PHASE_FIELDS) w[f] = [0, 0, 0];
  for (let k = 0; k <= 600; k++) {
    w.t = k * 2;
    w.u = [230 + Math.sin(k), 231, 229 + (k % 2)];
    w.i = [5, 4 + Math.cos(k / 7), k % 4 ? 0.01 : 3]; // L3 mostly idle: its THDi from the loaded windows only
    w.p = [1000, -200, 300 + k / 100];
    w.thdu = [3, 3.5, 4];
    w.thdi = [10, 20, k % 4 ? 2500 : 30 + (k % 3)];
    w.f = 49.99 + (k % 3) * 0.01;
    w.u2 = 0.2 + (k % 5) * 0.05;
    w.flagged = k === 432;
    thdi.add(w);
    agg.add(w);
  }
  return out;
}

export function run(): unknown {
  const stamp = encodePq10Stamp(T0 + 600_000, true);
  return { seconds: seconds(), records: records(), stamp, decoded: decodePq10Stamp(stamp), none: decodePq10Stamp(0) ?? null };
}

export const probes = {
  /** One 10-min interval of per-second values (600 adds, one aggregate). */
  secondsInterval(): unknown {
    const agg = new SecondsAggregator(1);
    let a: PqAggregate | undefined;
    for (let k = 1; k <= 600; k++) a = agg.add(T0 + k * 1000, 1000, { voltageSquared: 52900, currentA: 2, powerW: 460, thdVoltagePct: 3, thdCurrentPct: 10, frequencyHz: 50, flagged: false }) ?? a;
    return a ? a.end : 0;
  },
};
