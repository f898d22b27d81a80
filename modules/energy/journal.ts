/**
 * The energy journal: the meter's register snapshots in the core record log (fixed-size CRC'd
 * records, sequence numbers, a wear-levelled ring of sectors, a bounded boot scan). The record
 * types are the energy store's (energy-store.ts); the format is docs/flash-records.md.
 */
export { RecordLog as Journal, RECORD_MAGIC, type LogRecord as JournalRecord, type LogScan as JournalScan } from "../core/record-log";
