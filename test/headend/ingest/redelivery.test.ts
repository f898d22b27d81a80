// What a broker cluster does after a node's death: it resends what the dead node had delivered but not
// seen acknowledged, after newer messages went through (NATS: after ack_wait). The ingest must store
// each message once whatever the order. Readings, aggregates and events carry (boot, seq); firmware
// reports carry boot but no seq, so the store keys them on the report itself (a resend is
// byte-identical): an older report resent after a newer one is a counted duplicate and does not
// become the node's latest state again.
import { describe, expect, it } from "vitest";
import { parseMessage } from "../../../hosts/headend/ingest/parse";
import { SqliteStore } from "../../../hosts/headend/store/sqlite-store";

const NOW = Date.UTC(2026, 11, 3, 8);
const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));

async function store() {
  const s = new SqliteStore(":memory:");
  await s.migrate();
  return s;
}

describe("a message resent after newer ones (a cluster's redelivery)", () => {
  it("is a counted duplicate for readings, aggregates and events, in either topic form", async () => {
    const s = await store();
    const r = (seq: number, topic = "xsmeter/r1/meter/1/1-0:1_8_0") => parseMessage(topic, enc({ boot: 1, seq, t: NOW - 10_000 + seq * 1000, v: 100 + seq, u: "Wh" }), NOW);
    const pq = (seq: number) => parseMessage("xsmeter/r1/meter/1/pq/10min", enc({ boot: 1, seq, start: NOW - 600_000 * (10 - seq), end: NOW - 600_000 * (9 - seq), u: [230], i: [1], p: [230], thdu: [2], thdi: [5], f: 50, flagged: false }), NOW);
    const ev = (seq: number) => parseMessage("xsmeter/r1/event", enc({ boot: 1, seq, t: NOW - 5000 + seq, meterId: 1, type: "dip" }), NOW);
    expect(await s.ingest([r(1), r(2), pq(3), ev(4)])).toEqual({ stored: 4, duplicates: 0, rejected: 0 });
    expect(await s.ingest([r(5), pq(6), ev(7)])).toEqual({ stored: 3, duplicates: 0, rejected: 0 });
    // the old ones again, one of them in the other topic form
    expect(await s.ingest([ev(4), pq(3), r(2, "xsmeter/r1/meter/1/1-0:1.8.0"), r(1)])).toEqual({ stored: 0, duplicates: 4, rejected: 0 });
    expect(await s.counts()).toMatchObject({ readings: 3, pq: 2, events: 2 });
    await s.close();
  });

  it("is a duplicate for a firmware report too, resent after a newer one", async () => {
    const s = await store();
    const fw = (bytes: number) => parseMessage("xsmeter/r1/firmware", enc({ boot: 1, running: "1.0.0", phase: "downloading", offered: "1.1.0", bytes }), NOW);
    expect(await s.ingest([fw(4096)])).toEqual({ stored: 1, duplicates: 0, rejected: 0 });
    expect(await s.ingest([fw(8192)])).toEqual({ stored: 1, duplicates: 0, rejected: 0 });
    expect(await s.ingest([fw(4096)])).toEqual({ stored: 0, duplicates: 1, rejected: 0 }); // resent after the newer one
    expect((await s.firmwareSince("r1", 0)).map((f) => JSON.parse(f.body).bytes)).toEqual([4096, 8192]);
    expect((await s.firmware("r1"))?.body).toContain('"bytes":8192');
    await s.close();
  });
});
