// The outbox keeps the retain flag in flash (record format v2): a retained status
// written while the broker is unreachable, replayed after the meter rebooted,
// still reaches the broker with retain=1 (a subscriber arriving later gets it as
// the retained message). Old v1 records (no flags) are still read, as not
// retained; a record of an unknown format is refused, never misread.
import { afterAll, describe, expect, it } from "vitest";
import { crc32 as zcrc32 } from "node:zlib";
import { getRandomValues } from "node:crypto";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";
import { FlashOutbox, MemoryOutbox } from "../../modules/mqtt/flash-outbox";
import { MqttClient } from "../../modules/mqtt/client";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../hosts/node/mqtt/embedded-broker";
import { freePort } from "../../hosts/node/free-port";
import { nodeClock } from "../../hosts/node/node-clock";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A v1 record built from the documented layout (CRC-32 over bytes 2–3 then 8–end, with node:zlib). */
function v1Record(id: number, topic: string, payload: string, format = 0x5a): Uint8Array {
  const t = enc(topic);
  const p = enc(payload);
  const rec = new Uint8Array(14 + t.length + p.length);
  const dv = new DataView(rec.buffer);
  rec[0] = format;
  rec[1] = 0xfe;
  dv.setUint16(2, rec.length, true);
  dv.setUint32(8, id, true);
  dv.setUint16(12, t.length, true);
  rec.set(t, 14);
  rec.set(p, 14 + t.length);
  const covered = new Uint8Array([...rec.subarray(2, 4), ...rec.subarray(8)]);
  dv.setUint32(4, zcrc32(covered), true);
  return rec;
}

describe("outbox retain flag", () => {
  it("survives a reboot in flash; v1 records still read (not retained); unknown formats refused", () => {
    const flash = new NorFlashSim({ size: 4 * 4096 });
    let box = new FlashOutbox(flash);
    const a = box.add("xsmeter/n1/status", enc("online"), true);
    const b = box.add("xsmeter/n1/meter/1/x", enc("{}"));
    flash.reboot();
    box = new FlashOutbox(flash);
    expect(box.get(a)).toMatchObject({ topic: "xsmeter/n1/status", retain: true });
    expect(dec(box.get(a)!.payload)).toBe("online");
    expect(box.get(b)!.retain).toBe(false);
    const mem = new MemoryOutbox();
    expect(mem.get(mem.add("t", enc("x"), true))!.retain).toBe(true);

    // a flash written by the v1 firmware: sector 0 holds two v1 records
    const old = new NorFlashSim({ size: 4 * 4096 });
    old.eraseSector(0);
    const r1 = v1Record(7, "xsmeter/n1/meter/1/1-0:1.8.0", '{"seq":1}');
    const r2 = v1Record(8, "xsmeter/n1/status", "online");
    old.program(0, r1);
    old.program(r1.length, r2);
    const migrated = new FlashOutbox(old);
    expect(migrated.ids()).toEqual([7, 8]);
    expect(migrated.get(8)).toMatchObject({ topic: "xsmeter/n1/status", retain: false });
    expect(dec(migrated.get(7)!.payload)).toBe('{"seq":1}');
    const next = migrated.add("xsmeter/n1/status", enc("online"), true); // new records are v2, after the old ones
    expect(next).toBe(9);
    const again = new FlashOutbox(old);
    expect(again.ids()).toEqual([7, 8, 9]);
    expect(again.get(9)!.retain).toBe(true);
    expect(again.refused).toBe(0);

    // a record of a future format (byte 0 = 0x5c) is refused, not misread
    const future = new NorFlashSim({ size: 4 * 4096 });
    future.eraseSector(1);
    future.program(4096, v1Record(3, "x/y", "z", 0x5c));
    const box3 = new FlashOutbox(future);
    expect(box3.ids()).toEqual([]);
    expect(box3.refused).toBe(1);
  });

  describe("through the embedded broker", () => {
    let broker: EmbeddedBroker | undefined;
    const clients: MqttClient[] = [];
    afterAll(async () => {
      for (const c of clients) c.kill();
      await sleep(20);
      await broker?.close();
    });

    it("a retained status queued during an outage and replayed after a reboot keeps retain=1", async () => {
      const clock = nodeClock();
      const random = { fill: (b: Uint8Array) => void getRandomValues(b) };
      const network = new NodeNetwork();
      const flash = new NorFlashSim({ size: 8 * 4096 });
      // No broker listens yet: the meter can only queue.
      const deadPort = await freePort();
      const before = new MqttClient({ network, clock, random, host: "127.0.0.1", port: deadPort, clientId: "xsmeter-r1", outbox: new FlashOutbox(flash), minBackoffMs: 50, maxBackoffMs: 100 });
      clients.push(before);
      before.start();
      before.publish("xsmeter/r1/status", enc("online"), 1, true);
      before.publish("xsmeter/r1/meter/1/1-0:16.7.0", enc('{"boot":1,"seq":1}'), 1, false);
      await sleep(100);
      before.kill(); // the meter reboots; only the flash remains
      flash.reboot();

      broker = await startEmbeddedBroker({ port: 0 });
      const after = new MqttClient({ network, clock, random, host: "127.0.0.1", port: broker.port, clientId: "xsmeter-r1", outbox: new FlashOutbox(flash), minBackoffMs: 50, maxBackoffMs: 100 });
      clients.push(after);
      after.start();
      const end = Date.now() + 5000;
      while (after.stats.acked < 2 && Date.now() < end) await sleep(20);
      expect(after.stats.acked).toBe(2);

      // A subscriber that comes later: the broker only hands it what was published with retain=1.
      const got: { topic: string; retain: boolean; text: string }[] = [];
      const sub = new MqttClient({ network, clock, random, host: "127.0.0.1", port: broker.port, clientId: "late-sub", outbox: new MemoryOutbox(), clean: true });
      clients.push(sub);
      sub.onMessage((topic, payload, retain) => got.push({ topic, retain, text: dec(payload) }));
      sub.subscribe("xsmeter/r1/#", 1);
      sub.start();
      const end2 = Date.now() + 5000;
      while (got.length < 1 && Date.now() < end2) await sleep(20);
      await sleep(100);
      expect(got).toEqual([{ topic: "xsmeter/r1/status", retain: true, text: "online" }]);
    }, 15_000);
  });
});
