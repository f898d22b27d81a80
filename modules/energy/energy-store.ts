/**
 * Persists EnergyRegisters in a Journal with a write policy: a snapshot is
 * written every `periodMs` (if anything changed) and as soon as `thresholdWh`
 * of energy (any register) accumulated since the last write. So a power cut
 * loses at most one period's energy and never more than the threshold.
 *
 * Snapshot payload (type 1): 18 registers as u40 LE mWh (floored), max demand
 * W (u32) and its time (u32 s), preset counter (u32), time (u32 s).
 * Preset log entry (type 2): counter, old and new Wh, register index, time.
 */
import { readU32LE, writeU32LE } from "../core/bytes";
import { Journal, type JournalScan } from "./journal";
import type { LoadProfile } from "./profile";
import { EnergyRegisters, REGISTER_COUNT, STORED, type PresetRequest, type PresetVerifier } from "./registers";

export const SNAPSHOT = 1;
export const PRESET = 2;

export interface WritePolicy {
  /** Write at least this often while energy flows (ms). */
  periodMs: number;
  /** Write as soon as this much energy accumulated since the last write (Wh). */
  thresholdWh: number;
}

export const DEFAULT_POLICY: WritePolicy = Object.freeze({ periodMs: 60_000, thresholdWh: 20 });

export class EnergyStore {
  readonly registers: EnergyRegisters;
  readonly policy: WritePolicy;
  private readonly payload: Uint8Array;
  private readonly written = new Float64Array(REGISTER_COUNT);
  private lastWriteAt = -1;
  bootScan: JournalScan | undefined;

  /** Optional load profile fed with every step's balanced import/export (for bills). */
  profile: LoadProfile | undefined;

  constructor(private readonly journal: Journal, policy: Partial<WritePolicy> = {}, registers = new EnergyRegisters()) {
    this.policy = { ...DEFAULT_POLICY, ...policy };
    this.registers = registers;
    this.payload = new Uint8Array(journal.payloadSize);
    if (journal.payloadSize < REGISTER_COUNT * 5 + 16) throw new RangeError("journal records too small for the energy snapshot");
  }

  /** Recovery at boot: restores the newest snapshot (zeros on a blank flash). */
  boot(t: number): JournalScan {
    const scan = this.journal.open();
    const newest = this.newestSnapshot(scan);
    const mwh = new Float64Array(REGISTER_COUNT);
    if (newest) {
      for (let i = 0; i < REGISTER_COUNT; i++) mwh[i] = readU40(newest, i * 5);
      const at = REGISTER_COUNT * 5;
      this.registers.restore(mwh, { watts: readU32LE(newest, at), at: readU32LE(newest, at + 4) * 1000 }, readU32LE(newest, at + 8));
    } else this.registers.restore(mwh, { watts: 0, at: 0 }, 0);
    this.written.set(mwh);
    this.lastWriteAt = t;
    this.bootScan = scan;
    return scan;
  }

  /** Integrates powers, then writes a snapshot if the policy asks for one. Returns true when it wrote. */
  integrate(t: number, dtMs: number, pW: ArrayLike<number>, qVar?: ArrayLike<number>): boolean {
    this.registers.integrate(t, dtMs, pW, qVar);
    if (this.profile) this.profile.add(t - 1, this.registers.lastStepImportWh, this.registers.lastStepExportWh);
    return this.maybeWrite(t);
  }

  /** Applies the write policy at time t. */
  maybeWrite(t: number): boolean {
    const pending = this.pendingWh();
    if (pending >= this.policy.thresholdWh || (pending > 0 && t - this.lastWriteAt >= this.policy.periodMs)) {
      this.write(t);
      return true;
    }
    return false;
  }

  /** Largest energy (Wh) not yet in flash, over all registers. */
  pendingWh(): number {
    let most = 0;
    const v = this.registers.values;
    for (let i = 0; i < REGISTER_COUNT; i++) {
      const d = Math.floor(v[i]) - this.written[i];
      // A rollover makes d hugely negative: count it as pending.
      const wh = (d < 0 ? Infinity : d) / 1000;
      if (wh > most) most = wh;
    }
    return most;
  }

  /** Writes a snapshot now (e.g. on a power-fail warning or before a planned reboot). */
  write(t: number): void {
    const p = this.payload;
    p.fill(0);
    const v = this.registers.values;
    for (let i = 0; i < REGISTER_COUNT; i++) writeU40(p, i * 5, Math.floor(v[i]));
    const at = REGISTER_COUNT * 5;
    const md = this.registers.maxDemand;
    writeU32LE(p, at, Math.floor(md.watts));
    writeU32LE(p, at + 4, Math.floor(md.at / 1000));
    writeU32LE(p, at + 8, this.registers.presetCounter);
    writeU32LE(p, at + 12, Math.floor(t / 1000));
    this.lastWriteAt = t;
    this.journal.append(SNAPSHOT, p);
    for (let i = 0; i < REGISTER_COUNT; i++) this.written[i] = Math.floor(v[i]);
  }

  /** Authenticated preset: logs a PRESET record, then a snapshot with the new value. */
  preset(t: number, r: PresetRequest, proof: Uint8Array, verify: PresetVerifier, encode: (s: string) => Uint8Array): string | undefined {
    const error = this.registers.preset(t, r, proof, verify, encode);
    if (error) return error;
    const e = this.registers.presetLog[this.registers.presetLog.length - 1];
    const p = this.payload;
    p.fill(0);
    writeU32LE(p, 0, r.counter);
    writeU40(p, 4, Math.floor(e.oldWh * 1000));
    writeU40(p, 9, r.valueWh * 1000);
    p[14] = STORED.indexOf(r.code);
    writeU32LE(p, 15, Math.floor(t / 1000));
    this.journal.append(PRESET, p);
    this.write(t);
    return undefined;
  }

  private newestSnapshot(scan: JournalScan): Uint8Array | undefined {
    if (!scan.newest) return undefined;
    if (scan.newest.type === SNAPSHOT) return scan.newest.payload;
    // The newest record is a preset log entry whose snapshot was cut: the preset is lost, take the last snapshot.
    const all = this.journal.records().filter((r) => r.type === SNAPSHOT);
    return all.length ? all[all.length - 1].payload : undefined;
  }
}

function writeU40(b: Uint8Array, at: number, v: number): void {
  writeU32LE(b, at, v % 4294967296);
  b[at + 4] = Math.floor(v / 4294967296) & 255;
}

function readU40(b: Uint8Array, at: number): number {
  return readU32LE(b, at) + b[at + 4] * 4294967296;
}
