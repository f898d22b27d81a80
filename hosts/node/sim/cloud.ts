/**
 * The simulated aggregator's cloud link: an MQTT session (our MqttClient over
 * node:net, last will "offline") to the broker the sim uses, a flash outbox on
 * a simulated NOR flash (QoS 1 readings wait there until the broker acks them),
 * and a CloudLink publishing the aggregator's household (the same
 * HouseholdStore the web page reads) and taking downlink commands
 * authenticated with an HMAC key derived from the sim's network key (itself
 * derived from the seed), so a command from anyone without that key is refused.
 */
import { getRandomValues } from "node:crypto";
import type { Clock } from "../../../modules/core/clock";
import type { Household } from "../../../modules/core/household";
import { utf8Encode } from "../../../modules/core/bytes";
import { MqttClient } from "../../../modules/mqtt/client";
import { FlashOutbox } from "../../../modules/mqtt/flash-outbox";
import { CloudLink, type CloudLinkOptions } from "../../../modules/mqtt/cloud-link";
import { clientPublisher } from "../../../modules/mqtt/client-publisher";
import { storeCounters } from "../../../modules/mqtt/downlink-counters";
import { HomeAssistantLink } from "../../../modules/mqtt/ha-link";
import type { HaDeviceInfo } from "../../../modules/mqtt/ha-discovery";
import type { Flash } from "../../../modules/core/ports";
import { FlashCounterStore } from "../../../modules/secure/counter-store";
import { deriveKey } from "../../../modules/secure/kdf";
import { NodeNetwork } from "../http/node-network";
import { NorFlashSim } from "../flash/nor-flash-sim";

export interface SimCloudOptions {
  household: Household;
  clock: Clock;
  /** mqtt://host[:port] of the embedded or external broker. */
  brokerUrl: string;
  /** The household's network key (HouseholdSim.networkKey, derived from the seed). */
  networkKey: Uint8Array;
  /** Node id in the topics (letters, digits, _ and -). */
  node: string;
  /** How often readings are published (default 10 s: lively enough for a demo). */
  periodMs?: number;
  /** MQTT 3.1.1 (4, default) or 5.0 (5; the client falls back to 3.1.1 when the broker refuses 5.0). */
  protocolVersion?: 4 | 5;
  /**
   * The meter's persistent side (SimMeter in meter.ts): outbox partition, counter store and this
   * boot's number from the flash boot counter. Without it the flash is fresh and the boot number
   * is the start second.
   */
  meter?: { outboxFlash: Flash; counters: FlashCounterStore; boot: number };
  /** What the price, config and firmware downlinks do (SimMeter wires them). */
  downlinks?: Pick<CloudLinkOptions, "onPrices" | "onConfig" | "onFirmwareOffer">;
  /** Home Assistant: the device blocks' details, and whether HA may switch loads (off unless the owner says so). */
  ha?: { device?: HaDeviceInfo; switching?: boolean; log?(line: string): void };
}

export interface SimCloudTopics {
  status: string;
  readings: string;
  /** The meters' 10-min power-quality aggregates, once per interval. */
  pq: string;
  event: string;
  discovery: string;
  cmd: string;
  result: string;
}

export interface SimCloud {
  node: string;
  topics: SimCloudTopics;
  client: MqttClient;
  link: CloudLink;
  ha: HomeAssistantLink;
  /** Readings dropped because the outbox was full (broker unreachable for long). */
  dropped(): number;
  stop(): void;
  /** Power lost (a reboot): no DISCONNECT, no "offline" — the broker sends the will. */
  kill(): void;
}

/** The one downlink counter of earlier firmware: each kind's counter starts above it (downlink-counters.ts). */
const LEGACY_COUNTER_KEY = 0;

/** The cloud's HMAC key for this node: one per node, from the household's network key. */
export function cloudMacKey(networkKey: Uint8Array, node: string): Uint8Array {
  return deriveKey(networkKey, "xsmeter cloud downlink", node, 32);
}

export function cloudTopics(node: string): SimCloudTopics {
  const base = `xsmeter/${node}`;
  return {
    status: `${base}/status`,
    readings: `${base}/meter/<meterId>/<obis>`,
    pq: `${base}/meter/<meterId>/pq/10min`,
    event: `${base}/event`,
    discovery: `homeassistant/{sensor,binary_sensor,switch}/${node}/<object>/config`,
    cmd: `${base}/cmd/{price,load,config,firmware}`,
    result: `${base}/cmd/result`,
  };
}

function parseBroker(url: string): { host: string; port: number } {
  const u = new URL(url);
  if (u.protocol !== "mqtt:") throw new Error(`cloud link: ${url}: only mqtt:// (plain TCP) is supported by the sim's client`);
  return { host: u.hostname || "127.0.0.1", port: u.port ? Number(u.port) : 1883 };
}

export function startSimCloud(o: SimCloudOptions): SimCloud {
  const { host, port } = parseBroker(o.brokerUrl);
  // 64 KiB of outbox: a few minutes of readings if the broker goes away.
  const outbox = new FlashOutbox(o.meter?.outboxFlash ?? new NorFlashSim({ size: 16 * 4096 }));
  const client = new MqttClient({
    network: new NodeNetwork(),
    clock: o.clock,
    random: { fill: (b) => void getRandomValues(b) },
    host,
    port,
    clientId: `xsmeter-${o.node}`,
    outbox,
    will: () => link.will(), // asked at each CONNECT: the will carries that attempt's order
    minBackoffMs: 250,
    maxBackoffMs: 5000,
    protocolVersion: o.protocolVersion ?? 4,
  });
  // The downlink freshness counter, persisted as on the board (the flash is in memory here).
  const counters = o.meter?.counters ?? new FlashCounterStore(new NorFlashSim({ size: 2 * 4096 }));
  const mqtt = clientPublisher(client); // a full outbox drops (and counts) the reading instead of throwing
  const link = new CloudLink({
    node: o.node,
    household: o.household,
    mqtt,
    clock: o.clock,
    macKey: cloudMacKey(o.networkKey, o.node),
    counters: storeCounters(counters, LEGACY_COUNTER_KEY),
    // No flash survives between host runs, so the start second stands in for the persisted
    // boot counter: a later run always has a higher boot number, keeping (meter, boot, seq) unique.
    boot: o.meter?.boot ?? Math.floor(o.clock.now() / 1000),
    periodMs: o.periodMs ?? 10_000,
    ha: { model: "xsmeter-sim", ...o.ha?.device },
    ...o.downlinks,
  });
  const ha = new HomeAssistantLink({ node: o.node, household: o.household, mqtt, clock: o.clock, device: { model: "xsmeter-sim", ...o.ha?.device }, switching: o.ha?.switching, periodMs: o.periodMs ?? 10_000, log: o.ha?.log });
  client.start();
  link.start();
  ha.start();
  let stopped = false;
  return {
    node: o.node,
    topics: cloudTopics(o.node),
    client,
    link,
    ha,
    dropped: mqtt.dropped,
    stop() {
      if (stopped) return;
      stopped = true;
      link.stop();
      ha.stop();
      // A clean DISCONNECT suppresses the will, so say "offline" ourselves (QoS 0 goes out now, before it).
      const off = link.offline();
      client.publish(off.topic, off.payload, 0, true);
      client.stop();
    },
    kill() {
      if (stopped) return;
      stopped = true;
      link.stop();
      ha.stop();
      client.kill();
    },
  };
}
