/**
 * The aggregator's load controller: the table of prices, renewable
 * availability, co-generator status and thermal demand, and the loads behind
 * relays. `step()` (called periodically) applies, in order:
 *  1. the demand limiter: over `limitW`, shed running loads lowest priority
 *     first; restore them when there is room again (with hysteresis);
 *  2. deferrable runs: start a planned run at its slot, stop it when done;
 *  3. the co-generator: heat-led (on while thermal demand ≥ its minimum), off on fault;
 *  4. price-driven switchable loads: on when the price is at most their limit
 *     or renewables cover enough; their configured fallback state when
 *     prices are missing or stale.
 * Minimum on/off times hold every policy change (shedding for overload
 * excepted: the main fuse wins), and so does a manual switch for its hold
 * period (`manualHoldMs`). Every change is a Decision with its reason.
 *
 * A deferrable run is planned only into slots whose prices are known: when
 * the prices do not reach its deadline (or are stale) it waits for them, is
 * replanned as soon as they cover the deadline, and otherwise starts at the
 * latest time that still meets the deadline — never "now at any price".
 */
import type { Clock } from "../core/clock";
import type { Decision, DeferredRun, GridState, LoadKind, LoadView, ManualHold, PriceSlot } from "../core/household";
import type { Relay } from "../core/ports";

export interface LoadConfig {
  id: string;
  name: string;
  meterId?: number;
  kind: LoadKind;
  /** Nominal power when on (W). */
  powerW: number;
  /** Shed first = lowest. */
  priority: number;
  minOnMs?: number;
  minOffMs?: number;
  /** Switchable: on while the import price is at most this (minor/kWh). */
  maxPriceMinorPerKWh?: number;
  /** Switchable: also on while the renewable share is at least this (0..1). */
  minRenewableShare?: number;
  /** State when prices are missing or stale. */
  fallbackOn?: boolean;
  /** Generator: minimum thermal demand to run (W). */
  minThermalW?: number;
}

export interface ControllerOptions {
  /** Demand limit at the grid connection (W). */
  limitW: number;
  hysteresisW?: number;
  /** Prices older than this are stale (ms). */
  staleAfterMs?: number;
  /** How much a renewable share lowers a slot's cost when scheduling (0..1). */
  renewableWeight?: number;
  maxDecisions?: number;
  /** How long the policy leaves a manual switch alone (ms, default 60 min). */
  manualHoldMs?: number;
}

/** What a restart needs to carry on: the runs, the manual holds, the decisions (control-store.ts). */
export interface ControllerState {
  runs: { id: string; run: DeferredRun }[];
  holds: { id: string; hold: ManualHold }[];
  decisions: Decision[];
}

interface Load {
  cfg: LoadConfig;
  relay: Relay;
  changedAt: number;
  shed: boolean;
  run?: DeferredRun;
  hold?: ManualHold;
}

/** "HH:MM" UTC, for reasons a household reads. */
function hhmm(t: number): string {
  const d = new Date(t);
  const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
  return `${two(d.getUTCHours())}:${two(d.getUTCMinutes())} UTC`;
}

export class LoadController {
  private readonly loads = new Map<string, Load>();
  private prices: PriceSlot[] = [];
  private pricesUpdatedAt = -Infinity;
  private cogen: GridState["cogenerator"] = "off";
  private thermalDemandW = 0;
  private readonly log: Decision[] = [];
  private readonly opts: Required<ControllerOptions>;

  constructor(private readonly clock: Clock, options: ControllerOptions) {
    this.opts = { hysteresisW: 300, staleAfterMs: 36 * 3600_000, renewableWeight: 0.5, maxDecisions: 500, manualHoldMs: 3600_000, ...options };
  }

  addLoad(cfg: LoadConfig, relay: Relay): void {
    if (this.loads.has(cfg.id)) throw new Error(`load ${cfg.id} added twice`);
    this.loads.set(cfg.id, { cfg, relay, changedAt: -Infinity, shed: false });
  }

  /** Changes the demand limit at the grid connection (W), e.g. set by the utility. */
  setLimitW(limitW: number): void {
    if (!(limitW > 0)) throw new RangeError(`demand limit ${limitW} W`);
    this.opts.limitW = limitW;
  }

  get limitW(): number {
    return this.opts.limitW;
  }

  /** New price table (15-min or hourly slots), e.g. the day-ahead prices. */
  setPrices(slots: PriceSlot[], updatedAt = this.clock.now()): void {
    this.prices = slots.slice().sort((a, b) => a.start - b.start);
    this.pricesUpdatedAt = updatedAt;
  }

  setCogenerator(status: GridState["cogenerator"], thermalDemandW: number): void {
    this.cogen = status;
    this.thermalDemandW = thermalDemandW;
  }

