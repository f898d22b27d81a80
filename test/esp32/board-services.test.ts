// The aggregator board's web page, cloud link and firmware updates, wired by
// board-web.ts / board-cloud.ts / board-ota.ts exactly as main.ts wires them,
// run on Node's network (the board's is ECMA-419 sockets behind the same Network
// port): a real HTTP client, a real MQTT broker (aedes), the utility's HTTP
// firmware server, NOR flash simulated with power cuts. Only the app partition
// (embedded:update) is a fake: it records what ESP-IDF would be given.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, createHmac, getRandomValues, randomBytes } from "node:crypto";
import { buildImage, parseHeader } from "../../modules/ota/image";
import { publicKeyFromSeed } from "../../modules/secure/ed25519";
import { AggregatorApp, type AggregatorPorts } from "../../modules/app/aggregator-app";
import { PriceTableStore } from "../../modules/app/price-store";
import { MqttClient } from "../../modules/mqtt/client";
import { FlashOutbox } from "../../modules/mqtt/flash-outbox";
import { pbkdf2Sha256 } from "../../modules/http/auth";
import { fromHex, utf8Encode } from "../../modules/core/bytes";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { nodeClock } from "../../hosts/node/node-clock";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../hosts/node/mqtt/embedded-broker";
import { startFirmwareServer, type FirmwareServer } from "../../hosts/node/sim/firmware-server";
import { boardAreas, CLOUD_SECTORS } from "../../hosts/esp32/partition-layout";
import { silentLink } from "../../hosts/esp32/can-wiring";
import { flatTariffPrices } from "../../hosts/esp32/board-prices";
import { boardConfig } from "../../hosts/esp32/board-config";
import { startBoardCloud, type BoardCloud } from "../../hosts/esp32/board-cloud";
import { BoardOtaSlots, type AppPartitionSink, type BoardOtaOptions, type StreamDigest } from "../../hosts/esp32/board-ota";
import { startBoardWeb } from "../../hosts/esp32/board-web";
import { LOCKED_RECORD, storedPassword } from "../../modules/http/password-record";

const seed = new Uint8Array(randomBytes(32));
const pub = publicKeyFromSeed(seed);
const random = { fill: (b: Uint8Array) => void getRandomValues(b) };

/** An ESP-IDF app image stand-in: magic 0xE9 and random bytes. */
function appImage(size: number): Uint8Array {
  const fw = new Uint8Array(randomBytes(size));
  fw[0] = 0xe9;
  return fw;
}
function image(version: string, fw: Uint8Array, o: { sha?: string; product?: string; key?: Uint8Array } = {}): Uint8Array {
  return buildImage(fw, version, o.sha ?? createHash("sha256").update(fw).digest("hex"), o.key ?? seed, o.product);
}

/** What embedded:update is handed: bytes in order, then complete() or close(). */
class FakeAppPartition {
  opened: number[] = [];
  bytes: number[] = [];
  completed = 0;
  aborted = 0;
  failWrites = false;
  open = (byteLength: number): AppPartitionSink => {
    this.opened.push(byteLength);
    this.bytes = [];
    return {
      write: (b) => {
        if (this.failWrites) throw new Error("write failed");
        for (const x of b) this.bytes.push(x);
      },
      complete: () => void this.completed++,
      abort: () => void this.aborted++,
    };
  };
}
const nodeDigest = (): StreamDigest => {
  const h = createHash("sha256");
  return { write: (b) => void h.update(b), close: () => new Uint8Array(h.digest()) };
};
function boardOta(part: FakeAppPartition, o: Partial<BoardOtaOptions> = {}): { ota: BoardOtaSlots; valid: () => number } {
  let valid = 0;
  const ota = new BoardOtaSlots({ publicKey: pub, runningVersion: "1.0.0", capacity: 0x180000, open: part.open, digest: nodeDigest, trial: false, markValid: () => void valid++, ...o });
  return { ota, valid: () => valid };
}

