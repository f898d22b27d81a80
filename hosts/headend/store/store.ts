/**
 * The head-end's storage, one interface for the embedded database (SQLite) and
 * PostgreSQL. Everything the ingest writes goes through `ingest(batch)`: one
 * transaction per batch, and only after it commits does the subscriber send the
 * PUBACKs, so a crash between the two makes the broker send the batch again and
 * the (meter, boot, seq) unique keys turn the resend into counted duplicates.
 */
import type { FleetQuery, FleetTotals } from "./fleet-query";
import type { ReportOrder } from "../../../modules/mqtt/report-order";

/** A meter is (node, meterId): the aggregator's node id in the topics and the meter's number on its CAN bus. */
export interface MeterRef {
  node: string;
  meterId: number;
}

/** What the ingest decoded from one MQTT message. */
export type IngestItem =
  | ({ kind: "reading"; obis: string; boot: number; seq: number; t: number; v: number; unit: string } & MeterRef)
  | ({ kind: "pq"; boot: number; seq: number; start: number; end: number; flagged: boolean; u: number[]; i: number[]; p: number[]; thdu: number[]; thdi: number[]; f: number; u2?: number } & MeterRef)
  | ({ kind: "event"; boot: number; seq: number; t: number; type: string; body: string } & MeterRef)
  // order: (boot, seq) when the firmware sends it; a node's state never goes back to an older one
  | { kind: "status"; node: string; online: boolean; t: number; order?: ReportOrder }
  | { kind: "firmware"; node: string; t: number; running: string; phase: string; body: string; order?: ReportOrder }
  | { kind: "result"; node: string; cmd: string; ctr: number; ok: boolean; error?: string; t: number; /** The meter refused a message naming this ctr (a copy, a forgery): provisional, see migration 6. */ refused?: boolean }
  | { kind: "reject"; topic: string; payload: Uint8Array; reason: string; t: number };

export interface IngestOutcome {
  /** New rows (readings, aggregates, events, states, results). */
  stored: number;
  /** Items whose (meter, boot, seq) was already stored: resends, not lost or doubled. */
  duplicates: number;
  /** Items kept aside in the rejects table, with the reason. */
  rejected: number;
}

export type Resolution = "raw" | "10min" | "day";

/** One point of a series: raw value, or a roll-up bucket's mean/min/max/last. */
export interface SeriesPoint {
  t: number;
  v: number;
  min?: number;
  max?: number;
  last?: number;
}

export interface MeterSummary extends MeterRef {
  /** The node's last status message ("online"/"offline"), undefined if none came yet. */
  status?: "online" | "offline";
  statusAt?: number;
  /** Time of the newest reading or aggregate. */
  lastSeen?: number;
  /** Latest active power (1-0:1.7.0), W. */
  powerW?: number;
  powerAt?: number;
  /** Active energy import today (UTC day) from the daily roll-up of 1-0:1.8.0, Wh. */
  energyTodayWh?: number;
  firmware?: string;
  firmwarePhase?: string;
  /** Events and flagged 10-min intervals in the last 24 h. */
  alarms: number;
}

export interface PqRow extends MeterRef {
  start: number;
  end: number;
  flagged: boolean;
  u: number[];
  i: number[];
  p: number[];
  thdu: number[];
  thdi: number[];
  f: number;
  u2?: number;
}

export interface EventRow extends MeterRef {
  boot: number;
  seq: number;
  t: number;
  type: string;
  body: string;
}

export type DownlinkKind = "price" | "load" | "config" | "firmware";

export interface DownlinkRow {
  id: number;
  node: string;
  kind: DownlinkKind;
  ctr: number;
  body: string;
  sentAt: number;
  by: string;
  campaign?: number;
  resultAt?: number;
  ok?: boolean;
  error?: string;
}

export type CampaignState = "first-group" | "rest" | "done" | "halted";

export interface CampaignRow {
  id: number;
  version: string;
  offer: string;
  firstGroup: string[];
  rest: string[];
  state: CampaignState;
  reason?: string;
  createdAt: number;
  by: string;
}

export type Role = "viewer" | "operator";

export interface UserRow {
  name: string;
  role: Role;
  /** pbkdf2-sha256$iter$salt$hash (modules/http/auth's record). */
  record: string;
}

export interface RejectSummary {
  reason: string;
  /** Every reject of this reason the store took, the rows the bound removed included. */
  count: number;
  /** How many of them are still rows (the newest; see StoreOptions.maxRejects). */
  kept: number;
  lastTopic: string;
  lastAt: number;
}

