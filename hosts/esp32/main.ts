// The meter board's start-up: reads mc/config, opens the hardware through
// ECMA-419 IO, and wires the slave or the aggregator from modules/app.
// Hardware-free wiring lives in small modules beside this one (can-wiring,
// board-calibration, partition-layout, touch-input, board-web,
// board-cloud, board-ota, board-prices), tested on the host.
import config from "mc/config";
import Timer from "timer";
import SPI from "embedded:io/spi";
import Digital from "embedded:io/digital";
import Preference from "preference";
import { RealClock } from "../../modules/core/real-clock";
import type { Clock } from "../../modules/core/clock";
import type { Household } from "../../modules/core/household";
import type { SlaveLink } from "../../modules/app/readings";
import { SlaveApp } from "../../modules/app/slave-app";
import { AggregatorApp, type AggregatorPorts } from "../../modules/app/aggregator-app";
import { FlashCounterStore } from "../../modules/secure/counter-store";
import { CalibrationStore } from "../../modules/metrology/calibration-store";
import { DisplayApp } from "../../modules/ui/display-app";
import { boardConfig, type BoardConfig } from "./board-config";
import { Stpm3x } from "./stpm3x";
import { StpmFrontEnd } from "./stpm-front-end";
import { openTwai } from "./twai-open";
import { DigitalRelay } from "./digital-relay";
import { openFlashPartition } from "./flash-partition";
import { boardAreas } from "./partition-layout";
import { authFailureAlarms } from "../../modules/app/auth-alarms";
import { aggregatorLink, openCan, silentLink, slaveAnswers, type CanHardware } from "./can-wiring";
import { JournaledFrontEnd } from "../../modules/app/journaled-front-end";
import { applyStoredCalibration } from "./board-calibration";
import { PocoCanvas } from "./poco-canvas";
import { TouchInput, type LegacyTouch, type Rotation, type TouchSensor } from "./touch-input";
import { fromHex } from "../../modules/core/bytes";
import type { Random } from "../../modules/core/ports";
import { fillRandom, restart as espRestart } from "board-native";
import { nativeAes } from "./native-aes";
import StpmSnapshot from "stpm-snapshot";
import { NativeSnapshotCapture } from "./snapshot-native-capture";
import { BoardNetwork } from "./http-adapter";
import { startBoardWeb, type PasswordStore } from "./board-web";
import { startBoardCloud } from "./board-cloud";
import { openBoardOta } from "./ota-writer";
import { flatTariffPrices } from "./board-prices";
import type { BoardAreas } from "./partition-layout";

/** The ESP32's hardware RNG (esp_fill_random). */
const random: Random = Object.freeze({ fill: (b: Uint8Array) => fillRandom(b) }); // frozen: preloaded, xsl warned "not frozen"

/** NVS through `preference`: domain "xsmeter". */
const PREFS = "xsmeter";

function boardClock(): Clock {
  return new RealClock({
    now: () => Date.now(),
    start: (delay, callback) => Timer.set(() => callback(), delay),
    stop: (handle) => Timer.clear(handle as ReturnType<typeof Timer.set>),
  });
}

/** The real IO behind the CAN controllers (can-wiring.ts chooses which). Frozen: preloaded (xsl warned). */
const canHardware: CanHardware = Object.freeze({
  spi: (options) => new SPI(options),
  // INT is active low: service on the falling edge.
  interrupt: (pin, onLow) => {
    const int = new Digital({ pin, mode: Digital.InputPullUp, edge: Digital.Falling, onReadable: onLow });
    return () => int.read() === 0;
  },
  twai: (pins, bitrate) => openTwai(pins, bitrate),
} satisfies CanHardware);

/** The CAN network key (16 bytes), a secret kept in NVS: preference domain "xsmeter", key "canKey". */
function networkKey(): Uint8Array | undefined {
  const v = Preference.get("xsmeter", "canKey");
  if (v instanceof ArrayBuffer && v.byteLength === 16) return new Uint8Array(v);
  trace("xsmeter: no CAN network key (preference xsmeter/canKey, 16 bytes): not using the bus\n");
  return undefined;
}

