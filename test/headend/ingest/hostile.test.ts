// Issue 18 / 14: hostile payloads from a compromised or fake meter at the head-end's ingest. Each
// is counted and kept aside with a reason, none fails its batch, none becomes a row in a meter's
// history, and the good reading after them is stored. In process (Ingest.take on a real SQLite
// file), then over mosquitto for the ones that need the broker (a poison that used to fail its
// batch and be resent for ever; a 1 MB payload; the 3.1.1 and 5.0 packet limits).
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getRandomValues } from "node:crypto";
import { missing } from "../../support/requires";
import { Mosquitto } from "../../support/mosquitto";
import { until } from "../../support/until";
import { freePort } from "../../../hosts/node/free-port";
import { SqliteStore } from "../../../hosts/headend/store/sqlite-store";
import { Ingest } from "../../../hosts/headend/ingest/ingest";
import { IngestGuard } from "../../../hosts/headend/ingest/guard";
import { MqttClient } from "../../../modules/mqtt/client";
import { MemoryOutbox } from "../../../modules/mqtt/flash-outbox";
import { NodeNetwork } from "../../../hosts/node/http/node-network";
import { nodeClock } from "../../../hosts/node/node-clock";

const enc = (s: string) => new TextEncoder().encode(s);
const NOW = Date.UTC(2026, 11, 2, 12);
const POWER = "1-0:1.7.0";
const victim = { node: "town-a", meterId: 1 };
const topic = (node = victim.node, meter = String(victim.meterId), obis = POWER) => `xsmeter/${node}/meter/${meter}/${obis}`;
const reading = (seq: number, extra: Record<string, unknown> = {}) => JSON.stringify({ boot: 1, seq, t: NOW - 60_000 + seq, v: 500 + seq, u: "W", ...extra });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function store(): Promise<SqliteStore> {
  const dir = mkdtempSync(join(tmpdir(), "xsm-hostile-"));
  const s = new SqliteStore(join(dir, "he.db"));
  await s.migrate();
  cleanups.push(async () => { await s.close(); rmSync(dir, { recursive: true, force: true }); });
  return s;
}

/** An Ingest used without a broker: `take` is what the subscriber hands each batch to. */
function ingest(s: SqliteStore, guard?: IngestGuard): Ingest {
  return new Ingest({ store: s, mqttUrl: "mqtt://127.0.0.1:1", guard });
}