export interface StoreOptions {
  /**
   * Rows the rejects table keeps at most, the newest (guard.ts bounds their rate, this their total: a hostile
   * meter could otherwise grow the table for ever). Older rows are removed in the batch that passes the
   * bound, and counted by reason in reject_pruned, so rejects() still counts every one.
   */
  maxRejects?: number;
}

/** 100,000 rows of at most 1 KiB payload (guard.ts): about 100 MiB at worst. */
export const DEFAULT_MAX_REJECTS = 100_000;

/** StoreOptions.maxRejects checked: an integer ≥ 1 (the newest row always stays, so ids keep increasing). */
export function maxRejectsOf(o: StoreOptions): number {
  const n = o.maxRejects ?? DEFAULT_MAX_REJECTS;
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`maxRejects must be an integer ≥ 1, not ${String(n)}`);
  return n;
}

export interface StoreCounts {
  readings: number;
  pq: number;
  events: number;
  rejects: number;
}

export interface HeadendStore {
  /** Applies the migrations not applied yet; returns the schema version now. */
  migrate(): Promise<number>;
  /** Stores a batch in one transaction (see the file comment). */
  ingest(batch: IngestItem[]): Promise<IngestOutcome>;
  meters(now: number): Promise<MeterSummary[]>;
  /** A page of the fleet list: searched, filtered, sorted and limited by the database (fleet-query.ts). */
  fleetList(q: FleetQuery, now: number): Promise<{ rows: MeterSummary[]; matching: number }>;
  /** The whole fleet's totals (power now counts only online meters with a fresh value). */
  fleetTotals(staleMs: number, now: number): Promise<FleetTotals>;
  /** One meter's summary, or undefined if it never published. */
  meterSummary(ref: MeterRef, staleMs: number, now: number): Promise<MeterSummary | undefined>;
  series(m: MeterRef, obis: string, from: number, to: number, res: Resolution): Promise<SeriesPoint[]>;
  /** The whole fleet: sum of 10-min mean power (W) per bucket, or energy per day (Wh). */
  fleetSeries(what: "power" | "energy", from: number, to: number): Promise<SeriesPoint[]>;
  obisCodes(m: MeterRef): Promise<string[]>;
  pq(m: MeterRef, from: number, to: number): Promise<PqRow[]>;
  events(m: MeterRef, from: number, to: number): Promise<EventRow[]>;
  /** Rejects by reason, most first: kept rows and those the bound removed. */
  rejects(): Promise<RejectSummary[]>;
  /** Rows in each table (rejects: rows kept, not every reject: see rejects()). */
  counts(): Promise<StoreCounts>;
  /** Deletes raw readings older than `before` (roll-ups stay); returns rows deleted. */
  pruneRaw(before: number): Promise<number>;
  /** The oldest raw reading time the store still accepts (later ones would double the roll-ups). */
  retentionHorizon(): Promise<number>;

  nodeKey(node: string): Promise<Uint8Array | undefined>;
  setNodeKey(node: string, key: Uint8Array): Promise<void>;
  nodes(): Promise<string[]>;
  /** The next downlink counter for a node: above every one sent to it, and at least `floor`. */
  addDownlink(d: Omit<DownlinkRow, "id" | "ctr">, floor: number): Promise<DownlinkRow>;
  downlinks(node?: string, limit?: number): Promise<DownlinkRow[]>;
  addCampaign(c: Omit<CampaignRow, "id">): Promise<CampaignRow>;
  updateCampaign(id: number, state: CampaignState, reason?: string): Promise<void>;
  campaigns(): Promise<CampaignRow[]>;
  /** A node's firmware reports received at or after `since`, oldest first. */
  firmwareSince(node: string, since: number): Promise<{ running: string; phase: string; t: number; body: string }[]>;
  /** Latest firmware report per node. */
  firmware(node: string): Promise<{ running: string; phase: string; t: number; body: string } | undefined>;

  user(name: string): Promise<UserRow | undefined>;
  putUser(u: UserRow): Promise<void>;
  userCount(): Promise<number>;

  /** Bytes the database takes on disk (file or relation sizes). */
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

export const POWER_OBIS = "1-0:1.7.0";
export const ENERGY_OBIS = "1-0:1.8.0";
export const TEN_MIN = 600_000;
export const DAY = 86_400_000;