describe("board configuration of the web page, cloud, firmware and tariff", () => {
  it("defaults, one-level merge, and clear errors", () => {
    const c = boardConfig({ cloud: { host: "broker.lan" } });
    expect(c.web).toEqual({ port: 80, pbkdf2Iterations: 100, readOpen: true, utcOffsetMin: 0 });
    expect(c.cloud).toEqual({ host: "broker.lan", port: 1883, node: "meter", periodMs: 60_000, selfTestMs: 300_000, haSwitching: false, obisTopics: "dotted" });
    expect(c.firmware).toEqual({ version: "1.0.0", publicKey: "" });
    expect(c.tariff).toEqual({ importMinorPerKWh: 30, exportMinorPerKWh: 8 });
    expect(boardConfig({ web: { port: 0 } }).web.pbkdf2Iterations).toBe(100);
    expect(() => boardConfig({ web: { port: 70_000 } })).toThrow(/web\.port/);
    // Slave ids: CAN node ids 1..63, different, at most 16 (the aggregator's booking checkpoint).
    expect(boardConfig({ slaveIds: [1, 5, 63] }).slaveIds).toEqual([1, 5, 63]);
    for (const bad of [[], [0], [64], [1, 1], [1.5], Array.from({ length: 17 }, (_, k) => k + 1)]) expect(() => boardConfig({ slaveIds: bad }), JSON.stringify(bad)).toThrow(/xsmeter\.slaveIds/);
    expect(() => boardConfig({ role: "slave", meterId: 0 })).toThrow(/xsmeter\.meterId/);
    expect(() => boardConfig({ web: { pbkdf2Iterations: 2.5 } })).toThrow(/pbkdf2Iterations/);
    expect(() => boardConfig({ cloud: { port: 0 } })).toThrow(/cloud\.port/);
    expect(() => boardConfig({ cloud: { node: "a/b" } })).toThrow(/cloud\.node/);
    expect(() => boardConfig({ cloud: { haSwitching: "yes" } as never })).toThrow(/cloud\.haSwitching must be true or false/);
    expect(boardConfig({ cloud: { haSwitching: true } }).cloud.haSwitching).toBe(true);
    expect(boardConfig({ cloud: { obisTopics: "underscored" } }).cloud.obisTopics).toBe("underscored");
    expect(() => boardConfig({ cloud: { obisTopics: "nats" } as never })).toThrow(/cloud\.obisTopics must be "dotted" or "underscored", not nats/);
    expect(() => boardConfig({ cloud: { selfTestMs: 5 } })).toThrow(/selfTestMs/);
    expect(() => boardConfig({ firmware: { version: "2" } })).toThrow(/firmware\.version/);
    expect(() => boardConfig({ firmware: { publicKey: "AB".repeat(32) } })).toThrow(/publicKey/);
    expect(boardConfig({ firmware: { publicKey: "ab".repeat(32) } }).firmware.publicKey).toHaveLength(64);
    expect(() => boardConfig({ tariff: { importMinorPerKWh: -1 } })).toThrow(/tariff/);
  });

  it("flat tariff: hourly slots covering the day, the same objects all day", () => {
    const prices = flatTariffPrices({ importMinorPerKWh: 31, exportMinorPerKWh: 9 });
    const day = Date.UTC(2026, 10, 21);
    const a = prices(day + 5);
    expect(a).toHaveLength(24);
    expect(a[0].start).toBe(day);
    expect(a[23].start + a[23].durationMs).toBe(day + 86_400_000);
    expect(prices(day + 86_399_999)).toBe(a);
    expect(prices(day + 86_400_000)[0].start).toBe(day + 86_400_000);
  });
});