/** [name, topic, payload, reason expected in the rejects table]. */
function corpus(): [string, string, Uint8Array, RegExp][] {
  const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
  return [
    ["invalid JSON", topic(), enc('{"boot":1,"seq":'), /not JSON/],
    ["a JSON array", topic(), enc("[1,2,3]"), /not a JSON object/],
    ["a huge value", topic(), enc(reading(900, { v: 1e308 })), /value beyond/],
    ["a value that overflows to Infinity", topic(), enc('{"boot":1,"seq":901,"t":' + (NOW - 1) + ',"v":1e999}'), /finite v/],
    ['"NaN" as a string', topic(), enc(reading(902, { v: "NaN" })), /finite v/],
    ['"Infinity" as a string', topic(), enc(reading(903, { v: "Infinity" })), /finite v/],
    ["deep nesting in a reading", topic(), enc(reading(904).replace(/}$/, `,"x":${deep(9)}}`)), /nested deeper than 8/],
    ["an event 8,000 levels deep (JSON.stringify overflows the stack)", `xsmeter/${victim.node}/event`, enc(`{"boot":1,"seq":905,"t":${NOW},"meterId":1,"type":"dip","x":${deep(8000)}}`), /nested deeper/],
    ["1 MB payload", topic(), enc(reading(906, { pad: "x".repeat(1_000_000) })), /payload over 16384 bytes/],
    ["boot as a string", topic(), enc(reading(907, { boot: "1" })), /boot, seq/],
    ["negative seq", topic(), enc(reading(908, { seq: -1 })), /boot, seq/],
    ["fractional seq", topic(), enc(reading(909, { seq: 1.5 })), /boot, seq/],
    ["v as a boolean", topic(), enc(reading(910, { v: true })), /finite v/],
    ["seq at 2^53", topic(), enc(`{"boot":1,"seq":9007199254740992,"t":${NOW - 1},"v":1}`), /boot, seq/],
    ["boot at 2^53 + 1 (rounds to 2^53)", topic(), enc(`{"boot":9007199254740993,"seq":911,"t":${NOW - 1},"v":1}`), /boot, seq/],
    ["a time in the year 3000", topic(), enc(reading(912, { t: Date.UTC(3000, 0, 1) })), /in the future/],
    ["a negative time", topic(), enc(reading(913, { t: -5 })), /t \(ms\)/],
    ["a time of 1970", topic(), enc(reading(914, { t: 1000 })), /before 2020-01-01/],
    ["node '..'", topic(".."), enc(reading(915)), /unknown topic/],
    ["node '+'", topic("+"), enc(reading(916)), /unknown topic/],
    ["node '#'", topic("#"), enc(reading(917)), /unknown topic/],
    ["a unicode node", topic("tøwn-a"), enc(reading(918)), /unknown topic/],
    ["a right-to-left override in the node", topic("town\u202ea"), enc(reading(919)), /unknown topic/],
    ["a 65-character node", topic("n".repeat(65)), enc(reading(920)), /unknown topic/],
    ["a 100 KB topic", topic("n".repeat(100_000)), enc(reading(921)), /unknown topic/],
    ["meter '007' (another name for meter 7)", topic(victim.node, "007"), enc(reading(922)), /plain decimal|meter id is not a number/], // parse.ts refuses it first (the NATS topic work); validate.ts would too
    ["meter '1e3'", topic(victim.node, "1e3"), enc(reading(923)), /not a number/],
    ["meter '-1'", topic(victim.node, "-1"), enc(reading(924)), /not a number/],
    ["meter '..'", topic(victim.node, ".."), enc(reading(925)), /not a number/],
    ["a path trick after the meter", `xsmeter/${victim.node}/meter/1/../../status`, enc(reading(926)), /unknown meter topic/],
    ["an OBIS code of full-width digits", topic(victim.node, "1", "１-0:1.7.0"), enc(reading(927)), /unknown meter topic/],
    ["not UTF-8", topic(), Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d), /not UTF-8/],
    ["an event type with markup", `xsmeter/${victim.node}/event`, enc(`{"boot":1,"seq":928,"t":${NOW},"meterId":1,"type":"<script>alert(1)</script>"}`), /plain word/],
    ["an event of 10 KB", `xsmeter/${victim.node}/event`, enc(`{"boot":1,"seq":929,"t":${NOW},"meterId":1,"type":"dip","note":"${"y".repeat(10_000)}"}`), /event body over 2048/],
    ["a firmware version with markup", `xsmeter/${victim.node}/firmware`, enc('{"running":"<img src=x onerror=alert(1)>","phase":"confirmed"}'), /plain word/],
    ["an aggregate of 1e300 volts", `xsmeter/${victim.node}/meter/1/pq/10min`, enc(JSON.stringify({ boot: 1, seq: 930, start: NOW - 600_000, end: NOW, u: [1e300], i: [1], p: [1], thdu: [1], thdi: [1], f: 50, flagged: false })), /aggregate value beyond/],
    ["an aggregate a year long", `xsmeter/${victim.node}/meter/1/pq/10min`, enc(JSON.stringify({ boot: 1, seq: 931, start: NOW - 365 * 86_400_000, end: NOW, u: [230], i: [1], p: [1], thdu: [1], thdi: [1], f: 50, flagged: false })), /longer than a day/],
  ];
}

