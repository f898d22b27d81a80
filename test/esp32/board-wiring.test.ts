// hosts/esp32's start-up wiring, on the host against the fake chips: which CAN
// controller mc/config selects and the authenticated protocol over two
// MCP2515s, the slave's energy journal across reboots and power cuts, the
// stored calibration in the STPM3x's calibrators, the partition layout, and
// the touch driver → display gestures.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { CODES } from "../../modules/core/obis";
import type { CanPort } from "../../modules/can/can-port";
import { SlaveApp } from "../../modules/app/slave-app";
import { emptyReadings, type MeterFrontEnd, type MeterReadings } from "../../modules/app/readings";
import { AggregatorApp, type AggregatorPorts } from "../../modules/app/aggregator-app";
import { dayAheadPrices, DemoHousehold } from "../../modules/app/demo-household";
import { FlashCounterStore } from "../../modules/secure/counter-store";
import { CalibrationStore } from "../../modules/metrology/calibration-store";
import { DisplayApp } from "../../modules/ui/display-app";
import { RasterCanvas } from "../../modules/ui/raster-canvas";
import { NorFlashSim, PowerCut } from "../../hosts/node/flash/nor-flash-sim";
import { boardConfig } from "../../hosts/esp32/board-config";
import { aggregatorLink, MCP2515_SPI_HZ, openCan, slaveAnswers, type CanHardware, type CanSpiOptions } from "../../hosts/esp32/can-wiring";
import { JournaledFrontEnd } from "../../modules/app/journaled-front-end";
import { applyStoredCalibration } from "../../hosts/esp32/board-calibration";
import { boardAreas } from "../../hosts/esp32/partition-layout";
import { mapTouch, TouchInput, type Rotation } from "../../hosts/esp32/touch-input";
import { Stpm3x } from "../../hosts/esp32/stpm3x";
import { STPM } from "../../hosts/esp32/stpm3x-registers";
import { StpmFrontEnd } from "../../hosts/esp32/stpm-front-end";
import { FakeMcp2515 } from "./fakes/fake-mcp2515";
import { FakeStpm3x } from "./fakes/fake-stpm3x";
import { NodeCryptCipher } from "./fakes/node-crypt-cipher";
import { cryptAes } from "../../hosts/esp32/crypt-aes";

/** A board's CAN hardware made of fake MCP2515s; records what main.ts would open. */
class FakeBoard implements CanHardware {
  readonly chips: FakeMcp2515[] = [];
  readonly spiOptions: CanSpiOptions[] = [];
  readonly interrupts: { pin: number; onLow: () => void; chip: FakeMcp2515 }[] = [];
  readonly twaiCalls: unknown[][] = [];
  spi(options: CanSpiOptions) {
    this.spiOptions.push(options);
    const chip = new FakeMcp2515();
    this.chips.push(chip);
    return chip;
  }
  interrupt(pin: number, onLow: () => void) {
    const chip = this.chips[this.chips.length - 1];
    this.interrupts.push({ pin, onLow, chip });
    return () => chip.intPinLow;
  }
  twai(pins: { tx: number; rx: number }, bitrate: number): CanPort {
    this.twaiCalls.push([pins, bitrate]);
    return { send: () => true, onFrame: () => {} };
  }
}

/** The wire between fake chips: frames each one transmitted reach the others; INT low → the driver's service(). */
function pump(boards: FakeBoard[]): void {
  const all = boards.flatMap((b) => b.interrupts);
  for (let again = true, n = 0; again && n < 50; n++) {
    again = false;
    for (const i of all) {
      const before = i.chip.sent.length;
      i.chip.runBus();
      for (const f of i.chip.sent.slice(before)) for (const j of all) if (j !== i) j.chip.receive(f);
    }
    for (const i of all) if (i.chip.intPinLow) { i.onLow(); again = true; }
  }
}

const ports: AggregatorPorts = {
  setRelay: () => {},
  relay: () => true,
  loadPowerW: () => 0,
  prices: (t) => dayAheadPrices(t - (t % 86_400_000)),
  grid: (t) => ({ renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: t, pricesStale: true }),
};

