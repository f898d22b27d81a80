import { SLOT_MS } from "./price-feed";
import type { HouseholdSim } from "./household-sim";

/**
 * The report of a simulated run: energy per meter, the bill, every decision
 * with its reason, PQ events and alarms, bus statistics and authentication
 * failures, task statistics, and the reference meter's energy per price slot.
 * Numbers are rounded and keys built in a fixed order, so the same seed gives
 * the same bytes.
 */
export function buildReport(sim: HouseholdSim, from: number, to: number): unknown {
  const agg = sim.aggregator;
  const link = sim.link.stats();
  const energy = agg.meterEnergy();
  const slots = [...agg.slots.values()].sort((a, b) => a.start - b.start);
  const reference = [...sim.reference.values()].filter((r) => r.start >= from - SLOT_MS && r.start < to).sort((a, b) => a.start - b.start);
  return {
    seed: sim.options.seed,
    from: iso(from),
    to: iso(to),
    slaves: sim.options.slaves,
    frontEnd: sim.options.frontEnd ?? "power",
    link: sim.options.link === "can" ? "can (authenticated, virtual bus 125 kbit/s)" : "direct (in memory)",
    meters: [...energy.entries()].map(([id, e]) => ({ id, importWh: r3(e.importWh), exportWh: r3(e.exportWh) })),
    bill: agg.bill(),
    slots: slots.map((s) => ({ start: iso(s.start), importWh: r3(s.importWh), exportWh: r3(s.exportWh), importMinorPerKWh: s.importMinorPerKWh, exportMinorPerKWh: s.exportMinorPerKWh })),
    reference: reference.map((r) => ({ start: iso(r.start), importWh: r3(r.importWh), exportWh: r3(r.exportWh) })),
    decisions: agg.decisions.map((d) => ({ t: iso(d.t), load: d.load, action: d.action, reason: d.reason, actor: d.actor })),
    events: sim.world.grid.eventsBetween(from, to).map((e) => ({ type: e.type, start: iso(e.start), durationMs: e.durationMs, level: e.level })),
    alarms: agg.alarms.map((a) => ({ t: iso(a.t), kind: a.kind, message: a.message, meterId: a.meterId ?? null })),
    bus: {
      cycles: link.cycles,
      framesOk: link.framesOk,
      busLoadPct: link.busLoadPct,
      polls: agg.pollCounts(),
      events: agg.busEvents.map((e) => ({ t: iso(e.t), kind: e.kind, meterId: e.meterId })),
    },
    authFailures: link.authFailures,
    pq10min: pqSummary(sim),
    tasks: agg.scheduler.stats().map((s) => ({ name: s.name, runs: s.runs, overruns: s.overruns, worstResponseMs: s.worstResponseMs })),
  };
}

/**
 * Per meter, the 10-min aggregates the aggregator received: how many, how many
 * flagged, and EN 50160-style figures over the unflagged ones only (IEC
 * 61000-4-30: flagged values stay in the record but leave such statistics):
 * share of 10-min voltages within ±10 % of nominal, their range, worst THDu.
 */
function pqSummary(sim: HouseholdSim): unknown[] {
  const nominal = sim.world.grid.nominalV;
  return sim.slaves.map((s) => {
    const all = sim.pqHistory.filter((a) => a.meterId === s.id);
    const clean = all.filter((a) => !a.flagged);
    const u = clean.map((a) => a.voltageV[0]);
    const within = u.filter((v) => Math.abs(v - nominal) <= 0.1 * nominal).length;
    return {
      id: s.id,
      intervals: all.length,
      flagged: all.length - clean.length,
      voltageWithin10PctShare: clean.length ? r3(within / clean.length) : null,
      voltageMinV: u.length ? r3(Math.min(...u)) : null,
      voltageMaxV: u.length ? r3(Math.max(...u)) : null,
      thdVoltageMaxPct: clean.length ? r3(Math.max(...clean.map((a) => a.thdVoltagePct[0]))) : null,
    };
  });
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

function r3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
