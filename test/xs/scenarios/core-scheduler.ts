// XS conformance: the four-task scheduler on a virtual clock, one simulated minute.
import { VirtualClock } from "../../../modules/core/virtual-clock";
import { MainTask, Scheduler, TASK_CAN, TASK_HTTP, TASK_MEASURE, TASK_UI } from "../../../modules/core/scheduler";

export function run(): unknown {
  const clock = new VirtualClock(Date.UTC(2026, 10, 21));
  const scheduler = new Scheduler(clock);
  const trace: string[] = [];
  // Modelled execution times (ms): measure is heavy, so UI overruns at 100 ms deadlines.
  scheduler.add({ name: TASK_MEASURE, periodMs: 200, priority: 40, run: () => 120 });
  scheduler.add({ name: TASK_CAN, periodMs: 100, priority: 30, deadlineMs: 50, run: () => 8 });
  scheduler.add({ name: TASK_HTTP, periodMs: 50, priority: 20, run: () => 2 });
  scheduler.add({ name: TASK_UI, periodMs: 100, priority: 10, deadlineMs: 100, run: (now) => { trace.push(String(now % 1000)); return 15; } });
  const main = new MainTask(scheduler, clock, 1000, (stats, now) => (now % 20000 === 0 ? { disable: [TASK_UI] } : { enable: [TASK_UI] }));
  main.applyRole("slave");
  main.applyRole("aggregator");
  scheduler.start();
  clock.advance(60_000);
  return { stats: scheduler.stats(), log: main.log.length, uiTrace: trace.slice(0, 8) };
}

export const probes = {
  /** Cost of scheduling one second of the four tasks. */
  oneSecond(): unknown {
    const clock = new VirtualClock(0);
    const scheduler = new Scheduler(clock);
    for (const [name, period] of [[TASK_MEASURE, 200], [TASK_CAN, 100], [TASK_HTTP, 50], [TASK_UI, 100]] as const) {
      scheduler.add({ name, periodMs: period, priority: period, run: () => 1 });
    }
    scheduler.start();
    clock.advance(1000);
    return scheduler.stats().map((s) => s.runs);
  },
};