class SteadyFrontEnd implements MeterFrontEnd {
  private readonly r: MeterReadings;
  constructor(readonly powerW: number, t0: number) { this.r = { ...emptyReadings(t0), voltageV: 230, currentA: powerW / 230, powerW, frequencyHz: 50 }; }
  measure(now: number): void {
    this.r.importWh += (this.powerW * (now - this.r.t)) / 3_600_000;
    this.r.t = now;
  }
  readings(): MeterReadings { return this.r; }
}

describe("esp32 CAN selection (mc/config xsmeter.can.controller)", () => {
  it("mcp2515: its own SPI device in mode 0, bit timing for 125 kbit/s from 8 MHz, normal mode, INT pin serviced", () => {
    const hw = new FakeBoard();
    const cfg = boardConfig({ can: { controller: "mcp2515", select: 27, interrupt: 34 }, spi: { clock: 14, out: 13, in: 12, port: 1 } });
    const port = openCan(cfg, hw);
    expect(port).toBeDefined();
    expect(hw.spiOptions).toEqual([{ clock: 14, out: 13, in: 12, select: 27, active: 0, hz: MCP2515_SPI_HZ, mode: 0, port: 1 }]);
    expect(MCP2515_SPI_HZ).toBeLessThanOrEqual(10_000_000); // the MCP2515's SPI limit
    expect(hw.interrupts.map((i) => i.pin)).toEqual([34]);
    const r = hw.chips[0].r;
    expect(r[0x0e] & 0xe0).toBe(0x00); // CANSTAT: normal mode
    // Bit time from the datasheet: TQ = 2·(BRP+1)/Fosc; bit = SyncSeg + PropSeg + PS1 + PS2 TQs.
    const brp = r[0x2a] & 0x3f, prop = (r[0x29] & 7) + 1, ps1 = ((r[0x29] >> 3) & 7) + 1, ps2 = (r[0x28] & 7) + 1;
    const tq = (2 * (brp + 1)) / 8e6;
    expect((1 + prop + ps1 + ps2) * tq).toBeCloseTo(1 / 125_000, 12);
    expect(r[0x29] & 0x80).toBe(0x80); // BTLMODE: PS2 from CNF3
  });

  it("services the MCP2515 again when INT is still low after a service (no new falling edge would come)", () => {
    const chip = new FakeMcp2515();
    let injected = false;
    const late = { id: 0x123, extended: false, rtr: false, dlc: 1, data: Uint8Array.of(7) };
    // A frame lands just after the driver read CANINTF = 0 and left its service loop.
    const spi = {
      transfer(b: Uint8Array) {
        chip.transfer(b);
        if (!injected && b[0] === 0x03 && b[1] === 0x2c && b[2] === 0 && got.length > 0) { injected = true; chip.receive(late); }
      },
      flush: (d?: boolean) => chip.flush(d),
    };
    let onLow = () => {};
    const hw: CanHardware = { spi: () => spi, interrupt: (_pin, cb) => { onLow = cb; return () => chip.intPinLow; }, twai: () => { throw new Error("no"); } };
    const port = openCan(boardConfig({ can: { controller: "mcp2515" } }), hw)!;
    const got: number[] = [];
    port.onFrame((f) => got.push(f.id));
    chip.receive({ id: 0x101, extended: false, rtr: false, dlc: 0, data: new Uint8Array(0) });
    expect(chip.intPinLow).toBe(true);
    onLow(); // the one falling edge
    expect(injected).toBe(true);
    expect(got).toEqual([0x101, 0x123]);
    expect(chip.intPinLow).toBe(false);
  });

  it("twai opens the ESP32 controller on the configured pins; none opens nothing", () => {
    const hw = new FakeBoard();
    expect(openCan(boardConfig({ can: { controller: "twai", tx: 5, rx: 4, bitrate: 500_000 } }), hw)).toBeDefined();
    expect(hw.twaiCalls).toEqual([[{ tx: 5, rx: 4 }, 500_000]]);
    expect(openCan(boardConfig({ can: { controller: "none" } }), hw)).toBeUndefined();
    expect(hw.spiOptions).toEqual([]);
    expect(() => boardConfig({ can: { controller: "sja1000" } })).toThrow(/controller/);
  });

  it("an aggregator and two slaves, each on its own MCP2515, poll and answer with authenticated frames (the aggregator and slave 9 through the board's native-AES adapter)", () => {
    const native = cryptAes(NodeCryptCipher);
    const callsBefore = NodeCryptCipher.calls;
    const clock = new VirtualClock(Date.UTC(2026, 10, 21));
    const key = new Uint8Array(16).map((_, i) => 17 * i + 3);
    const aggHw = new FakeBoard();
    const aggCfg = boardConfig({ role: "aggregator", slaveIds: [4, 9], can: { controller: "mcp2515" } });
    const { master, link } = aggregatorLink(openCan(aggCfg, aggHw)!, { clock, networkKey: key, store: new FlashCounterStore(new NorFlashSim({ size: 8192 })), slaveIds: aggCfg.slaveIds, cipher: native });
    const app = new AggregatorApp(clock, link, ports, { slaveIds: aggCfg.slaveIds, loads: [] });
    const slaveBoards: FakeBoard[] = [];
    const slaves = [4, 9].map((id) => {
      const hw = new FakeBoard();
      slaveBoards.push(hw);
      const slave = new SlaveApp(clock, new SteadyFrontEnd(100 * id, clock.now()), { id });
      slaveAnswers(openCan(boardConfig({ meterId: id, can: { controller: "mcp2515" } }), hw)!, id, key, new FlashCounterStore(new NorFlashSim({ size: 8192 })), () => slave.answer(), undefined, undefined, undefined, id === 9 ? native : undefined);
      slave.start();
      return slave;
    });
    app.start();
    clock.every(1, () => pump([aggHw, ...slaveBoards]));
    clock.advance(6_000);
    const meters = app.store.snapshot().meters.filter((m) => m.role === "slave");
    expect(meters.map((m) => [m.id, m.online])).toEqual([[4, true], [9, true]]);
    for (const s of slaves) {
      const m = meters.find((x) => x.id === s.id)!;
      expect(m.values[CODES.powerNet]).toBeCloseTo(100 * s.id, 0);
      expect(m.values[CODES.voltage[0]]).toBeCloseTo(230, 1);
    }
    expect(master.stats.accepted).toBeGreaterThan(50);
    expect(master.stats.authFailures).toBe(0);
    expect(NodeCryptCipher.calls - callsBefore).toBeGreaterThan(master.stats.accepted); // the master's checks went through it
    expect(aggHw.chips[0].sent.every((f) => f.rtr)).toBe(true); // the master only asks
    expect(slaveBoards[0].chips[0].sent.some((f) => !f.rtr && (f.id & 63) === 4)).toBe(true);
  });
});

