import { AggregatorApp, type LoadInfo } from "../../../modules/app/aggregator-app";
import { DirectLink } from "../../../modules/app/direct-link";
import { SlaveApp } from "../../../modules/app/slave-app";
import type { Clock } from "../../../modules/core/clock";
import { DAY } from "../../../modules/core/clock";
import { PipelineFrontEnd, PowerFrontEnd, SampleFrontEnd } from "./front-end";
import { RecordingFrontEnd } from "./recording-front-end";
import type { Recording } from "../recordings/recording";
import type { GridOptions } from "./grid";
import { GridStatusFeed, PriceFeed, SLOT_MS } from "./price-feed";
import { EvCharger, WashingMachine } from "./loads";
import { World } from "./world";
import { CanLink, slaveReader } from "../../../modules/app/can-link";
import type { SlaveLink } from "../../../modules/app/readings";
import { CanMaster } from "../../../modules/can/master";
import { CanSlave } from "../../../modules/can/slave";
import { authFailureAlarms } from "../../../modules/app/auth-alarms";
import type { CanFrame, CanPort } from "../../../modules/can/can-port";
import { FlashCounterStore } from "../../../modules/secure/counter-store";
import { NorFlashSim } from "../flash/nor-flash-sim";
import { VirtualCanBus } from "../can/virtual-bus";
import { Prng } from "./prng";
import { LoadController, type LoadConfig } from "../../../modules/control/controller";
import type { PqAggregate } from "../../../modules/core/household";
import type { Flash } from "../../../modules/core/ports";
import type { MeterFrontEnd } from "../../../modules/app/readings";
import { JournaledFrontEnd } from "../../../modules/app/journaled-front-end";

/**
 * The whole simulated household network on one clock: the world (stepped
 * every second), N slave meters, the link between them and the aggregator,
 * the price feed and grid status. Used by `xsmeter sim` in both modes and by
 * the tests. It also keeps a reference meter at the grid connection (the
 * world's own net energy per price slot), independent of the meters, the link
 * and the aggregator, so a test can check the bill against it.
 */
export interface HouseholdSimOptions {
  seed: number;
  slaves: number;
  /** "power": per-second powers (fast); "samples": 12-bit samples, RMS and P from them. */
  frontEnd?: "power" | "samples" | "pipeline";
  /** "can": the CAN room's master/slaves on the bit-timed virtual bus; "direct": in memory (fast). */
  link?: "direct" | "can";
  /** "controller": the control room's LoadController (default); "seam": the app's small policy seam. */
  policy?: "controller" | "seam";
  grid?: GridOptions;
  /** This meter measures a recording's samples (looped) instead of the generator's (issue 9). */
  recording?: { meterId: number; recording: Recording };
  /**
   * Each slave's flash for its energy journal (JournaledFrontEnd, as on the board): its import/export
   * counters then continue where the previous run left them instead of restarting at 0, so an
   * aggregator that restored its booking (SimMeter) books deltas, not a "counters went back" alarm.
   */
  slaveFlash?: (meterId: number) => Flash;
}

export interface ReferenceSlot {
  start: number;
  importWh: number;
  exportWh: number;
}

