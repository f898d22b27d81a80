// XS conformance: registers integrated and journalled on a RAM NOR flash, a torn
// write rejected, recovery at boot (the flash is a minimal in-scenario model).
import { toHex } from "../../../modules/core/bytes";
import type { Flash } from "../../../modules/core/ports";
import { EnergyStore } from "../../../modules/energy/energy-store";
import { Journal } from "../../../modules/energy/journal";

function ramFlash(size: number): Flash & { mem: Uint8Array; cutAt: number } {
  const mem = new Uint8Array(size).fill(0xff);
  const f = {
    size, sectorSize: 4096, pageSize: 256, mem, cutAt: -1,
    read(o: number, into: Uint8Array) { into.set(mem.subarray(o, o + into.length)); },
    program(o: number, d: Uint8Array) {
      const n = f.cutAt >= 0 ? Math.min(f.cutAt, d.length) : d.length;
      for (let i = 0; i < n; i++) mem[o + i] &= d[i];
      if (n < d.length) { f.cutAt = -1; throw new Error("cut"); }
    },
    eraseSector(s: number) { mem.fill(0xff, s * 4096, (s + 1) * 4096); },
  };
  return f;
}

export function run(): unknown {
  const flash = ramFlash(4 * 4096);
  const t0 = Date.UTC(2026, 0, 1);
  const store = new EnergyStore(new Journal(flash), { periodMs: 60_000, thresholdWh: 20 });
  store.boot(t0);
  const p = new Float64Array(3);
  const q = new Float64Array(3);
  let t = t0;
  let writes = 0;
  for (let s = 0; s < 3 * 3600; s++) {
    t += 1000;
    p[0] = 2300; p[1] = s % 600 < 300 ? -800 : 400; p[2] = 1000;
    q[0] = 300; q[1] = -200; q[2] = 100;
    if (store.integrate(t, 1000, p, q)) writes++;
  }
  const before = store.registers.snapshot();
  flash.cutAt = 50;
  let cut = false;
  try { store.write(t); } catch { cut = true; }
  const again = new EnergyStore(new Journal(flash));
  const scan = again.boot(t + 1000);
  const after = again.registers.snapshot();
  const round = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
  fullJournal();
  return { writes, cut, valid: scan.valid, corrupt: scan.corrupt, seq: scan.newest?.seq, before: round(before), after: round(after), head: toHex(flash.mem.subarray(0, 16)) };
}

/** A slave's 32-sector journal, wrapped twice, the newest record mid-sector (filled once, by run()). */
let full: (Flash & { mem: Uint8Array }) | undefined;
function fullJournal(): Flash & { mem: Uint8Array } {
  if (!full) {
    full = ramFlash(32 * 4096);
    const j = new Journal(full);
    j.open();
    const payload = new Uint8Array(j.payloadSize);
    for (let i = 0; i < 2 * 1024 + 16 * 32 + 16; i++) j.append(1, payload);
  }
  return full;
}

export const probes = {
  /** The boot scan alone (issue 19 item 5: it read all 128 KiB before; now 33 reads, 8 KiB). */
  bootScan32Sectors(): unknown {
    const scan = new Journal(fullJournal()).open();
    return { seq: scan.newest?.seq, reads: scan.reads, bytesRead: scan.bytesRead };
  },
  integrate1000(): unknown {
    const store = new EnergyStore(new Journal(ramFlash(2 * 4096)), { thresholdWh: 1e9, periodMs: 1e12 });
    store.boot(0);
    const p = Float64Array.of(1000, 500, -200);
    for (let i = 1; i <= 1000; i++) store.integrate(i * 1000, 1000, p);
    return Math.round(store.registers.get("1-0:1.8.0"));
  },
  snapshotWrite(): unknown {
    const store = new EnergyStore(new Journal(ramFlash(2 * 4096)));
    store.boot(0);
    store.write(1000);
    return 1;
  },
};