describe("esp32 slave 10-min power-quality aggregates", () => {
  it("a metrology slave makes its 10-min aggregate and answers it over authenticated CAN to the aggregator", () => {
    const t0 = Date.UTC(2026, 10, 21); // a 10-min boundary
    const clock = new VirtualClock(t0);
    const key = new Uint8Array(16).map((_, i) => 5 * i + 1);
    const scales = { vRms: 0.01, iRms: 0.001, power: 0.5, energy: 0.25, vSample: 1, iSample: 1 };
    const chip = new FakeStpm3x();
    chip.live[STPM.RMS1] = (2000 << 15) | 23_100; // 231 V, 2 A
    const stpm = new StpmFrontEnd(new Stpm3x(chip, scales), scales.energy, t0, { nominalVoltage: 230, nominalFrequency: 50, snapshotRate: 6400, measurePeriodMs: 1000, meterId: 4 });
    const fe = new JournaledFrontEnd(stpm, boardAreas(new NorFlashSim({ size: 64 * 4096 })).journal, t0);
    const slave = new SlaveApp(clock, fe, { id: 4 });
    const slaveHw = new FakeBoard();
    slaveAnswers(openCan(boardConfig({ meterId: 4, can: { controller: "mcp2515" } }), slaveHw)!, 4, key, new FlashCounterStore(new NorFlashSim({ size: 8192 })), () => slave.answer(), () => slave.aggregate());
    const aggHw = new FakeBoard();
    const { link } = aggregatorLink(openCan(boardConfig({ role: "aggregator", slaveIds: [4], can: { controller: "mcp2515" } }), aggHw)!, { clock, networkKey: key, store: new FlashCounterStore(new NorFlashSim({ size: 8192 })), slaveIds: [4] });
    const app = new AggregatorApp(clock, link, ports, { slaveIds: [4], loads: [] });
    slave.start();
    app.start();
    let bus = false; // the bus runs only around the boundary (10 virtual minutes of frames would be slow)
    clock.every(1, () => { if (bus) pump([aggHw, slaveHw]); });
    clock.advance(590_000);
    expect(stpm.aggregate()).toBeUndefined();
    bus = true;
    clock.advance(20_000);
    const a = stpm.aggregate()!;
    expect(a).toBeDefined();
    expect([a.meterId, a.start, a.end]).toEqual([4, t0, t0 + 600_000]);
    expect(a.voltageV[0]).toBeCloseTo(231, 6);
    expect(a.currentA[0]).toBeCloseTo(2, 6);
    const got = app.store.aggregates().find((x) => x.meterId === 4);
    expect(got).toBeDefined();
    expect([got!.start, got!.end]).toEqual([a.start, a.end]);
    expect(got!.voltageV[0]).toBeCloseTo(231, 3);
  });
});

