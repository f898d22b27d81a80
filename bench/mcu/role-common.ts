// The roles of bench:mcu's memory runs, composed as hosts/lin/main.ts composes them on the
// desktop simulator, on a VirtualClock: slaves journaling on RAM flash, authenticated CAN on the
// simulated bus at 125 kbit/s, the aggregator with its display (pixels left to native Poco, as on
// the board: the canvas here only counts calls).
import { VirtualClock } from "../../modules/core/virtual-clock";
import { RamFlash } from "../../modules/core/ram-flash";
import { SlaveApp } from "../../modules/app/slave-app";
import { AggregatorApp, type AggregatorPorts } from "../../modules/app/aggregator-app";
import { dayAheadPrices } from "../../modules/app/demo-household";
import { JournaledFrontEnd } from "../../modules/app/journaled-front-end";
import { DisplayApp } from "../../modules/ui/display-app";
import { rgb565, type Canvas } from "../../modules/ui/canvas";
import { SimFrontEnd } from "../../hosts/lin/sim-front-end";
import { simCanNetwork, simNetworkKey } from "../../hosts/lin/can-network";

export const START = Date.UTC(2026, 2, 20, 12);

/** Native Poco's place: counts the app's drawing calls, keeps no pixels. */
export class CountingCanvas implements Canvas {
  readonly width = 320;
  readonly height = 240;
  calls = 0;
  makeColor(r: number, g: number, b: number): number { return rgb565(r, g, b); }
  begin(): void { this.calls++; }
  end(): void { this.calls++; }
  clip(): boolean { this.calls++; return true; }
  fillRectangle(): void { this.calls++; }
  blendRectangle(): void { this.calls++; }
  drawBitmap(): void { this.calls++; }
  drawMonochrome(): void { this.calls++; }
  drawGray(): void { this.calls++; }
}

function load(id: number) {
  return (now: number) => ({ voltageV: 230 + 2 * Math.sin(now / 60_000 + id), currentA: 2 + id + Math.sin(now / 30_000 + id), phaseRad: 0.1 * id, frequencyHz: 50 });
}

export function slaves(clock: VirtualClock, ids: number[]): SlaveApp[] {
  return ids.map((id) => {
    const fe = new JournaledFrontEnd(new SimFrontEnd(load(id), clock.now()), new RamFlash(8 * 4096), clock.now(), { periodMs: 5_000, thresholdWh: 1 });
    return new SlaveApp(clock, fe, { id, measurePeriodMs: 1000 });
  });
}

export function aggregator(clock: VirtualClock, ids: number[]) {
  const apps = slaves(clock, ids);
  const { master, link } = simCanNetwork(clock, apps, simNetworkKey(7));
  for (const s of apps) s.start();
  const relays = new Map<string, boolean>();
  const ports: AggregatorPorts = {
    setRelay: (id, on) => void relays.set(id, on),
    relay: (id) => relays.get(id) ?? true,
    loadPowerW: () => 0,
    prices: (t) => dayAheadPrices(t - (t % 86_400_000)),
    grid: (t) => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: t, pricesStale: false }),
  };
  const canvas = new CountingCanvas();
  const ui: { display?: DisplayApp; renders: number } = { renders: 0 };
  const app = new AggregatorApp(clock, link, ports, { slaveIds: ids, loads: [], pollPeriodMs: 1000, display: { render: () => { ui.display?.render(); ui.renders++; } } });
  ui.display = new DisplayApp(canvas, app.store, clock, { width: canvas.width, height: canvas.height });
  app.start();
  return { app, master, link, canvas, ui };
}