  grid(): GridState {
    const now = this.clock.now();
    const slot = this.slotAt(now);
    return {
      renewableAvailable: (slot?.renewableShare ?? 0) >= 0.5,
      renewableShare: slot?.renewableShare ?? 0,
      cogenerator: this.cogen,
      thermalDemandW: this.thermalDemandW,
      pricesUpdatedAt: Number.isFinite(this.pricesUpdatedAt) ? this.pricesUpdatedAt : 0,
      pricesStale: this.stale(now),
    };
  }

  loadViews(): LoadView[] {
    return [...this.loads.values()].map((l) => ({
      id: l.cfg.id, name: l.cfg.name, meterId: l.cfg.meterId ?? 0, kind: l.cfg.kind, on: l.relay.get(),
      powerW: l.relay.get() ? (l.cfg.kind === "generator" ? -l.cfg.powerW : l.cfg.powerW) : 0,
      priority: l.cfg.priority, run: l.run ? { ...l.run } : undefined,
      hold: l.hold && l.hold.until > this.clock.now() ? { ...l.hold } : undefined,
    }));
  }

  /** Decisions, oldest first. */
  decisions(): Decision[] {
    return this.log.slice();
  }

  /**
   * A manual switch (web page, display, cloud): it cancels the load's run, and the policy
   * leaves the load as switched for `holdMs` (shedding for overload excepted).
   */
  switchLoad(id: string, on: boolean, actor: Decision["actor"], holdMs = this.opts.manualHoldMs): { ok: boolean; error?: string } {
    const l = this.loads.get(id);
    if (!l) return { ok: false, error: `no load ${id}` };
    if (l.cfg.kind === "fixed" || l.cfg.kind === "generator") return { ok: false, error: `${l.cfg.name} is not switched by hand` };
    const now = this.clock.now();
    if (l.run && (l.run.state === "planned" || l.run.state === "waiting" || l.run.state === "running")) {
      this.record(now, id, "cancel", `plan cancelled: ${l.cfg.name} switched by hand`, actor);
      l.run = undefined;
    }
    l.hold = { on, until: now + holdMs, actor };
    this.set(l, on, on ? "on" : "off", `switched ${on ? "on" : "off"} by ${actor}; the policy leaves it until ${hhmm(now + holdMs)}`, actor, true);
    return { ok: true };
  }

  /** Cancels a planned, waiting or running run; a running load is switched off. */
  cancel(id: string, actor: Decision["actor"]): { ok: boolean; error?: string } {
    const l = this.loads.get(id);
    if (!l) return { ok: false, error: `no load ${id}` };
    const r = l.run;
    if (!r || r.state === "done" || r.state === "missed") return { ok: false, error: `${l.cfg.name} has no plan to cancel` };
    l.run = undefined;
    this.record(this.clock.now(), id, "cancel", `plan cancelled by ${actor}`, actor);
    if (r.state === "running") this.set(l, false, "off", `run cancelled by ${actor}`, actor);
    return { ok: true };
  }

  /**
   * Plans a deferrable run of `durationMs` finishing by `deadline` in the cheapest
   * contiguous window of known prices (lowered by the renewable share). When the prices
   * do not reach the deadline, or are stale, the run waits for prices (see the class).
   * A run already on that is replanned later is switched off until its new start.
   */
  schedule(id: string, durationMs: number, deadline: number, actor: Decision["actor"] = "user"): { ok: boolean; error?: string; startAt?: number } {
    const l = this.loads.get(id);
    const now = this.clock.now();
    if (!l || l.cfg.kind !== "deferrable") return { ok: false, error: `no deferrable load ${id}` };
    if (!(durationMs > 0) || !(now + durationMs <= deadline)) return { ok: false, error: `the run cannot finish before the deadline ${hhmm(deadline)}` };
    const latest = deadline - durationMs;
    const plan = this.plan(now, durationMs, deadline);
    l.hold = undefined; // a plan is the household's newest wish
    l.run = plan ? { startAt: plan.startAt, durationMs, deadline, state: "planned", reason: plan.reason } : { startAt: latest, durationMs, deadline, state: "waiting", reason: this.waitReason(now, latest) };
    this.record(now, id, plan ? "schedule" : "wait", plan ? `${plan.reason}; starts ${hhmm(plan.startAt)}` : l.run.reason!, actor);
    if (l.relay.get() && l.run.startAt > now) this.set(l, false, "off", `re-planned: off until ${hhmm(l.run.startAt)}`, "policy");
    return { ok: true, startAt: l.run.startAt };
  }

