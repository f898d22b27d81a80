import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { MainTask, Scheduler, TASK_CAN, TASK_HTTP, TASK_MEASURE, TASK_UI } from "../../modules/core/scheduler";

function fourTasks(uiCost = 5) {
  const clock = new VirtualClock(0);
  const scheduler = new Scheduler(clock);
  const order: string[] = [];
  const task = (name: string, periodMs: number, priority: number, cost: number, deadlineMs?: number) =>
    scheduler.add({ name, periodMs, priority, deadlineMs, run: () => { order.push(name); return cost; } });
  task(TASK_MEASURE, 200, 40, 20);
  task(TASK_CAN, 100, 30, 5, 50);
  task(TASK_HTTP, 100, 20, 5);
  task(TASK_UI, 100, 10, uiCost, 40);
  return { clock, scheduler, order };
}

describe("Scheduler", () => {
  it("runs due tasks by priority and each at its period", () => {
    const { clock, scheduler, order } = fourTasks();
    scheduler.start();
    clock.advance(200);
    expect(order).toEqual([TASK_CAN, TASK_HTTP, TASK_UI, TASK_MEASURE, TASK_CAN, TASK_HTTP, TASK_UI]);
    const runs = Object.fromEntries(scheduler.stats().map((s) => [s.name, s.runs]));
    expect(runs).toEqual({ [TASK_MEASURE]: 1, [TASK_CAN]: 2, [TASK_HTTP]: 2, [TASK_UI]: 2 });
  });

  it("counts an overrun when a task's response exceeds its deadline", () => {
    const { clock, scheduler } = fourTasks(20);
    scheduler.start();
    clock.advance(1000);
    const ui = scheduler.stats().find((s) => s.name === TASK_UI)!;
    // At t=200,400,… measure (20) + can (5) + http (5) run before UI (20): response 50 > 40.
    expect(ui.worstResponseMs).toBe(50);
    expect(ui.overruns).toBe(5);
    expect(scheduler.stats().find((s) => s.name === TASK_CAN)!.overruns).toBe(0);
  });

  it("counts missed releases when a task runs longer than its period", () => {
    const clock = new VirtualClock(0);
    const scheduler = new Scheduler(clock);
    scheduler.add({ name: "slow", periodMs: 10, priority: 1, run: () => 25 });
    scheduler.start();
    clock.advance(100);
    const s = scheduler.stats()[0];
    // Runs at 10, 35, 60, 85 (for the releases at 10, 30, 60, 80), each busy 25 ms:
    // the releases at 20, 40, 50 and 70 are missed, and every run ends past its deadline.
    expect(s.runs).toBe(4);
    expect(s.missedReleases).toBe(4);
    expect(s.overruns).toBe(4 + 4);
  });

  it("measures execution with the cpuTime port on real hardware", () => {
    const clock = new VirtualClock(0);
    let cpu = 0;
    const scheduler = new Scheduler(clock, { cpuTime: () => cpu });
    scheduler.add({ name: "work", periodMs: 100, priority: 1, deadlineMs: 30, run: () => { cpu += 42; } });
    scheduler.start();
    clock.advance(300);
    const s = scheduler.stats()[0];
    expect(s.lastExecMs).toBe(42);
    expect(s.overruns).toBe(3);
  });

  it("a disabled task does not run and an enabled one starts a period later", () => {
    const { clock, scheduler, order } = fourTasks();
    scheduler.start();
    scheduler.disable(TASK_UI);
    clock.advance(300);
    expect(order).not.toContain(TASK_UI);
    scheduler.enable(TASK_UI);
    clock.advance(99);
    expect(order).not.toContain(TASK_UI);
    clock.advance(1);
    expect(order).toContain(TASK_UI);
  });
});

describe("MainTask", () => {
  it("enables the tasks of the role and logs each change", () => {
    const { clock, scheduler } = fourTasks();
    const main = new MainTask(scheduler, clock);
    main.applyRole("slave");
    expect(scheduler.isEnabled(TASK_MEASURE)).toBe(true);
    expect(scheduler.isEnabled(TASK_CAN)).toBe(true);
    expect(scheduler.isEnabled(TASK_HTTP)).toBe(false);
    expect(scheduler.isEnabled(TASK_UI)).toBe(false);
    main.applyRole("aggregator");
    expect(scheduler.isEnabled(TASK_UI)).toBe(true);
    expect(main.log.map((l) => `${l.task}:${l.enabled}`)).toEqual([`${TASK_HTTP}:false`, `${TASK_UI}:false`, `${TASK_HTTP}:true`, `${TASK_UI}:true`]);
  });

  it("applies its policy every period", () => {
    const { clock, scheduler } = fourTasks();
    new MainTask(scheduler, clock, 1000, (stats, now) => (now >= 2000 ? { disable: [TASK_UI] } : undefined));
    scheduler.start();
    clock.advance(1500);
    expect(scheduler.isEnabled(TASK_UI)).toBe(true);
    clock.advance(600);
    expect(scheduler.isEnabled(TASK_UI)).toBe(false);
  });
});
