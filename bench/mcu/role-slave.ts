// bench:mcu role: one slave for MINUTES of virtual time, wired as hosts/esp32/main.ts's startSlave
// wires it on the board: the STPM3x front end (the driver over a fake chip on SPI) with the
// metrology room's board path (windows, events, aggregates, waveform snapshots from a capture that
// stands in for the native one), the energy journal in flash, calibration restored from flash, and
// the CAN slave (slaveAnswers, the native AES) answering an authenticated poll every second. Outside
// the role, as peers: the polling master (CanMaster + CanLink, as the aggregator runs them) and the
// chip. Flash lives in the harness's C memory.
import { VirtualClock } from "../../modules/core/virtual-clock";
import { MINUTE } from "../../modules/core/clock";
import { SlaveApp } from "../../modules/app/slave-app";
import { JournaledFrontEnd } from "../../modules/app/journaled-front-end";
import { CalibrationStore } from "../../modules/metrology/calibration-store";
import { FlashCounterStore } from "../../modules/secure/counter-store";
import { boardConfig } from "../../hosts/esp32/board-config";
import { boardAreas } from "../../hosts/esp32/partition-layout";
import { slaveAnswers } from "../../hosts/esp32/can-wiring";
import { applyStoredCalibration } from "../../hosts/esp32/board-calibration";
import { Stpm3x } from "../../hosts/esp32/stpm3x";
import { STPM } from "../../hosts/esp32/stpm3x-registers";
import { StpmFrontEnd } from "../../hosts/esp32/stpm-front-end";
import { SimCanBus } from "../../hosts/lin/sim-can-bus";
import { simNetworkKey } from "../../hosts/lin/can-network";
import { FakeStpm3x } from "../../test/esp32/fakes/fake-stpm3x";
import { START } from "./role-common";
import { BoardFlash, boardAes, resetPeaks, sampleLive, stage } from "./mcu-host";
import { pollingMaster } from "./peers";

/** Ten virtual minutes (issue 19). */
export const MINUTES = 10;
/** A collection and census every 5 virtual seconds (on the emulator only): the live-data peak between callbacks. */
const SAMPLE_MS = 5000;
const ID = 4;
/**
 * The metrology budget (computrons/s) of this run: a tenth of the board's 500 k, so a snapshot
 * (≈0.7 M computrons, 2048-point FFT) comes every ≈15 s instead of every ≈1.5 s — the same buffers
 * and the same garbage per snapshot, ten times fewer of them, to keep ten minutes emulable.
 */
const BUDGET = 50_000;

/** The chip's DSP: 230 V ± 2, 5 A ± 1, its energy register moving with the power each second. */
function driveChip(chip: FakeStpm3x, clock: VirtualClock, scales: { vRms: number; iRms: number; power: number; energy: number }): void {
  let energy = 0;
  const update = (): void => {
    const t = clock.now();
    const v = 230 + 2 * Math.sin(t / 60_000), i = 5 + Math.sin(t / 30_000), w = v * i * 0.95;
    chip.live[STPM.RMS1] = ((Math.round(i / scales.iRms) << 15) | Math.round(v / scales.vRms)) >>> 0;
    chip.live[STPM.PH1_ACTIVE_POWER] = Math.round(w / scales.power);
    energy = (energy + Math.round(w / 3600 / scales.energy)) >>> 0;
    chip.live[STPM.PH1_ACTIVE_ENERGY] = energy;
  };
  update();
  clock.every(1000, update);
}

/** Stands in for the native snapshot capture (hosts/esp32/snapshot: C fills the buffers, no JS per sample). */
function syntheticCapture(rate: number): (u: Float32Array, i: Float32Array, n: number) => boolean {
  let k0 = 0;
  return (u, i, n) => {
    const w = (2 * Math.PI * 50) / rate;
    for (let k = 0; k < n; k++) {
      const x = w * (k0 + k);
      u[k] = 325 * (Math.sin(x) + 0.04 * Math.sin(5 * x));
      i[k] = 7 * (Math.sin(x - 0.3) + 0.15 * Math.sin(3 * x));
    }
    k0 += n;
    return true;
  };
}

export function run(): unknown {
  const clock = new VirtualClock(START);
  const flash = new BoardFlash();
  const key = simNetworkKey(7);
  const bus = new SimCanBus(clock);
  const { master, link } = pollingMaster(bus.node(), [ID], key, clock, flash);
  const fake = new FakeStpm3x();
  const cfg = boardConfig({ role: "slave", meterId: ID });
  driveChip(fake, clock, cfg.stpm);
  stage("peers");

  const areas = boardAreas(flash.take(64 * 4096), cfg.journalSectors);
  const chip = new Stpm3x(fake, cfg.stpm);
  const calibration = applyStoredCalibration(new CalibrationStore(areas.calibration), chip);
  const now = clock.now();
  const metrology = { nominalVoltage: cfg.nominalVoltage, nominalFrequency: cfg.nominalFrequency, snapshotRate: cfg.stpm.snapshotRate, measurePeriodMs: cfg.measurePeriodMs, meterId: cfg.meterId, capture: syntheticCapture(cfg.stpm.snapshotRate), budget: BUDGET };
  const stpm = new StpmFrontEnd(chip, cfg.stpm.energy, now, metrology);
  const frontEnd = new JournaledFrontEnd(stpm, areas.journal, now, { periodMs: cfg.journalPeriodMs, thresholdWh: cfg.journalThresholdWh });
  const slave = new SlaveApp(clock, frontEnd, { id: cfg.meterId, measurePeriodMs: cfg.measurePeriodMs });
  let alarms = 0;
  const can = slaveAnswers(bus.node(), cfg.meterId, key, new FlashCounterStore(areas.counters), () => slave.answer(), () => slave.aggregate(), clock, () => void alarms++, boardAes);
  slave.start();
  stage("loaded");
  resetPeaks();
  sampleLive(clock, SAMPLE_MS);

  clock.advance(MINUTES * MINUTE + 5000); // and the 10-min aggregates fetched just after the boundary
  stage("end");
  const r = slave.answer();
  return {
    minutes: MINUTES,
    calibration,
    cycles: link.stats().cycles,
    accepted: master.stats.accepted,
    authFailures: master.stats.authFailures,
    answers: can.stats.answers,
    importWh: Math.round(r.importWh * 1000) / 1000,
    voltageV: Math.round(r.voltageV * 100) / 100,
    thdVoltagePct: Math.round(r.thdVoltagePct * 100) / 100,
    pqFetched: link.aggregate(ID) !== undefined,
    alarms,
  };
}