describe("esp32 slave energy journal (JournaledFrontEnd on NorFlashSim)", () => {
  const scales = { vRms: 0.01, iRms: 0.001, power: 0.5, energy: 0.25, vSample: 1, iSample: 1 };

  function board(flash: NorFlashSim, chip: FakeStpm3x, t: number) {
    return new JournaledFrontEnd(new StpmFrontEnd(new Stpm3x(chip, scales), scales.energy, t), boardAreas(flash).journal, t, { periodMs: 60_000, thresholdWh: 10 });
  }

  it("restores import and export at boot, within the write policy of the truth and never above it", () => {
    const flash = new NorFlashSim({ size: 32 * 4096 });
    const chip = new FakeStpm3x();
    let t = 0, raw = 0;
    let fe = board(flash, chip, t);
    expect([fe.boot.valid, fe.boot.importWh, fe.boot.exportWh]).toEqual([0, 0, 0]);
    let trueImport = 0, trueExport = 0;
    const step = (lsb: number) => {
      raw = (raw + lsb) >>> 0;
      chip.live[STPM.PH1_ACTIVE_ENERGY] = raw;
      t += 1000;
      fe.measure(t);
      if (lsb > 0) trueImport += lsb * scales.energy; else trueExport -= lsb * scales.energy;
    };
    fe.measure(t);
    for (let i = 0; i < 300; i++) step(i % 50 < 40 ? 7 : -5); // 1.75 Wh in, then 1.25 Wh out per second
    expect(fe.readings().importWh).toBeCloseTo(trueImport, 6);
    expect(fe.readings().exportWh).toBeCloseTo(trueExport, 6);
    // Reboot: a new chip (its energy counter restarts) on the same flash.
    const chip2 = new FakeStpm3x();
    fe = board(flash, chip2, t);
    expect(fe.boot.valid).toBeGreaterThan(0);
    expect(fe.boot.importWh).toBeLessThanOrEqual(trueImport + 1e-9);
    expect(fe.boot.importWh).toBeGreaterThanOrEqual(trueImport - 10);
    expect(fe.boot.exportWh).toBeLessThanOrEqual(trueExport + 1e-9);
    expect(fe.boot.exportWh).toBeGreaterThanOrEqual(trueExport - 10);
    expect(fe.readings().importWh).toBe(fe.boot.importWh); // the slave's answer continues from there
  });

  it("a power cut at any byte of a snapshot write loses at most the last snapshot's energy", () => {
    for (const cutAt of [0, 1, 5, 17, 64, 100, 127, 300]) {
      const flash = new NorFlashSim({ size: 32 * 4096 });
      const chip = new FakeStpm3x();
      let t = 0, raw = 0;
      const fe = board(flash, chip, t);
      fe.measure(t);
      let lastWritten = 0;
      let cutSeen = false;
      for (let i = 0; i < 200 && !cutSeen; i++) {
        raw += 9; // 2.25 Wh per second: a snapshot every ~5 s (threshold 10 Wh)
        chip.live[STPM.PH1_ACTIVE_ENERGY] = raw;
        t += 1000;
        if (i === 100) flash.cutAfterBytes(cutAt);
        try {
          fe.measure(t);
          if (fe.store.pendingWh() === 0) lastWritten = fe.readings().importWh;
        } catch (e) {
          expect(e).toBeInstanceOf(PowerCut);
          cutSeen = true;
        }
      }
      expect(cutSeen, `cut at byte ${cutAt}`).toBe(true);
      flash.reboot();
      const back = board(flash, new FakeStpm3x(), t);
      expect(back.boot.importWh, `cut at byte ${cutAt}`).toBeGreaterThanOrEqual(lastWritten - 1e-9);
      expect(back.boot.importWh).toBeLessThanOrEqual(raw * scales.energy + 1e-9);
      expect(back.boot.exportWh).toBe(0);
    }
  });
});

