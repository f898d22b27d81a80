// The T13 torture run, shared by the test and the benchmark: random power cuts
// at any byte of any program or erase, at constant and varying load.
import { bytesEqual, crc32, readU32LE } from "../../../modules/core/bytes";
import type { Flash } from "../../../modules/core/ports";
import { EnergyStore, type WritePolicy } from "../../../modules/energy/energy-store";
import { Journal } from "../../../modules/energy/journal";
import { REGISTER_COUNT } from "../../../modules/energy/registers";
import { NorFlashSim, PowerCut } from "./nor-flash-sim";

export interface TortureResult {
  cuts: number;
  cutsInErase: number;
  reboots: number;
  worstLossWh: number;
  boundWh: number;
  forwardJumps: number;
  corruptAccepted: number;
  tornRejected: number;
  writes: number;
  simulatedHours: number;
  eraseCounts: number[];
  trueImportWh: number;
}

/** Remembers the bytes each program meant to write, to prove accepted records are genuine. */
class SpyFlash implements Flash {
  readonly intended = new Map<number, Uint8Array>();
  constructor(readonly sim: NorFlashSim) {}
  get size() { return this.sim.size; }
  get sectorSize() { return this.sim.sectorSize; }
  get pageSize() { return this.sim.pageSize; }
  read(o: number, into: Uint8Array) { this.sim.read(o, into); }
  program(o: number, d: Uint8Array) { this.intended.set(o, d.slice()); this.sim.program(o, d); }
  eraseSector(s: number) { this.sim.eraseSector(s); }
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function torture(opts: { cuts: number; varying: boolean; seed: number; policy?: Partial<WritePolicy>; sectors?: number; stepMs?: number; tornErase?: "prefix" | "scatter" }): TortureResult {
  const sectors = opts.sectors ?? 16;
  const stepMs = opts.stepMs ?? 1000;
  const sim = new NorFlashSim({ size: sectors * 4096, seed: opts.seed, tornErase: opts.tornErase });
  const flash = new SpyFlash(sim);
  const random = rng(opts.seed * 7919 + 1);
  const journal = new Journal(flash, 128);
  let store = new EnergyStore(journal, opts.policy);
  let t = Date.UTC(2026, 0, 1);
  store.boot(t);
  const policy = store.policy;
  const p = new Float64Array(3);
  const q = new Float64Array(3);
  const ram = new Float64Array(REGISTER_COUNT);
  const r: TortureResult = { cuts: 0, cutsInErase: 0, reboots: 0, worstLossWh: 0, boundWh: 0, forwardJumps: 0, corruptAccepted: 0, tornRejected: 0, writes: 0, simulatedHours: 0, eraseCounts: [], trueImportWh: 0 };
  let maxStepWh = 0;
  let previousRecovered = new Float64Array(REGISTER_COUNT);
  const span = 4096 + 40 * 128;
  while (r.cuts < opts.cuts) {
    sim.cutAfterBytes(Math.floor(random() * span));
    const erasesBefore = sim.stats().erases;
    try {
      for (;;) {
        // 2300 W constant on L1 (T13), or a random three-phase load with export phases.
        if (opts.varying) {
          for (let i = 0; i < 3; i++) {
            if (random() < 0.02) p[i] = (random() * 2 - 0.4) * 4000;
            q[i] = p[i] * 0.3 * (i === 1 ? -1 : 1);
          }
        } else p[0] = 2300;
        t += stepMs;
        const stepWh = (Math.abs(p[0]) + Math.abs(p[1]) + Math.abs(p[2])) * stepMs / 3.6e6;
        if (stepWh > maxStepWh) maxStepWh = stepWh;
        r.trueImportWh += Math.max(0, p[0] + p[1] + p[2]) * stepMs / 3.6e6;
        store.integrate(t, stepMs, p, q);
        r.writes++;
      }
    } catch (e) {
      if (!(e instanceof PowerCut)) throw e;
    }
    r.cuts++;
    if (sim.stats().erases > erasesBefore && sim.stats().cuts > 0 && lastOpWasErase(sim)) r.cutsInErase++;
    ram.set(store.registers.values);
    sim.reboot();
    r.reboots++;
    t += 5000; // the outage
    store = new EnergyStore(journal, opts.policy);
    const scan = store.boot(t);
    r.tornRejected += scan.corrupt;
    const v = store.registers.values;
    for (let i = 0; i < REGISTER_COUNT; i++) {
      const lossWh = (ram[i] - v[i]) / 1000;
      if (v[i] > ram[i] || v[i] < previousRecovered[i]) r.forwardJumps++;
      if (lossWh > r.worstLossWh) r.worstLossWh = lossWh;
    }
    previousRecovered = new Float64Array(v);
    if (scan.newest) {
      const slot = findSlot(flash, scan.newest.seq);
      if (slot === undefined) r.corruptAccepted++;
    }
    if (r.cuts % 500 === 0) r.corruptAccepted += auditAll(flash, journal);
  }
  r.writes = journal.writeCount;
  r.boundWh = Math.min(policy.thresholdWh + maxStepWh, (policy.periodMs + stepMs) / 3.6e6 * 12000);
  r.simulatedHours = (t - Date.UTC(2026, 0, 1)) / 3.6e6;
  r.eraseCounts = sim.eraseCounts();
  r.corruptAccepted += auditAll(flash, journal);
  return r;
}

function lastOpWasErase(sim: NorFlashSim): boolean {
  return /erase/.test(String(sim.lastCut ?? ""));
}

/** The slot holding a valid record with this seq, if its bytes are exactly what was intended. */
function findSlot(flash: SpyFlash, seq: number): number | undefined {
  const buf = new Uint8Array(128);
  for (const [offset, bytes] of flash.intended) {
    if (bytes[2] !== (seq & 255) || bytes[3] !== ((seq >>> 8) & 255) || bytes[4] !== ((seq >>> 16) & 255) || bytes[5] !== seq >>> 24) continue;
    flash.read(offset, buf);
    if (bytesEqual(buf, bytes)) return offset;
  }
  return undefined;
}

/** Every record the journal accepts must be byte-identical to one that was programmed there. */
function auditAll(flash: SpyFlash, journal: Journal): number {
  let bad = 0;
  const buf = new Uint8Array(128);
  const total = flash.size / 128;
  void journal;
  for (let slot = 0; slot < total; slot++) {
    flash.read(slot * 128, buf);
    // The journal's acceptance rule, recomputed here: magic, type and CRC-32.
    if (buf[0] !== 0xa5 || buf[1] < 1 || buf[1] > 254 || readU32LE(buf, 124) !== crc32(buf, 0, 124)) continue;
    const intended = flash.intended.get(slot * 128);
    if (!intended || !bytesEqual(buf, intended)) {
      // A valid-looking record whose bytes were never programmed here.
      bad++;
    }
  }
  return bad;
}
