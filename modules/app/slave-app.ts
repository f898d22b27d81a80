import type { Clock } from "../core/clock";
import { MainTask, Scheduler, TASK_CAN, TASK_MEASURE } from "../core/scheduler";
import type { PqAggregate } from "../core/household";
import type { MeterFrontEnd, MeterReadings } from "./readings";

/**
 * A slave meter wired from tasks: Measure runs the front end, CAN manage
 * latches the latest readings as the answer the master will get (so an answer
 * is always one consistent set, never half-updated).
 */
export interface SlaveOptions {
  id: number;
  measurePeriodMs?: number;
  canPeriodMs?: number;
}

export class SlaveApp {
  readonly id: number;
  readonly scheduler: Scheduler;
  readonly main: MainTask;
  private latched: MeterReadings;
  private latchedPq: PqAggregate | undefined;

  constructor(
    clock: Clock,
    private readonly frontEnd: MeterFrontEnd,
    options: SlaveOptions,
  ) {
    this.id = options.id;
    this.latched = frontEnd.readings();
    this.scheduler = new Scheduler(clock);
    this.scheduler.add({ name: TASK_MEASURE, periodMs: options.measurePeriodMs ?? 1000, priority: 40, run: (now) => frontEnd.measure(now) });
    this.scheduler.add({ name: TASK_CAN, periodMs: options.canPeriodMs ?? 1000, priority: 30, deadlineMs: 50, run: () => this.latch() });
    this.main = new MainTask(this.scheduler, clock, 10_000);
    this.main.applyRole("slave");
  }

  start(): void {
    this.scheduler.start();
  }

  stop(): void {
    this.scheduler.stop();
  }

  /** The answer to a poll: the readings latched by the last CAN task run. */
  answer(): MeterReadings {
    return this.latched;
  }

  /** The last completed 10-min aggregate, as latched with the readings (undefined until one completed). */
  aggregate(): PqAggregate | undefined {
    return this.latchedPq;
  }

  private latch(): number {
    this.latched = { ...this.frontEnd.readings() };
    // The front end makes a new aggregate object per interval, so the reference is a stable copy.
    this.latchedPq = this.frontEnd.aggregate?.();
    return 0.2;
  }
}