describe("esp32 calibration at boot (CalibrationStore → STPM3x calibrators)", () => {
  const scales = { vRms: 0.01, iRms: 0.001, power: 0.5, energy: 0.25, vSample: 1, iSample: 1 };
  const phase = (u: number, i: number, phaseDeg = 0, offset = 0) => ({ u: { gain: u, offset }, i: { gain: i, offset: 0 }, phaseDeg });

  it("writes CHV1/CHC1 for the stored gains, keeps the threshold bits, and the readings come out scaled", () => {
    const flash = new NorFlashSim({ size: 32 * 4096 });
    const store = new CalibrationStore(boardAreas(flash).calibration);
    store.save([phase(1.02, 0.99, 0.3)]);
    const chip = new FakeStpm3x();
    const stpm = new Stpm3x(chip, scales);
    const line = applyStoredCalibration(new CalibrationStore(boardAreas(flash).calibration), stpm);
    // Datasheet: gain = 0.875 + CHx / 2^14.
    const chv = Math.round((1.02 - 0.875) * 2 ** 14), chc = Math.round((0.99 - 0.875) * 2 ** 14);
    expect(chip.regs[0x08 / 2]).toBe((0x003ff000 | chv) >>> 0);
    expect(chip.regs[0x0a / 2]).toBe((0x003ff000 | chc) >>> 0);
    expect(line).toMatch(/#1 applied/);
    expect(line).toMatch(/phase 0.3° not applied/);
    chip.live[STPM.RMS1] = (10_000 << 15) | 23_000;
    chip.live[STPM.PH1_ACTIVE_POWER] = 4000;
    const r = stpm.readChannel1({ vRms: 0, iRms: 0, activePower: 0, reactivePower: 0, apparentPower: 0, activeEnergyRaw: 0, reactiveEnergyRaw: 0 });
    expect(r.vRms).toBeCloseTo(230 * 1.02, 1);
    expect(r.iRms).toBeCloseTo(10 * 0.99, 2);
    expect(r.activePower).toBeCloseTo(2000 * 1.02 * 0.99, 0);
  });

  it("leaves the chip at unity for no record, a torn record, or a gain the chip cannot apply", () => {
    const flash = new NorFlashSim({ size: 32 * 4096 });
    const area = boardAreas(flash).calibration;
    const chip = new FakeStpm3x();
    const stpm = new Stpm3x(chip, scales);
    expect(applyStoredCalibration(new CalibrationStore(area), stpm)).toMatch(/no calibration stored.*calibrators at 1.000/);
    new CalibrationStore(area).save([phase(1.2, 1)]);
    expect(applyStoredCalibration(new CalibrationStore(area), stpm)).toMatch(/not applied: .*1\.2 outside/);
    expect(chip.regs[0x08 / 2] & 0xfff).toBe(0x800);
    flash.cutAfterBytes(30); // the next save is torn: the previous record stays the newest valid one
    expect(() => new CalibrationStore(area).save([phase(1.05, 1.05)])).toThrow(PowerCut);
    flash.reboot();
    expect(applyStoredCalibration(new CalibrationStore(area), stpm)).toMatch(/#1 not applied/);
    expect(chip.regs[0x0a / 2] & 0xfff).toBe(0x800);
  });
});

describe("esp32 configuration keys added for the wiring", () => {
  it("defaults, and clear errors for values the board cannot use", () => {
    const c = boardConfig({});
    expect([c.journalSectors, c.journalPeriodMs, c.journalThresholdWh, c.display, c.longPressMs, c.metrology, c.nominalVoltage, c.nominalFrequency, c.stpm.snapshotRate, c.touchRotation]).toEqual([32, 60_000, 10, true, 600, true, 230, 50, 6400, undefined]);
    expect(boardConfig({ stpm: { select: 25 } }).stpm.snapshotRate).toBe(6400); // grouped keys merge one level deep
    expect(() => boardConfig({ touchRotation: 45 })).toThrow(/touchRotation/);
    expect(() => boardConfig({ nominalFrequency: 400 })).toThrow(/nominalFrequency/);
    expect(() => boardConfig({ journalThresholdWh: 0 })).toThrow(/journal/);
  });

  it("the journal wrapper passes the metrology path's events and aggregate through", () => {
    const scales = { vRms: 0.01, iRms: 0.001, power: 0.5, energy: 0.25, vSample: 1, iSample: 1 };
    const chip = new FakeStpm3x();
    const stpm = new StpmFrontEnd(new Stpm3x(chip, scales), scales.energy, 0, { nominalVoltage: 230, nominalFrequency: 50, snapshotRate: 6400, measurePeriodMs: 200 });
    const fe = new JournaledFrontEnd(stpm, boardAreas(new NorFlashSim({ size: 32 * 4096 })).journal, 0);
    chip.live[STPM.RMS1] = (1000 << 15) | 23_000; // 230 V
    for (let k = 1; k <= 20; k++) fe.measure(k * 200);
    chip.live[STPM.RMS1] = (1000 << 15) | 11_500; // 115 V: a dip
    for (let k = 21; k <= 30; k++) fe.measure(k * 200);
    chip.live[STPM.RMS1] = (1000 << 15) | 23_000;
    for (let k = 31; k <= 40; k++) fe.measure(k * 200);
    expect(fe.readings().dips).toBe(1);
    expect(fe.readings().dips).toBe(stpm.readings().dips);
    expect(fe.aggregate()).toBe((stpm as MeterFrontEnd).aggregate?.());
  });
});

describe("esp32 journal partition layout", () => {
  it("splits the 896 KiB xsjournal into journal, cloud, calibration and counters without overlap", () => {
    const flash = new NorFlashSim({ size: 896 * 1024 });
    const a = boardAreas(flash);
    expect(a.journal.size).toBe(196 * 4096); // 224 − 24 cloud − 2 calibration − 2 counters
    expect(a.calibration.size).toBe(2 * 4096);
    expect(a.counters.size).toBe(2 * 4096);
    // Erasing every sector of one area leaves the others' bytes alone.
    const mark = (f: typeof a.journal) => f.program(f.size - 4096, Uint8Array.of(0x5a));
    mark(a.journal); mark(a.calibration); mark(a.counters);
    for (let s = 0; s < a.calibration.size / 4096; s++) a.calibration.eraseSector(s);
    const b = new Uint8Array(1);
    a.journal.read(a.journal.size - 4096, b); expect(b[0]).toBe(0x5a);
    a.counters.read(a.counters.size - 4096, b); expect(b[0]).toBe(0x5a);
    a.calibration.read(a.calibration.size - 4096, b); expect(b[0]).toBe(0xff);
    expect(() => boardAreas(new NorFlashSim({ size: 5 * 4096 }))).toThrow(/too small/);
    // The board's default ring: 32 sectors; the stores at the end stay where they are.
    const b32 = boardAreas(flash, boardConfig({}).journalSectors);
    expect(b32.journal.size).toBe(32 * 4096);
    b32.counters.read(b32.counters.size - 4096, b); expect(b[0]).toBe(0x5a);
    expect(() => boardAreas(flash, 197)).toThrow(/journalSectors 197/);
    expect(() => boardAreas(flash, 1)).toThrow(/journalSectors 1/);
  });
});

describe("esp32 touch → display", () => {
  // The SDK's Piu setup (build/devices/esp32/setup/piu.js) rotates points like this; width/height after rotation.
  const piu: Record<number, (p: { x: number; y: number }, w: number, h: number) => void> = {
    90: (p, _w, h) => { const x = p.x; p.x = p.y; p.y = h - x; },
    180: (p, w, h) => { p.x = w - p.x; p.y = h - p.y; },
    270: (p, w) => { const x = p.x; p.x = w - p.y; p.y = x; },
  };

  it("maps raw points for each rotation as the SDK does, clamped onto the display", () => {
    for (const rot of [0, 90, 180, 270] as Rotation[]) {
      for (const [x, y] of [[10, 20], [100, 7], [200, 150]]) {
        const p = { x, y };
        piu[rot]?.(p, 320, 240);
        const want = { x: Math.min(319, Math.max(0, p.x)), y: Math.min(239, Math.max(0, p.y)) };
        expect(mapTouch(x, y, rot, 320, 240), `${rot} ${x},${y}`).toEqual(want);
      }
    }
    expect(mapTouch(-5, 999, 0, 320, 240)).toEqual({ x: 0, y: 239 });
  });

  function display() {
    const clock = new VirtualClock(Date.UTC(2026, 10, 21, 12));
    const app = new DisplayApp(new RasterCanvas(320, 240), new DemoHousehold(clock).store, clock, { width: 320, height: 240, longPressMs: 600 });
    app.render();
    return { clock, app };
  }

  it("an FT6206-style driver's down/move/up become a swipe that changes screen", () => {
    const { app } = display();
    // Older SDK drivers fill point.state: 1 down, 2 moved, 3 up, 0 nothing.
    const script = [{ state: 1, x: 250, y: 120 }, { state: 2, x: 200, y: 122 }, { state: 2, x: 120, y: 125 }, { state: 3, x: 120, y: 125 }, { state: 0 }];
    let k = 0;
    const driver = { read(points: { state: number; x?: number; y?: number }[]) { Object.assign(points[0], script[k++]); } };
    const input = new TouchInput(app, 0, 320, 240);
    expect(app.current).toBe("home");
    for (let i = 0; i < script.length; i++) input.pollLegacy(driver);
    expect(app.current).toBe("power"); // swipe left: next screen
  });

  it("an ECMA-419 sensor's samples become taps, long presses and swipes (rotated 180°)", () => {
    const { clock, app } = display();
    const seq: ({ x: number; y: number }[] | undefined)[] = [];
    const sensor = { sample: () => seq.shift() };
    const input = new TouchInput(app, 180, 320, 240);
    const events: string[] = [];
    const spy = { pointerDown: (x: number, y: number) => { events.push(`down ${x},${y}`); app.pointerDown(x, y); }, pointerMove: (x: number, y: number) => { events.push(`move ${x},${y}`); app.pointerMove(x, y); }, pointerUp: (x: number, y: number) => { events.push(`up ${x},${y}`); app.pointerUp(x, y); } };
    const traced = new TouchInput(spy, 180, 320, 240);
    // Raw (60, 120) rotated 180° on 320×240 is (260, 120); dragging raw x up to 200 moves the finger left on screen.
    seq.push([{ x: 60, y: 120 }], [{ x: 130, y: 120 }], [{ x: 200, y: 118 }], undefined);
    for (let i = 0; i < 4; i++) traced.pollSensor(sensor);
    expect(events).toEqual(["down 260,120", "move 190,120", "move 120,122", "up 120,122"]);
    expect(app.current).toBe("power");
    // A press held 700 ms without moving is a long press, not a swipe: the screen stays.
    seq.push([{ x: 160, y: 120 }]);
    input.pollSensor(sensor);
    clock.advance(700);
    seq.push(undefined);
    input.pollSensor(sensor);
    expect(app.current).toBe("power");
    // Stray samples with nothing down change nothing.
    seq.push(undefined, undefined);
    input.pollSensor(sensor);
    input.pollSensor(sensor);
    expect(app.current).toBe("power");
  });
});