describe("head-end ingest: hostile payloads from a compromised or fake meter", () => {
  it("keeps each aside with its reason; none fails the batch or reaches a meter's history; the good readings around them are stored", async () => {
    const s = await store();
    const ing = ingest(s);
    const cases = corpus();
    // a good reading before, every hostile one in the same batch, a good one after
    const batch = [{ topic: topic(), payload: enc(reading(1)), retain: false }, ...cases.map(([, t, p]) => ({ topic: t, payload: p, retain: false })), { topic: topic(), payload: enc(reading(2)), retain: false }];
    const r = await ing.take(batch, NOW);
    expect(r).toEqual({ stored: 2, duplicates: 0, rejected: cases.length });
    const rows = await s.series(victim, POWER, 0, NOW + 86_400_000, "raw");
    expect(rows.map((x) => x.v)).toEqual([501, 502]);
    // only the victim meter exists: no fake meter, no '007' alias
    expect((await s.meters(NOW)).map((m) => `${m.node}/${m.meterId}`)).toEqual(["town-a/1"]);
    const byReason = ing.stats.guard.byReason;
    for (const [name, , , reason] of cases) expect(Object.keys(byReason).some((k) => reason.test(k)), `${name}: a reason matching ${reason} in ${JSON.stringify(Object.keys(byReason))}`).toBe(true);
    // each reject row keeps at most 1 KiB of its payload
    const rejects = await s.rejects();
    expect(rejects.reduce((n, x) => n + x.count, 0)).toBe(cases.length);
    expect((await s.counts()).rejects).toBe(cases.length);
  });

  it("one by one, each hostile message is refused alone, and the next good reading is stored", async () => {
    const s = await store();
    const ing = ingest(s);
    let seq = 10;
    for (const [name, t, p, reason] of corpus()) {
      const r = await ing.take([{ topic: t, payload: p, retain: false }], NOW);
      expect(r, name).toEqual({ stored: 0, duplicates: 0, rejected: 1 });
      const before = Object.keys(ing.stats.guard.byReason).filter((k) => reason.test(k));
      expect(before.length, `${name}: reason ${reason}`).toBeGreaterThan(0);
      expect((await ing.take([{ topic: topic(), payload: enc(reading(++seq)), retain: false }], NOW)).stored, `${name}: the next good reading`).toBe(1);
    }
    expect((await s.series(victim, POWER, 0, NOW + 86_400_000, "raw")).length).toBe(seq - 10);
  });

  it("seq and boot at 2^53 − 1 are stored and read back exact", async () => {
    const s = await store();
    const ing = ingest(s);
    const max = Number.MAX_SAFE_INTEGER;
    expect((await ing.take([{ topic: topic(), payload: enc(`{"boot":${max},"seq":${max},"t":${NOW - 5},"v":1}`), retain: false }], NOW)).stored).toBe(1);
    // the same (boot, seq) again is a duplicate, not a second row: the key compared exactly
    expect((await ing.take([{ topic: topic(), payload: enc(`{"boot":${max},"seq":${max},"t":${NOW - 4},"v":2}`), retain: false }], NOW)).duplicates).toBe(1);
    expect((await ing.take([{ topic: topic(), payload: enc(`{"boot":${max},"seq":${max - 1},"t":${NOW - 3},"v":3}`), retain: false }], NOW)).stored).toBe(1);
  });

  it("a fake meter flooding new ids: the meters table grows by the budget, not by the flood; known meters carry on", async () => {
    const s = await store();
    const guard = new IngestGuard(s, { newMetersBurst: 5, newMetersPerMinute: 1, maxMetersPerNode: 64 });
    const ing = ingest(s, guard);
    expect((await ing.take([{ topic: topic(), payload: enc(reading(1)), retain: false }], NOW)).stored).toBe(1); // the victim: one of the 5
    const flood = Array.from({ length: 500 }, (_, k) => ({ topic: topic(`fake-${k}`, "1"), payload: enc(reading(k + 2)), retain: false }));
    const r = await ing.take(flood, NOW);
    expect(r.stored).toBe(4);
    expect(guard.stats.meterBudgetRefused).toBe(496);
    expect((await s.meters(NOW)).length).toBe(5);
    // a minute later one more new meter gets in; the victim is never refused
    const later = await ing.take([{ topic: topic("fake-new", "1"), payload: enc(reading(1)), retain: false }, { topic: topic("fake-other", "1"), payload: enc(reading(1)), retain: false }, { topic: topic(), payload: enc(reading(2)), retain: false }], NOW + 60_000);
    expect(later.stored).toBe(2);
    expect((await s.meters(NOW)).length).toBe(6);
  });

  it("one node inventing meter ids stops at the per-node cap; a restarted head-end still knows its meters", async () => {
    const s = await store();
    const ing = ingest(s, new IngestGuard(s, { maxMetersPerNode: 8 }));
    const flood = Array.from({ length: 100 }, (_, k) => ({ topic: topic("evil", String(k)), payload: enc(reading(1)), retain: false }));
    expect((await ing.take(flood, NOW)).stored).toBe(8);
    expect(ing.stats.guard.byReason["node already has 8 meters"]).toBe(92);
    // a new guard (head-end restart) reads the known meters from the store: the cap still holds
    const again = ingest(s, new IngestGuard(s, { maxMetersPerNode: 8 }));
    expect((await again.take([{ topic: topic("evil", "200"), payload: enc(reading(2)), retain: false }, { topic: topic("evil", "3"), payload: enc(reading(2)), retain: false }], NOW)).stored).toBe(1);
  });

  it("a flood of garbage writes reject rows at the budget's pace only, each cut to 1 KiB; the rest are counted", async () => {
    const s = await store();
    const ing = ingest(s, new IngestGuard(s, { rejectsBurst: 10, rejectsPerMinute: 6 }));
    const junk = Array.from({ length: 300 }, () => ({ topic: topic(), payload: enc("x".repeat(15_000)), retain: false }));
    await ing.take(junk, NOW);
    expect((await s.counts()).rejects).toBe(10);
    expect(ing.stats.guard).toMatchObject({ rejectsWritten: 10, rejectsCounted: 290, byReason: { "payload is not JSON": 300 } });
    await ing.take(junk.slice(0, 5), NOW + 10_000); // 10 s: one token more
    expect((await s.counts()).rejects).toBe(11);
    const sizes = (s as unknown as { db: { prepare(q: string): { all(): { n: number }[] } } }).db.prepare("SELECT length(payload) AS n FROM rejects").all();
    expect(sizes.every((x) => x.n === 1024)).toBe(true);
    // and the next good reading is stored
    expect((await ing.take([{ topic: topic(), payload: enc(reading(1)), retain: false }], NOW + 10_000)).stored).toBe(1);
  });
});