describe("board OTA into the app partitions (board-ota.ts)", () => {
  it("streams a signed image's firmware into the partition and completes only on a matching SHA-256", () => {
    const part = new FakeAppPartition();
    const { ota } = boardOta(part);
    const fw = appImage(40_000);
    const img = image("1.1.0", fw);
    const h = parseHeader(img);
    expect(ota.begin(img.subarray(0, h.length))).toBe(h.length);
    expect(part.opened).toEqual([fw.length]);
    for (let at = h.length; at < img.length; at += 4096) ota.write(at, img.subarray(at, Math.min(img.length, at + 4096)));
    ota.finish();
    expect(part.completed).toBe(1);
    expect(Buffer.from(part.bytes).equals(Buffer.from(fw))).toBe(true);
  });

  it("refuses forged, foreign, older, oversized images before opening the partition", () => {
    const part = new FakeAppPartition();
    const { ota } = boardOta(part, { capacity: 10_000 });
    const fw = appImage(5000);
    const head = (img: Uint8Array) => img.subarray(0, parseHeader(img).length);
    expect(() => ota.begin(head(image("1.1.0", fw, { key: new Uint8Array(32).fill(9) })))).toThrow(/forged/);
    expect(() => ota.begin(head(image("1.1.0", fw, { product: "toaster" })))).toThrow(/toaster/);
    expect(() => ota.begin(head(image("1.0.0", fw)))).toThrow(/downgrade refused/);
    expect(() => ota.begin(head(image("1.1.0", appImage(10_001))))).toThrow(/does not fit/);
    const bad = head(image("1.1.0", fw)).slice();
    bad[bad.length - 1] ^= 1; // the signature's last byte
    expect(() => ota.begin(bad)).toThrow(/forged/);
    expect(part.opened).toEqual([]);
  });

  it("a corrupt firmware (digest ≠ signed manifest) is aborted, never completed; order and length are enforced", () => {
    const part = new FakeAppPartition();
    const { ota } = boardOta(part);
    const fw = appImage(9000);
    const img = image("1.2.0", fw, { sha: "ab".repeat(32) }); // signed, but the manifest's hash is not the firmware's
    const n = parseHeader(img).length;
    ota.begin(img.subarray(0, n));
    expect(() => ota.write(n + 1, img.subarray(n + 1))).toThrow(/out of order/);
    ota.write(n, img.subarray(n, n + 100));
    expect(() => ota.finish()).toThrow(/truncated image/);
    expect(() => ota.write(n + 100, new Uint8Array(img.length))).toThrow(/longer than its manifest/);
    ota.write(n + 100, img.subarray(n + 100));
    expect(() => ota.finish()).toThrow(/SHA-256 of the firmware does not match/);
    expect(part.completed).toBe(0);
    expect(part.aborted).toBe(1);
    expect(ota.refused).toBe(1);
    expect(() => ota.write(img.length, new Uint8Array(1))).toThrow(/before begin/);
    // a partition write failure (ESP-IDF refuses the first bytes) aborts too
    const good = image("1.2.0", fw);
    const m = parseHeader(good).length;
    ota.begin(good.subarray(0, m));
    part.failWrites = true;
    expect(() => ota.write(m, good.subarray(m))).toThrow(/app partition write failed/);
    expect(part.aborted).toBe(2);
  });

  it("on trial: no update starts; confirm() marks the app valid once", () => {
    const part = new FakeAppPartition();
    const { ota, valid } = boardOta(part, { trial: true });
    const img = image("1.1.0", appImage(100));
    expect(ota.onTrial).toBe(true);
    expect(() => ota.begin(img.subarray(0, parseHeader(img).length))).toThrow(/on trial/);
    ota.confirm();
    ota.confirm();
    expect(valid()).toBe(1);
    expect(ota.onTrial).toBe(false);
    expect(ota.begin(img.subarray(0, parseHeader(img).length))).toBeGreaterThan(0);
  });
});

describe("board web page (board-web.ts)", () => {
  it("validates the stored record: absent opens first use, damaged locks sign-in instead", () => {
    const good = `pbkdf2-sha256$100$${"0a".repeat(16)}$${"1b".repeat(32)}`;
    expect(storedPassword(undefined).record).toBeUndefined();
    expect(storedPassword(good).record).toBe(good);
    for (const bad of ["", "pbkdf2-sha256$100$zz$00", good.slice(0, -2), 42, new ArrayBuffer(8)]) expect(storedPassword(bad).record, String(bad)).toBe(LOCKED_RECORD);
  });

  it("keeps the password across a restart: first use cannot be claimed again", async () => {
    const clock = nodeClock();
    const app = new AggregatorApp(clock, silentLink(), ports(), { slaveIds: [1], loads: [] });
    const nvs = new Map<string, unknown>();
    const passwords = { load: () => nvs.get("httpPassword"), save: (r: string) => void nvs.set("httpPassword", r) };
    const iterations = boardConfig({}).web.pbkdf2Iterations;
    const shown: string[] = [];
    const start = () => startBoardWeb({ household: app.store, clock, network: new NodeNetwork(), random, port: 0, passwords, pbkdf2Iterations: iterations, showSetupCode: (code) => void shown.push(code) });
    let web = await start();
    const base = () => `http://127.0.0.1:${web.port}`;
    // First use needs the setup code the board shows on its display (and logs).
    const setup = async (password: string) => fetch(`${base()}/setup`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", origin: base() }, body: new URLSearchParams({ code: web.app.setupCode ?? "", password }) });
    expect(shown).toEqual([web.app.setupCode]);
    expect(shown[0]).toMatch(/^\d{4} \d{4}$/);
    expect((await setup("correct horse battery")).status).toBe(303);
    const record = nvs.get("httpPassword") as string;
    const [, iter, salt, hash] = record.split("$");
    expect(Number(iter)).toBe(iterations);
    // the record is PBKDF2 of the password under its salt (computed here with node:crypto)
    const { pbkdf2Sync } = await import("node:crypto");
    expect(pbkdf2Sync("correct horse battery", Buffer.from(salt, "hex"), iterations, 32, "sha256").toString("hex")).toBe(hash);
    expect(Buffer.from(pbkdf2Sha256(utf8Encode("correct horse battery"), fromHex(salt), iterations)).toString("hex")).toBe(hash);
    web.close();
    // reboot: the record comes back from NVS, so the setup page is gone and a new "first use" is refused
    web = await start();
    const again = await fetch(`${base()}/setup`, { redirect: "manual" });
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe("/login");
    expect((await setup("attacker password")).status).not.toBe(303);
    expect(nvs.get("httpPassword")).toBe(record);
    expect(shown.length).toBe(1); // a meter with a password shows no code
    expect(web.app.auth.verify("correct horse battery", "1.2.3.4")).toBe("ok");
    // board-sized limits: at most 6 connections (lwIP has 8 TCP PCBs for web, MQTT and a download)
    const { BOARD_LIMITS } = await import("../../modules/http/limits");
    expect(BOARD_LIMITS.maxConnections).toBe(6);
    const net = await import("node:net");
    const held = Array.from({ length: 7 }, () => net.connect(web.port, "127.0.0.1"));
    const seventh = await new Promise<string>((resolve) => {
      let text = "";
      held[6].on("data", (d) => (text += d.toString("latin1")));
      held[6].on("close", () => resolve(text));
      held[6].on("error", () => resolve(text));
    });
    expect(seventh).toMatch(/^HTTP\/1\.1 503 /);
    for (const h of held) h.destroy();
    web.close();
  });
});

function ports(): AggregatorPorts {
  return {
    setRelay: () => {},
    relay: () => true,
    loadPowerW: () => 0,
    prices: flatTariffPrices({ importMinorPerKWh: 30, exportMinorPerKWh: 8 }),
    grid: (t) => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: t, pricesStale: true }),
  };
}

