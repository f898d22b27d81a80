import type { CanBenchResult } from "./can-bench";

/** Prints the bench table with the paper's figures (REFERENCES §1: 3.6 ms request, answers at ~25 / ~60 ms). */
export function printCanBench(results: CanBenchResult[]): void {
  console.log("CAN poll cycle at 125 kbit/s (virtual bus, bit-timed; slave node time %s ms per answer)", results[0]?.slaveProcessingMs);
  console.log("paper (STM32F107, 2 slaves): request arrives ~3.6 ms, answers ~25 ms and ~60 ms");
  console.log(
    ["N", "req→1st ans", "req→last ans", "bus-only/request", "cycle mean", "cycle max", "goal", "ok", "load %", "RTA bound", "worst seen", "RTA viol.", "missed"]
      .map((h) => h.padStart(13))
      .join(""),
  );
  for (const r of results) {
    console.log(
      [
        r.slaves,
        r.requestToFirstAnswerMs.toFixed(3),
        r.requestToLastAnswerMs.toFixed(3),
        `${r.busOnlyPerRequestMs[0].toFixed(2)}–${r.busOnlyPerRequestMs[1].toFixed(2)}`,
        r.cycleMeanMs.toFixed(2),
        r.cycleMaxMs.toFixed(2),
        r.cycleGoalMs.toFixed(2),
        r.withinGoal ? "yes" : "NO",
        r.busLoadPct.toFixed(1),
        r.rtaWorstBoundMs.toFixed(2),
        r.worstResponseSeenMs.toFixed(2),
        r.rtaViolations,
        r.missedAnswers,
      ]
        .map((c) => String(c).padStart(13))
        .join(""),
    );
  }
  console.log(`(per cycle: ${results[0]?.quantities} quantities, each one broadcast remote frame answered by every slave; times in ms)`);
  for (const r of results) console.log(`N=${r.slaves}: the master's CPU to verify one cycle's answers at XS speed ≈ ${r.masterVerifyPerCycleMs.toFixed(0)} ms (not on the bus model)`);
}
