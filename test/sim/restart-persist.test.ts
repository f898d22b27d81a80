// The sim meter's flash in a file: a price table and a setting received through the
// broker, then the whole process state thrown away (new HouseholdSim, new SimMeter on
// the same file, as after `npm start` is restarted) — the boot counter goes on, the
// table and the setting are back, and the spent command counter still refuses a replay.
import { afterAll, describe, expect, it } from "vitest";
import { createHmac, getRandomValues } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MqttClient } from "../../modules/mqtt/client";
import { MemoryOutbox } from "../../modules/mqtt/flash-outbox";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../hosts/node/mqtt/embedded-broker";
import { HouseholdSim } from "../../hosts/node/sim/household-sim";
import { cloudMacKey } from "../../hosts/node/sim/cloud";
import { SimMeter } from "../../hosts/node/sim/meter";
import { nodeClock } from "../../hosts/node/node-clock";

const clock = nodeClock();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SLOT = 900_000;

describe("sim meter state in a flash file", () => {
  const dir = mkdtempSync(join(tmpdir(), "xsmeter-persist-"));
  let broker: EmbeddedBroker | undefined;
  const sims: HouseholdSim[] = [];
  const meters: SimMeter[] = [];
  let sub: MqttClient | undefined;
  afterAll(async () => {
    sub?.stop();
    for (const m of meters) m.stop();
    for (const s of sims) s.stop();
    await sleep(50);
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("brings back the price table, the settings and the counters after a restart", async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    const flashFile = join(dir, "aggregator.flash");
    const node = "sim-13";
    const results: any[] = [];
    sub = new MqttClient({ network: new NodeNetwork(), clock, random: { fill: (b) => void getRandomValues(b) }, host: "127.0.0.1", port: broker.port, clientId: "utility-13", outbox: new MemoryOutbox(), clean: true });
    sub.subscribe(`xsmeter/${node}/cmd/result`, 1);
    sub.onMessage((_t, p) => results.push(JSON.parse(new TextDecoder().decode(p))));
    sub.start();
    const start = (): { sim: HouseholdSim; meter: SimMeter } => {
      const sim = new HouseholdSim(clock, { seed: 13, slaves: 1 });
      sim.start();
      const meter = new SimMeter({ aggregator: sim.aggregator, clock, brokerUrl: broker!.url, networkKey: sim.networkKey, node, flashFile });
      meter.start();
      sims.push(sim);
      meters.push(meter);
      return { sim, meter };
    };
    const until = async (what: string, ok: () => boolean) => {
      const end = Date.now() + 8000;
      while (!ok()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await sleep(20);
      }
    };
    let { sim, meter } = start();
    await until("sessions", () => sub!.isConnected && meter.cloud.client.isConnected);
    const key = cloudMacKey(sim.networkKey, node);
    const send = async (kind: string, body: object) => {
      const topic = `xsmeter/${node}/cmd/${kind}`;
      const json = JSON.stringify(body);
      const n = results.length;
      sub!.publish(topic, new TextEncoder().encode(`h1.${createHmac("sha256", Buffer.from(key)).update(`${topic}\n${json}`).digest("hex")}.${json}`), 1);
      await until(`result of ${kind}`, () => results.length > n);
      return results[results.length - 1];
    };
    const from = Math.ceil((Date.now() + 1000) / SLOT) * SLOT;
    const table = Array.from({ length: 8 }, (_, k) => ({ start: from + k * SLOT, durationMs: SLOT, importMinorPerKWh: 3.25 + k, exportMinorPerKWh: 1 }));
    expect(await send("price", { ctr: 40, slots: table })).toMatchObject({ ok: true });
    expect(await send("config", { ctr: 41, config: { demandLimitW: 7000 } })).toMatchObject({ ok: true });

    // everything in RAM is gone: a new household, a new meter on the same flash file
    meter.stop();
    sim.stop();
    ({ sim, meter } = start());
    expect(meter.boot).toBe(2);
    const got = sim.aggregator.pricesAt(from).filter((s) => s.start >= from && s.start < from + 8 * SLOT);
    expect(got.map((s) => s.importMinorPerKWh)).toEqual(table.map((s) => s.importMinorPerKWh));
    expect((sim.aggregator as any).options.controller.limitW).toBe(7000);
    expect(meter.config.values()).toEqual({ demandLimitW: 7000 });
    await until("the new session", () => meter.cloud.client.isConnected);
    const replay = await send("config", { ctr: 41, config: { demandLimitW: 9000 } });
    expect(replay.error).toMatch(/replayed command: counter 41 is not above 41/);
  }, 30_000);
});