/** The cloud's HMAC key for this meter (32 bytes), a secret in NVS: preference xsmeter/cloudKey. */
function cloudKey(): Uint8Array | undefined {
  const v = Preference.get(PREFS, "cloudKey");
  if (v instanceof ArrayBuffer && v.byteLength === 32) return new Uint8Array(v);
  trace("xsmeter: no cloud key (preference xsmeter/cloudKey, 32 bytes): no cloud link\n");
  return undefined;
}

/** The web sign-in's password record in NVS (preference xsmeter/httpPassword), so a reboot keeps it. */
const passwords: PasswordStore = Object.freeze({ // frozen: preloaded (xsl warned "not frozen")
  load: () => Preference.get(PREFS, "httpPassword"),
  save: (record) => Preference.set(PREFS, "httpPassword", record),
} satisfies PasswordStore);

/** Price slots the aggregator keeps one by one in RAM (older ones are summed into the bill's roll-up). */
const BOARD_KEEP_SLOTS = 192;

/**
 * A reset: a last booking checkpoint, then ESP-IDF boots the boot partition (the new app after
 * an update, or the old one after a failed trial).
 */
function restart(app: AggregatorApp): void {
  trace("xsmeter: restarting\n");
  app.closeBooking();
  espRestart();
}

function startWeb(cfg: BoardConfig, app: AggregatorApp, clock: Clock, network: BoardNetwork, display: DisplayApp | undefined): void {
  if (cfg.web.port === 0) return;
  startBoardWeb({
    household: app.store,
    clock,
    network,
    random,
    port: cfg.web.port,
    passwords,
    pbkdf2Iterations: cfg.web.pbkdf2Iterations,
    readOpen: cfg.web.readOpen,
    utcOffsetMin: cfg.web.utcOffsetMin,
    // First use: the code that claims the meter appears on its own screen, where only someone at the meter sees it.
    showSetupCode: (code) => display?.showNotice("Web page setup code", `${code}: type it on the first-use page to set the password`),
    log: (line) => trace(`xsmeter: ${line}\n`),
  }).then(
    (web) => trace(`xsmeter: web page on port ${web.port}\n`),
    (e: unknown) => trace(`xsmeter: web server failed: ${e instanceof Error ? e.message : String(e)}\n`),
  );
}

function startCloud(cfg: BoardConfig, app: AggregatorApp, clock: Clock, network: BoardNetwork, areas: BoardAreas): void {
  if (!cfg.cloud.host) return;
  const macKey = cloudKey();
  if (!macKey) return;
  const ota = cfg.firmware.publicKey ? openBoardOta(fromHex(cfg.firmware.publicKey), cfg.firmware.version) : undefined;
  const cloud = startBoardCloud({
    aggregator: app,
    clock,
    network,
    random,
    host: cfg.cloud.host,
    port: cfg.cloud.port,
    node: cfg.cloud.node,
    macKey,
    periodMs: cfg.cloud.periodMs,
    obisTopics: cfg.cloud.obisTopics,
    areas: areas.cloud,
    ota,
    reboot: () => restart(app),
    selfTestMs: cfg.cloud.selfTestMs,
    log: (line) => trace(`xsmeter: ${line}\n`),
    ha: { switching: cfg.cloud.haSwitching, swVersion: cfg.firmware.version },
  });
  trace(`xsmeter: boot ${cloud.boot}, cloud ${cfg.cloud.host}:${cfg.cloud.port} as ${cfg.cloud.node}, firmware ${cfg.firmware.version}${ota?.onTrial ? " (trial)" : ""}, ${cloud.restoredPriceSlots} price slots restored\n`);
}

