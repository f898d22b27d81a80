// A meter node for the broker-tier test and bench on NATS, publishing every kind of message the
// firmware sends: the firmware's CloudLink over the real MqttClient (whose Network is a
// FailoverNetwork over the cluster's nodes: it moves to the next node when its connection drops),
// with readings in the underscored topic form (…/meter/1/1-0:1_8_0: nats-server 2.9's MQTT refuses
// "." in topics), one 10-min aggregate per meter per step, a power-quality event every few steps,
// its status ("online", retained, from CloudLink) and a firmware report every few steps (retained,
// through CloudLink.publishFirmware as board-cloud.ts does); it applies load commands (counted) and
// answers them on cmd/result. Everything handed to the session is recorded per kind with the
// wall time it was handed over, so a test or bench can compare the store with it.
import { getRandomValues } from "node:crypto";
import type { Household, HouseholdSnapshot, PqEventView } from "../../../modules/core/household";
import { MqttClient } from "../../../modules/mqtt/client";
import { MemoryOutbox } from "../../../modules/mqtt/flash-outbox";
import { CloudLink, type MqttPublisher } from "../../../modules/mqtt/cloud-link";
import { memoryCounters } from "../../../modules/mqtt/downlink-counters";
import { clientPublisher } from "../../../modules/mqtt/client-publisher";
import { obisFromTopicLevel, type ObisTopicForm } from "../../../modules/mqtt/obis-topic";
import { NodeNetwork } from "../../../hosts/node/http/node-network";
import { nodeClock } from "../../../hosts/node/node-clock";
import { FailoverNetwork, parseEndpoints } from "../../../hosts/headend/broker/failover-network";

/** Every fleet meter's downlink HMAC key (the head-end's `setNodeKey` for each). */
export const FLEET_KEY = new Uint8Array(32).fill(7);
const KEY = FLEET_KEY;

/** The OBIS codes each meter publishes per step (power, energy import, L1 voltage). */
export const FLEET_CODES: readonly string[] = Object.freeze(["1-0:1.7.0", "1-0:1.8.0", "1-0:32.7.0"]);

export type FleetKind = "reading" | "pq" | "event";

export interface FleetMeterOptions {
  meterIds?: number[];
  boot?: number;
  t0?: number;
  obisTopics?: ObisTopicForm;
  /** A PQ event every this many steps (first meter of the node), and a firmware report every this many. */
  eventEvery?: number;
  firmwareEvery?: number;
}

export class FleetMeter {
  /** Per kind: "meterId/boot/seq" → the wall-clock ms it was handed to the MQTT session. */
  readonly published: Record<FleetKind, Map<string, number>> = { reading: new Map(), pq: new Map(), event: new Map() };
  /** Per "meterId/obis": the meter times of the readings handed over. */
  readonly readingTimes = new Map<string, number[]>();
  /** The firmware reports' bodies in the order they were handed over. */
  readonly firmware: string[] = [];
  /** Load commands applied (an authentic, fresh command reaches switchLoad once). */
  loadCommands = 0;
  /** The cmd/result bodies handed to the session. */
  readonly results: Record<string, unknown>[] = [];
  readonly outbox = new MemoryOutbox();
  readonly network: FailoverNetwork;
  readonly client: MqttClient;
  private readonly link: CloudLink;
  private readonly meterIds: number[];
  private readonly events: PqEventView[] = [];
  private readonly o: Required<Omit<FleetMeterOptions, "meterIds" | "t0">>;
  private t: number;
  private steps = 0;
  private energy = 10_000;
  private tick?: NodeJS.Timeout;

  constructor(readonly node: string, urls: string, opts: FleetMeterOptions = {}) {
    this.meterIds = opts.meterIds ?? [1];
    this.t = opts.t0 ?? Date.UTC(2026, 11, 2, 8);
    this.o = { boot: opts.boot ?? 1, obisTopics: opts.obisTopics ?? "underscored", eventEvery: opts.eventEvery ?? 5, firmwareEvery: opts.firmwareEvery ?? 10 };
    const clock = nodeClock();
    const endpoints = parseEndpoints(urls);
    this.network = new FailoverNetwork(new NodeNetwork(), endpoints);
    this.client = new MqttClient({ network: this.network, clock, random: { fill: (b) => void getRandomValues(b) }, host: endpoints[0].host, port: endpoints[0].port, clientId: `xsmeter-${node}`, outbox: this.outbox, will: () => this.link.will(), keepaliveSec: 10, minBackoffMs: 50, maxBackoffMs: 500 });
    const inner = clientPublisher(this.client);
    const mqtt: MqttPublisher = {
      publish: (topic, payload, qos, retain) => {
        const ok = inner.publish(topic, payload, qos, retain);
        if (ok) this.record(topic, payload);
        return ok;
      },
      subscribe: (f, q) => inner.subscribe(f, q),
      onMessage: (h) => inner.onMessage(h),
      onConnect: (h) => inner.onConnect?.(h),
    };
    this.link = new CloudLink({ node, household: this.household(), mqtt, clock, macKey: KEY, counters: memoryCounters(), boot: this.o.boot, periodMs: 3_600_000, obisTopics: this.o.obisTopics });
  }