describe("board cloud link (board-cloud.ts) on a real broker", () => {
  let broker: EmbeddedBroker;
  let fwServer: FirmwareServer;
  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    fwServer = await startFirmwareServer(0);
  });
  afterAll(async () => {
    await broker?.close();
    await fwServer?.close();
  });

  const KEY = new Uint8Array(randomBytes(32));
  const node = "board1";
  const signed = (kind: string, body: object): Uint8Array => {
    const topic = `xsmeter/${node}/cmd/${kind}`;
    const json = JSON.stringify(body);
    return utf8Encode(`h1.${createHmac("sha256", Buffer.from(KEY)).update(`${topic}\n${json}`).digest("hex")}.${json}`);
  };
  const until = async (what: () => boolean, ms = 8000): Promise<void> => {
    const end = Date.now() + ms;
    while (!what()) {
      if (Date.now() > end) throw new Error("timed out");
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it("counts boots, takes signed downlinks (prices persisted, config, firmware into the app partition) and restores them after a reboot", async () => {
    const clock = nodeClock();
    const flash = new NorFlashSim({ size: 896 * 1024 });
    const areas = boardAreas(flash, 32).cloud;
    expect(areas.outbox.size + areas.counters.size + areas.prices.size).toBe(CLOUD_SECTORS * 4096);
    // the utility: an MQTT client of our own on the same broker
    const utility = new MqttClient({ network: new NodeNetwork(), clock, random, host: "127.0.0.1", port: broker.port, clientId: "utility", outbox: new FlashOutbox(new NorFlashSim({ size: 8 * 4096 })) });
    const results: any[] = [];
    const firmware: any[] = [];
    utility.onMessage((topic, payload) => {
      const text = new TextDecoder().decode(payload);
      if (topic.endsWith("/cmd/result")) results.push(JSON.parse(text));
      if (topic.endsWith("/firmware")) firmware.push(JSON.parse(text));
    });
    utility.start();
    utility.subscribe(`xsmeter/${node}/cmd/result`, 1);
    utility.subscribe(`xsmeter/${node}/firmware`, 1);
    await until(() => utility.isConnected);

    const part = new FakeAppPartition();
    let reboots = 0;
    const boot = (trial = false): { cloud: BoardCloud; app: AggregatorApp; ota: BoardOtaSlots; valid: () => number } => {
      const app = new AggregatorApp(clock, silentLink(), ports(), { slaveIds: [1], loads: [] });
      const { ota, valid } = boardOta(part, { trial });
      const cloud = startBoardCloud({ aggregator: app, clock, network: new NodeNetwork(), random, host: "127.0.0.1", port: broker.port, node, macKey: KEY, periodMs: 60_000, areas, ota, reboot: () => void reboots++, selfTestMs: 20_000, rebootDelayMs: 10, downloadRetryMs: 50 });
      return { cloud, app, ota, valid };
    };
    let b = boot();
    expect(b.cloud.boot).toBe(1);
    await until(() => b.cloud.client.isConnected && firmware.some((f) => f.boot === 1 && f.phase === "running"));

    // prices: a day of 15-min slots from the next quarter hour
    const q = 15 * 60_000;
    const start = Math.ceil(Date.now() / q) * q;
    const slots = Array.from({ length: 8 }, (_, i) => ({ start: start + i * q, durationMs: q, importMinorPerKWh: 20 + i, exportMinorPerKWh: 5, renewableShare: 0.5 }));
    utility.publish(`xsmeter/${node}/cmd/price`, signed("price", { ctr: 1, slots }), 1, false);
    utility.publish(`xsmeter/${node}/cmd/config`, signed("config", { ctr: 2, config: { publishIntervalMs: 5000, demandLimitW: 7000 } }), 1, false);
    // a forged command (another key) is refused and changes nothing
    const forged = utf8Encode(`h1.${"00".repeat(32)}.${JSON.stringify({ ctr: 3, config: { demandLimitW: 2000 } })}`);
    utility.publish(`xsmeter/${node}/cmd/config`, forged, 1, false);
    await until(() => results.filter((r) => r.ok).length >= 2);
    expect(results.filter((r) => r.ok).map((r) => r.kind)).toEqual(["price", "config"]);
    expect(b.app.cloudPriceTable().map((s) => s.importMinorPerKWh)).toEqual(slots.map((s) => s.importMinorPerKWh));
    expect(new PriceTableStore(areas.prices).load()?.length).toBe(8);
    await until(() => b.cloud.link.stats.forged === 1);

    // firmware: the utility offers 1.1.0; it downloads over HTTP into the app partition and asks for a reset
    const fw = appImage(60_000);
    const img = image("1.1.0", fw);
    const m = parseHeader(img).manifest;
    const url = fwServer.add("board-1.1.0.xsota", img);
    fwServer.cutNextAfter(20_000); // a dropped link mid-download: resumed by Range
    utility.publish(`xsmeter/${node}/cmd/firmware`, signed("firmware", { ctr: 4, version: m.version, size: m.size, sha256: m.sha256, url }), 1, false);
    await until(() => reboots === 1, 15_000);
    expect(part.completed).toBe(1);
    expect(Buffer.from(part.bytes).equals(Buffer.from(fw))).toBe(true);
    expect(fwServer.requests.filter((r) => r.name === "board-1.1.0.xsota").length).toBeGreaterThanOrEqual(2);
    await until(() => firmware.some((f) => f.phase === "verified" && f.offered === "1.1.0"));
    b.cloud.stop();

    // reboot into the new app, on trial: boot 2, prices and config restored, confirmed once the session is up
    b = boot(true);
    expect(b.cloud.boot).toBe(2);
    expect(b.cloud.restoredPriceSlots).toBe(8);
    expect(b.app.cloudPriceTable().length).toBe(8);
    expect(b.cloud.config.restore()).toMatchObject({ publishIntervalMs: 5000, demandLimitW: 7000 });
    await until(() => b.valid() === 1);
    expect(b.ota.onTrial).toBe(false);
    await until(() => firmware.some((f) => f.boot === 2 && f.phase === "confirmed"));
    // a replayed command (ctr 2 again, spent before the reboot) is refused
    utility.publish(`xsmeter/${node}/cmd/config`, signed("config", { ctr: 2, config: { demandLimitW: 9000 } }), 1, false);
    await until(() => b.cloud.link.stats.replayed === 1);
    b.cloud.stop();
    utility.stop();
  }, 30_000);

  it("a trial that never reaches the broker resets the board (ESP-IDF then rolls back) and never marks itself valid", async () => {
    const clock = nodeClock();
    const flash = new NorFlashSim({ size: 896 * 1024 });
    const areas = boardAreas(flash, 32).cloud;
    const part = new FakeAppPartition();
    const { ota, valid } = boardOta(part, { trial: true });
    let reboots = 0;
    const app = new AggregatorApp(clock, silentLink(), ports(), { slaveIds: [1], loads: [] });
    // port 1 on localhost: nothing listens, so the session never comes up
    const cloud = startBoardCloud({ aggregator: app, clock, network: new NodeNetwork(), random, host: "127.0.0.1", port: 1, node, macKey: KEY, periodMs: 60_000, areas, ota, reboot: () => void reboots++, selfTestMs: 1500 });
    await until(() => reboots === 1, 5000);
    expect(valid()).toBe(0);
    expect(ota.onTrial).toBe(true);
    cloud.stop();
  });
});