  /** The cheapest window of known prices, or undefined when they do not reach the deadline (or are stale). */
  private plan(now: number, durationMs: number, deadline: number): { startAt: number; reason: string } | undefined {
    if (this.stale(now) || !this.covered(now, deadline)) return undefined;
    const step = this.prices[0].durationMs;
    let best = Infinity;
    let startAt = now;
    for (let s = now; s + durationMs <= deadline; s += step) {
      const cost = this.windowCost(s, durationMs);
      if (cost < best - 1e-9) { best = cost; startAt = s; }
      if (s === now) s = now - (now % step); // align later candidates to slot starts
    }
    return { startAt, reason: `cheapest window of known prices before ${hhmm(deadline)}: mean ${(best / (durationMs / 3600_000)).toFixed(1)} per kWh (minor units, renewables weighted)` };
  }

  private waitReason(now: number, latest: number): string {
    const start = `starts ${hhmm(latest)} at the latest to meet the deadline`;
    if (this.stale(now)) return `waiting for prices (${this.prices.length ? "stale" : "none yet"}); ${start}`;
    const last = this.prices[this.prices.length - 1];
    return `waiting for prices: known until ${hhmm(last.start + last.durationMs)}, the deadline is later; ${start}`;
  }

  /**
   * A saved state back (a restart): the decisions, the runs and holds of loads still
   * configured — a run that was running and a hold still in force set their relays again
   * (the relays came up off), each a decision saying so.
   */
  restore(state: ControllerState): void {
    const now = this.clock.now();
    this.log.splice(0, this.log.length, ...state.decisions.slice(-this.opts.maxDecisions));
    for (const { id, run } of state.runs) {
      const l = this.loads.get(id);
      if (!l || l.cfg.kind !== "deferrable") continue;
      l.run = { ...run };
      if (run.state === "running" && now < run.startAt + run.durationMs) this.set(l, true, "on", "run resumed after a restart", "policy");
    }
    for (const { id, hold } of state.holds) {
      const l = this.loads.get(id);
      if (!l || !(hold.until > now)) continue;
      l.hold = { ...hold };
      this.set(l, hold.on, hold.on ? "on" : "off", `switched ${hold.on ? "on" : "off"} by ${hold.actor} before a restart; held until ${hhmm(hold.until)}`, "policy");
    }
  }

  /** What a restart needs (runs not finished, holds in force, the last `decisions`). */
  state(decisions = 50): ControllerState {
    const now = this.clock.now();
    const runs: ControllerState["runs"] = [];
    const holds: ControllerState["holds"] = [];
    for (const l of this.loads.values()) {
      if (l.run) runs.push({ id: l.cfg.id, run: { ...l.run } });
      if (l.hold && l.hold.until > now) holds.push({ id: l.cfg.id, hold: { ...l.hold } });
    }
    return { runs, holds, decisions: this.log.slice(-decisions) };
  }

  /** Decisions recorded so far (a store saves when it grows). */
  get decisionCount(): number {
    return this.decisionsMade;
  }

  /** Runs the policy once; `importW` is the measured power at the grid connection. */
  step(importW: number): void {
    const now = this.clock.now();
    this.limit(now, importW);
    for (const l of this.loads.values()) {
      if (l.shed) continue;
      if (l.cfg.kind === "deferrable") this.deferred(now, l);
      else if (l.cfg.kind === "generator") this.generator(now, l);
      else if (l.cfg.kind === "switchable") this.priced(now, l);
    }
  }

  private limit(now: number, importW: number): void {
    const on = [...this.loads.values()].filter((l) => l.cfg.kind !== "fixed" && l.cfg.kind !== "generator");
    let excess = importW - this.opts.limitW;
    if (excess > 0) {
      for (const l of on.filter((x) => x.relay.get()).sort((a, b) => a.cfg.priority - b.cfg.priority)) {
        if (excess <= 0) break;
        l.shed = true;
        this.set(l, false, "shed", `demand ${Math.round(importW)} W over the limit ${this.opts.limitW} W (priority ${l.cfg.priority})`, "policy", true);
        excess -= l.cfg.powerW;
      }
      return;
    }
    let room = this.opts.limitW - this.opts.hysteresisW - importW;
    for (const l of on.filter((x) => x.shed).sort((a, b) => b.cfg.priority - a.cfg.priority)) {
      if (l.cfg.powerW > room || now - l.changedAt < (l.cfg.minOffMs ?? 0)) continue;
      l.shed = false;
      room -= l.cfg.powerW;
      this.set(l, true, "restore", `room under the limit again (${Math.round(importW)} W)`, "policy");
    }
  }

