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
 * excepted: the main fuse wins). Every change is a Decision with its reason.
 */
import type { Clock } from "../core/clock";
import type { Decision, DeferredRun, GridState, LoadKind, LoadView, PriceSlot } from "../core/household";
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
}

interface Load {
  cfg: LoadConfig;
  relay: Relay;
  changedAt: number;
  shed: boolean;
  run?: DeferredRun;
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
    this.opts = { hysteresisW: 300, staleAfterMs: 36 * 3600_000, renewableWeight: 0.5, maxDecisions: 500, ...options };
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
    }));
  }

  /** Decisions, oldest first. */
  decisions(): Decision[] {
    return this.log.slice();
  }

  /** A manual switch (web page, display, cloud). */
  switchLoad(id: string, on: boolean, actor: Decision["actor"]): { ok: boolean; error?: string } {
    const l = this.loads.get(id);
    if (!l) return { ok: false, error: `no load ${id}` };
    if (l.cfg.kind === "fixed") return { ok: false, error: `${id} is not switchable` };
    this.set(l, on, on ? "on" : "off", `switched ${on ? "on" : "off"} by ${actor}`, actor);
    return { ok: true };
  }

  /**
   * Plans a deferrable run of `durationMs` finishing by `deadline`, in the
   * cheapest contiguous window (price lowered by the renewable share). With
   * missing or stale prices it starts now: the deadline is what must hold.
   */
  schedule(id: string, durationMs: number, deadline: number, actor: Decision["actor"] = "user"): { ok: boolean; error?: string; startAt?: number } {
    const l = this.loads.get(id);
    const now = this.clock.now();
    if (!l || l.cfg.kind !== "deferrable") return { ok: false, error: `no deferrable load ${id}` };
    if (!(durationMs > 0) || now + durationMs > deadline) return { ok: false, error: "the run cannot finish before the deadline" };
    let startAt = now;
    let reason: string;
    if (this.stale(now) || !this.covered(now, deadline)) {
      reason = "fallback: prices missing or stale, start now to meet the deadline";
    } else {
      const step = this.prices[0].durationMs;
      let best = Infinity;
      for (let s = now; s + durationMs <= deadline; s += step) {
        const cost = this.windowCost(s, durationMs);
        if (cost < best - 1e-9) { best = cost; startAt = s; }
        if (s === now) s = now - (now % step); // align later candidates to slot starts
      }
      reason = `cheapest window before the deadline: mean ${(best / (durationMs / 3600_000)).toFixed(2)} minor/kWh-equivalent (renewables weighted)`;
    }
    l.run = { startAt, durationMs, deadline, state: "planned" };
    this.record(now, id, "schedule", `${reason}; start ${new Date(startAt).toISOString()}`, actor);
    return { ok: true, startAt };
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

  private record(t: number, load: string, action: Decision["action"], reason: string, actor: Decision["actor"]): void {
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
