import type { Clock, TimerId } from "./clock";

/**
 * The firmware's RTOS shape (reference paper): periodic tasks with a priority,
 * a relative deadline and an overrun counter, run to completion (cooperative,
 * non-preemptive, as XS is single-threaded). The processor is modelled as busy
 * while a task runs, so lower-priority tasks released at the same time start
 * later and their response time (finish − release) can exceed the deadline.
 */
export type TaskName = string;

/** The four tasks of the reference paper, enabled and disabled by the main task. */
export const TASK_MEASURE = "measure";
export const TASK_CAN = "can";
export const TASK_HTTP = "http";
export const TASK_UI = "ui";
export const STANDARD_TASKS: readonly TaskName[] = Object.freeze([TASK_MEASURE, TASK_CAN, TASK_HTTP, TASK_UI]);

export interface TaskSpec {
  name: TaskName;
  periodMs: number;
  /** Higher runs first when several tasks are due. */
  priority: number;
  /** Relative deadline; defaults to the period. */
  deadlineMs?: number;
  enabled?: boolean;
  /**
   * The task body. It may return its modelled execution time in ms (used on a
   * virtual clock); otherwise the scheduler's cpuTime port measures it.
   */
  run(now: number): number | void;
}

export interface TaskStats {
  name: TaskName;
  enabled: boolean;
  periodMs: number;
  priority: number;
  deadlineMs: number;
  runs: number;
  overruns: number;
  missedReleases: number;
  lastResponseMs: number;
  worstResponseMs: number;
  lastExecMs: number;
}

interface TaskState extends TaskStats {
  spec: TaskSpec;
  nextRelease: number;
}

export interface SchedulerOptions {
  /** Monotonic processor time in ms, to measure task bodies on real hardware. */
  cpuTime?: () => number;
}

export class Scheduler {
  private tasks: TaskState[] = [];
  private timer: TimerId | undefined;
  private running = false;
  private busyUntil = 0;

  constructor(
    private readonly clock: Clock,
    private readonly options: SchedulerOptions = {},
  ) {}

  add(spec: TaskSpec): void {
    if (!(spec.periodMs > 0)) throw new RangeError(`task ${spec.name}: period must be > 0`);
    if (this.find(spec.name)) throw new Error(`task ${spec.name} already exists`);
    this.tasks.push({
      spec,
      name: spec.name,
      enabled: spec.enabled ?? true,
      periodMs: spec.periodMs,
      priority: spec.priority,
      deadlineMs: spec.deadlineMs ?? spec.periodMs,
      runs: 0,
      overruns: 0,
      missedReleases: 0,
      lastResponseMs: 0,
      worstResponseMs: 0,
      lastExecMs: 0,
      nextRelease: this.clock.now() + spec.periodMs,
    });
    // Stable order: priority first, then insertion.
    this.tasks.sort((a, b) => b.priority - a.priority);
    this.rearm();
  }

  enable(name: TaskName): void {
    const task = this.get(name);
    if (task.enabled) return;
    task.enabled = true;
    task.nextRelease = this.clock.now() + task.periodMs;
    this.rearm();
  }

  disable(name: TaskName): void {
    this.get(name).enabled = false;
  }

  isEnabled(name: TaskName): boolean {
    return this.get(name).enabled;
  }

  start(): void {
    this.running = true;
    this.rearm();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.clock.cancel(this.timer);
    this.timer = undefined;
  }

  stats(): TaskStats[] {
    return this.tasks.map(({ spec: _spec, nextRelease: _next, ...stats }) => ({ ...stats }));
  }

  private find(name: TaskName): TaskState | undefined {
    return this.tasks.find((t) => t.name === name);
  }

  private get(name: TaskName): TaskState {
    const task = this.find(name);
    if (!task) throw new Error(`no task named ${name}`);
    return task;
  }

  private rearm(): void {
    if (!this.running) return;
    if (this.timer !== undefined) this.clock.cancel(this.timer);
    this.timer = undefined;
    let next = Infinity;
    for (const t of this.tasks) if (t.enabled && t.nextRelease < next) next = t.nextRelease;
    if (next === Infinity) return;
    // While a modelled task still occupies the processor nothing else can start.
    if (next < this.busyUntil) next = this.busyUntil;
    this.timer = this.clock.after(Math.max(0, next - this.clock.now()), () => this.dispatch());
  }

  private dispatch(): void {
    this.timer = undefined;
    const now = this.clock.now();
    if (this.busyUntil < now) this.busyUntil = now;
    for (const task of this.tasks) {
      if (task.enabled && task.nextRelease <= now) this.runOne(task, now);
    }
    this.rearm();
  }

  private runOne(task: TaskState, now: number): void {
    const release = task.nextRelease;
    const late = Math.floor((now - release) / task.periodMs);
    if (late > 0) {
      task.missedReleases += late;
      task.overruns += late;
    }
    task.nextRelease = release + (late + 1) * task.periodMs;
    const cpu = this.options.cpuTime;
    const before = cpu ? cpu() : 0;
    const modelled = task.spec.run(now);
    const exec = typeof modelled === "number" ? modelled : cpu ? cpu() - before : 0;
    const start = this.busyUntil;
    this.busyUntil = start + exec;
    const response = this.busyUntil - (release + late * task.periodMs);
    task.runs++;
    task.lastExecMs = exec;
    task.lastResponseMs = response;
    if (response > task.worstResponseMs) task.worstResponseMs = response;
    if (response > task.deadlineMs) task.overruns++;
  }
}

/**
 * The main task: decides which of the four tasks run, by role and by an optional
 * policy evaluated every period (e.g. switch the display task off when idle).
 */
export type Role = "aggregator" | "slave";

export const ROLE_TASKS: Readonly<Record<Role, readonly TaskName[]>> = Object.freeze({
  aggregator: Object.freeze([TASK_MEASURE, TASK_CAN, TASK_HTTP, TASK_UI]),
  slave: Object.freeze([TASK_MEASURE, TASK_CAN]),
});

export type MainPolicy = (stats: readonly TaskStats[], now: number) => { enable?: TaskName[]; disable?: TaskName[] } | void;

export class MainTask {
  readonly log: { t: number; task: TaskName; enabled: boolean; reason: string }[] = [];

  constructor(
    private readonly scheduler: Scheduler,
    private readonly clock: Clock,
    periodMs = 1000,
    private readonly policy?: MainPolicy,
  ) {
    scheduler.add({ name: "main", periodMs, priority: 100, run: (now) => this.evaluate(now) });
  }

  /** Enables exactly the tasks of `role` among the standard four. */
  applyRole(role: Role): void {
    for (const name of STANDARD_TASKS) {
      if (!this.has(name)) continue;
      this.set(name, ROLE_TASKS[role].includes(name), `role ${role}`);
    }
  }

  set(name: TaskName, enabled: boolean, reason: string): void {
    if (this.scheduler.isEnabled(name) === enabled) return;
    if (enabled) this.scheduler.enable(name);
    else this.scheduler.disable(name);
    this.log.push({ t: this.clock.now(), task: name, enabled, reason });
  }

  private has(name: TaskName): boolean {
    return this.scheduler.stats().some((s) => s.name === name);
  }

  private evaluate(now: number): void {
    const decision = this.policy?.(this.scheduler.stats(), now);
    if (!decision) return;
    for (const name of decision.enable ?? []) this.set(name, true, "policy");
    for (const name of decision.disable ?? []) this.set(name, false, "policy");
  }
}
