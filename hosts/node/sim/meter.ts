/**
 * The simulated aggregator as a device that boots: one NOR flash (outbox,
 * counters, OTA slots) that outlives reboots, a boot counter in it, the OTA
 * bootloader's decision, and the cloud session (startSimCloud) with its
 * downlinks wired for real:
 *  - price → AggregatorApp.applyPriceTable (page, bill, controller re-plans), kept in a
 *    PriceTableStore on the flash and restored at boot;
 *  - config → CloudConfig: publishIntervalMs, demandLimitW; persisted in the
 *    counter store, restored at boot;
 *  - firmware → FirmwareUpdater: HTTP Range download into the inactive slot,
 *    signature and SHA-256 checked once, reboot, self-test, confirm (or the
 *    next boot rolls back).
 * The "firmware" in a sim image is a JSON line ({"xsmeter-sim": version,
 * "selftest": "pass" | "fail"}) plus padding: a failing one dies before it
 * confirms, and the watchdog reboots into the old image.
 * Progress and the running version go to xsmeter/<node>/firmware (retained).
 */
import { createHash } from "node:crypto";
import type { TimerId } from "../../../modules/core/clock";
import { flashPartition } from "../../../modules/core/ports";
import { utf8Encode } from "../../../modules/core/bytes";
import type { AggregatorApp, BookingRestore } from "../../../modules/app/aggregator-app";
import { CloudConfig } from "../../../modules/app/cloud-config";
import { checkPriceTable } from "../../../modules/app/price-table";
import { PriceTableStore } from "../../../modules/app/price-store";
import { buildImage } from "../../../modules/ota/image";
import { STATUS_TEMPLATE } from "../../../modules/mqtt/ha-discovery";
import { OtaSlots, type BootResult } from "../../../modules/ota/slots";
import { countBoot } from "../../../modules/ota/boot-counter";
import { FirmwareUpdater, type UpdateReport } from "../../../modules/ota/updater";
import { HttpImageSource } from "../../../modules/ota/http-source";
import { publicKeyFromSeed } from "../../../modules/secure/ed25519";
import { deriveKey } from "../../../modules/secure/kdf";
import { FlashCounterStore } from "../../../modules/secure/counter-store";
import { NorFlashSim } from "../flash/nor-flash-sim";
import { NodeNetwork } from "../http/node-network";
import { startSimCloud, type SimCloud, type SimCloudOptions } from "./cloud";

const SECTOR = 4096;
const OUTBOX_SECTORS = 16;
const COUNTER_SECTORS = 2;
/** The utility's last price table: two halves of 3 sectors (384 slots × 24 bytes). */
const PRICE_SECTORS = 6;
/** Each OTA slot: 64 sectors (256 KiB, a sim image is far smaller), plus the 2-sector state log. */
const OTA_SECTORS = 2 + 2 * 64;
/** The aggregator's booking journal (booking-journal.ts): ~18 sectors a day at its policy, so over a day of slots kept one by one. */
const BOOKING_SECTORS = 32;
/** The load controller's plans, manual holds and decisions (control-store.ts): a ring of 4 one-record sectors. */
const CONTROL_SECTORS = 4;
/** The power histories' week (history-store.ts): two halves of 32 sectors, 12 series of 10.8 KB each. */
const HISTORY_SECTORS = 64;
export const SIM_FLASH_SIZE = (OUTBOX_SECTORS + COUNTER_SECTORS + OTA_SECTORS + PRICE_SECTORS + BOOKING_SECTORS + CONTROL_SECTORS + HISTORY_SECTORS) * SECTOR;
const CONFIG_KEYS = { publishIntervalMs: 0x43464701, demandLimitW: 0x43464702 };

/** The simulated utility's firmware signing key (its seed), derived from the household's network key. */
export function simUtilitySeed(networkKey: Uint8Array): Uint8Array {
  return deriveKey(networkKey, "xsmeter sim utility firmware signer", "", 32);
}

/** A sim firmware image: the descriptor line, padding to `size`, signed with `seed`. */
export function simFirmwareImage(version: string, seed: Uint8Array, o: { selftest?: "pass" | "fail"; size?: number } = {}): Uint8Array {
  const line = utf8Encode(`${JSON.stringify({ "xsmeter-sim": version, selftest: o.selftest ?? "pass" })}\n`);
  const firmware = new Uint8Array(Math.max(line.length, o.size ?? 48 * 1024));
  firmware.set(line);
  for (let i = line.length; i < firmware.length; i++) firmware[i] = (i * 31 + version.length * 7) & 255;
  return buildImage(firmware, version, createHash("sha256").update(firmware).digest("hex"), seed);
}

