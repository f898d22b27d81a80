// bench:mcu role: the aggregator for MINUTES of virtual time, wired as hosts/esp32/main.ts's
// startAggregator wires it on the board: CAN master (aggregatorLink, the native AES) polling three
// slaves every second, booking with its journal in flash (192 slots kept), the current PowerHistory
// (HISTORY_FULL, what main.ts passes), the display's one-minute update (pixels left to native Poco:
// the canvas counts calls), the web page (startBoardWeb) with a browser that has the dashboard open
// (page, assets, /events live values, the curve refreshed each minute), the cloud link
// (startBoardCloud: MQTT readings through the mqtt room's client to a broker on a loopback socket)
// and OTA idle (an updater with no offer). Outside the role, as tiny peers: the slaves (a CanSlave
// each, answers from a formula), the broker and the browser. Flash lives in the harness's C memory.
import { VirtualClock } from "../../modules/core/virtual-clock";
import { MINUTE } from "../../modules/core/clock";
import { AggregatorApp, type AggregatorPorts } from "../../modules/app/aggregator-app";
import { authFailureAlarms } from "../../modules/app/auth-alarms";
import { historyBytes, HISTORY_FULL } from "../../modules/app/power-history";
import { DisplayApp } from "../../modules/ui/display-app";
import { FlashCounterStore } from "../../modules/secure/counter-store";
import type { Random } from "../../modules/core/ports";
import type { CloudOta } from "../../hosts/esp32/board-cloud";
import { startBoardCloud } from "../../hosts/esp32/board-cloud";
import { startBoardWeb } from "../../hosts/esp32/board-web";
import { boardConfig } from "../../hosts/esp32/board-config";
import { boardAreas } from "../../hosts/esp32/partition-layout";
import { aggregatorLink } from "../../hosts/esp32/can-wiring";
import { flatTariffPrices } from "../../hosts/esp32/board-prices";
import { SimCanBus } from "../../hosts/lin/sim-can-bus";
import { simNetworkKey } from "../../hosts/lin/can-network";
import { START, CountingCanvas } from "./role-common";
import { BoardFlash, boardAes, resetPeaks, sampleLive, stage } from "./mcu-host";
import { LoopbackNetwork } from "./loopback-network";
import { BrokerPeer, BrowserPeer, answeringSlave } from "./peers";

/** Ten virtual minutes (issue 19): the emulator runs them in minutes of real time now that the slaves are tiny peers. */
export const MINUTES = 10;
/** A collection and census every 5 virtual seconds (on the emulator only): the live-data peak between callbacks. */
const SAMPLE_MS = 5000;
const SLAVES = [1, 2, 3];

/** A deterministic Random port (the board's is the ESP32 RNG). */
function lcgRandom(seed: number): Random {
  let s = seed;
  return { fill: (b) => { for (let i = 0; i < b.length; i++) b[i] = (s = (s * 1103515245 + 12345) % 2147483648) >>> 16; } };
}

/** Firmware slots with no update under way (OTA idle): the updater exists, nothing is offered. */
const IDLE_OTA: CloudOta = Object.freeze({
  onTrial: false,
  capacity: 1_572_864,
  runningVersion: () => "1.0.0",
  begin: () => { throw new Error("no update expected"); },
  write: () => { throw new Error("no update expected"); },
  finish: () => { throw new Error("no update expected"); },
  confirm: () => {},
});

export function run(): unknown {
  const clock = new VirtualClock(START);
  const flash = new BoardFlash();
  const key = simNetworkKey(7);
  const bus = new SimCanBus(clock);
  const net = new LoopbackNetwork(clock);
  for (const id of SLAVES) answeringSlave(bus.node(), id, key, clock, flash);
  const broker = new BrokerPeer(net, clock, 1883);
  stage("peers");

  const cfg = boardConfig({ role: "aggregator", slaveIds: SLAVES, cloud: { host: "broker", node: "meter" } });
  const areas = boardAreas(flash.take(64 * 4096), cfg.journalSectors);
  let app: AggregatorApp | undefined;
  const { master, link } = aggregatorLink(bus.node(), { clock, networkKey: key, store: new FlashCounterStore(areas.counters), slaveIds: cfg.slaveIds, onAuthFailure: authFailureAlarms((a) => app?.raise(a), clock), cipher: boardAes });
  const ports: AggregatorPorts = {
    setRelay: () => {},
    relay: () => true,
    loadPowerW: () => 0,
    prices: flatTariffPrices(cfg.tariff),
    grid: (t) => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: t, pricesStale: app?.cloudPriceTable().length === 0 }),
  };
  const ui: { display?: DisplayApp; renders: number } = { renders: 0 };
  app = new AggregatorApp(clock, link, ports, { slaveIds: cfg.slaveIds, loads: [], pollPeriodMs: cfg.pollPeriodMs, display: { render: () => { ui.display?.render(); ui.renders++; } }, bookingFlash: areas.journal, keepSlots: 192 });
  const canvas = new CountingCanvas();
  const display = new DisplayApp(canvas, app.store, clock, { width: canvas.width, height: canvas.height });
  ui.display = display;
  const random = lcgRandom(19);
  let logLines = 0;
  const log = (): void => void logLines++;
  const cloud = startBoardCloud({
    aggregator: app, clock, network: net, random, host: cfg.cloud.host, port: cfg.cloud.port, node: cfg.cloud.node,
    macKey: new Uint8Array(32).fill(0x5a), periodMs: cfg.cloud.periodMs, areas: areas.cloud, ota: IDLE_OTA,
    reboot: () => {}, selfTestMs: cfg.cloud.selfTestMs, log, ha: { switching: false, swVersion: "1.0.0" },
  });
  void startBoardWeb({
    household: app.store, clock, network: net, random, port: cfg.web.port, passwords: { load: () => undefined, save: () => {} },
    pbkdf2Iterations: cfg.web.pbkdf2Iterations, readOpen: cfg.web.readOpen, utcOffsetMin: cfg.web.utcOffsetMin,
    showSetupCode: (code) => display.showNotice("Web page setup code", `${code}: type it on the first-use page to set the password`), log,
  });
  app.start();
  const browser = new BrowserPeer(net, clock, cfg.web.port);
  clock.after(2000, () => browser.start());
  stage("loaded");
  resetPeaks();
  sampleLive(clock, SAMPLE_MS);

  clock.advance(MINUTES * MINUTE + 5000); // and the 10-min aggregates fetched just after the boundary
  stage("end");
  const s = app.store.snapshot();
  return {
    minutes: MINUTES,
    online: s.meters.filter((m) => m.online).length,
    accepted: master.stats.accepted,
    authFailures: master.stats.authFailures,
    importTodayWh: s.energyTodayWh,
    renders: ui.renders,
    drawCalls: canvas.calls,
    historyBytesPerSeries: historyBytes(HISTORY_FULL),
    web: browser.stats,
    mqtt: { broker: broker.stats, client: { sent: cloud.client.stats.sent, acked: cloud.client.stats.acked, connects: cloud.client.stats.connects }, dropped: cloud.dropped() },
    logLines,
  };
}