function startSlave(cfg: BoardConfig, clock: Clock): void {
  const areas = boardAreas(openFlashPartition(cfg.journalPartition), cfg.journalSectors);
  const spi = new SPI({ clock: cfg.spi.clock, out: cfg.spi.out, in: cfg.spi.in, select: cfg.stpm.select, active: 0, hz: cfg.stpm.hz, mode: 3, port: cfg.spi.port });
  const chip = new Stpm3x({ transfer: (b) => spi.transfer(b), flush: (d) => spi.flush(d) }, cfg.stpm);
  trace(`xsmeter: ${applyStoredCalibration(new CalibrationStore(areas.calibration), chip)}\n`);
  const now = clock.now();
  // The metrology room's board path (windows, PQ events, aggregates) when configured, its waveform
  // snapshots captured natively (hosts/esp32/snapshot: a timer reads V1/C1_DATA, no JS per sample).
  const metrology = cfg.metrology ? { nominalVoltage: cfg.nominalVoltage, nominalFrequency: cfg.nominalFrequency, snapshotRate: cfg.stpm.snapshotRate, measurePeriodMs: cfg.measurePeriodMs, meterId: cfg.meterId, capture: snapshotCapture(cfg) } : undefined;
  const stpm = new StpmFrontEnd(chip, cfg.stpm.energy, now, metrology);
  const frontEnd = new JournaledFrontEnd(stpm, areas.journal, now, { periodMs: cfg.journalPeriodMs, thresholdWh: cfg.journalThresholdWh });
  const b = frontEnd.boot;
  trace(`xsmeter: journal boot scan read ${b.bytesRead} B: ${b.valid} valid records (${b.corrupt} torn), restored import ${b.importWh.toFixed(3)} Wh, export ${b.exportWh.toFixed(3)} Wh\n`);
  const slave = new SlaveApp(clock, frontEnd, { id: cfg.meterId, measurePeriodMs: cfg.measurePeriodMs });
  const port = openCan(cfg, canHardware);
  const key = port && networkKey();
  if (port && key) slaveAnswers(port, cfg.meterId, key, new FlashCounterStore(areas.counters), () => slave.answer(), () => slave.aggregate(), clock, (reason) => trace(`xsmeter: alarm: ${reason}\n`), nativeAes);
  slave.start();
  trace(`xsmeter: slave ${cfg.meterId} measuring every ${cfg.measurePeriodMs} ms\n`);
}

/**
 * SPI clock of the native snapshot reads: 4 frames (20 bytes) per sample must fit one period
 * (156 us at 6400 S/s), which cfg.stpm.hz (1 MHz: 160 us of clock alone) does not allow.
 */
const SNAPSHOT_SPI_HZ = 4_000_000;
/** Capacity of the C sample buffers (pairs): the analyzer's snapshot length at 6400 S/s is within it (2 × 8 KB). */
const SNAPSHOT_CAPACITY = 2048;

/** The native waveform capture for the board path, or none (THD then stays 0, said in the log) if it cannot open. */
function snapshotCapture(cfg: BoardConfig): ((u: Float32Array, i: Float32Array, n: number) => boolean) | undefined {
  try {
    const engine = new StpmSnapshot(cfg.spi.port, cfg.stpm.select, SNAPSHOT_SPI_HZ, cfg.stpm.snapshotRate, SNAPSHOT_CAPACITY);
    return new NativeSnapshotCapture(engine, cfg.stpm.snapshotRate, cfg.stpm).asCapture();
  } catch (e) {
    trace(`xsmeter: no waveform snapshots (THD not measured): ${String(e)}\n`);
    return undefined;
  }
}

