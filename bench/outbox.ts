// `npm run bench:outbox [-- --json]`: what the MQTT outbox writes to flash, on the board's 16
// sectors, in its record-log format beside the format before it (the old code, kept in
// hosts/node/flash/legacy-outbox.ts), in the same run: flash programs, bytes programmed and
// sector erases per 1,000 messages sent and acknowledged (readings of 94 B, every 20th a 10-min
// power-quality aggregate of ~420 B), how many of those acknowledged messages a reboot then sends
// again, how many readings wait before the outbox is full (the broker away), what a boot then
// reads, and what a flood of PUBACKs for ids not waiting writes.
import { NorFlashSim } from "../hosts/node/flash/nor-flash-sim";
import { LegacyFlashOutbox } from "../hosts/node/flash/legacy-outbox";
import { FlashOutbox, type Outbox } from "../modules/mqtt/flash-outbox";

const enc = (s: string) => new TextEncoder().encode(s);
const reading = (i: number) => ({ topic: `xsmeter/sim-7/meter/${1 + (i % 4)}/1-0:1.8.0`, payload: enc(JSON.stringify({ boot: 3, seq: 10_000 + i, t: 1767225600000 + i * 10_000, v: 1234.567, u: "kWh" })) });
const aggregate = (i: number) => ({
  topic: `xsmeter/sim-7/meter/${1 + (i % 4)}/pq/10min`,
  payload: enc(JSON.stringify({ boot: 3, seq: 10_000 + i, start: 1767225600000, end: 1767226200000, u: [230.12, 229.87, 231.02], i: [5.123, 4.871, 6.002], p: [1150.2, 1080.7, 1320.9], thdu: [2.31, 2.12, 2.45], thdi: [8.12, 7.93, 9.01], f: 50.002, u2: 0.21, flagged: false, pst: [0.31, 0.29, 0.33], plt: [0.35, 0.33, 0.36], dips: 0, swells: 0, interruptions: 0 })),
});
const message = (i: number) => (i % 20 === 19 ? aggregate(i) : reading(i));

type Make = (flash: NorFlashSim) => Outbox;
const formats: [string, Make][] = [["record log, acknowledged in place", (f) => new FlashOutbox(f)], ["the old ring (before the record log)", (f) => new LegacyFlashOutbox(f)]];

function run(make: Make) {
  const flash = new NorFlashSim({ size: 16 * 4096 });
  const box = make(flash);
  for (let i = 0; i < 2000; i++) box.ack(box.add(message(i).topic, message(i).payload)); // wrap first
  const s0 = flash.stats();
  const n = 10_000;
  for (let i = 0; i < n; i++) box.ack(box.add(message(i).topic, message(i).payload));
  const s1 = flash.stats();
  const per = (x: number) => (x * 1000) / n;
  const resent = make(flash).size; // a reboot now: every message was acknowledged
  // the broker away: readings wait until the outbox is full
  let held = 0;
  try { for (;;) { box.add(reading(held).topic, reading(held).payload); held++; } } catch { /* full */ }
  const s2 = flash.stats();
  make(flash);
  const s3 = flash.stats();
  // a flood of PUBACKs for ids that are not waiting (acknowledged already, or never added)
  const first = box.ids()[0];
  for (let k = 0; k < 10_000; k++) box.ack(k % 2 ? first + 1_000_000 + k : first - 1 - (k % 500));
  const flood = flash.stats().programs - s3.programs;
  return {
    programs: per(s1.programs - s0.programs), bytes: per(s1.programmedBytes - s0.programmedBytes), erases: per(s1.erases - s0.erases),
    resent, held, bootReads: s3.reads - s2.reads, floodPrograms: flood,
  };
}

const rows = formats.map(([name, make]) => ({ name, ...run(make) }));
console.log("MQTT outbox on 16 × 4 KiB sectors: per 1,000 messages sent and acknowledged (19 readings of 94 B : 1 aggregate of ~420 B)\n");
console.log("| format | flash programs | bytes programmed | sector erases | sent again after a reboot (of 10,000 acknowledged) | readings held when the broker is away | flash reads at boot (full) | programs for 10,000 stray PUBACKs |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) console.log(`| ${r.name} | ${r.programs.toFixed(0)} | ${r.bytes.toLocaleString("en", { maximumFractionDigits: 0 })} | ${r.erases.toFixed(2)} | ${r.resent} | ${r.held} | ${r.bootReads} | ${r.floodPrograms} |`);
if (process.argv.includes("--json")) console.log(JSON.stringify({ rows }));