export interface SimMeterOptions extends Omit<SimCloudOptions, "household" | "meter" | "downlinks"> {
  aggregator: AggregatorApp;
  /** The factory image, flashed when no slot boots (the first start). Default: 1.0.0 signed by simUtilitySeed. */
  factoryImage?: Uint8Array;
  /** The Ed25519 key images must be signed with. Default: simUtilitySeed's public key. */
  firmwareKey?: Uint8Array;
  /** The device's secret for boot marks (an eFuse key on the board). Default: derived from the network key and node. */
  deviceKey?: Uint8Array;
  /** A trial boot must reach the broker within this to confirm itself (default 10 s). */
  selfTestMs?: number;
  /** Pause before the updater resumes a broken download (default 200 ms). */
  downloadRetryMs?: number;
  /** Pause before reboot after an image verified (default 500 ms). */
  rebootDelayMs?: number;
  /**
   * Back the meter's flash with this file, so boot counter, outbox, settings, downlink counter
   * and installed firmware outlive the process (the CLI does; memory only when absent).
   */
  flashFile?: string;
}

export interface BootRecord {
  boot: number;
  version: string;
  trial: boolean;
  note?: string;
  /** What the aggregator's booking journal gave back at this boot. */
  booking?: BookingRestore;
}

export class SimMeter {
  readonly flash: NorFlashSim;
  readonly boots: BootRecord[] = [];
  readonly updates: UpdateReport[] = [];
  cloud!: SimCloud;
  ota!: OtaSlots;
  config!: CloudConfig;
  updater!: FirmwareUpdater;
  boot = 0;
  /** This boot's cloud session is up (config changes go to it, not to a dead one). */
  private live = false;
  private stopped = false;
  private timers: TimerId[] = [];
  private readonly parts;

  constructor(private readonly o: SimMeterOptions) {
    this.flash = new NorFlashSim({ size: SIM_FLASH_SIZE, file: o.flashFile });
    this.parts = {
      outbox: flashPartition(this.flash, 0, OUTBOX_SECTORS * SECTOR),
      counters: flashPartition(this.flash, OUTBOX_SECTORS * SECTOR, COUNTER_SECTORS * SECTOR),
      ota: flashPartition(this.flash, (OUTBOX_SECTORS + COUNTER_SECTORS) * SECTOR, OTA_SECTORS * SECTOR),
      prices: flashPartition(this.flash, (OUTBOX_SECTORS + COUNTER_SECTORS + OTA_SECTORS) * SECTOR, PRICE_SECTORS * SECTOR),
      booking: flashPartition(this.flash, (OUTBOX_SECTORS + COUNTER_SECTORS + OTA_SECTORS + PRICE_SECTORS) * SECTOR, BOOKING_SECTORS * SECTOR),
      control: flashPartition(this.flash, (OUTBOX_SECTORS + COUNTER_SECTORS + OTA_SECTORS + PRICE_SECTORS + BOOKING_SECTORS) * SECTOR, CONTROL_SECTORS * SECTOR),
      history: flashPartition(this.flash, (OUTBOX_SECTORS + COUNTER_SECTORS + OTA_SECTORS + PRICE_SECTORS + BOOKING_SECTORS + CONTROL_SECTORS) * SECTOR, HISTORY_SECTORS * SECTOR),
    };
  }

  /** Powers up: bootloader, boot counter, configuration, cloud session, self-test of a trial image. */
  start(): void {
    const o = this.o;
    const seed = simUtilitySeed(o.networkKey);
    // the device's own secret for boot marks (an eFuse key on the board; derived per node here)
    const deviceKey = o.deviceKey ?? deriveKey(o.networkKey, "xsmeter sim boot mark", o.node, 32);
    this.ota = new OtaSlots(this.parts.ota, o.firmwareKey ?? publicKeyFromSeed(seed), "xsmeter", { deviceKey });
    let booted: BootResult;
    try {
      booted = this.ota.boot();
    } catch {
      // nothing boots: the factory programming station flashes the first image
      this.ota.installFactory(o.factoryImage ?? simFirmwareImage("1.0.0", seed));
      booted = this.ota.boot();
    }
    const counters = new FlashCounterStore(this.parts.counters);
    this.boot = countBoot(counters);
    // the aggregator's booking (meters' booked counters, slots, bill) as the flash left it: a
    // reboot loses RAM, so what was booked since the last checkpoint is booked again from the counters
    const booking = o.aggregator.persistBooking(this.parts.booking);
    // the load controller's plans, holds and decisions (a restarted `npm start` keeps them)
    o.aggregator.persistControl(this.parts.control);
    // and the power history's week (the graphs and bars after a restart)
    o.aggregator.persistHistory(this.parts.history);
    this.boots.push({ boot: this.boot, version: booted.version, trial: booted.trial, note: booted.note, booking });
    const descriptor = this.descriptor();
    if (booted.trial && descriptor.selftest === "fail") {
      // this firmware dies before it can confirm; the watchdog resets the meter
      this.later(200, () => this.reboot());
      return;
    }
    this.config = new CloudConfig({
      publishIntervalMs: { min: 1000, max: 3_600_000, unit: "ms", storeKey: CONFIG_KEYS.publishIntervalMs, apply: (v) => { if (this.live) this.cloud.link.setPeriod(v); } },
      demandLimitW: { min: 1000, max: 100_000, unit: "W", storeKey: CONFIG_KEYS.demandLimitW, apply: (v) => void o.aggregator.setDemandLimitW(v) },
    }, counters);
    const restored = this.config.restore();
    // the utility's last price table, unless the aggregator (which a sim reboot does not restart) still has one
    const prices = new PriceTableStore(this.parts.prices);
    const savedPrices = prices.load();
    if (savedPrices && o.aggregator.cloudPriceTable().length === 0) o.aggregator.applyPriceTable(savedPrices);
    this.updater = new FirmwareUpdater({
      slots: this.ota,
      source: new HttpImageSource(new NodeNetwork(), o.clock),
      clock: o.clock,
      retryMs: o.downloadRetryMs ?? 200,
      report: (r) => {
        this.updates.push(r);
        this.publishFirmware({ phase: r.phase, offered: r.version, bytes: r.bytes, total: r.total, requests: r.requests, error: r.error });
      },
      // a planned reboot into the new image: the booking's last checkpoint first (a cut would only move it)
      reboot: () => this.later(o.rebootDelayMs ?? 500, () => { o.aggregator.saveBooking(); this.reboot(); }),
    });
    this.cloud = startSimCloud({
      ...o,
      household: o.aggregator.store,
      periodMs: restored.publishIntervalMs ?? o.periodMs,
      meter: { outboxFlash: this.parts.outbox, counters, boot: this.boot },
      ha: { ...o.ha, device: { swVersion: booted.version, ...o.ha?.device } },
      downlinks: {
        onPrices: (slots) => {
          const checked = checkPriceTable(slots, o.clock.now());
          if ("error" in checked) return { ok: false, error: checked.error };
          prices.save(checked.slots); // persisted first: after a reboot the table is still there
          return o.aggregator.applyPriceTable(checked.slots);
        },
        onConfig: (c) => this.config.apply(c),
        onFirmwareOffer: (f) => this.updater.offer(f),
      },
    });
    this.live = true;
    this.discoverUpdateEntity();
    this.publishFirmware({ phase: booted.trial ? "trial" : "running", note: booted.note });
    if (booted.trial) this.selfTest(o.clock.now() + (o.selfTestMs ?? 10_000));
  }

