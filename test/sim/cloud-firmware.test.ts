// The sim meter's downlinks for real, through the embedded broker (aedes) and the
// utility's HTTP firmware server, commands HMAC-signed here with node:crypto:
// a price table and configuration applied (bad ones refused, named), settings
// persisted across a reboot; firmware offers: older refused at once, a forged image
// and a corrupt one refused after download with the running image untouched, a
// good one downloaded through a link cut (resumed with a Range request), verified,
// booted and confirmed, and one whose self-test fails rolled back. The boot counter
// in flash numbers every boot; the subscriber dedups readings by (meter, boot, seq).
import { afterAll, describe, expect, it } from "vitest";
import { until } from "../support/until";
import { createHash, createHmac, getRandomValues, randomBytes } from "node:crypto";
import { MqttClient } from "../../modules/mqtt/client";
import { MemoryOutbox } from "../../modules/mqtt/flash-outbox";
import { buildImage } from "../../modules/ota/image";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../hosts/node/mqtt/embedded-broker";
import { HouseholdSim } from "../../hosts/node/sim/household-sim";
import { cloudMacKey } from "../../hosts/node/sim/cloud";
import { SimMeter, simFirmwareImage, simUtilitySeed } from "../../hosts/node/sim/meter";
import { startFirmwareServer, type FirmwareServer } from "../../hosts/node/sim/firmware-server";
import { nodeClock } from "../../hosts/node/node-clock";
import { parseHeader } from "../../modules/ota/image";

const clock = nodeClock();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const SLOT = 15 * 60_000;


