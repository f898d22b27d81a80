// `npm run bench:flash-boot [-- --json]`: what a boot scan of the record log costs — flash reads
// and bytes read by open() on a full, wrapped ring (the newest record mid-sector), per ring size
// and record size, beside the whole partition (what a scan of every byte would read).
import { RecordLog } from "../modules/core/record-log";
import { RamFlash } from "../modules/core/ram-flash";
import type { Flash } from "../modules/core/ports";

class CountingFlash implements Flash {
  reads = 0;
  bytes = 0;
  constructor(private readonly inner: RamFlash) {}
  get size() { return this.inner.size; }
  get sectorSize() { return this.inner.sectorSize; }
  get pageSize() { return this.inner.pageSize; }
  read(o: number, into: Uint8Array) { this.reads++; this.bytes += into.length; this.inner.read(o, into); }
  program(o: number, d: Uint8Array) { this.inner.program(o, d); }
  eraseSector(s: number) { this.inner.eraseSector(s); }
}

const rows = [];
for (const [sectors, recordSize] of [[2, 128], [16, 128], [32, 128], [32, 256]]) {
  const flash = new CountingFlash(new RamFlash(sectors * 4096));
  const log = new RecordLog(flash, recordSize);
  log.open();
  const payload = new Uint8Array(log.payloadSize);
  const perSector = 4096 / recordSize;
  const writes = 2 * log.recordsPerWrap + (sectors >> 1) * perSector + perSector / 2; // wrapped twice, the newest mid-sector
  for (let i = 0; i < writes; i++) log.append(1, payload);
  flash.reads = 0;
  flash.bytes = 0;
  const t0 = performance.now();
  const scan = new RecordLog(flash, recordSize).open();
  const ms = performance.now() - t0;
  if (scan.newest?.seq !== writes) throw new Error(`newest ${scan.newest?.seq}, expected ${writes}`);
  rows.push({ sectors, recordSize, reads: flash.reads, bytesRead: flash.bytes, partitionBytes: sectors * 4096, share: flash.bytes / (sectors * 4096), nodeMs: ms });
}

console.log("record log boot scan (open() on a full ring, newest record mid-sector)\n");
console.log("| sectors × 4 KiB | record | flash reads | bytes read | of the partition | Node ms |");
console.log("|---:|---:|---:|---:|---:|---:|");
for (const r of rows) console.log(`| ${r.sectors} | ${r.recordSize} B | ${r.reads} | ${r.bytesRead.toLocaleString("en")} | ${(r.share * 100).toFixed(1)} % of ${r.partitionBytes.toLocaleString("en")} | ${r.nodeMs.toFixed(2)} |`);
if (process.argv.includes("--json")) console.log(JSON.stringify({ rows }));