  /** Notes what went to the session, by kind, from the topic and payload as the ingest will see them. */
  private record(topic: string, payload: Uint8Array): void {
    const parts = topic.split("/");
    if (parts[2] === "firmware") {
      this.firmware.push(new TextDecoder().decode(payload));
      return;
    }
    if (parts[2] === "cmd" && parts[3] === "result") {
      this.results.push(JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>);
      return;
    }
    if (parts[2] === "event") {
      const e = JSON.parse(new TextDecoder().decode(payload)) as { meterId: number; boot: number; seq: number };
      this.published.event.set(`${e.meterId}/${e.boot}/${e.seq}`, Date.now());
      return;
    }
    if (parts[2] !== "meter" || parts.length < 5) return;
    const body = JSON.parse(new TextDecoder().decode(payload)) as { boot: number; seq: number; t: number };
    const key = `${parts[3]}/${body.boot}/${body.seq}`;
    if (parts[4] === "pq") {
      this.published.pq.set(key, Date.now());
      return;
    }
    const obis = obisFromTopicLevel(parts[4]);
    if (!obis) throw new Error(`fleet meter published a reading topic the head-end cannot read: ${topic}`);
    this.published.reading.set(key, Date.now());
    const times = this.readingTimes.get(`${parts[3]}/${obis}`) ?? [];
    times.push(body.t);
    this.readingTimes.set(`${parts[3]}/${obis}`, times);
  }

  private household(): Household {
    return {
      snapshot: () => ({
        t: this.t,
        meters: this.meterIds.map((id) => ({ id, name: `M${id}`, role: "slave", online: true, values: { "1-0:1.7.0": 400 + id + (this.t / 1000) % 7, "1-0:1.8.0": this.energy + id, "1-0:32.7.0": 230 + ((this.t / 1000) % 3) / 10 } })),
        events: this.events,
        pq10min: this.meterIds.map((meterId) => ({ meterId, start: this.t - 600_000, end: this.t, voltageV: [230 + (this.t / 1000) % 3], currentA: [2], powerW: [460], thdVoltagePct: [2], thdCurrentPct: [9], frequencyHz: 50, flagged: false })),
      }) as unknown as HouseholdSnapshot,
      history: () => [],
      switchLoad: () => { this.loadCommands++; return { ok: true }; },
      scheduleLoad: () => ({ ok: true }),
      onChange: () => () => {},
    };
  }

  start(): void {
    this.client.start();
    this.link.start(); // status "online" (retained) and the first readings, aggregate
    this.publishFirmware();
  }

  /** One step of the meter's time (1 s later): readings, aggregate, and now and then an event and a firmware report. */
  step(): void {
    this.t += 1000;
    this.energy += 3;
    this.steps++;
    if (this.steps % this.o.eventEvery === 0) {
      const meterId = this.meterIds[0];
      this.events.push({ type: "dip", meterId, meters: [meterId], phase: 1, start: this.t - 500, durationMs: 120, extremeV: 180, cell: "80-70%/0.1-0.2s" } as unknown as PqEventView);
    }
    this.link.publishReadings();
    if (this.steps % this.o.firmwareEvery === 0) this.publishFirmware();
  }

  /** As board-cloud.ts: through CloudLink (boot, seq), retained, QoS 1; each report differs, so each is a row. */
  private publishFirmware(): void {
    this.link.publishFirmware({ running: "1.0.0", installed_version: "1.0.0", phase: this.steps === 0 ? "running" : "downloading", offered: "1.1.0", bytes: this.steps * 4096 });
  }

  run(ms: number): void {
    this.tick = setInterval(() => this.step(), ms);
  }

  pause(): void {
    clearInterval(this.tick);
  }

  stop(): void {
    this.pause();
    this.link.stop();
    this.client.stop();
  }

  /** QoS 1 messages the broker has not acknowledged yet. */
  get unacked(): number {
    return this.outbox.ids().length;
  }
}