  /** A reset: power off (no goodbye to the broker), then start again on the same flash. */
  reboot(): void {
    this.powerOff();
    this.flash.reboot();
    this.start();
  }

  /** Shuts down for good (closes the flash file); idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.o.aggregator.closeBooking(); // a last checkpoint, before the flash file closes
    this.o.aggregator.saveControl();
    this.o.aggregator.saveHistory();
    for (const t of this.timers) this.o.clock.cancel(t);
    this.timers = [];
    this.updater?.cancel();
    this.live = false;
    this.cloud?.stop();
    this.flash.close();
  }

  get runningVersion(): string {
    return this.ota.runningVersion();
  }

  private powerOff(): void {
    this.live = false;
    for (const t of this.timers) this.o.clock.cancel(t);
    this.timers = [];
    this.updater?.cancel();
    this.cloud?.kill();
  }

  /** The trial firmware confirms itself once its cloud session is up; else the watchdog resets it. */
  private selfTest(deadline: number): void {
    if (this.cloud.client.isConnected) {
      this.ota.confirm();
      this.publishFirmware({ phase: "confirmed" });
      return;
    }
    if (this.o.clock.now() > deadline) return this.reboot();
    this.later(100, () => this.selfTest(deadline));
  }

  private descriptor(): { selftest?: string } {
    const head = new Uint8Array(128);
    try {
      this.ota.readFirmware(0, head);
      const line = new TextDecoder().decode(head).split("\n")[0];
      return JSON.parse(line) as { selftest?: string };
    } catch {
      return {}; // not a sim firmware: nothing to self-test
    }
  }

  private publishFirmware(extra: Record<string, unknown>): void {
    const running = this.ota.runningVersion();
    // installed_version / latest_version: what Home Assistant's MQTT update entity reads
    const latest = extra.phase === "downloading" || extra.phase === "verified" ? extra.offered : running;
    const downloading = extra.phase === "downloading" && typeof extra.bytes === "number" && typeof extra.total === "number";
    const body = {
      running, ...extra, installed_version: running, latest_version: latest,
      // Home Assistant's update entity shows these as a progress bar
      in_progress: downloading,
      ...(downloading ? { update_percentage: Math.floor((100 * (extra.bytes as number)) / (extra.total as number)) } : {}),
    };
    this.cloud?.link.publishFirmware(body); // with boot and this boot's next seq
  }

  /** Home Assistant discovery of the firmware as an `update` entity (retained, once per boot). */
  private discoverUpdateEntity(): void {
    const node = this.o.node;
    const config = {
      name: "Firmware",
      unique_id: `xsmeter_${node}_firmware`,
      state_topic: `xsmeter/${node}/firmware`,
      availability_topic: `xsmeter/${node}/status`,
      availability_template: STATUS_TEMPLATE,
      device_class: "firmware",
      device: { identifiers: [`xsmeter_${node}`], name: `xsmeter ${node}`, manufacturer: "xsmeter" },
    };
    this.cloud.client.publish(`homeassistant/update/${node}/firmware/config`, utf8Encode(JSON.stringify(config)), 1, true);
  }

  private later(ms: number, f: () => void): void {
    this.timers.push(this.o.clock.after(ms, f));
  }
}
