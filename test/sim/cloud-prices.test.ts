// The utility's price table over the cloud downlink (cmd/price, HMAC-signed here with
// node:crypto) replaces the aggregator's prices: the load controller re-plans the EV's
// waiting run into the table's cheapest window, and the bill charges the table's
// prices — checked against the world's own grid-connection energy per slot × the
// table. A malformed table is refused with an error naming the slot and field, and
// changes nothing.
import { describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { HOUR, MINUTE } from "../../modules/core/clock";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { memoryCounters } from "../../modules/mqtt/downlink-counters";
import { CloudLink, type MqttPublisher } from "../../modules/mqtt/cloud-link";
import { HouseholdSim } from "../../hosts/node/sim/household-sim";
import { PriceFeed, SLOT_MS } from "../../hosts/node/sim/price-feed";
import { Weather } from "../../hosts/node/sim/weather";

const START = Date.UTC(2026, 2, 20);
const KEY = new Uint8Array(32).fill(3);
const TOPIC = "xsmeter/p1/cmd/price";

function cmd(body: object): Uint8Array {
  const json = JSON.stringify(body);
  return new TextEncoder().encode(`h1.${createHmac("sha256", Buffer.from(KEY)).update(`${TOPIC}\n${json}`).digest("hex")}.${json}`);
}

function setup(policy: "controller" | "seam" = "controller") {
  const clock = new VirtualClock(START);
  const sim = new HouseholdSim(clock, { seed: 7, slaves: 4, policy });
  const results: any[] = [];
  let deliver: (t: string, p: Uint8Array, r: boolean) => void = () => {};
  const mqtt: MqttPublisher = {
    publish(topic, payload) {
      if (topic.endsWith("/cmd/result")) results.push(JSON.parse(new TextDecoder().decode(payload)));
      return true;
    },
    subscribe() {},
    onMessage(h) { deliver = h; },
  };
  let ctr = 0;
  const link = new CloudLink({ node: "p1", household: sim.aggregator.store, mqtt, clock, macKey: KEY, counters: { ...memoryCounters(), price: { load: () => ctr, save: (v) => { ctr = v; } } }, periodMs: HOUR, onPrices: (slots) => sim.aggregator.applyPriceTable(slots) });
  sim.start();
  link.start();
  const send = (slots: unknown) => {
    deliver(TOPIC, cmd({ ctr: ctr + 1, slots }), false);
    return results[results.length - 1];
  };
  return { clock, sim, send };
}

describe("cloud price table", () => {
  it("re-plans the EV into the new cheapest window and bills the new prices", () => {
    const { clock, sim, send } = setup();
    const t0 = START + 17 * HOUR + 30 * MINUTE;
    clock.runUntil(t0);
    const ev = () => sim.aggregator.store.snapshot().loads.find((l) => l.id === "ev")!;
    const before = ev().run!;
    expect(before.state).toBe("planned"); // plugged in at 17:16, planned after midnight by the feed's prices
    expect(before.startAt).toBeGreaterThan(START + 24 * HOUR);

    // 17:30 → tomorrow 12:00 at 45 ct, except a 2-ct block at 19:00 exactly as long as the run (rounded up to slots)
    const cheapFrom = START + 19 * HOUR;
    const cheapTo = cheapFrom + Math.ceil(before.durationMs / SLOT_MS) * SLOT_MS;
    const table = [];
    for (let t = t0; t < START + 36 * HOUR; t += SLOT_MS) {
      table.push({ start: t, durationMs: SLOT_MS, importMinorPerKWh: t >= cheapFrom && t < cheapTo ? 2 : 45, exportMinorPerKWh: 5, renewableShare: 0 });
    }
    expect(send(table)).toMatchObject({ kind: "price", ok: true });
    clock.runUntil(t0 + 1000); // the household snapshot is refreshed once a second

    const after = ev().run!;
    expect(after.startAt).toBe(cheapFrom);
    expect(after.durationMs).toBe(before.durationMs);
    expect(after.deadline).toBe(before.deadline);
    const snap = sim.aggregator.store.snapshot();
    expect(snap.decisions.some((d) => d.load === "ev" && d.action === "schedule" && d.actor === "cloud")).toBe(true);

    // Run through the cheap block: the EV charges in it, and the bill uses the table's prices.
    const end = cheapTo + SLOT_MS;
    clock.runUntil(end);
    expect(ev().run!.state).toBe("done");
    const priceOf = new Map(table.map((s) => [s.start, s]));
    const feed = new PriceFeed(7, new Weather(7));
    let expected = 0;
    let expectedExport = 0;
    let feedPriced = 0;
    let evWh = 0;
    for (const r of sim.reference.values()) {
      if (r.start < t0 || r.start >= end) continue;
      const p = priceOf.get(r.start)!;
      expected += (r.importWh / 1000) * p.importMinorPerKWh;
      expectedExport += (r.exportWh / 1000) * p.exportMinorPerKWh;
      feedPriced += (r.importWh / 1000) * feed.slotAt(r.start + SLOT_MS / 2).importMinorPerKWh;
      if (r.start >= cheapFrom && r.start < cheapTo) evWh += r.importWh;
    }
    expect(evWh).toBeGreaterThan(3000); // the EV's 3.7 kW really ran in the cheap block
    const bill = sim.aggregator.bill(t0, end);
    expect(Math.abs(bill.lines[0].amountMinor - expected)).toBeLessThanOrEqual(2);
    expect(Math.abs(-bill.lines[1].amountMinor - expectedExport)).toBeLessThanOrEqual(1);
    expect(Math.abs(bill.lines[0].amountMinor - feedPriced)).toBeGreaterThan(50); // not the feed's prices
    expect(sim.aggregator.slots.get(cheapFrom)!.importMinorPerKWh).toBe(2);
    expect(snap.prices.find((s) => s.start === t0)!.importMinorPerKWh).toBe(45);
    sim.stop();
  }, 30_000);

  it("re-plans through the small policy seam too (no controller)", () => {
    const { clock, sim, send } = setup("seam");
    const t0 = START + 17 * HOUR + 30 * MINUTE;
    clock.runUntil(t0);
    const ev = () => sim.aggregator.store.snapshot().loads.find((l) => l.id === "ev")!;
    const before = ev().run!;
    expect(before.state).toBe("planned");
    const cheapFrom = START + 21 * HOUR;
    const need = Math.ceil(before.durationMs / SLOT_MS);
    const table = [];
    for (let t = t0; t < START + 36 * HOUR; t += SLOT_MS) table.push({ start: t, durationMs: SLOT_MS, importMinorPerKWh: t >= cheapFrom && t < cheapFrom + need * SLOT_MS ? 1 : 50, exportMinorPerKWh: 5 });
    expect(send(table)).toMatchObject({ ok: true });
    clock.runUntil(t0 + 1000);
    expect(ev().run!.startAt).toBe(cheapFrom);
    expect(sim.aggregator.store.snapshot().decisions.some((d) => d.load === "ev" && d.action === "schedule" && d.actor === "cloud")).toBe(true);
    sim.stop();
  }, 30_000);

  it("refuses malformed tables with an error naming the slot and field, and keeps the prices", () => {
    const { clock, sim, send } = setup();
    clock.runUntil(START + HOUR);
    const pricesBefore = JSON.stringify(sim.aggregator.store.snapshot().prices);
    const t = START + 2 * HOUR;
    const ok = (k: number) => ({ start: t + k * SLOT_MS, durationMs: SLOT_MS, importMinorPerKWh: 20, exportMinorPerKWh: 5 });
    const cases: [unknown, RegExp][] = [
      [[], /no slots/],
      ["cheap", /slots missing|must be an array/],
      [[ok(0), { ...ok(1), importMinorPerKWh: -1 }], /slot 1: importMinorPerKWh must be a finite number/],
      [[ok(0), { ...ok(1), importMinorPerKWh: "NaN" }], /slot 1: importMinorPerKWh/],
      [[ok(0), { ...ok(1), exportMinorPerKWh: 1e9 }], /slot 1: exportMinorPerKWh/],
      [[{ ...ok(0), start: t + 60_000 }], /slot 0: start .* not aligned to 15 min/],
      [[ok(0), ok(2)], /slot 1: starts at .*contiguous/],
      [[ok(1), ok(0)], /slot 1: starts at/],
      [[ok(0), { ...ok(1), durationMs: 3_600_000 }], /slot 1: durationMs 3600000 differs/],
      [[{ ...ok(0), durationMs: 600_000 }], /slot 0: durationMs must be 900000/],
      [[{ ...ok(0), renewableShare: 1.5 }], /slot 0: renewableShare must be in 0..1/],
      [[{ ...ok(0), start: START }], /in the past/],
      [Array.from({ length: 385 }, (_, k) => ok(k)), /385 slots, at most 384/],
    ];
    for (const [slots, error] of cases) {
      const r = send(slots);
      expect(r.ok, JSON.stringify(slots).slice(0, 80)).toBe(false);
      expect(r.error).toMatch(error);
    }
    expect(JSON.stringify(sim.aggregator.store.snapshot().prices)).toBe(pricesBefore);
    clock.runUntil(START + HOUR + 2000);
    expect(JSON.stringify(sim.aggregator.store.snapshot().prices)).toBe(pricesBefore);
    sim.stop();
  });
});
