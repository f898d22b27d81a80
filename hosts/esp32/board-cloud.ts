// The utility's MQTT link on the board, wired as the node simulator's SimMeter
// wires it (hosts/node/sim/meter.ts), without Moddable imports so the tests
// run it against a real broker on Node:
//  - the boot counter (modules/ota/boot-counter.ts) is counted first, before
//    anything can publish, so (boot, seq) keeps increasing across reboots;
//  - MqttClient over the board's Network port (plain TCP to the configured
//    broker: TLS is out of scope here), QoS 1 readings waiting in a FlashOutbox
//    on the cloud partition until the broker acknowledges them;
//  - CloudLink on the aggregator's household, with its downlinks:
//    price → AggregatorApp.applyPriceTable, persisted first in a PriceTableStore
//    and restored at the next boot; config → CloudConfig (publishIntervalMs,
//    demandLimitW, kept in the counter store); firmware offers → FirmwareUpdater
//    (modules/ota/http-source.ts over the Network port) into the board's app
//    partitions (board-ota.ts);
//  - a trial boot (ESP-IDF "pending verify") confirms itself once the session
//    is up; if it never comes up within `selfTestMs` the board resets and the
//    bootloader rolls back to the previous app.
import type { Clock, TimerId } from "../../modules/core/clock";
import type { Flash, Network, Random } from "../../modules/core/ports";
import { utf8Encode } from "../../modules/core/bytes";
import type { AggregatorApp } from "../../modules/app/aggregator-app";
import { CloudConfig } from "../../modules/app/cloud-config";
import { checkPriceTable } from "../../modules/app/price-table";
import { PriceTableStore } from "../../modules/app/price-store";
import { countBoot } from "../../modules/ota/boot-counter";
import { FirmwareUpdater, type UpdaterSlots, type UpdateReport } from "../../modules/ota/updater";
import { HttpImageSource } from "../../modules/ota/http-source";
import { MqttClient } from "../../modules/mqtt/client";
import { FlashOutbox } from "../../modules/mqtt/flash-outbox";
import { CloudLink } from "../../modules/mqtt/cloud-link";
import type { ObisTopicForm } from "../../modules/mqtt/obis-topic";
import { clientPublisher } from "../../modules/mqtt/client-publisher";
import { storeCounters } from "../../modules/mqtt/downlink-counters";
import { HomeAssistantLink } from "../../modules/mqtt/ha-link";
import { FlashCounterStore } from "../../modules/secure/counter-store";

/** Keys in the cloud counter store (beside the boot counter's "BOOT" and the downlink counter's 0). */
export const CONFIG_KEYS = Object.freeze({ publishIntervalMs: 0x43464701, demandLimitW: 0x43464702 }); // frozen: xsl keeps it in flash
/** The one downlink counter of earlier firmware: each kind's counter starts above it (downlink-counters.ts). */
const LEGACY_DOWNLINK_KEY = 0;

/** The firmware slots as the cloud needs them: the updater's side and the trial's confirmation. */
export interface CloudOta extends UpdaterSlots {
  confirm(): void;
}

export interface CloudAreas {
  /** The MQTT outbox (its own sectors: a full one loses readings, never other data). */
  outbox: Flash;
  /** Boot counter, downlink freshness counter, cloud settings (FlashCounterStore). */
  counters: Flash;
  /** The utility's last price table (PriceTableStore). */
  prices: Flash;
}

export interface BoardCloudOptions {
  aggregator: Pick<AggregatorApp, "store" | "applyPriceTable" | "setDemandLimitW" | "cloudPriceTable">;
  clock: Clock;
  network: Network;
  random: Random;
  host: string;
  port: number;
  /** Node id in the topics (xsmeter/<node>/…). */
  node: string;
  /** The cloud's HMAC key for this meter (preference xsmeter/cloudKey on the board). */
  macKey: Uint8Array;
  /** Readings period until the cloud sets publishIntervalMs. */
  periodMs: number;
  /** How reading topics write the OBIS code (CloudLink's obisTopics; default dotted). */
  obisTopics?: ObisTopicForm;
  areas: CloudAreas;
  /** The board's firmware slots; none: firmware offers are refused. */
  ota?: CloudOta;
  /** Resets the board (after a verified download, or a trial that never reached the broker). */
  reboot(): void;
  /** A trial boot must reach the broker within this (ms). */
  selfTestMs: number;
  rebootDelayMs?: number;
  downloadRetryMs?: number;
  log?(line: string): void;
  /** Home Assistant: may HA switch loads marked switchable (unauthenticated topic: default off); the firmware version for the device blocks. */
  ha?: { switching?: boolean; swVersion?: string };
}

export interface BoardCloud {
  boot: number;
  client: MqttClient;
  link: CloudLink;
  ha: HomeAssistantLink;
  config: CloudConfig;
  updater?: FirmwareUpdater;
  /** Price table restored from flash at start (slots), 0 if none. */
  restoredPriceSlots: number;
  /** Readings dropped because the outbox was full. */
  dropped(): number;
  stop(): void;
}

