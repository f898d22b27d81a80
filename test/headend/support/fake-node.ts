// A meter node as the firmware runs it, for the head-end's tests: the real CloudLink over the real
// MqttClient with a FlashOutbox on a simulated NOR flash (which outlives a reboot), publishing a
// small household whose power and energy change at each tick. Every reading handed to the session
// is recorded, so a test can compare what the meters published with what the head-end stored.
import { getRandomValues } from "node:crypto";
import type { Household, HouseholdSnapshot } from "../../../modules/core/household";
import { MqttClient } from "../../../modules/mqtt/client";
import { FlashOutbox } from "../../../modules/mqtt/flash-outbox";
import { CloudLink, type MqttPublisher } from "../../../modules/mqtt/cloud-link";
import { memoryCounters } from "../../../modules/mqtt/downlink-counters";
import { clientPublisher } from "../../../modules/mqtt/client-publisher";
import { NodeNetwork } from "../../../hosts/node/http/node-network";
import { NorFlashSim } from "../../../hosts/node/flash/nor-flash-sim";
import { nodeClock } from "../../../hosts/node/node-clock";
import { credentialsOf } from "../../../hosts/headend/broker/failover-network";

export const TEST_KEY = new Uint8Array(32).fill(7);

export class FakeNode {
  readonly flash = new NorFlashSim({ size: 64 * 4096 });
  /** "meterId/boot/seq" of every reading given to the MQTT session. */
  readonly published = new Set<string>();
  /** The first reading's topic and payload, for a test that publishes it again. */
  first?: { topic: string; payload: Uint8Array };
  boot = 1;
  client!: MqttClient;
  outbox!: FlashOutbox;
  link!: CloudLink;
  private t: number;
  private energy = 1000;
  private tick?: NodeJS.Timeout;
  results: Record<string, unknown>[] = [];

  /** "meterId/boot/seq" of every 10-min aggregate given to the session (pqOnly nodes). */
  readonly publishedPq = new Set<string>();

  /** pqOnly: no readings, one 10-min aggregate per meter per step (topics without dots: NATS 2.9 takes them). */
  constructor(readonly node: string, readonly url: string, readonly meterIds: number[] = [1, 2], t0 = Date.UTC(2026, 11, 2, 8), readonly pqOnly = false) {
    this.t = t0;
  }

  private household(): Household {
    return {
      snapshot: () => ({
        t: this.t,
        meters: this.meterIds.map((id) => ({ id, name: `M${id}`, values: this.pqOnly ? {} : { "1-0:1.7.0": 500 + id * 10 + (this.t / 1000) % 7, "1-0:1.8.0": this.energy + id } })),
        events: [],
        pq10min: this.pqOnly ? this.meterIds.map((meterId) => ({ meterId, start: this.t - 600_000, end: this.t, voltageV: [230], currentA: [2], powerW: [460], thdVoltagePct: [2], thdCurrentPct: [9], frequencyHz: 50, flagged: false })) : [],
      }) as unknown as HouseholdSnapshot,
      history: () => [],
      switchLoad: () => ({ ok: true }),
      scheduleLoad: () => ({ ok: true }),
      onChange: () => () => {},
    };
  }

  /** Boots: a new session and link on the same flash; seq starts again at 1 under a new boot number. */
  start(downlinks: Partial<ConstructorParameters<typeof CloudLink>[0]> = {}): void {
    const u = new URL(this.url);
    const clock = nodeClock();
    this.client = new MqttClient({ network: new NodeNetwork(), clock, random: { fill: (b) => void getRandomValues(b) }, host: u.hostname, port: Number(u.port), clientId: `xsmeter-${this.node}`, outbox: (this.outbox = new FlashOutbox(this.flash)), will: () => this.link.will(), minBackoffMs: 50, maxBackoffMs: 500, ...credentialsOf(this.url) });
    const inner = clientPublisher(this.client);
    const boot = this.boot;
    const mqtt: MqttPublisher = {
      publish: (topic, payload, qos, retain) => {
        const ok = inner.publish(topic, payload, qos, retain);
        const m = /\/meter\/(\d+)\/\d+-\d+:/.exec(topic);
        if (ok && m && !this.first) this.first = { topic, payload };
        const q = /\/meter\/(\d+)\/pq\/10min$/.exec(topic);
        if (ok && q) this.publishedPq.add(`${q[1]}/${boot}/${(JSON.parse(new TextDecoder().decode(payload)) as { seq: number }).seq}`);
        if (ok && m) this.published.add(`${m[1]}/${boot}/${(JSON.parse(new TextDecoder().decode(payload)) as { seq: number }).seq}`);
        return ok;
      },
      subscribe: (f, q) => inner.subscribe(f, q),
      onMessage: (h) => inner.onMessage(h),
      onConnect: (h) => inner.onConnect?.(h), // "online" again after each reconnect, as on the board
    };
    this.link = new CloudLink({ node: this.node, household: this.household(), mqtt, clock, macKey: TEST_KEY, counters: memoryCounters(), boot, periodMs: 3_600_000, ...downlinks });
    this.client.onMessage((topic, payload) => { if (topic.endsWith("/cmd/result")) this.results.push(JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>); });
    this.client.start();
    if (boot > 1) this.t += 1000; // time goes on across a reboot
    this.link.start();
  }

  /** Publishes every `ms` (each tick 1 s later in the meter's time, so (meter, obis, t) stays unique). */
  run(ms: number): void {
    this.tick = setInterval(() => this.step(), ms);
  }

  step(): void {
    this.t += 1000;
    this.energy += 2;
    this.link.publishReadings();
  }

  pause(): void {
    clearInterval(this.tick);
  }

  /** Power cut: no DISCONNECT; the outbox stays in flash. */
  kill(): void {
    this.pause();
    this.link.stop();
    this.client.kill();
  }

  reboot(): void {
    this.kill();
    this.boot++;
    this.start();
  }

  stop(): void {
    this.pause();
    this.link.stop();
    this.client.stop();
  }

  /** Messages still in the outbox (not acknowledged by the broker). */
  get unacked(): number {
    return this.outbox.size;
  }
}
