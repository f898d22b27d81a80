// The outbox keeps the retain flag in flash (record format v2): a retained status
// written while the broker is unreachable, replayed after the meter rebooted,
// still reaches the broker with retain=1 (a subscriber arriving later gets it as
// the retained message). Old v1 records (no flags) are migrated as not retained;
// a record of an unknown format is never misread.
import { afterAll, describe, expect, it } from "vitest";
import { getRandomValues } from "node:crypto";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";
import { FlashOutbox, MemoryOutbox } from "../../modules/mqtt/flash-outbox";
import { MqttClient } from "../../modules/mqtt/client";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../hosts/node/mqtt/embedded-broker";
import { freePort } from "../../hosts/node/free-port";
import { nodeClock } from "../../hosts/node/node-clock";
import { legacyV1Record } from "../../hosts/node/flash/legacy-outbox";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

    // a flash written by the v1 firmware: sector 0 holds two v1 records; migrated at boot, in order
    const old = new NorFlashSim({ size: 4 * 4096 });
    old.eraseSector(0);
    const r1 = legacyV1Record(7, "xsmeter/n1/meter/1/1-0:1.8.0", '{"seq":1}');
    const r2 = legacyV1Record(8, "xsmeter/n1/status", "online");
    old.program(0, r1);
    old.program(r1.length, r2);
    const migrated = new FlashOutbox(old);
    expect(migrated.migration).toEqual({ moved: 2, dropped: 0, erased: 1 });
    const [m7, m8] = migrated.ids();
    expect(migrated.ids()).toHaveLength(2);
    expect(migrated.get(m8)).toMatchObject({ topic: "xsmeter/n1/status", retain: false });
    expect(dec(migrated.get(m7)!.payload)).toBe('{"seq":1}');
    const next = migrated.add("xsmeter/n1/status", enc("online"), true); // new messages after the old ones
    const again = new FlashOutbox(old);
    expect(again.ids()).toEqual([m7, m8, next]);
    expect(again.get(next)!.retain).toBe(true);
    expect(again.migration).toEqual({ moved: 0, dropped: 0, erased: 0 });

    // a record of a future format (byte 0 = 0x5c) is not misread as a message
    const future = new NorFlashSim({ size: 4 * 4096 });
    future.eraseSector(1);
    future.program(4096, legacyV1Record(3, "x/y", "z", 0x5c));
    const box3 = new FlashOutbox(future);
    expect(box3.ids()).toEqual([]);
    expect(box3.migration.moved).toBe(0);
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