export function startBoardCloud(o: BoardCloudOptions): BoardCloud {
  const counters = new FlashCounterStore(o.areas.counters);
  const boot = countBoot(counters); // before anything publishes
  let rebootTimer: TimerId | undefined;
  let trialTimer: TimerId | undefined;
  let link: CloudLink | undefined;
  const config = new CloudConfig({
    publishIntervalMs: { min: 1000, max: 3_600_000, unit: "ms", storeKey: CONFIG_KEYS.publishIntervalMs, apply: (v) => link?.setPeriod(v) },
    demandLimitW: { min: 1000, max: 100_000, unit: "W", storeKey: CONFIG_KEYS.demandLimitW, apply: (v) => void o.aggregator.setDemandLimitW(v) },
  }, counters);
  const restored = config.restore();
  const prices = new PriceTableStore(o.areas.prices);
  const saved = prices.load();
  if (saved && o.aggregator.cloudPriceTable().length === 0) o.aggregator.applyPriceTable(saved);

  const client = new MqttClient({
    network: o.network,
    clock: o.clock,
    random: o.random,
    host: o.host,
    port: o.port,
    clientId: `xsmeter-${o.node}`,
    outbox: new FlashOutbox(o.areas.outbox),
    will: () => link!.will(), // asked at each CONNECT (after `link` is made): the will carries that attempt's order
    minBackoffMs: 1000,
    maxBackoffMs: 60_000,
  });
  const mqtt = clientPublisher(client); // a full outbox drops (and counts) the reading instead of throwing
  // CloudLink adds boot and seq, so a resent older report cannot pass for the node's state
  const publishFirmware = (body: Record<string, unknown>): void => {
    const running = o.ota?.runningVersion() ?? "unknown";
    link?.publishFirmware({ running, installed_version: running, ...body });
  };
  const updater = o.ota && new FirmwareUpdater({
    slots: o.ota,
    source: new HttpImageSource(o.network, o.clock),
    clock: o.clock,
    retryMs: o.downloadRetryMs ?? 2000,
    report: (r: UpdateReport) => {
      o.log?.(`ota: ${r.phase} ${r.version} ${r.bytes}/${r.total ?? "?"} bytes${r.error ? `: ${r.error}` : ""}`);
      publishFirmware({ phase: r.phase, offered: r.version, bytes: r.bytes, total: r.total, requests: r.requests, error: r.error });
    },
    reboot: () => void (rebootTimer = o.clock.after(o.rebootDelayMs ?? 1000, () => o.reboot())),
  });
  link = new CloudLink({
    node: o.node,
    household: o.aggregator.store,
    mqtt,
    clock: o.clock,
    macKey: o.macKey,
    counters: storeCounters(counters, LEGACY_DOWNLINK_KEY),
    boot,
    periodMs: restored.publishIntervalMs ?? o.periodMs,
    obisTopics: o.obisTopics,
    ha: { model: "xsmeter ESP32", swVersion: o.ha?.swVersion },
    onPrices: (slots) => {
      const checked = checkPriceTable(slots, o.clock.now());
      if ("error" in checked) return { ok: false, error: checked.error };
      prices.save(checked.slots); // persisted first: after a reboot the table is still there
      return o.aggregator.applyPriceTable(checked.slots);
    },
    onConfig: (c) => config.apply(c),
    onFirmwareOffer: (f) => (updater ? updater.offer(f) : { ok: false, error: "firmware: this board takes no updates (no firmware key configured)" }),
  });
  const ha = new HomeAssistantLink({ node: o.node, household: o.aggregator.store, mqtt, clock: o.clock, device: { model: "xsmeter ESP32", swVersion: o.ha?.swVersion }, switching: o.ha?.switching, periodMs: o.periodMs, log: o.log });
  client.start();
  link.start();
  ha.start();
  publishFirmware({ phase: o.ota?.onTrial ? "trial" : "running" });

  // The trial's self-test: the new firmware reached the broker, so it is good enough to keep.
  if (o.ota?.onTrial) {
    const ota = o.ota;
    const deadline = o.clock.now() + o.selfTestMs;
    const check = (): void => {
      if (client.isConnected) {
        ota.confirm();
        o.log?.("ota: trial firmware confirmed (cloud session up)");
        publishFirmware({ phase: "confirmed" });
      } else if (o.clock.now() >= deadline) {
        o.log?.("ota: trial firmware never reached the broker: reset, the bootloader rolls back");
        o.reboot();
      } else trialTimer = o.clock.after(500, check);
    };
    trialTimer = o.clock.after(500, check);
  }
  let stopped = false;
  return {
    boot,
    client,
    link,
    ha,
    config,
    updater,
    restoredPriceSlots: saved?.length ?? 0,
    dropped: mqtt.dropped,
    stop() {
      if (stopped) return;
      stopped = true;
      if (rebootTimer !== undefined) o.clock.cancel(rebootTimer);
      if (trialTimer !== undefined) o.clock.cancel(trialTimer);
      updater?.cancel();
      link?.stop();
      ha.stop();
      client.stop();
    },
  };
}