describe.skipIf(missing("mosquitto"))("head-end ingest: hostile payloads over mosquitto", () => {
  for (const version of [4, 5] as const) {
    it(`MQTT ${version === 5 ? "5.0" : "3.1.1"}: a poison that used to fail its batch (resent for ever) and a 1 MB payload are kept aside or dropped, and the fleet's readings carry on`, async () => {
      const mq = new Mosquitto(await freePort());
      await mq.start();
      cleanups.push(async () => { await mq.stop("SIGKILL"); rmSync(mq.dir, { recursive: true, force: true }); });
      const s = await store();
      const now = Date.now();
      const ing = new Ingest({ store: s, mqttUrl: mq.url, clientId: `hostile-${version}`, protocolVersion: version });
      ing.start();
      cleanups.push(() => ing.stop());
      const pub = new MqttClient({ network: new NodeNetwork(), clock: nodeClock(), random: { fill: (b) => void getRandomValues(b) }, host: "127.0.0.1", port: mq.port, clientId: `evil-${version}`, outbox: new MemoryOutbox(), clean: true });
      pub.start();
      cleanups.push(() => pub.stop());
      await until("both connected", () => ing.subscriber.isConnected && pub.isConnected);
      await new Promise((r) => setTimeout(r, 200)); // the SUBSCRIBE is through
      const deep = "[".repeat(8000) + "]".repeat(8000);
      pub.publish(`xsmeter/${victim.node}/event`, enc(`{"boot":1,"seq":1,"t":${now},"meterId":1,"type":"dip","x":${deep}}`), 1);
      pub.publish(topic(), enc(JSON.stringify({ boot: 1, seq: 2, t: now, v: 1, pad: "x".repeat(1_000_000) })), 1);
      for (let seq = 3; seq <= 5; seq++) pub.publish(topic(), enc(JSON.stringify({ boot: 1, seq, t: now + seq, v: seq })), 1);
      await until("the good readings", () => ing.stats.stored >= 3, 10_000);
      expect((await s.series(victim, POWER, 0, now + 86_400_000, "raw")).map((x) => x.v)).toEqual([3, 4, 5]);
      expect(ing.stats.mqtt.failedBatches).toBe(0);
      expect(ing.stats.mqtt.protocolErrors).toBe(0);
      expect(ing.stats.mqtt.connects).toBe(1);
      const reasons = ing.stats.guard.byReason;
      expect(reasons["JSON nested deeper than 8 levels"]).toBe(1);
      // 3.1.1: read past and kept aside; 5.0: mosquitto drops it for us (our Maximum Packet Size)
      expect(reasons["packet over the ingest's limit, not read"]).toBe(version === 4 ? 1 : undefined);
    }, 30_000);
  }
});