/** The touch display: PocoCanvas on the board's screen, DisplayApp on the household, touch polled every 16 ms. */
function startDisplay(cfg: BoardConfig, household: Household, clock: Clock): DisplayApp | undefined {
  if (!cfg.display) return undefined;
  // setup/commodetto makes the global `screen` from mc/config's "screen" driver (the SDK types do not declare it).
  if (!(globalThis as { screen?: unknown }).screen) {
    trace("xsmeter: no screen on this board (mc/config \"screen\"): display off\n");
    return undefined;
  }
  const canvas = new PocoCanvas();
  const display = new DisplayApp(canvas, household, clock, { width: canvas.width, height: canvas.height, longPressMs: cfg.longPressMs });
  // The board's touch driver: mc/config's "touch" module (older drivers: read(points)) or the ECMA-419 sensor.
  const Touch = (config.Touch ?? (globalThis as { device?: { sensor?: { Touch?: unknown } } }).device?.sensor?.Touch) as (new (options: object) => TouchSensor | LegacyTouch) | undefined;
  if (Touch) {
    const rotation = (cfg.touchRotation ?? ((config.rotation ?? 0) % 360)) as Rotation;
    const input = new TouchInput(display, rotation, canvas.width, canvas.height);
    const driver = new Touch({});
    if ("sample" in driver) Timer.repeat(() => input.pollSensor(driver), 16);
    else Timer.repeat(() => input.pollLegacy(driver), 16);
  }
  trace(`xsmeter: display ${canvas.width}x${canvas.height}, touch ${Touch ? "on" : "none"}\n`);
  return display;
}

function startAggregator(cfg: BoardConfig, clock: Clock): void {
  const areas = boardAreas(openFlashPartition(cfg.journalPartition), cfg.journalSectors);
  const relays = new Map(cfg.relays.map((r) => [r.id, new DigitalRelay(r.pin, r.activeLow)]));
  const ports: AggregatorPorts = {
    setRelay: (id, on) => relays.get(id)?.set(on),
    relay: (id) => relays.get(id)?.get() ?? true,
    loadPowerW: () => 0,
    prices: flatTariffPrices(cfg.tariff),
    grid: (t) => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: t, pricesStale: app?.cloudPriceTable().length === 0 }),
  };
  let app: AggregatorApp | undefined;
  const port = openCan(cfg, canHardware);
  const key = port && networkKey();
  let link: SlaveLink;
  if (port && key) {
    link = aggregatorLink(port, {
      clock,
      networkKey: key,
      store: new FlashCounterStore(areas.counters),
      slaveIds: cfg.slaveIds,
      onAuthFailure: authFailureAlarms((a) => app?.raise(a), clock),
      cipher: nativeAes, // the CMAC's AES in C: 16 slaves' checks fit the 1 s poll (bench:can-native)
    }).link;
  } else link = silentLink();
  const ui: { display?: DisplayApp } = {};
  // The booking (meters' booked counters, slots, bill) survives restarts in the journal ring, which
  // only a slave uses otherwise; 192 slots (2 days of quarter hours) bound the heap.
  app = new AggregatorApp(clock, link, ports, { slaveIds: cfg.slaveIds, loads: [], pollPeriodMs: cfg.pollPeriodMs, display: { render: () => ui.display?.render() }, bookingFlash: areas.journal, keepSlots: BOARD_KEEP_SLOTS });
  ui.display = startDisplay(cfg, app.store, clock);
  const network = new BoardNetwork();
  startCloud(cfg, app, clock, network, areas); // boot counter first, before anything publishes
  startWeb(cfg, app, clock, network, ui.display);
  app.start();
  trace(`xsmeter: aggregator polling ${cfg.slaveIds.length} slaves every ${cfg.pollPeriodMs} ms over ${port && key ? "authenticated CAN" : "nothing (every slave will be reported missing)"}\n`);
}

export default function main(): void {
  const cfg = boardConfig(config.xsmeter);
  trace(`xsmeter: board start, role ${cfg.role}, CAN ${cfg.can.controller} at ${cfg.can.bitrate} bit/s\n`);
  const clock = boardClock();
  if (cfg.role === "slave") startSlave(cfg, clock);
  else startAggregator(cfg, clock);
}
