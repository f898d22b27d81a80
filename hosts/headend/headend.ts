/**
 * The head-end as one object: the store, one or more ingest workers, the
 * downlink sender, the campaign driver and the dashboard. `xsmeter headend`
 * and `npm start` start it; tests and the benchmark too.
 */
import { SqliteStore } from "./store/sqlite-store";
import type { HeadendStore, IngestItem, IngestOutcome, StoreOptions } from "./store/store";
import { DAY } from "./store/store";
import { Ingest } from "./ingest/ingest";
import { IngestGuard } from "./ingest/guard";
import { DownlinkSender } from "./downlink/sender";
import { Campaigns } from "./downlink/campaign";
import { newSetupToken, startWeb, type WebOptions } from "./web/server";

export interface HeadendOptions {
  mqttUrl: string;
  /** A file for SQLite (":memory:" for none), or postgres://… */
  db: string;
  httpPort?: number;
  httpHost?: string;
  /** Ingest workers in this process (> 1: they share the fleet through $share/headend/…). */
  workers?: number;
  protocolVersion?: 4 | 5;
  /** The ingest's first wait before reconnecting after a broker connection drops (subscriber.ts; default 200 ms). */
  reconnectDelayMs?: number;
  /** The ingest's batch window in ms (subscriber.ts; default 25). */
  batchMs?: number;
  /** Raw readings are kept this many days (roll-ups for ever); 0 = for ever. */
  retentionDays?: number;
  /** Rows the rejects table keeps at most, the newest (StoreOptions.maxRejects; default 100,000). */
  maxRejects?: number;
  /** Cookies marked Secure (the dashboard is behind TLS). */
  secureCookies?: boolean;
  /** The dashboard's sign-in and connection limits (tests make them small). */
  web?: Pick<WebOptions, "signIn" | "limits">;
  log?(line: string): void;
  /** After each batch is committed (the benchmark's publish-to-row latency). */
  onStored?(outcome: IngestOutcome, items: IngestItem[]): void;
}

export interface Headend {
  store: HeadendStore;
  ingest: Ingest[];
  sender: DownlinkSender;
  campaigns: Campaigns;
  url: string;
  /** Printed at start while there is no user: lets the first operator be created in the browser. */
  setupToken?: string;
  stop(): Promise<void>;
  /** A crash (tests): sessions dropped without DISCONNECT, nothing more acknowledged. */
  kill(): Promise<void>;
}

export async function openStore(db: string, options: StoreOptions = {}): Promise<HeadendStore> {
  let store: HeadendStore;
  if (/^postgres(ql)?:\/\//.test(db)) {
    const { PostgresStore } = await import("./store/postgres-store");
    store = new PostgresStore(db, options);
  } else {
    store = new SqliteStore(db, options);
  }
  await store.migrate();
  return store;
}

export async function startHeadend(o: HeadendOptions): Promise<Headend> {
  const log = o.log ?? (() => {});
  const store = await openStore(o.db, { maxRejects: o.maxRejects });
  const n = o.workers ?? 1;
  const guard = new IngestGuard(store); // one budget of new meters and rejects for every worker of this process
  const ingest = Array.from({ length: n }, (_, k) => new Ingest({ store, mqttUrl: o.mqttUrl, clientId: n > 1 ? `xsmeter-headend-${k + 1}` : "xsmeter-headend", group: n > 1 ? "headend" : undefined, protocolVersion: o.protocolVersion, batchMs: o.batchMs, reconnectDelayMs: o.reconnectDelayMs, log, onStored: o.onStored, guard }));
  for (const w of ingest) w.start();
  const sender = new DownlinkSender({ store, mqttUrl: o.mqttUrl });
  sender.start();
  const campaigns = new Campaigns({ store, sender });
  const setupToken = (await store.userCount()) === 0 ? newSetupToken() : undefined;
  const web = await startWeb({ store, sender, campaigns, setupToken, secureCookies: o.secureCookies, ...o.web }, o.httpPort ?? 8080, o.httpHost ?? "127.0.0.1");
  const timers = [
    setInterval(() => void campaigns.tick().catch((e: unknown) => log(`campaigns: ${(e as Error).message}`)), 5000),
    setInterval(() => { if (o.retentionDays) void store.pruneRaw(Date.now() - o.retentionDays * DAY).catch((e: unknown) => log(`retention: ${(e as Error).message}`)); }, 3_600_000),
  ];
  const end = async (crash: boolean) => {
    for (const t of timers) clearInterval(t);
    await web.close();
    if (crash) for (const w of ingest) w.kill();
    else await Promise.all(ingest.map((w) => w.stop()));
    sender.stop();
    await store.close();
  };
  return { store, ingest, sender, campaigns, url: web.url, setupToken, stop: () => end(false), kill: () => end(true) };
}