  private deferred(now: number, l: Load): void {
    const r = l.run;
    if (!r || r.state === "done" || r.state === "missed") return;
    if (r.state === "waiting") {
      const plan = this.plan(now, r.durationMs, r.deadline);
      if (plan) {
        // the prices came: into the cheapest known window
        l.run = { ...r, startAt: plan.startAt, state: "planned", reason: plan.reason };
        this.record(now, l.cfg.id, "schedule", `prices arrived: ${plan.reason}; starts ${hhmm(plan.startAt)}`, "policy");
        return this.deferred(now, l);
      }
      if (now < r.startAt) return;
      r.state = "running";
      r.startAt = now;
      r.reason = "no prices reached the deadline: started at the latest time that meets it";
      this.set(l, true, "fallback", r.reason, "policy", true);
      return;
    }
    if (r.state === "planned" && now >= r.startAt) {
      r.state = "running";
      r.startAt = now;
      this.set(l, true, "on", "scheduled run starts", "policy", true);
    } else if (r.state === "running" && now >= r.startAt + r.durationMs) {
      r.state = now <= r.deadline ? "done" : "missed";
      this.set(l, false, "off", `run ${r.state}`, "policy", true);
    }
  }

  private generator(now: number, l: Load): void {
    const want = this.cogen !== "fault" && this.thermalDemandW >= (l.cfg.minThermalW ?? 1);
    const reason = this.cogen === "fault" ? "co-generator fault" : `thermal demand ${Math.round(this.thermalDemandW)} W ${want ? "≥" : "<"} ${l.cfg.minThermalW ?? 1} W (heat-led)`;
    this.policy(now, l, want, reason, this.cogen === "fault");
  }

  private priced(now: number, l: Load): void {
    if (l.cfg.maxPriceMinorPerKWh === undefined && l.cfg.minRenewableShare === undefined) return;
    const slot = this.stale(now) ? undefined : this.slotAt(now);
    if (!slot) {
      const on = l.cfg.fallbackOn ?? false;
      if (l.relay.get() !== on) this.policy(now, l, on, "fallback: prices missing or stale", false, "fallback");
      return;
    }
    const cheap = l.cfg.maxPriceMinorPerKWh !== undefined && slot.importMinorPerKWh <= l.cfg.maxPriceMinorPerKWh;
    const green = l.cfg.minRenewableShare !== undefined && slot.renewableShare >= l.cfg.minRenewableShare;
    const reason = `price ${slot.importMinorPerKWh} minor/kWh${l.cfg.maxPriceMinorPerKWh !== undefined ? ` (limit ${l.cfg.maxPriceMinorPerKWh})` : ""}, renewables ${Math.round(slot.renewableShare * 100)} %`;
    this.policy(now, l, cheap || green, reason);
  }

  /** A policy change, held back by minimum on/off times unless forced. */
  private policy(now: number, l: Load, on: boolean, reason: string, force = false, action?: Decision["action"]): void {
    if (l.relay.get() === on) return;
    if (l.hold && now < l.hold.until) return; // switched by hand: left alone for its hold period
    const hold = on ? (l.cfg.minOffMs ?? 0) : (l.cfg.minOnMs ?? 0);
    if (!force && now - l.changedAt < hold) return;
    this.set(l, on, action ?? (on ? "on" : "off"), reason, "policy", true);
  }

  private set(l: Load, on: boolean, action: Decision["action"], reason: string, actor: Decision["actor"], always = false): void {
    const now = this.clock.now();
    if (l.relay.get() === on && !always) return;
    if (l.relay.get() !== on) l.changedAt = now;
    l.relay.set(on);
    this.record(now, l.cfg.id, action, reason, actor);
  }

  private decisionsMade = 0;

  private record(t: number, load: string, action: Decision["action"], reason: string, actor: Decision["actor"]): void {
    this.decisionsMade++;
    this.log.push({ t, load, action, reason, actor });
    if (this.log.length > this.opts.maxDecisions) this.log.shift();
  }

  private stale(now: number): boolean {
    return this.prices.length === 0 || now - this.pricesUpdatedAt > this.opts.staleAfterMs;
  }

  private slotAt(t: number): PriceSlot | undefined {
    for (const s of this.prices) if (t >= s.start && t < s.start + s.durationMs) return s;
    return undefined;
  }

  private covered(from: number, to: number): boolean {
    for (let t = from; t < to; ) {
      const s = this.slotAt(t);
      if (!s) return false;
      t = s.start + s.durationMs;
    }
    return true;
  }

  /** Energy-weighted cost of running 1 kW over [start, start + duration). */
  private windowCost(start: number, durationMs: number): number {
    let cost = 0;
    for (let t = start; t < start + durationMs; ) {
      const s = this.slotAt(t)!;
      const end = Math.min(s.start + s.durationMs, start + durationMs);
      cost += ((end - t) / 3600_000) * s.importMinorPerKWh * (1 - this.opts.renewableWeight * s.renewableShare);
      t = end;
    }
    return cost;
  }
}
