// One suite for every HeadendStore (SQLite here, PostgreSQL where the server is installed): the
// same data in, the same answers out.
import { describe, expect, it } from "vitest";
import type { HeadendStore, IngestItem } from "../../../hosts/headend/store/store";

const DAY0 = Date.UTC(2026, 11, 1);
const reading = (node: string, meterId: number, obis: string, boot: number, seq: number, t: number, v: number): IngestItem => ({ kind: "reading", node, meterId, obis, boot, seq, t, v, unit: obis.endsWith(".8.0") ? "Wh" : "W" });

export function storeSuite(name: string, open: () => Promise<{ store: HeadendStore; reopen(): Promise<HeadendStore> }>, skip = false): void {
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

    it("migrates once: reopening keeps the data and the version", async () => {
      const { store, reopen } = await open();
      await store.ingest([reading("e", 1, "1-0:1.7.0", 1, 1, DAY0, 1)]);
      await store.putUser({ name: "ann", role: "operator", record: "pbkdf2-sha256$1$00$00" });
      await store.close();
      const again = await reopen();
      expect(await again.migrate()).toBeGreaterThanOrEqual(2);
      expect((await again.counts()).readings).toBe(1);
      expect(await again.user("ann")).toMatchObject({ role: "operator" });
      expect(await again.sizeBytes()).toBeGreaterThan(0);
      await again.close();
    });
  });
}
