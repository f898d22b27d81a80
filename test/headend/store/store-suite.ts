// One suite for every HeadendStore (SQLite here, PostgreSQL where the server is installed): the
// same data in, the same answers out.
import { describe, expect, it } from "vitest";
import type { HeadendStore, IngestItem } from "../../../hosts/headend/store/store";

const DAY0 = Date.UTC(2026, 11, 1);
const DAY = 86_400_000;
const reading = (node: string, meterId: number, obis: string, boot: number, seq: number, t: number, v: number): IngestItem => ({ kind: "reading", node, meterId, obis, boot, seq, t, v, unit: obis.endsWith(".8.0") ? "Wh" : "W" });

/** `open(maxRejects?)`: a fresh store (StoreOptions.maxRejects as given) and a way to reopen the same database. */
export function storeSuite(name: string, open: (maxRejects?: number) => Promise<{ store: HeadendStore; reopen(): Promise<HeadendStore> }>, skip = false): void {
  describe.skipIf(skip)(`${name} store`, () => {
    it("keeps one row per (meter, boot, seq): a resend is a counted duplicate, a new boot is new data", async () => {
      const { store } = await open();
      const r1 = await store.ingest([reading("a", 1, "1-0:1.7.0", 1, 1, DAY0 + 1000, 500), reading("a", 1, "1-0:1.7.0", 1, 2, DAY0 + 2000, 600)]);
      expect(r1).toEqual({ stored: 2, duplicates: 0, rejected: 0 });
      const r2 = await store.ingest([reading("a", 1, "1-0:1.7.0", 1, 2, DAY0 + 2000, 600), reading("a", 1, "1-0:1.7.0", 2, 1, DAY0 + 3000, 700)]);
      expect(r2).toEqual({ stored: 1, duplicates: 1, rejected: 0 });
      // the same (meter, obis, t) under another (boot, seq) is kept aside, not lost and not overwritten
      const r3 = await store.ingest([reading("a", 1, "1-0:1.7.0", 3, 1, DAY0 + 3000, 1)]);
      expect(r3.rejected).toBe(1);
      expect((await store.series({ node: "a", meterId: 1 }, "1-0:1.7.0", 0, Infinity, "raw")).map((p) => p.v)).toEqual([500, 600, 700]);
      expect((await store.rejects())[0].reason).toBe("a second reading of this code at the same time");
      await store.close();
    });

    it("sorts one mixed batch: new rows, a key twice, a resend, a second reading at the same time, an aggregate twice", async () => {
      const { store } = await open();
      await store.ingest([reading("e", 1, "1-0:1.7.0", 1, 1, DAY0 + 1000, 100)]);
      const pq: IngestItem = { kind: "pq", node: "e", meterId: 1, boot: 1, seq: 9, start: DAY0, end: DAY0 + 600_000, flagged: false, u: [230], i: [1], p: [230], thdu: [2], thdi: [9], f: 50 };
      const r = await store.ingest([
        reading("e", 1, "1-0:1.7.0", 1, 2, DAY0 + 2000, 200), // new
        reading("e", 1, "1-0:1.7.0", 1, 2, DAY0 + 2000, 200), // the same key again in this batch: a resend
        reading("e", 1, "1-0:1.7.0", 1, 1, DAY0 + 1000, 100), // already stored: a resend
        reading("e", 1, "1-0:1.7.0", 2, 1, DAY0 + 1000, 999), // same (meter, obis, t), other (boot, seq): kept aside
        reading("e", 2, "1-0:1.8.0", 1, 1, DAY0 + 2000, 5000), // a meter and a code this store has not seen
        pq, pq,
        { kind: "status", node: "e", online: true, t: DAY0 },
      ]);
      expect(r).toEqual({ stored: 4, duplicates: 3, rejected: 1 });
      const ten = await store.series({ node: "e", meterId: 1 }, "1-0:1.7.0", DAY0, DAY0 + 600_000, "10min");
      expect(ten).toEqual([expect.objectContaining({ t: DAY0, v: 150, min: 100, max: 200, last: 200 })]); // 100 and 200 once each
      expect((await store.pq({ node: "e", meterId: 1 }, 0, Infinity)).length).toBe(1);
      expect((await store.series({ node: "e", meterId: 2 }, "1-0:1.8.0", 0, Infinity, "raw")).map((p) => p.v)).toEqual([5000]);
      expect((await store.counts()).rejects).toBe(1);
      await store.close();
    });

    it("rolls up into 10-min and daily buckets that a resend does not change, and gives energy today", async () => {
      const { store } = await open();
      const items: IngestItem[] = [];
      // two days, one reading a minute: power 1000 W, energy +16.67 Wh a minute
      for (let k = 0; k < 2 * 1440; k++) {
        items.push(reading("b", 7, "1-0:1.7.0", 1, 2 * k + 1, DAY0 + k * 60_000, 1000 + (k % 10)));
        items.push(reading("b", 7, "1-0:1.8.0", 1, 2 * k + 2, DAY0 + k * 60_000, 5000 + k * (1000 / 60)));
      }
      await store.ingest(items);
      await store.ingest(items.slice(0, 100)); // resends
      const ten = await store.series({ node: "b", meterId: 7 }, "1-0:1.7.0", DAY0, DAY0 + 3_600_000, "10min");
      expect(ten.length).toBe(6);
      expect(ten[0]).toMatchObject({ t: DAY0, v: 1004.5, min: 1000, max: 1009 });
      const days = await store.series({ node: "b", meterId: 7 }, "1-0:1.8.0", DAY0, DAY0 + 2 * 86_400_000, "day");
      expect(days.map((d) => d.t)).toEqual([DAY0, DAY0 + 86_400_000]);
      const now = DAY0 + 86_400_000 + 1439 * 60_000;
      const [m] = await store.meters(now);
      expect(m).toMatchObject({ node: "b", meterId: 7, powerW: 1000 + (2879 % 10), powerAt: now, lastSeen: now });
      // day 2's energy: its last register minus day 1's last (1440 minutes of 1 kW)
      expect(m.energyTodayWh).toBeCloseTo(1000 * 24, 6);
      const fleet = await store.fleetSeries("energy", DAY0, DAY0 + 2 * 86_400_000);
      expect(fleet.length).toBe(2);
      expect(fleet[0].v).toBeCloseTo(1439 * (1000 / 60), 6);
      await store.close();
    });

    it("prunes raw readings past retention, keeps the roll-ups, and refuses readings older than the horizon", async () => {
      const { store, reopen } = await open();
      await store.ingest([reading("c", 1, "1-0:1.7.0", 1, 1, DAY0, 10), reading("c", 1, "1-0:1.7.0", 1, 2, DAY0 + 86_400_000, 20)]);
      expect(await store.pruneRaw(DAY0 + 3_600_000)).toBe(1);
      expect((await store.series({ node: "c", meterId: 1 }, "1-0:1.7.0", 0, Infinity, "raw")).length).toBe(1);
      expect((await store.series({ node: "c", meterId: 1 }, "1-0:1.7.0", 0, Infinity, "day")).length).toBe(2);
      await store.close();
      const again = await reopen(); // the horizon is in the database, not in memory
      const r = await again.ingest([reading("c", 1, "1-0:1.7.0", 1, 1, DAY0, 10)]);
      expect(r).toEqual({ stored: 0, duplicates: 0, rejected: 1 });
      expect((await again.series({ node: "c", meterId: 1 }, "1-0:1.7.0", 0, Infinity, "day"))[0]).toMatchObject({ v: 10 });
      await again.close();
    });

    it("stores aggregates, events, status and firmware changes once; matches command results to downlinks", async () => {
      const { store } = await open();
      const pq: IngestItem = { kind: "pq", node: "d", meterId: 2, boot: 1, seq: 5, start: DAY0, end: DAY0 + 600_000, flagged: true, u: [230.1], i: [2], p: [460], thdu: [3.2], thdi: [10], f: 50.01 };
      const ev: IngestItem = { kind: "event", node: "d", meterId: 2, boot: 1, seq: 6, t: DAY0 + 1000, type: "dip", body: "{}" };
      const fw: IngestItem = { kind: "firmware", node: "d", t: DAY0, running: "1.0.0", phase: "running", body: '{"running":"1.0.0"}' };
      expect(await store.ingest([pq, ev, fw, { kind: "status", node: "d", online: true, t: DAY0 }])).toEqual({ stored: 4, duplicates: 0, rejected: 0 });
      expect(await store.ingest([pq, ev, fw])).toEqual({ stored: 0, duplicates: 3, rejected: 0 });
      expect((await store.pq({ node: "d", meterId: 2 }, 0, Infinity))[0]).toMatchObject({ flagged: true, u: [230.1], f: 50.01 });
      expect((await store.events({ node: "d", meterId: 2 }, 0, Infinity))[0].type).toBe("dip");
      const [m] = await store.meters(DAY0 + 700_000);
      expect(m).toMatchObject({ status: "online", firmware: "1.0.0", alarms: 2 });
      const d1 = await store.addDownlink({ node: "d", kind: "load", body: "{}", sentAt: DAY0, by: "op" }, 100);
      const d2 = await store.addDownlink({ node: "d", kind: "price", body: "{}", sentAt: DAY0, by: "op" }, 50);
      expect([d1.ctr, d2.ctr]).toEqual([100, 101]); // above every counter the node had, whatever the floor
      await store.ingest([{ kind: "result", node: "d", cmd: "price", ctr: 101, ok: false, error: "price: slots missing", t: DAY0 + 5 }]);
      await store.ingest([{ kind: "result", node: "d", cmd: "load", ctr: -1, ok: false, error: "forged command", t: DAY0 + 6 }]);
      const rows = await store.downlinks("d");
      expect(rows.find((r) => r.id === d2.id)).toMatchObject({ ok: false, error: "price: slots missing", resultAt: DAY0 + 5 });
      expect(rows.find((r) => r.id === d1.id)).toMatchObject({ ok: false, error: "forged command" });
      await store.close();
    });

    it("a refusal naming a command's ctr gives way to the meter's own result for it, never the other way", async () => {
      // NATS redelivers a command the dead node had delivered: the meter refuses the copy as replayed (QoS 0,
      // at once) while the original's result waits in its outbox (QoS 1) - the refusal may arrive first
      const { store } = await open();
      const d = await store.addDownlink({ node: "r", kind: "load", body: "{}", sentAt: DAY0, by: "op" }, 1);
      const refusal: IngestItem = { kind: "result", node: "r", cmd: "load", ctr: d.ctr, ok: false, error: `replayed command: counter ${d.ctr} is not above ${d.ctr}`, t: DAY0 + 1, refused: true };
      expect(await store.ingest([refusal])).toEqual({ stored: 1, duplicates: 0, rejected: 0 });
      expect((await store.downlinks("r"))[0]).toMatchObject({ ok: false, resultAt: DAY0 + 1 }); // said, until the real one comes
      const result: IngestItem = { kind: "result", node: "r", cmd: "load", ctr: d.ctr, ok: true, t: DAY0 + 2 };
      expect(await store.ingest([result])).toEqual({ stored: 1, duplicates: 0, rejected: 0 });
      expect(await store.ingest([{ ...refusal, t: DAY0 + 3 }, { ...result, t: DAY0 + 4 }])).toEqual({ stored: 0, duplicates: 2, rejected: 0 });
      expect((await store.downlinks("r"))[0]).toMatchObject({ ok: true, resultAt: DAY0 + 2 });
      await store.close();
    });

    it("stores a firmware report once per node however late it is resent; another node's same report is its own", async () => {
      const { store } = await open();
      const fw = (node: string, bytes: number): IngestItem => ({ kind: "firmware", node, t: DAY0 + bytes, running: "1.0.0", phase: "downloading", body: JSON.stringify({ boot: 2, running: "1.0.0", phase: "downloading", bytes }) });
      expect(await store.ingest([fw("f", 1), fw("f", 2), fw("f", 1), fw("g", 1)])).toEqual({ stored: 3, duplicates: 1, rejected: 0 });
      expect(await store.ingest([fw("f", 3), fw("f", 2), fw("f", 1)])).toEqual({ stored: 1, duplicates: 2, rejected: 0 });
      expect((await store.firmwareSince("f", 0)).map((r) => JSON.parse(r.body).bytes)).toEqual([1, 2, 3]);
      expect((await store.firmware("f"))?.body).toContain('"bytes":3'); // the latest is still the newest
      expect((await store.firmwareSince("g", 0)).length).toBe(1);
      await store.close();
    });

    it("bounds the rejects table to the newest rows, and still counts every reject by reason", async () => {
      const { store } = await open(3);
      const rej = (reason: string, k: number): IngestItem => ({ kind: "reject", topic: `xsmeter/h/${k}`, payload: new TextEncoder().encode(`junk ${k}`), reason, t: DAY0 + k });
      expect((await store.ingest([rej("payload is not JSON", 1), rej("payload is not JSON", 2)])).rejected).toBe(2);
      expect((await store.counts()).rejects).toBe(2); // under the bound: nothing removed
      expect((await store.ingest([rej("unknown topic", 3), rej("payload is not JSON", 4), rej("unknown topic", 5)])).rejected).toBe(3);
      expect((await store.counts()).rejects).toBe(3);
      expect(await store.rejects()).toEqual([
        { reason: "payload is not JSON", count: 3, kept: 1, lastTopic: "xsmeter/h/4", lastAt: DAY0 + 4 },
        { reason: "unknown topic", count: 2, kept: 2, lastTopic: "xsmeter/h/5", lastAt: DAY0 + 5 },
      ]);
      // a reason whose every row was removed keeps its count and its last topic; good data still goes in
      expect(await store.ingest([rej("unknown topic", 6), rej("unknown topic", 7), rej("unknown topic", 8), reading("h", 1, "1-0:1.7.0", 1, 1, DAY0, 5)])).toEqual({ stored: 1, duplicates: 0, rejected: 3 });
      expect((await store.counts()).rejects).toBe(3);
      expect(await store.rejects()).toEqual([
        { reason: "unknown topic", count: 5, kept: 3, lastTopic: "xsmeter/h/8", lastAt: DAY0 + 8 },
        { reason: "payload is not JSON", count: 3, kept: 0, lastTopic: "xsmeter/h/4", lastAt: DAY0 + 4 },
      ]);
      await store.close();
    });

    it("pages, searches, filters and sorts the fleet list in the database, and counts power now only from fresh online values", async () => {
      const { store } = await open();
      const now = DAY0 + 12 * 3_600_000;
      const items: IngestItem[] = [];
      // 25 meters on 5 nodes; node n-3 says offline; meters of n-4 last read 3 h ago (stale); one alarm on n-1/2
      for (let n = 0; n < 5; n++) {
        items.push({ kind: "status", node: `n-${n}`, online: n !== 3, t: now - 60_000 });
        for (let id = 1; id <= 5; id++) {
          const t = n === 4 || n === 3 ? now - 3 * 3_600_000 : now - 20_000;
          items.push(reading(`n-${n}`, id, "1-0:1.7.0", 1, 1, t, 100 * n + id));
        }
      }
      items.push({ kind: "event", node: "n-1", meterId: 2, boot: 1, seq: 9, t: now - 1000, type: "dip", body: "{}" });
      await store.ingest(items);
      const q = { limit: 10, offset: 0, staleMs: 180_000 };
      const first = await store.fleetList(q, now);
      expect(first.matching).toBe(25);
      expect(first.rows.map((m) => `${m.node}/${m.meterId}`)).toEqual(["n-0/1", "n-0/2", "n-0/3", "n-0/4", "n-0/5", "n-1/1", "n-1/2", "n-1/3", "n-1/4", "n-1/5"]);
      const third = await store.fleetList({ ...q, offset: 20 }, now);
      expect(third.rows.map((m) => `${m.node}/${m.meterId}`)).toEqual(["n-4/1", "n-4/2", "n-4/3", "n-4/4", "n-4/5"]);
      // by power, highest first: n-4/5 (405 W) leads although it is stale: the sort is by the value
      const byPower = await store.fleetList({ ...q, sort: "power", desc: true, limit: 3 }, now);
      expect(byPower.rows.map((m) => m.powerW)).toEqual([405, 404, 403]);
      const asc = await store.fleetList({ ...q, sort: "power", limit: 2 }, now);
      expect(asc.rows.map((m) => m.powerW)).toEqual([1, 2]);
      // not online: the offline node and the stale one
      const off = await store.fleetList({ ...q, state: "offline", limit: 100 }, now);
      expect(off.matching).toBe(10);
      expect(new Set(off.rows.map((m) => m.node))).toEqual(new Set(["n-3", "n-4"]));
      const alarms = await store.fleetList({ ...q, withAlarms: true }, now);
      expect(alarms.rows.map((m) => [m.node, m.meterId, m.alarms])).toEqual([["n-1", 2, 1]]);
      expect((await store.fleetList({ ...q, sort: "alarms", desc: true, limit: 2 }, now)).rows.map((m) => `${m.node}/${m.meterId}/${m.alarms}`)).toEqual(["n-1/2/1", "n-0/1/0"]);
      expect((await store.fleetList({ ...q, search: "N-2" }, now)).rows.map((m) => m.meterId)).toEqual([1, 2, 3, 4, 5]);
      expect((await store.fleetList({ ...q, search: "n-2 / 4" }, now)).rows.map((m) => `${m.node}/${m.meterId}`)).toEqual(["n-2/4"]);
      expect((await store.fleetList({ ...q, search: "3", limit: 100 }, now)).matching).toBe(9); // node n-3's five and meter 3 of the four others
      // a search is text, never SQL or a pattern: % and _ match themselves
      expect((await store.fleetList({ ...q, search: "%" }, now)).matching).toBe(0);
      expect((await store.fleetList({ ...q, search: "' OR 1=1 --" }, now)).matching).toBe(0);
      const totals = await store.fleetTotals(180_000, now);
      // online: n-0, n-1, n-2 (15 meters); power now sums only theirs
      expect(totals).toMatchObject({ meters: 25, online: 15, powerNowMeters: 15, alarms: 1 });
      expect(totals.powerNowW).toBe([0, 1, 2].reduce((a, n) => a + 5 * 100 * n + 15, 0));
      expect(await store.meterSummary({ node: "n-4", meterId: 3 }, 180_000, now)).toMatchObject({ node: "n-4", meterId: 3, powerW: 403, powerAt: now - 3 * 3_600_000, status: "online" });
      expect(await store.meterSummary({ node: "n-9", meterId: 1 }, 180_000, now)).toBeUndefined();
      await store.close();
    });

    it("sorts by energy today and alarms with set-wide joins, and gives the whole list (the CSV) the same columns as the pages", async () => {
      const { store } = await open();
      const now = DAY0 + 12 * 3_600_000;
      const items: IngestItem[] = [];
      // 12 meters on 3 nodes: energy today 0..; alarms from events and flagged intervals, some older than 24 h
      for (let n = 0; n < 3; n++) {
        items.push({ kind: "firmware", node: `w-${n}`, t: now, running: `1.${n}.0`, phase: "running", body: `{"boot":1,"seq":1,"n":${n}}`, order: { boot: 1, seq: 1 } });
        for (let id = 1; id <= 4; id++) {
          const gain = ((n * 4 + id) * 37) % 11; // Wh today, mixed order
          items.push(reading(`w-${n}`, id, "1-0:1.8.0", 1, 1, DAY0 - 3_600_000, 1000), reading(`w-${n}`, id, "1-0:1.8.0", 1, 2, now - 60_000, 1000 + gain));
          items.push(reading(`w-${n}`, id, "1-0:1.7.0", 1, 3, now - 60_000, 10 * n + id));
          for (let k = 0; k < (n + id) % 3; k++) items.push({ kind: "event", node: `w-${n}`, meterId: id, boot: 1, seq: 10 + k, t: now - 1000 * (k + 1), type: "dip", body: "{}" });
          items.push({ kind: "event", node: `w-${n}`, meterId: id, boot: 1, seq: 99, t: now - DAY - 1000, type: "dip", body: "{}" }); // older than 24 h
          items.push({ kind: "pq", node: `w-${n}`, meterId: id, boot: 1, seq: 50, start: now - 1_200_000, end: now - 600_000, flagged: id === 4, u: [230], i: [1], p: [230], thdu: [2], thdi: [5], f: 50 });
        }
      }
      await store.ingest(items);
      const q = { limit: 100, offset: 0, staleMs: 180_000 };
      const page = (await store.fleetList(q, now)).rows;
      expect(page.length).toBe(12);
      // the expected order, from the page's own per-row columns
      const key = (m: { node: string; meterId: number }) => `${m.node}/${m.meterId}`;
      const byEnergy = [...page].sort((a, b) => (b.energyTodayWh ?? -1) - (a.energyTodayWh ?? -1) || key(a).localeCompare(key(b))).map(key);
      const byAlarms = [...page].sort((a, b) => b.alarms - a.alarms || key(a).localeCompare(key(b))).map(key);
      expect(new Set(page.map((m) => m.alarms)).size).toBeGreaterThan(2); // the data has an order to get wrong
      expect(new Set(page.map((m) => m.energyTodayWh)).size).toBeGreaterThan(5);
      expect((await store.fleetList({ ...q, sort: "energy", desc: true }, now)).rows.map(key)).toEqual(byEnergy);
      expect((await store.fleetList({ ...q, sort: "alarms", desc: true }, now)).rows.map(key)).toEqual(byAlarms);
      expect((await store.fleetList({ ...q, sort: "alarms", desc: true, limit: 3, offset: 3 }, now)).rows.map(key)).toEqual(byAlarms.slice(3, 6));
      expect((await store.fleetList({ ...q, withAlarms: true }, now)).matching).toBe(page.filter((m) => m.alarms > 0).length);
      // the whole list (the CSV asks for every row: the set-wide columns) equals the pages' per-row ones
      const all = await store.fleetList({ ...q, limit: 1_000_000, sort: "energy", desc: true }, now);
      expect(all.rows.map(key)).toEqual(byEnergy);
      const strip = (m: object) => JSON.parse(JSON.stringify(m));
      expect(all.rows.map(strip).sort((a, b) => key(a).localeCompare(key(b)))).toEqual(page.map(strip));
      expect(all.rows.find((m) => m.node === "w-2")?.firmware).toBe("1.2.0");
      await store.close();
    });

    it("takes a batch's statuses in order: the last of a node wins, each one counted", async () => {
      const { store } = await open();
      await store.ingest([reading("s1", 1, "1-0:1.7.0", 1, 1, DAY0, 1), reading("s2", 1, "1-0:1.7.0", 1, 1, DAY0, 1)]);
      const r = await store.ingest([
        { kind: "status", node: "s1", online: true, t: DAY0 + 1 },
        { kind: "status", node: "s2", online: true, t: DAY0 + 2 },
        { kind: "status", node: "s1", online: false, t: DAY0 + 3 },
      ]);
      expect(r).toEqual({ stored: 3, duplicates: 0, rejected: 0 });
      const ms = await store.meters(DAY0 + 10);
      expect(ms.map((m) => [m.node, m.status, m.statusAt])).toEqual([["s1", "offline", DAY0 + 3], ["s2", "online", DAY0 + 2]]);
      await store.close();
    });

    it("keeps a node's newest status and firmware state by (boot, seq): an older report delivered later changes nothing", async () => {
      const { store } = await open();
      await store.ingest([reading("o", 1, "1-0:1.7.0", 3, 1, DAY0, 1)]);
      const st = (online: boolean, boot: number, seq: number, t: number): IngestItem => ({ kind: "status", node: "o", online, t, order: { boot, seq } });
      const state = async () => (await store.meters(DAY0 + 100)).map((m) => [m.status, m.statusAt])[0];
      expect(await store.ingest([st(true, 3, 4, DAY0 + 10)])).toEqual({ stored: 1, duplicates: 0, rejected: 0 });
      // the previous connection's will (seq 3), redelivered after this connection's "online" (seq 4)
      expect(await store.ingest([st(false, 3, 3, DAY0 + 20)])).toEqual({ stored: 0, duplicates: 1, rejected: 0 });
      expect(await state()).toEqual(["online", DAY0 + 10]);
      // in one batch too, and an older boot loses to a newer boot whatever its seq
      expect(await store.ingest([st(false, 3, 5, DAY0 + 30), st(true, 3, 4, DAY0 + 31), st(true, 2, 99, DAY0 + 32)])).toEqual({ stored: 1, duplicates: 2, rejected: 0 });
      expect(await state()).toEqual(["offline", DAY0 + 30]);
      expect((await store.ingest([st(false, 3, 5, DAY0 + 33)])).duplicates).toBe(1); // the same report again
      // earlier firmware's bare "online" has no order: taken as it comes
      expect((await store.ingest([{ kind: "status", node: "o", online: true, t: DAY0 + 40 }])).stored).toBe(1);
      expect(await state()).toEqual(["online", DAY0 + 40]);

      const fw = (boot: number, seq: number, running: string, phase: string): IngestItem => ({ kind: "firmware", node: "o", t: DAY0 + seq, running, phase, body: JSON.stringify({ running, phase, boot, seq }), order: { boot, seq } });
      await store.ingest([fw(3, 1, "1.0.0", "running"), fw(3, 2, "1.0.0", "verified")]);
      await store.ingest([fw(4, 1, "1.1.0", "confirmed")]);
      // the outbox resends boot 3's "running 1.0.0" (a new row of history, but not the node's state)
      expect(await store.ingest([fw(3, 1, "1.0.0", "running"), fw(3, 3, "1.0.0", "running")])).toEqual({ stored: 1, duplicates: 1, rejected: 0 });
      expect(await store.firmware("o")).toMatchObject({ running: "1.1.0", phase: "confirmed" });
      expect((await store.meters(DAY0 + 100))[0]).toMatchObject({ firmware: "1.1.0", firmwarePhase: "confirmed" });
      expect((await store.fleetList({ limit: 10, offset: 0, staleMs: 86_400_000 }, DAY0 + 100)).rows[0]).toMatchObject({ firmware: "1.1.0" });
      expect((await store.firmwareSince("o", 0)).length).toBe(4); // the history keeps every distinct report
      // a report without seq (earlier firmware) is still taken
      await store.ingest([{ kind: "firmware", node: "o", t: DAY0 + 50, running: "1.0.9", phase: "running", body: '{"boot":5,"running":"1.0.9","phase":"running"}' }]);
      expect(await store.firmware("o")).toMatchObject({ running: "1.0.9" });
      await store.close();
    });

    it("migrates once: reopening keeps the data and the version", async () => {
      const { store, reopen } = await open();
      await store.ingest([reading("e", 1, "1-0:1.7.0", 1, 1, DAY0, 1)]);
      await store.putUser({ name: "ann", role: "operator", record: "pbkdf2-sha256$1$00$00" });
      await store.close();
      const again = await reopen();
      expect(await again.migrate()).toBeGreaterThanOrEqual(3);
      expect((await again.counts()).readings).toBe(1);
      expect(await again.user("ann")).toMatchObject({ role: "operator" });
      expect(await again.sizeBytes()).toBeGreaterThan(0);
      await again.close();
    });
  });
}