describe("sim meter downlinks through the broker", () => {
  let broker: EmbeddedBroker | undefined;
  let server: FirmwareServer | undefined;
  let sim: HouseholdSim | undefined;
  let meter: SimMeter | undefined;
  let sub: MqttClient | undefined;

  afterAll(async () => {
    sub?.stop();
    meter?.stop();
    sim?.stop();
    await sleep(50);
    await server?.close();
    await broker?.close();
  });

  it("applies prices and configuration, refuses forged, older and corrupt firmware, installs a signed one through a link cut, rolls back a failing one", async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    server = await startFirmwareServer(0);
    sim = new HouseholdSim(clock, { seed: 11, slaves: 2 });
    sim.start();
    const node = "sim-11";
    meter = new SimMeter({ aggregator: sim.aggregator, clock, brokerUrl: broker.url, networkKey: sim.networkKey, node, periodMs: 300, rebootDelayMs: 100, selfTestMs: 5000 });
    meter.start();

    const results: any[] = [];
    const firmware: any[] = [];
    const readings = new Map<string, string>(); // (meter, boot, seq) → payload
    let collisions = 0;
    let deliveries = 0;
    sub = new MqttClient({ network: new NodeNetwork(), clock, random: { fill: (b) => void getRandomValues(b) }, host: "127.0.0.1", port: broker.port, clientId: "utility", outbox: new MemoryOutbox(), clean: true });
    sub.subscribe(`xsmeter/${node}/cmd/result`, 1);
    sub.subscribe(`xsmeter/${node}/firmware`, 1);
    sub.subscribe(`xsmeter/${node}/meter/+/+`, 1);
    sub.subscribe(`homeassistant/update/${node}/#`, 1);
    const discovery: any[] = [];
    sub.onMessage((topic, payload) => {
      if (topic.startsWith("homeassistant/")) discovery.push(JSON.parse(text(payload)));
      else if (topic.endsWith("/cmd/result")) results.push(JSON.parse(text(payload)));
      else if (topic.endsWith("/firmware")) firmware.push(JSON.parse(text(payload)));
      else {
        const b = JSON.parse(text(payload));
        const key = `${topic.split("/")[3]}|${b.boot}|${b.seq}`;
        const seen = readings.get(key);
        if (seen !== undefined && seen !== `${topic} ${text(payload)}`) collisions++; // same key, another reading
        readings.set(key, `${topic} ${text(payload)}`);
        deliveries++;
      }
    });
    sub.start();
    await until("the subscriber", () => sub!.isConnected);

    const key = cloudMacKey(sim.networkKey, node);
    let ctr = 100;
    const command = async (kind: string, body: object) => {
      const topic = `xsmeter/${node}/cmd/${kind}`;
      const json = JSON.stringify({ ctr: ++ctr, ...body });
      const mac = createHmac("sha256", Buffer.from(key)).update(`${topic}\n${json}`).digest("hex");
      const n = results.length;
      sub!.publish(topic, new TextEncoder().encode(`h1.${mac}.${json}`), 1);
      await until(`the result of ${kind} ${ctr}`, () => results.length > n);
      return results[results.length - 1];
    };
    const fw = (pred: (f: any) => boolean, what: string) => until(what, () => firmware.some(pred), 15_000);

    await fw((f) => f.running === "1.0.0" && f.boot === 1, "the factory image running, boot 1");
    await until("readings of boot 1", () => [...readings.keys()].filter((k) => k.split("|")[1] === "1").length >= 20);

    // prices: a table for the next four hours at 12.5 ct; then a bad one
    const from = Math.ceil((Date.now() + 1000) / SLOT) * SLOT;
    const table = Array.from({ length: 16 }, (_, k) => ({ start: from + k * SLOT, durationMs: SLOT, importMinorPerKWh: 12.5, exportMinorPerKWh: 4, renewableShare: 0.3 }));
    expect(await command("price", { slots: table })).toMatchObject({ kind: "price", ok: true });
    expect(sim.aggregator.pricesAt(from).find((s) => s.start === from)).toMatchObject({ importMinorPerKWh: 12.5 });
    const bad = await command("price", { slots: [{ ...table[0], importMinorPerKWh: -3 }] });
    expect(bad).toMatchObject({ ok: false });
    expect(bad.error).toMatch(/slot 0: importMinorPerKWh/);

    // configuration: whitelist, ranges, persisted
    expect(await command("config", { config: { publishIntervalMs: 1000, demandLimitW: 9000 } })).toMatchObject({ ok: true });
    const limit = () => (sim!.aggregator as any).options.controller.limitW;
    expect(limit()).toBe(9000);
    const unknown = await command("config", { config: { demandLimitW: 8000, colour: "red", wifiPassword: "x" } });
    expect(unknown.error).toMatch(/unknown keys colour, wifiPassword/);
    expect((await command("config", { config: { demandLimitW: 5 } })).error).toMatch(/demandLimitW must be an integer 1000\.\.100000 W \(got 5\)/);
    expect(limit()).toBe(9000);

    // firmware: older refused at once
    const seed = simUtilitySeed(sim.networkKey);
    const offer = (image: Uint8Array, name: string) => {
      const m = parseHeader(image).manifest;
      return { version: m.version, size: m.size, sha256: m.sha256, url: server!.add(name, image) };
    };
    expect((await command("firmware", offer(simFirmwareImage("0.9.0", seed), "old.xsota"))).error).toMatch(/downgrade refused: 0.9.0 is not newer than 1.0.0/);

    // forged: signed by someone else; accepted as an offer, refused once its header arrives
    const forged = simFirmwareImage("2.0.0", new Uint8Array(randomBytes(32)));
    expect(await command("firmware", offer(forged, "forged.xsota"))).toMatchObject({ ok: true });
    await fw((f) => f.phase === "failed" && f.offered === "2.0.0", "the forged image refused");
    expect(firmware.find((f) => f.offered === "2.0.0" && f.phase === "failed").error).toMatch(/forged image: the signature does not verify/);
    expect(meter.boots.length).toBe(1);
    expect(meter.runningVersion).toBe("1.0.0");

    // corrupt: a genuine signature, one firmware bit flipped in transit
    const corrupt = simFirmwareImage("1.3.0", seed).slice();
    corrupt[corrupt.length - 7] ^= 0x10;
    await command("firmware", offer(corrupt, "corrupt.xsota"));
    await fw((f) => f.phase === "failed" && f.offered === "1.3.0", "the corrupt image refused");
    expect(firmware.find((f) => f.offered === "1.3.0" && f.phase === "failed").error).toMatch(/corrupted/);
    expect(meter.boots.length).toBe(1);

    // good: the link is cut after 20 000 bytes; the download resumes from where it stopped
    const good = simFirmwareImage("1.1.0", seed, { size: 64 * 1024 });
    server.cutNextAfter(20_000);
    expect(await command("firmware", offer(good, "good.xsota"))).toMatchObject({ ok: true });
    await fw((f) => f.phase === "confirmed" && f.running === "1.1.0", "1.1.0 confirmed");
    // Home Assistant's update entity: discovery on the firmware topic, which carries installed/latest versions
    expect(discovery[0]).toMatchObject({ state_topic: `xsmeter/${node}/firmware`, device_class: "firmware" });
    expect(firmware.find((f) => f.phase === "verified" && f.offered === "1.1.0")).toMatchObject({ installed_version: "1.0.0", latest_version: "1.1.0" });
    expect(firmware.at(-1)).toMatchObject({ installed_version: "1.1.0", latest_version: "1.1.0" });
    const asked = server.requests.filter((r) => r.name === "good.xsota").map((r) => r.from);
    expect(asked[0]).toBe(0);
    expect(asked.length).toBeGreaterThanOrEqual(2);
    expect(asked[1]).toBeGreaterThan(4096); // resumed, not restarted
    expect(asked[1]).toBeLessThanOrEqual(20_000);
    expect(meter.boots.map((b) => [b.boot, b.version, b.trial])).toEqual([[1, "1.0.0", false], [2, "1.1.0", true]]);
    // what was signed is what runs: the slot's firmware is the image's, byte for byte
    const fwBytes = new Uint8Array(64 * 1024);
    meter.ota.readFirmware(0, fwBytes);
    expect(createHash("sha256").update(fwBytes).digest("hex")).toBe(createHash("sha256").update(good.subarray(good.length - 64 * 1024)).digest("hex"));

    // settings survived the reboot (restored from flash)
    expect(meter.config.values()).toEqual({ publishIntervalMs: 1000, demandLimitW: 9000 });

    // a newer image whose self-test fails: tried once, never confirmed, rolled back
    await command("firmware", offer(simFirmwareImage("1.2.0", seed, { selftest: "fail" }), "bad-selftest.xsota"));
    await until("the rollback", () => meter!.boots.length >= 4, 15_000);
    expect(meter.boots.slice(2).map((b) => [b.boot, b.version, b.trial])).toEqual([[3, "1.2.0", true], [4, "1.1.0", false]]);
    expect(meter.boots[3].note).toMatch(/did not confirm/);
    await fw((f) => f.boot === 4 && f.running === "1.1.0", "1.1.0 running again at boot 4");

    // a build signed for another product never gets past its header either
    const other = buildImage(new Uint8Array(1000), "3.0.0", createHash("sha256").update(new Uint8Array(1000)).digest("hex"), seed, "toaster");
    await command("firmware", offer(other, "toaster.xsota"));
    await fw((f) => f.phase === "failed" && f.offered === "3.0.0", "the foreign image refused");

    // readings: every boot has its own number from the flash counter, so (meter, boot, seq) never collides
    await until("readings of boot 4", () => [...readings.keys()].some((k) => k.split("|")[1] === "4"));
    const boots = new Set([...readings.keys()].map((k) => Number(k.split("|")[1])));
    expect([...boots].sort()).toEqual([1, 2, 4]); // boot 3 died in its self-test before publishing
    expect(collisions).toBe(0);
    console.log(`firmware e2e: ${deliveries} reading deliveries, ${readings.size} distinct (meter, boot, seq), boots ${[...boots].join(",")}; good image fetched with ranges from ${asked.join(", ")}`);
  }, 60_000);
});
