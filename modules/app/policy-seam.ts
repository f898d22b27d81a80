import type { Decision, PriceSlot } from "../core/household";

/**
 * The fallback policy when the aggregator is built without the control room's
 * LoadController (modules/control/controller.ts; tests and minimal builds).
 * A deliberately small policy so the household still gets decisions with reasons:
 * - deferrable jobs run in the cheapest published slots before their deadline
 *   (contiguous for appliances that cannot pause, like a washing machine);
 * - the heat pump is shed in the day's most expensive slots, at most one hour
 *   in a row; the PV inverter is curtailed only when import prices go negative.
 */
export interface PolicyLoad {
  id: string;
  kind: "switchable" | "deferrable" | "fixed" | "generator";
  contiguous?: boolean;
}

export interface Plan {
  load: string;
  slots: number[]; // slot start times
  /** Length of each planned price slot (15 min or 1 h, from the price table). */
  slotMs: number;
  deadline: number;
  durationMs: number;
}

type Emit = (d: Omit<Decision, "t">) => void;

export class SimplePolicySeam {
  readonly plans = new Map<string, Plan>();
  private shedSince = new Map<string, number>();
  private cooldownUntil = new Map<string, number>();

  /** Plans a job; returns its first start, or an error. */
  plan(load: PolicyLoad, now: number, durationMs: number, deadline: number, prices: PriceSlot[], emit: Emit, actor: Decision["actor"]): { startAt?: number; error?: string } {
    const usable = prices.filter((s) => s.start + s.durationMs > now && s.start + s.durationMs <= deadline);
    if (usable.length === 0) return { error: "no published price slot before the deadline" };
    const slotMs = usable[0].durationMs;
    const need = Math.ceil(durationMs / slotMs);
    if (need > usable.length) return { error: "deadline too close for the duration" };
    let chosen: PriceSlot[];
    if (load.contiguous) {
      let best = 0;
      let bestCost = Infinity;
      for (let k = 0; k + need <= usable.length; k++) {
        let cost = 0;
        for (let j = 0; j < need; j++) cost += usable[k + j].importMinorPerKWh;
        if (cost < bestCost) {
          bestCost = cost;
          best = k;
        }
      }
      chosen = usable.slice(best, best + need);
    } else {
      chosen = [...usable].sort((a, b) => a.importMinorPerKWh - b.importMinorPerKWh || a.start - b.start).slice(0, need);
      chosen.sort((a, b) => a.start - b.start);
    }
    const mean = chosen.reduce((s, c) => s + c.importMinorPerKWh, 0) / chosen.length;
    const plan: Plan = { load: load.id, slots: chosen.map((c) => c.start), slotMs, deadline, durationMs };
    this.plans.set(load.id, plan);
    emit({
      load: load.id,
      action: "schedule",
      reason: `${need} ${load.contiguous ? "consecutive " : ""}cheapest quarter-hours before ${iso(deadline)}, mean ${mean.toFixed(2)} ct/kWh, first at ${iso(chosen[0].start)}`,
      actor,
    });
    return { startAt: chosen[0].start };
  }

  /** The relay state the policy wants for each load now. */
  evaluate(loads: PolicyLoad[], now: number, relays: Map<string, boolean>, slot: PriceSlot, dayPrices: PriceSlot[], emit: Emit): void {
    for (const load of loads) {
      const on = relays.get(load.id) ?? true;
      if (load.kind === "deferrable") {
        const plan = this.plans.get(load.id);
        if (!plan) continue;
        if (now >= plan.deadline) {
          this.plans.delete(load.id);
          if (!on) emit({ load: load.id, action: "on", reason: "deadline reached: relay back to the household", actor: "policy" });
          continue;
        }
        if (now >= plan.slots[plan.slots.length - 1] + slot.durationMs) {
          this.plans.delete(load.id);
          if (!on) emit({ load: load.id, action: "on", reason: "planned run complete: relay back to the household", actor: "policy" });
          continue;
        }
        const inSlot = plan.slots.some((s) => now >= s && now < s + slot.durationMs);
        if (inSlot && !on) emit({ load: load.id, action: "on", reason: `planned slot at ${slot.importMinorPerKWh.toFixed(2)} ct/kWh`, actor: "policy" });
        if (!inSlot && on) emit({ load: load.id, action: "off", reason: `waiting for a planned slot (now ${slot.importMinorPerKWh.toFixed(2)} ct/kWh)`, actor: "policy" });
      } else if (load.kind === "switchable" && load.id === "heatpump") {
        const sorted = dayPrices.map((s) => s.importMinorPerKWh).sort((a, b) => a - b);
        const p90 = sorted[Math.floor(sorted.length * 0.9)];
        const since = this.shedSince.get(load.id);
        const expensive = slot.importMinorPerKWh >= p90;
        if (on && expensive && since === undefined && now >= (this.cooldownUntil.get(load.id) ?? 0)) {
          this.shedSince.set(load.id, now);
          emit({ load: load.id, action: "shed", reason: `price ${slot.importMinorPerKWh.toFixed(2)} ct/kWh in the day's top 10 % (≥ ${p90.toFixed(2)})`, actor: "policy" });
        } else if (!on && since !== undefined && (!expensive || now - since >= 3_600_000)) {
          this.shedSince.delete(load.id);
          this.cooldownUntil.set(load.id, now + 3_600_000);
          emit({ load: load.id, action: "restore", reason: expensive ? "shed for an hour already: comfort first" : "price back below the day's top 10 %", actor: "policy" });
        } else if (since !== undefined && !expensive && on) {
          this.shedSince.delete(load.id);
        }
      } else if (load.kind === "generator") {
        if (on && slot.importMinorPerKWh < 0) emit({ load: load.id, action: "off", reason: "negative price: curtail export", actor: "policy" });
        if (!on && slot.importMinorPerKWh >= 0) emit({ load: load.id, action: "on", reason: "price positive again", actor: "policy" });
      }
    }
  }
}

function iso(t: number): string {
  return new Date(t).toISOString().slice(0, 16) + "Z";
}
