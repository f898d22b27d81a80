// The cloud link over an MQTT 5.0 session: CloudLink (readings, retained status and Home
// Assistant discovery, HMAC-signed downlink) on our MqttClient with protocolVersion 5,
// through Debian's mosquitto, to 5.0 subscribers — topic aliases on, the will on a cut.
// The household and CloudLink run on a VirtualClock (readings published on demand);
// the MQTT session runs on real time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHmac, getRandomValues } from "node:crypto";
import { freePort } from "../../hosts/node/free-port";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { nodeClock } from "../../hosts/node/node-clock";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { DemoHousehold } from "../../modules/app/demo-household";
import { memoryCounters } from "../../modules/mqtt/downlink-counters";
import { CloudLink } from "../../modules/mqtt/cloud-link";
import { MqttClient, type MqttClientOptions } from "../../modules/mqtt/client";
import { MemoryOutbox } from "../../modules/mqtt/flash-outbox";
import { MOSQUITTO } from "../support/mosquitto";
import { missing } from "../support/requires";
import { until } from "../support/until";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const KEY = new Uint8Array(32).fill(5);
const NODE = "n5";


function client(port: number, clientId: string, extra: Partial<MqttClientOptions> = {}) {
  return new MqttClient({ network: new NodeNetwork(), clock: nodeClock(), random: { fill: (b) => void getRandomValues(b) }, host: "127.0.0.1", port, clientId, outbox: new MemoryOutbox(), clean: true, keepaliveSec: 10, minBackoffMs: 100, maxBackoffMs: 400, protocolVersion: 5, ...extra });
}

/** A 5.0 subscriber keeping what it gets: topic, text, retain flag. */
function listener(port: number, clientId: string, filters: string[]) {
  const got: { topic: string; text: string; retain: boolean }[] = [];
  const c = client(port, clientId);
  for (const f of filters) c.subscribe(f, 1);
  c.onMessage((topic, payload, retain) => got.push({ topic, text: new TextDecoder().decode(payload), retain }));
  c.start();
  return { c, got };
}

describe.skipIf(missing("mosquitto"))("CloudLink over MQTT 5 through mosquitto", () => {
  let proc: ChildProcess | undefined;
  let port = 0;
  let dir = "";
  beforeAll(async () => {
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), "xsm-mosq5cl-"));
    chmodSync(dir, 0o777);
    writeFileSync(join(dir, "m.conf"), [`listener ${port} 127.0.0.1`, "allow_anonymous true", ""].join("\n"));
    proc = spawn(MOSQUITTO, ["-c", join(dir, "m.conf")], { stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((r) => { const s = connect(port, "127.0.0.1"); s.on("connect", () => { s.destroy(); r(true); }); s.on("error", () => r(false)); });
      if (ok) return;
      await sleep(50);
    }
    throw new Error("mosquitto did not start");
  });
  afterAll(async () => {
    if (proc && proc.exitCode === null) await new Promise<void>((r) => { proc!.once("exit", () => r()); proc!.kill(); });
    rmSync(dir, { recursive: true, force: true });
  });

  it("publishes readings and retained status/discovery by topic alias, applies a signed command once, and its will says offline on a cut", async () => {
    const cloud = listener(port, "cloud-5", [`xsmeter/${NODE}/#`]);
    await until("cloud subscriber", () => cloud.c.isConnected, 5000);
    await sleep(100);

    const clock = new VirtualClock(Date.UTC(2026, 5, 1, 12));
    const demo = new DemoHousehold(clock);
    const stored = memoryCounters();
    // the will is asked at each CONNECT, so it carries that attempt's order (report-order.ts)
    const meter = client(port, `xsmeter-${NODE}`, { clean: false, will: () => link.will() });
    const link: CloudLink = new CloudLink({ node: NODE, household: demo.store, mqtt: meter, clock, macKey: KEY, counters: stored, boot: 1 });
    meter.start();
    await until("meter", () => meter.isConnected, 5000);
    link.start();
    for (let i = 0; i < 3; i++) {
      demo.tick();
      clock.advance(10_000);
      link.publishReadings();
    }
    const readings = () => cloud.got.filter((g) => g.topic.startsWith(`xsmeter/${NODE}/meter/`));
    await until("readings acked", () => meter.stats.acked > 0 && new Set(readings().map((g) => g.topic)).size > 10 && meter.stats.sent === meter.stats.acked, 5000);
    expect(meter.protocolVersion).toBe(5);
    expect(meter.stats.aliased).toBeGreaterThan(0);
    // per meter, the sequence numbers arrive 1, 2, 3, … with no gap (the topics came through aliases)
    const seqs = new Map<string, number[]>();
    for (const g of readings()) {
      const m = g.topic.split("/")[3];
      const body = JSON.parse(g.text);
      seqs.set(m, [...(seqs.get(m) ?? []), body.seq]);
    }
    for (const s of seqs.values()) expect([...s].sort((a, b) => a - b)).toEqual(s.map((_, i) => i + 1));

    // a late subscriber gets the retained status and discovery, with the retain flag
    const late = listener(port, "late-5", [`xsmeter/${NODE}/status`, `homeassistant/sensor/${NODE}/#`]);
    await until("retained messages", () => late.got.length > 5, 5000);
    const online = late.got.find((g) => g.topic === `xsmeter/${NODE}/status`)!;
    expect(online.retain).toBe(true);
    expect(JSON.parse(online.text)).toMatchObject({ state: "online", boot: 1 });
    expect(late.got.filter((g) => g.topic.startsWith("homeassistant/")).every((g) => g.retain)).toBe(true);

    // a signed load command from the utility, applied once; its replay refused
    const topic = `xsmeter/${NODE}/cmd/load`;
    const json = JSON.stringify({ ctr: 1, id: "oven", on: false });
    const command = `h1.${createHmac("sha256", Buffer.from(KEY)).update(`${topic}\n${json}`).digest("hex")}.${json}`;
    const utility = client(port, "utility-5");
    utility.start();
    await until("utility", () => utility.isConnected, 5000);
    utility.publish(topic, new TextEncoder().encode(command), 1);
    utility.publish(topic, new TextEncoder().encode(command), 1);
    const results = () => cloud.got.filter((g) => g.topic === `xsmeter/${NODE}/cmd/result`).map((g) => JSON.parse(g.text));
    await until("two command results", () => results().length === 2, 5000);
    expect(results().map((r) => r.ok)).toEqual([true, false]);
    expect(demo.store.snapshot().loads.find((l) => l.id === "oven")!.on).toBe(false);
    expect(stored.values().load).toBe(1);

    // the cable is cut: the broker publishes the will, retained
    meter.kill();
    const will = () => cloud.got.map((g) => (g.topic === `xsmeter/${NODE}/status` ? JSON.parse(g.text) : {})).find((s) => s.state === "offline");
    await until("the will", () => will() !== undefined, 5000);
    expect(will().seq).toBeGreaterThan(JSON.parse(online.text).seq); // ordered after the online it follows
    link.stop();
    utility.stop();
    late.c.stop();
    cloud.c.stop();
  }, 30_000);
});