export class HouseholdSim {
  readonly world: World;
  readonly prices: PriceFeed;
  readonly status: GridStatusFeed;
  readonly slaves: SlaveApp[] = [];
  readonly direct = new DirectLink();
  readonly link: SlaveLink;
  /** With link "can": the bus, the master and each slave's gate (off the bus = deaf and mute). */
  readonly bus: VirtualCanBus | undefined;
  readonly master: CanMaster | undefined;
  readonly gates = new Map<number, GatedPort>();
  readonly networkKey: Uint8Array;
  readonly aggregator: AggregatorApp;
  readonly reference = new Map<number, ReferenceSlot>();
  /** Every 10-min aggregate the aggregator received, in arrival order (for the report's PQ summary). */
  readonly pqHistory: PqAggregate[] = [];
  readonly startedAt: number;
  private tickTimer: number | undefined;
  /** The slaves' energy journals (with options.slaveFlash), written once more at stop. */
  readonly journals: JournaledFrontEnd[] = [];
  private lastNetJob = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    readonly options: HouseholdSimOptions,
  ) {
    this.startedAt = clock.now();
    this.world = new World({ seed: options.seed, slaves: options.slaves, grid: options.grid });
    this.prices = new PriceFeed(options.seed, this.world.weather);
    this.status = new GridStatusFeed(options.seed, this.prices);
    for (let id = 1; id <= options.slaves; id++) {
      const fe =
        options.recording?.meterId === id ? new RecordingFrontEnd(options.recording.recording, id, this.startedAt)
        : options.frontEnd === "pipeline" ? new PipelineFrontEnd(this.world, id, this.startedAt)
        : options.frontEnd === "samples" ? new SampleFrontEnd(this.world, id, this.startedAt)
        : new PowerFrontEnd(this.world, id, this.startedAt);
      const flash = options.slaveFlash?.(id);
      const journaled = flash ? new JournaledFrontEnd(fe, flash, this.startedAt) : undefined;
      if (journaled) this.journals.push(journaled);
      const slave = new SlaveApp(clock, journaled ?? (fe as MeterFrontEnd), { id });
      this.slaves.push(slave);
      this.direct.attach(slave);
    }
    // One network key per household (from the seed); each node's key is derived from it.
    const keyRng = new Prng(options.seed, "network-key");
    this.networkKey = new Uint8Array(16).map(() => keyRng.int(0, 255));
    if (options.link === "can") {
      const bus = new VirtualCanBus(clock, { bitRate: 125_000 });
      this.bus = bus;
      this.master = new CanMaster(bus.attach("aggregator"), {
        clock,
        networkKey: this.networkKey,
        store: new FlashCounterStore(new NorFlashSim({ size: 8192 })),
        slaves: this.slaves.map((s) => s.id),
        timeoutMs: 20,
        onAuthFailure: authFailureAlarms((a) => this.aggregator.raise(a), clock),
      });
      for (const slave of this.slaves) {
        const gate = new GatedPort(bus.attach(`slave${slave.id}`));
        this.gates.set(slave.id, gate);
        new CanSlave(gate, { node: slave.id, networkKey: this.networkKey, store: new FlashCounterStore(new NorFlashSim({ size: 8192 })), read: slaveReader(slave), clock: this.clock });
      }
      this.link = new CanLink(this.master, () => bus.load());
    } else {
      this.bus = undefined;
      this.master = undefined;
      this.link = this.direct;
    }
    const loads: LoadInfo[] = this.world.loads.map((l) => ({ id: l.spec.id, name: l.spec.name, meterId: l.spec.meterId, kind: l.spec.kind, priority: l.spec.priority, contiguous: l instanceof WashingMachine }));
    const controller = options.policy === "seam" ? undefined : new LoadController(clock, { limitW: 11_000 });
    if (controller) {
      for (const l of this.world.loads) {
        if (l.spec.kind === "generator") continue; // a PV inverter is not a heat-led co-generator
        const cfg: LoadConfig = { id: l.spec.id, name: l.spec.name, meterId: l.spec.meterId, kind: l.spec.kind, powerW: l.spec.ratedW, priority: l.spec.priority };
        if (l.spec.id === "heatpump") Object.assign(cfg, { maxPriceMinorPerKWh: 30, minRenewableShare: 0.6, fallbackOn: true, minOnMs: 15 * 60_000, minOffMs: 15 * 60_000 });
        // A deferrable load's relay stays open until the controller starts its run.
        if (l.spec.kind === "deferrable") l.relayOn = false;
        controller.addLoad(cfg, { set: (on) => { l.relayOn = on; }, get: () => l.relayOn });
      }
    }
    this.aggregator = new AggregatorApp(clock, this.link, {
      setRelay: (id, on) => {
        const l = this.world.load(id);
        if (l) l.relayOn = on;
      },
      relay: (id) => this.world.load(id)?.relayOn ?? false,
      loadPowerW: (id) => this.world.load(id)?.powerW ?? 0,
      prices: (t) => this.prices.published(t),
      grid: (t) => this.status.state(t, this.world.thermalDemandW(t)),
    }, { slaveIds: this.slaves.map((s) => s.id), loads, controller });
    const pqSeen = new Map<number, number>();
    this.aggregator.store.onChange(() => {
      for (const a of this.aggregator.store.aggregates()) {
        if (a.end <= (pqSeen.get(a.meterId) ?? -Infinity)) continue;
        pqSeen.set(a.meterId, a.end);
        this.pqHistory.push(a);
      }
    });
  }

  /** Starts the world's one-second step, the slaves, then the aggregator (this order each second). */
  start(): void {
    this.world.step(this.clock.now());
    this.tickTimer = this.clock.every(1000, () => this.tick());
    for (const s of this.slaves) s.start();
    this.aggregator.start();
  }

  stop(): void {
    if (this.tickTimer !== undefined) this.clock.cancel(this.tickTimer);
    for (const s of this.slaves) s.stop();
    for (const j of this.journals) j.flush(this.clock.now()); // a planned stop loses nothing
    this.aggregator.stop();
  }

  private tick(): void {
    const now = this.clock.now();
    this.world.step(now);
    this.askForJobs(now);
    // Reference meter at the grid connection: the household's net power over the past second.
    let net = 0;
    for (let id = 1; id <= this.options.slaves; id++) net += this.world.meterPower(id).p;
    const slotStart = Math.floor((now - 1) / SLOT_MS) * SLOT_MS;
    let r = this.reference.get(slotStart);
    if (!r) {
      r = { start: slotStart, importWh: 0, exportWh: 0 };
      this.reference.set(slotStart, r);
    }
    if (net >= 0) r.importWh += net / 3600;
    else r.exportWh += -net / 3600;
  }

  /** The household tells the aggregator about new jobs (as a user would on the page). */
  private askForJobs(now: number): void {
    for (const l of this.world.loads) {
      const job = l.job;
      if (!job || job.requestedAt > now || this.lastNetJob.get(l.spec.id) === job.requestedAt) continue;
      if (!(l instanceof WashingMachine) && !(l instanceof EvCharger)) continue;
      this.lastNetJob.set(l.spec.id, job.requestedAt);
      const r = this.aggregator.scheduleLoad(l.spec.id, job.durationMs, job.deadline, "user");
      if (!r.ok) this.aggregator.switchLoad(l.spec.id, true, "user"); // cannot plan: run now
    }
  }

  /** Takes a slave off the bus (false) or puts it back (true), whichever link is in use. */
  setOnBus(id: number, onBus: boolean): void {
    this.direct.setOnBus(id, onBus);
    const gate = this.gates.get(id);
    if (gate) gate.connected = onBus;
  }

  /** The first day start at or after the sim's start. */
  dayStart(): number {
    return this.startedAt - (this.startedAt % DAY);
  }
}

/** A slave's connection to the bus that can be unplugged: deaf and mute while off. */
export class GatedPort implements CanPort {
  connected = true;
  constructor(private readonly port: CanPort) {}
  send(frame: CanFrame): boolean {
    return this.connected ? this.port.send(frame) : false;
  }
  onFrame(cb: (frame: CanFrame) => void): void {
    this.port.onFrame((f) => {
      if (this.connected) cb(f);
    });
  }
}
