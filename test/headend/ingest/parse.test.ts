// The ingest's decoding of a reading's topic: the dotted (mosquitto) and the underscored (NATS)
// spelling of an OBIS code give the same item, and a hostile topic is kept aside with a reason —
// it never lands on another meter or on a code the topic did not name.
import { describe, expect, it } from "vitest";
import { parseMessage } from "../../../hosts/headend/ingest/parse";
import type { IngestItem } from "../../../hosts/headend/store/store";

const NOW = Date.UTC(2026, 11, 3, 8);
const enc = (x: unknown) => new TextEncoder().encode(typeof x === "string" ? x : JSON.stringify(x));
const READING = { boot: 2, seq: 41, t: NOW - 1000, v: 1234.5, u: "Wh" };
const parse = (topic: string, body: unknown = READING) => parseMessage(topic, enc(body), NOW);
const reason = (it: IngestItem) => (it.kind === "reject" ? it.reason : `not rejected: ${it.kind}`);

describe("parseMessage: a reading's topic in either form", () => {
  it("gives the same reading for 1-0:1.8.0 and 1-0:1_8_0", () => {
    const dotted = parse("xsmeter/n7/meter/3/1-0:1.8.0");
    const under = parse("xsmeter/n7/meter/3/1-0:1_8_0");
    expect(dotted).toEqual({ kind: "reading", node: "n7", meterId: 3, obis: "1-0:1.8.0", boot: 2, seq: 41, t: READING.t, v: 1234.5, unit: "Wh" });
    expect(under).toEqual(dotted);
    // a manufacturer-specific code too (THD of L1's voltage)
    expect(parse("xsmeter/n7/meter/3/1-0:32_7_124")).toMatchObject({ kind: "reading", obis: "1-0:32.7.124" });
    expect(parse("xsmeter/n7/meter/0/0-0:96_7_21")).toMatchObject({ kind: "reading", meterId: 0, obis: "0-0:96.7.21" });
  });

  it("keeps aside a topic whose code is spelt any other way, and one the registry does not know", () => {
    for (const level of ["1-0:1_8.0", "1-0:01.8.0", "1-0:1_08_0", "1-0:1.8.0*255", "1-0:1_8_0*255", "1-0:1__8_0", "1_0:1_8_0", "1-0:1.8", "1-0:1_8_0_"]) {
      expect(reason(parse(`xsmeter/n7/meter/3/${level}`)), level).toBe("unknown meter topic");
    }
    // well-formed but invented: 99.99.99 would become a series of its own per forged topic
    expect(reason(parse("xsmeter/n7/meter/3/1-0:99_99_99"))).toBe("unknown OBIS code");
    expect(reason(parse("xsmeter/n7/meter/3/1-0:99.99.99"))).toBe("unknown OBIS code");
  });

  it("never maps a forged topic to another meter or node", () => {
    for (const id of ["01", "+1", "-1", "1e0", "0x1", " 1", "1 ", "1_", "1.0", "1234567", ""]) {
      expect(reason(parse(`xsmeter/n7/meter/${id}/1-0:1_8_0`)), JSON.stringify(id)).toBe("meter id is not a number");
    }
    // extra levels: not another meter's reading, not this meter's either
    for (const topic of ["xsmeter/n7/meter/3/1-0:1_8_0/x", "xsmeter/n7/meter/3/4/1-0:1_8_0", "xsmeter/n7/meter/3//1-0:1_8_0", "xsmeter/n7/meter/3/pq/10min/1-0:1_8_0"]) {
      expect(parse(topic).kind, topic).toBe("reject");
    }
    for (const topic of ["xsmeter/n.7/meter/3/1-0:1_8_0", "xsmeter/n7:1/meter/3/1-0:1_8_0", "xsmeter//meter/3/1-0:1_8_0", "xsmeter/+/meter/3/1-0:1_8_0", "XSMETER/n7/meter/3/1-0:1_8_0", "/xsmeter/n7/meter/3/1-0:1_8_0"]) {
      expect(reason(parse(topic)), topic).toBe("unknown topic");
    }
  });

  it("still checks the payload of an underscored topic", () => {
    expect(reason(parse("xsmeter/n7/meter/3/1-0:1_8_0", { boot: 2, seq: -1, t: 1, v: 1 }))).toMatch(/^reading needs/);
    expect(reason(parse("xsmeter/n7/meter/3/1-0:1_8_0", "not json"))).toBe("payload is not JSON");
  });

  it("keeps the 10-min aggregate's topic and the node's topics as they were", () => {
    const pq = { boot: 1, seq: 2, start: NOW - 600_000, end: NOW, u: [230], i: [1], p: [230], thdu: [2], thdi: [5], f: 50, flagged: false };
    expect(parse("xsmeter/n7/meter/3/pq/10min", pq)).toMatchObject({ kind: "pq", node: "n7", meterId: 3, seq: 2 });
    expect(reason(parse("xsmeter/n7/meter/03/pq/10min", pq))).toBe("meter id is not a number");
    expect(parseMessage("xsmeter/n7/status", enc("online"), NOW)).toEqual({ kind: "status", node: "n7", online: true, t: NOW });
  });

  it("reads the ordered status and firmware reports, and still takes earlier firmware's without order", () => {
    expect(parseMessage("xsmeter/n7/status", enc('{"state":"offline","boot":4,"seq":9}'), NOW)).toEqual({ kind: "status", node: "n7", online: false, t: NOW, order: { boot: 4, seq: 9 } });
    expect(parseMessage("xsmeter/n7/status", enc("offline"), NOW)).toMatchObject({ kind: "status", online: false, order: undefined });
    for (const bad of ['{"state":"up","boot":1,"seq":1}', '{"state":"online","boot":1}', '{"state":"online","boot":-1,"seq":2}', "[1]", "Online"]) {
      expect(parseMessage("xsmeter/n7/status", enc(bad), NOW), bad).toMatchObject({ kind: "reject", reason: "status is not online/offline" });
    }
    expect(parse("xsmeter/n7/firmware", { boot: 4, seq: 2, running: "1.1.0", phase: "confirmed" })).toMatchObject({ kind: "firmware", running: "1.1.0", order: { boot: 4, seq: 2 } });
    expect(parse("xsmeter/n7/firmware", { boot: 4, running: "1.1.0" })).toMatchObject({ kind: "firmware", order: undefined });
  });

  it("decodes each payload on its own: a message cut inside a UTF-8 sequence leaves nothing for the next", () => {
    const cut = enc('{"boot":2,"seq":41,"t":1,"v":1,"u":"é"}').slice(0, -3); // ends after the first byte of "é"
    expect(reason(parseMessage("xsmeter/n7/meter/3/1-0:1.8.0", cut, NOW))).toBe("payload is not UTF-8");
    expect(parse("xsmeter/n7/meter/3/1-0:1.8.0")).toMatchObject({ kind: "reading", seq: 41, v: 1234.5 });
    expect(parseMessage("xsmeter/n7/status", new Uint8Array([0xc3]), NOW)).toMatchObject({ kind: "reject", reason: "payload is not UTF-8" });
    expect(parseMessage("xsmeter/n7/status", enc("online"), NOW)).toMatchObject({ kind: "status", online: true });
  });
});
