// CloudLink's downlink edge cases: a counter beyond u32 (what the board's counter
// store keeps) is refused as malformed before anything is persisted, and a handler
// that throws gives an error result instead of taking the MQTT callback (and the
// meter) down; the config/price/firmware payload shapes reach their handlers.
import { describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { DemoHousehold } from "../../modules/app/demo-household";
import { memoryCounters } from "../../modules/mqtt/downlink-counters";
import { CloudLink, type MqttPublisher } from "../../modules/mqtt/cloud-link";

const KEY = new Uint8Array(32).fill(5);
const cmd = (topic: string, body: object) => {
  const json = JSON.stringify(body);
  return new TextEncoder().encode(`h1.${createHmac("sha256", Buffer.from(KEY)).update(`${topic}\n${json}`).digest("hex")}.${json}`);
};

describe("CloudLink downlink edge cases", () => {
  it("refuses a counter beyond u32 and survives a throwing handler", () => {
    const clock = new VirtualClock(Date.UTC(2026, 5, 1));
    const results: any[] = [];
    let deliver: (t: string, p: Uint8Array, r: boolean) => void = () => {};
    const mqtt: MqttPublisher = {
      publish(topic, payload) {
        if (topic.endsWith("/cmd/result")) results.push(JSON.parse(new TextDecoder().decode(payload)));
        return true;
      },
      subscribe() {},
      onMessage(h) { deliver = h; },
    };
    const stored = memoryCounters();
    const got: unknown[] = [];
    const link = new CloudLink({
      node: "n", household: new DemoHousehold(clock).store, mqtt, clock, macKey: KEY,
      counters: stored,
      onPrices: () => { throw new Error("price store on fire"); },
      onConfig: (c) => { got.push(c); return { ok: true }; },
      onFirmwareOffer: (f) => { got.push(f); return { ok: false, error: "busy" }; },
    });
    link.start();
    const send = (kind: string, body: object) => deliver(`xsmeter/n/cmd/${kind}`, cmd(`xsmeter/n/cmd/${kind}`, body), false);
    expect(() => send("config", { ctr: 2 ** 32, config: { a: 1 } })).not.toThrow();
    expect(results.at(-1)).toMatchObject({ ok: false, ctr: -1 });
    expect(results.at(-1).error).toMatch(/ctr must be an integer 0\.\.4294967295/);
    expect(stored.values().config).toBe(0);
    expect(() => send("price", { ctr: 7, slots: [] })).not.toThrow();
    expect(results.at(-1)).toMatchObject({ kind: "price", ctr: 7, ok: false, error: "price: price store on fire" });
    expect(stored.values().price).toBe(7); // consumed: the same command is not accepted twice
    send("config", { ctr: 8, config: { demandLimitW: 9000 } });
    send("firmware", { ctr: 9, version: "1.2.3", size: 10, sha256: "ab".repeat(32), url: "http://x/y", extra: 1 });
    send("firmware", { ctr: 10, version: "1.2.3" });
    expect(got).toEqual([{ demandLimitW: 9000 }, { version: "1.2.3", size: 10, sha256: "ab".repeat(32), url: "http://x/y" }]);
    expect(results.slice(-3).map((r) => r.error ?? "ok")).toEqual(["ok", "busy", "firmware: version, url, size, sha256 required"]);
  });
});
