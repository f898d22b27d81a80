// XS conformance: the MQTT outbox on the record log, on a RAM NOR flash (a minimal in-scenario
// model with a cut): messages of every length added and acknowledged out of order (each
// acknowledgement one byte cleared in place), a cut in an add and one in an acknowledgement, a
// duplicate PUBACK, the reboot's rebuild, and the one-time migration of a flash in the old ring format.
import { utf8DecodeStrict, utf8Encode } from "../../../modules/core/bytes";
import type { Flash } from "../../../modules/core/ports";
import { FlashOutbox } from "../../../modules/mqtt/flash-outbox";
import { LegacyFlashOutbox } from "../../../hosts/node/flash/legacy-outbox";

function ramFlash(size: number): Flash & { cutAt: number; programs: number } {
  const mem = new Uint8Array(size).fill(0xff);
  const f = {
    size, sectorSize: 4096, pageSize: 256, cutAt: -1, programs: 0,
    read(o: number, into: Uint8Array) { into.set(mem.subarray(o, o + into.length)); },
    program(o: number, d: Uint8Array) {
      f.programs++;
      const n = f.cutAt >= 0 ? Math.min(f.cutAt, d.length) : d.length;
      for (let i = 0; i < n; i++) mem[o + i] &= d[i];
      if (n < d.length) { f.cutAt = -1; throw new Error("cut"); }
    },
    eraseSector(s: number) { mem.fill(0xff, s * 4096, (s + 1) * 4096); },
  };
  return f;
}

const payload = (i: number) => utf8Encode(JSON.stringify({ seq: i, v: "x".repeat((i * 37) % 450) }));
const listing = (box: FlashOutbox) => box.ids().map((id) => { const e = box.get(id)!; return `${e.topic} ${e.payload.length} ${e.retain ? "r" : "-"} ${utf8DecodeStrict(e.payload.subarray(0, 12))}`; });

export function run(): unknown {
  const flash = ramFlash(4 * 4096);
  let box = new FlashOutbox(flash);
  const ids: number[] = [];
  for (let i = 0; i < 200; i++) {
    ids.push(box.add(`xsmeter/n1/meter/${i % 4}/${i}`, payload(i), i % 3 === 0));
    if (i >= 6) box.ack(ids[3 * (Math.floor(i / 3) - 2) + [2, 0, 1][i % 3]]); // out of order, 6 waiting
  }
  flash.cutAt = 60;
  let cut = false;
  try { box.add("xsmeter/n1/torn", payload(999)); } catch { cut = true; }
  box = new FlashOutbox(flash);
  const rebooted = listing(box);
  const before = flash.programs;
  box.ack(box.ids()[1]);
  box.ack(box.ids()[0]);
  const acks = flash.programs - before;
  box.ack(ids[0]); // a duplicate PUBACK: nothing written
  const duplicate = flash.programs - before - acks;
  flash.cutAt = 0; // the next acknowledgement's byte is never written
  let ackCut = false;
  const third = box.ids()[0];
  try { box.ack(third); } catch { ackCut = true; }
  box = new FlashOutbox(flash);
  const afterAckCut = { waiting: box.size, thirdWaits: box.ids()[0] === third };

  const old = ramFlash(4 * 4096);
  const legacy = new LegacyFlashOutbox(old);
  for (let i = 0; i < 60; i++) {
    const id = legacy.add(`xsmeter/n1/old/${i}`, payload(i), i % 2 === 0);
    if (i < 50) legacy.ack(id);
  }
  const migrated = new FlashOutbox(old);
  return { cut, rebooted, acks, duplicate, ackCut, afterAckCut, migration: migrated.migration, moved: listing(migrated) };
}

/** A 16-sector outbox (the board's): 400 readings sent and acknowledged, 300 waiting (each format filled once). */
const full = new Map<string, Flash>();
function fullOutbox(format: "log" | "old"): Flash {
  let flash = full.get(format);
  if (!flash) {
    flash = ramFlash(16 * 4096);
    const box = format === "log" ? new FlashOutbox(flash) : new LegacyFlashOutbox(flash);
    for (let i = 0; i < 700; i++) {
      const id = box.add(`xsmeter/sim-7/meter/${i % 4}/1-0:1.8.0`, utf8Encode(`{"boot":3,"seq":${i},"t":1767225600000,"v":1234.567,"u":"kWh"}`));
      if (i < 400) box.ack(id);
    }
    full.set(format, flash);
  }
  return flash;
}

export const probes = {
  /** The boot of the board's outbox: the log's bounded scan, every record read, 300 waiting rebuilt. */
  boot16Sectors(): unknown {
    return new FlashOutbox(fullOutbox("log")).size;
  },
  /** The same boot in the format before the record log (the old code, hosts/node/flash/legacy-outbox.ts), for comparison. */
  boot16SectorsOldFormat(): unknown {
    return new LegacyFlashOutbox(fullOutbox("old")).size;
  },
  addAndAck100(): unknown {
    const box = new FlashOutbox(ramFlash(4 * 4096));
    const p = utf8Encode('{"boot":3,"seq":1,"t":1767225600000,"v":1234.567,"u":"kWh"}');
    for (let i = 0; i < 100; i++) box.ack(box.add("xsmeter/sim-7/meter/1/1-0:1.8.0", p));
    return box.size;
  },
  addAndAck100OldFormat(): unknown {
    const box = new LegacyFlashOutbox(ramFlash(4 * 4096));
    const p = utf8Encode('{"boot":3,"seq":1,"t":1767225600000,"v":1234.567,"u":"kWh"}');
    for (let i = 0; i < 100; i++) box.ack(box.add("xsmeter/sim-7/meter/1/1-0:1.8.0", p));
    return box.size;
  },
};
