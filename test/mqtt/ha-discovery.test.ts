// Home Assistant discovery, checked against HA's own documented rules: every payload the
// aggregator publishes (CloudLink's per-meter readings and 10-min aggregates,
// HomeAssistantLink's household sensors and relays) goes through a rule table written
// here from HA's sensor docs (device class ↔ unit ↔ state class), unique ids, device
// blocks (via_device to a device that exists), availability topics that are actually
// published, and switch entities only when the owner enabled switching. Then the relay
// commands: off by default, only switchable loads, garbage refused, and an end-to-end
// switch through Debian's mosquitto.
import { afterAll, describe, expect, it } from "vitest";
import { getRandomValues } from "node:crypto";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { DemoHousehold } from "../../modules/app/demo-household";
import type { Household, HouseholdSnapshot, PqAggregate } from "../../modules/core/household";
import { CloudLink, type MqttPublisher } from "../../modules/mqtt/cloud-link";
import { memoryCounters } from "../../modules/mqtt/downlink-counters";
import { HomeAssistantLink } from "../../modules/mqtt/ha-link";
import { STATUS_TEMPLATE } from "../../modules/mqtt/ha-discovery";
import { MqttClient } from "../../modules/mqtt/client";
import { MemoryOutbox } from "../../modules/mqtt/flash-outbox";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { nodeClock } from "../../hosts/node/node-clock";
import { freePort } from "../../hosts/node/free-port";
import { HouseholdSim } from "../../hosts/node/sim/household-sim";
import { startSimCloud, type SimCloud } from "../../hosts/node/sim/cloud";
import { Mosquitto } from "../support/mosquitto";
import { missing } from "../support/requires";
import { until } from "../support/until";

// HA sensor docs (developers.home-assistant.io "Sensor entity", home-assistant.io/integrations/sensor):
// the units each device class accepts and the state classes it may have.
const UNITS: Record<string, (string | undefined)[]> = {
  voltage: ["V", "mV", "µV", "kV", "MV"],
  current: ["A", "mA"],
  power: ["W", "mW", "kW", "MW", "GW", "TW", "BTU/h"],
  apparent_power: ["VA", "mVA", "kVA"],
  reactive_power: ["var", "mvar", "kvar"],
  power_factor: ["%", undefined],
  frequency: ["Hz", "kHz", "MHz", "GHz"],
  energy: ["J", "kJ", "MJ", "GJ", "mWh", "Wh", "kWh", "MWh", "GWh", "TWh", "cal", "kcal", "Mcal", "Gcal"],
  reactive_energy: ["varh", "kvarh"],
};
const STATE_CLASSES: Record<string, string[]> = {
  voltage: ["measurement"], current: ["measurement"], power: ["measurement"], apparent_power: ["measurement"],
  reactive_power: ["measurement"], power_factor: ["measurement"], frequency: ["measurement"],
  energy: ["total", "total_increasing"], reactive_energy: ["total", "total_increasing"], monetary: ["total"],
  none: ["measurement", "total", "total_increasing"],
};
const BINARY_CLASSES = ["power", "problem", "plug", "running"];
const SWITCH_CLASSES = ["outlet", "switch"];
const TOPIC = /^homeassistant\/(sensor|binary_sensor|switch)\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+\/config$/;

type Sent = { topic: string; text: string; body: any; retain: boolean };

/** HA's template over a payload, for the one template the discovery uses (any other is reported as such). */
function haValue(template: string | undefined, text: string): string {
  if (template === undefined) return text;
  if (template !== STATUS_TEMPLATE) return `an unknown template ${template}`;
  try { const j = JSON.parse(text); return j && typeof j === "object" && "state" in j ? String(j.state) : text; } catch { return text; }
}

/** Every rule broken by the payloads; [] when HA would take them all. */
function violations(sent: Sent[]): string[] {
  const bad: string[] = [];
  const disc = sent.filter((s) => s.topic.startsWith("homeassistant/"));
  const published = new Set(sent.filter((s) => s.retain).map((s) => s.topic));
  const devices = new Set(disc.flatMap((d) => d.body.device?.identifiers ?? []));
  const ids = new Map<string, string>();
  for (const { topic, body: c, retain } of disc) {
    const where = `${topic}:`;
    if (!TOPIC.test(topic)) bad.push(`${where} not a discovery topic`);
    if (!retain) bad.push(`${where} not retained`);
    const component = topic.split("/")[1];
    if (typeof c.unique_id !== "string") bad.push(`${where} no unique_id`);
    else if (ids.has(c.unique_id) && ids.get(c.unique_id) !== topic) bad.push(`${where} unique_id ${c.unique_id} also on ${ids.get(c.unique_id)}`);
    else ids.set(c.unique_id, topic);
    if (c.availability_topic && c.availability) bad.push(`${where} availability and availability_topic together`);
    if (!Array.isArray(c.availability) || c.availability.length === 0) bad.push(`${where} no availability`);
    for (const a of c.availability ?? []) if (!published.has(a.topic)) bad.push(`${where} availability ${a.topic} never published (retained)`);
    for (const a of c.availability ?? []) {
      // what HA would read there: the retained payload through the entry's template, then payload_(not_)available
      for (const s of sent.filter((x) => x.retain && x.topic === a.topic)) {
        const v = haValue(a.value_template, s.text);
        if (v !== (c.payload_available ?? "online") && v !== (c.payload_not_available ?? "offline")) bad.push(`${where} availability ${a.topic} reads ${JSON.stringify(v)}`);
      }
    }
    if (!["all", "any", "latest", undefined].includes(c.availability_mode)) bad.push(`${where} availability_mode ${c.availability_mode}`);
    const d = c.device;
    if (!d || !Array.isArray(d.identifiers) || !d.name || !d.manufacturer || !d.model) bad.push(`${where} device block incomplete`);
    if (d?.via_device && !devices.has(d.via_device)) bad.push(`${where} via_device ${d.via_device} is no announced device`);
    if (d?.configuration_url !== undefined && !/^https?:\/\//.test(d.configuration_url)) bad.push(`${where} configuration_url ${d.configuration_url}`);
    if (c.expire_after !== undefined && !(Number.isInteger(c.expire_after) && c.expire_after > 0)) bad.push(`${where} expire_after ${c.expire_after}`);
    if (typeof c.state_topic !== "string") bad.push(`${where} no state_topic`);
    if (component === "sensor") {
      const dc = c.device_class ?? "none";
      if (dc !== "none" && dc !== "monetary" && !(dc in UNITS)) bad.push(`${where} device_class ${dc} not in the table`);
      if (UNITS[dc] && !UNITS[dc].includes(c.unit_of_measurement)) bad.push(`${where} unit ${c.unit_of_measurement} not allowed for ${dc}`);
      if (dc === "monetary" && !/^[A-Z]{3}$/.test(c.unit_of_measurement)) bad.push(`${where} monetary unit ${c.unit_of_measurement} is no ISO 4217 code`);
      if (c.state_class !== undefined && !STATE_CLASSES[dc]?.includes(c.state_class)) bad.push(`${where} state_class ${c.state_class} not allowed for ${dc}`);
      if (c.unit_of_measurement === "") bad.push(`${where} empty unit (omit it)`);
    }
    if (component === "binary_sensor" && c.device_class && !BINARY_CLASSES.includes(c.device_class)) bad.push(`${where} binary device_class ${c.device_class}`);
    if (component === "switch") {
      if (typeof c.command_topic !== "string") bad.push(`${where} switch without command_topic`);
      if (c.device_class && !SWITCH_CLASSES.includes(c.device_class)) bad.push(`${where} switch device_class ${c.device_class}`);
    }
  }
  return bad;
}

function recorder() {
  const sent: Sent[] = [];
  const handlers: ((t: string, p: Uint8Array, r: boolean) => void)[] = [];
  const subscribed: string[] = [];
  const mqtt: MqttPublisher = {
    publish(topic, payload, _q, retain = false) {
      const text = new TextDecoder().decode(payload);
      let body: any = text;
      try { body = JSON.parse(text); } catch { /* plain text */ }
      sent.push({ topic, text, body, retain });
      return true;
    },
    subscribe(f) { subscribed.push(f); },
    onMessage(h) { handlers.push(h); },
  };
  return { mqtt, sent, subscribed, deliver: (t: string, text: string) => { for (const h of handlers) h(t, new TextEncoder().encode(text), false); } };
}

/** The demo household with meter 1 as the aggregator and meters that can drop off the bus. */
function household(clock: VirtualClock) {
  const demo = new DemoHousehold(clock);
  const offline = new Set<number>();
  const h: Household = {
    snapshot(): HouseholdSnapshot {
      const s = demo.store.snapshot();
      return { ...s, meters: s.meters.map((m) => ({ ...m, role: m.id === 1 ? "aggregator" : "slave", online: !offline.has(m.id) })) };
    },
    history: (...a) => demo.store.history(...a),
    switchLoad: (...a) => demo.store.switchLoad(...a),
    scheduleLoad: (...a) => demo.store.scheduleLoad(...a),
    onChange: (l) => demo.store.onChange(l),
  };
  return { demo, h, offline };
}

const T0 = Date.UTC(2026, 5, 1, 12);
const pq = (meterId: number, phases: number): PqAggregate => ({
  meterId, start: T0 - 600_000, end: T0, voltageV: Array(phases).fill(230), currentA: Array(phases).fill(1), powerW: Array(phases).fill(200),
  thdVoltagePct: Array(phases).fill(2), thdCurrentPct: Array(phases).fill(9), frequencyHz: 50, flagged: false,
});

function setup(switching?: boolean) {
  const clock = new VirtualClock(T0);
  const { demo, h, offline } = household(clock);
  const r = recorder();
  const device = { swVersion: "1.2.3", model: "xsmeter-test", configurationUrl: "http://192.168.1.20/" };
  const cloud = new CloudLink({ node: "n1", household: h, mqtt: r.mqtt, clock, macKey: new Uint8Array(32).fill(1), counters: memoryCounters(), ha: device });
  const log: string[] = [];
  const ha = new HomeAssistantLink({ node: "n1", household: h, mqtt: r.mqtt, clock, device, switching, log: (l) => log.push(l) });
  cloud.start();
  ha.start();
  demo.tick();
  clock.advance(60_000);
  demo.store.setAggregate(pq(2, 1));
  demo.store.setAggregate(pq(3, 3));
  return { clock, demo, r, cloud, ha, offline, log };
}

const configs = (sent: Sent[]) => new Map(sent.filter((s) => s.topic.startsWith("homeassistant/")).map((s) => [s.topic, s.body]));

describe("Home Assistant discovery against HA's rules", () => {
  it("the rule table catches what HA refuses (the checker itself can fail)", () => {
    const base = { unique_id: "u", state_topic: "s", availability: [{ topic: "a" }], device: { identifiers: ["d"], name: "n", manufacturer: "m", model: "x" } };
    const status = { topic: "a", text: "online", body: "online", retain: true };
    const of = (c: object, component = "sensor") => violations([status, { topic: `homeassistant/${component}/n1/o/config`, text: "", body: { ...base, ...c }, retain: true }]);
    expect(of({ device_class: "voltage", unit_of_measurement: "V", state_class: "measurement" })).toEqual([]);
    expect(of({ device_class: "energy", unit_of_measurement: "kWh", state_class: "measurement" })[0]).toMatch(/state_class measurement not allowed for energy/);
    expect(of({ device_class: "power", unit_of_measurement: "VA" })[0]).toMatch(/unit VA not allowed/);
    expect(of({ device_class: "monetary", unit_of_measurement: "EUR/kWh", state_class: "total" })[0]).toMatch(/ISO 4217/);
    expect(of({}, "switch")[0]).toMatch(/without command_topic/);
    expect(of({ availability: [{ topic: "never" }] })[0]).toMatch(/never published/);
  });

  it("every payload passes: readings, 10-min aggregates, household sensors and relays", () => {
    const { r } = setup();
    const c = configs(r.sent);
    expect(c.size).toBeGreaterThan(30);
    expect(violations(r.sent)).toEqual([]);
    // live V, A, Hz and PF have their device classes, like the 10-min ones
    expect(c.get("homeassistant/sensor/n1/m2_voltage_l1/config")).toMatchObject({ device_class: "voltage", unit_of_measurement: "V", state_class: "measurement", expire_after: 180 });
    expect(c.get("homeassistant/sensor/n1/m2_current_l1/config")).toMatchObject({ device_class: "current", unit_of_measurement: "A" });
    expect(c.get("homeassistant/sensor/n1/m2_frequency/config")).toMatchObject({ device_class: "frequency", unit_of_measurement: "Hz" });
    const pf = c.get("homeassistant/sensor/n1/m2_power_factor/config");
    expect(pf).toMatchObject({ device_class: "power_factor", state_class: "measurement" });
    expect(pf.unit_of_measurement).toBeUndefined();
    expect(c.get("homeassistant/sensor/n1/m2_pq10_voltage_l1/config")).toMatchObject({ device_class: "voltage" });
    expect([...c.keys()].filter((t) => t.includes("m3_pq10_voltage_l"))).toHaveLength(3);
  });

  it("device blocks: version, model, maker, page; slaves via the aggregator", () => {
    const { r } = setup();
    const c = configs(r.sent);
    const slave = c.get("homeassistant/sensor/n1/m2_power_net/config").device;
    const agg = c.get("homeassistant/sensor/n1/m1_power_net/config").device;
    expect(agg).toMatchObject({ sw_version: "1.2.3", manufacturer: "xsmeter", configuration_url: "http://192.168.1.20/", model: "xsmeter-test data aggregator" });
    expect(slave).toMatchObject({ manufacturer: "xsmeter", model: "xsmeter-test slave meter", via_device: agg.identifiers[0], configuration_url: "http://192.168.1.20/" });
    expect(c.get("homeassistant/sensor/n1/household_price/config").device).toEqual(agg);
  });

  it("household entities: power, energy today, cost today, renewable share and the price the Energy dashboard needs", () => {
    const { r, clock, demo } = setup();
    const c = configs(r.sent);
    expect(c.get("homeassistant/sensor/n1/household_energy_today/config")).toMatchObject({ device_class: "energy", state_class: "total_increasing", unit_of_measurement: "kWh" });
    expect(c.get("homeassistant/sensor/n1/household_cost_today/config")).toMatchObject({ device_class: "monetary", state_class: "total", unit_of_measurement: "EUR" });
    expect(c.get("homeassistant/sensor/n1/household_price/config")).toMatchObject({ unit_of_measurement: "EUR/kWh", state_class: "measurement" });
    expect(c.get("homeassistant/sensor/n1/household_power/config")).toMatchObject({ device_class: "power", unit_of_measurement: "W" });
    expect(c.get("homeassistant/sensor/n1/household_renewable_share/config")).toMatchObject({ unit_of_measurement: "%" });
    for (let k = 0; k < 5; k++) { clock.advance(60_000); demo.tick(); }
    clock.advance(60_000);
    const states = r.sent.filter((s) => s.topic === "xsmeter/n1/household");
    const last = states[states.length - 1].body;
    const snap = demo.store.snapshot();
    expect(last.energy_today_kwh).toBeCloseTo(snap.energyTodayWh / 1000, 3);
    expect(last.cost_today).toBeCloseTo(snap.bill.totalMinor / 100, 2);
    expect(snap.tariffNow.importMinorPerKWh).toBeGreaterThan(0);
    expect(last.price).toBeCloseTo(snap.tariffNow.importMinorPerKWh / 100, 4); // EUR per kWh, not cents
    expect(last.power_w).toBeCloseTo(snap.loads.reduce((w, l) => w + l.powerW, 0), 1);
    expect(last.renewable_pct).toBeCloseTo(snap.grid.renewableShare * 100, 1);
  });

  it("a slave off the bus goes unavailable, the others stay", () => {
    const { r, cloud, offline } = setup();
    const avail = (id: number) => r.sent.filter((s) => s.topic === `xsmeter/n1/availability/${id}`).map((s) => s.text);
    expect(avail(2)).toEqual(["online"]);
    offline.add(2);
    cloud.publishReadings();
    cloud.publishReadings();
    expect(avail(2)).toEqual(["online", "offline"]); // once, on change
    expect(avail(3)).toEqual(["online"]);
    const v = configs(r.sent).get("homeassistant/sensor/n1/m2_voltage_l1/config");
    expect(v.availability).toEqual([{ topic: "xsmeter/n1/status", value_template: STATUS_TEMPLATE }, { topic: "xsmeter/n1/availability/2" }]);
    expect(v.availability_mode).toBe("all");
  });

  it("switching is off by default: relays are read-only binary sensors, nothing is subscribed, and it says so", () => {
    const { r, demo, ha, log } = setup();
    const c = configs(r.sent);
    expect([...c.keys()].filter((t) => t.startsWith("homeassistant/switch/"))).toEqual([]);
    expect(c.get("homeassistant/binary_sensor/n1/load_oven/config")).toMatchObject({ state_topic: "xsmeter/n1/load/oven/state", json_attributes_topic: "xsmeter/n1/ha/switching" });
    expect(r.subscribed.some((s) => s.includes("/load/"))).toBe(false);
    expect(log.join("\n")).toMatch(/not authenticated.*off/);
    expect(r.sent.find((s) => s.topic === "xsmeter/n1/ha/switching")).toMatchObject({ retain: true, body: { ha_switching: "off" } });
    const before = demo.store.snapshot().loads.find((l) => l.id === "oven")!.on;
    r.deliver("xsmeter/n1/load/oven/set", before ? "OFF" : "ON");
    expect(demo.store.snapshot().loads.find((l) => l.id === "oven")!.on).toBe(before);
    expect(ha.stats.switched).toBe(0);
  });

  it("enabled by the owner: switches for switchable loads only; garbage and floods refused, the next good command served", () => {
    const { r, demo, ha, clock } = setup(true);
    const c = configs(r.sent);
    expect(violations(r.sent)).toEqual([]);
    expect(c.get("homeassistant/switch/n1/load_oven/config")).toMatchObject({ command_topic: "xsmeter/n1/load/oven/set", state_topic: "xsmeter/n1/load/oven/state" });
    expect(c.has("homeassistant/switch/n1/load_fridge/config")).toBe(false); // fixed: read-only
    expect(c.has("homeassistant/binary_sensor/n1/load_fridge/config")).toBe(true);
    expect(r.subscribed).toContain("xsmeter/n1/load/+/set");
    const oven = () => demo.store.snapshot().loads.find((l) => l.id === "oven")!.on;
    const fridge = () => demo.store.snapshot().loads.find((l) => l.id === "fridge")!.on;
    const f0 = fridge();
    r.deliver("xsmeter/n1/load/fridge/set", f0 ? "OFF" : "ON");
    for (const junk of ["on", "", "ON ".repeat(1000), "\xff\xfe", "{\"on\":true}"]) r.deliver("xsmeter/n1/load/oven/set", junk);
    r.deliver("xsmeter/n1/load/nope/set", "ON");
    expect(fridge()).toBe(f0);
    expect(ha.stats.refused).toBe(7);
    const target = !oven();
    r.deliver("xsmeter/n1/load/oven/set", target ? "ON" : "OFF");
    expect(oven()).toBe(target);
    const states = r.sent.filter((s) => s.topic === "xsmeter/n1/load/oven/state");
    expect(states[states.length - 1]).toMatchObject({ text: target ? "ON" : "OFF", retain: true });
    r.deliver("xsmeter/n1/load/oven/set", target ? "OFF" : "ON"); // too soon: a flood cannot chatter the relay
    expect(oven()).toBe(target);
    clock.advance(2500);
    r.deliver("xsmeter/n1/load/oven/set", target ? "OFF" : "ON");
    expect(oven()).toBe(!target);
    expect(ha.stats.switched).toBe(2);
  });
});

describe("HomeAssistantLink with a load id that makes no topic", () => {
  it("leaves that load out (logged) and announces the others; nothing throws", () => {
    const clock = new VirtualClock(T0);
    const { h } = household(clock);
    const odd: Household = { ...h, snapshot: () => { const s = h.snapshot(); return { ...s, loads: [...s.loads, { ...s.loads[0], id: "a/b+#" }] }; } };
    const r = recorder();
    const log: string[] = [];
    const ha = new HomeAssistantLink({ node: "n1", household: odd, mqtt: r.mqtt, clock, switching: true, log: (l) => log.push(l) });
    ha.start();
    expect(r.sent.some((s) => s.topic.includes("a/b"))).toBe(false);
    expect(log.join("\n")).toMatch(/load id "a\/b\+#" is not letters, digits, _ or -: not announced/);
    expect(r.sent.filter((s) => /homeassistant\/(switch|binary_sensor)\/n1\/load_/.test(s.topic)).length).toBe(h.snapshot().loads.length);
  });
});

describe.skipIf(missing("mosquitto"))("Home Assistant switch through mosquitto", () => {
  let broker: Mosquitto | undefined;
  let cloud: SimCloud | undefined;
  let sim: HouseholdSim | undefined;
  let ha: MqttClient | undefined;
  afterAll(async () => {
    ha?.stop();
    cloud?.stop();
    sim?.stop();
    await broker?.stop();
  });

  it("HA reads the retained discovery, switches a load on its command topic and sees the new state", async () => {
    broker = new Mosquitto(await freePort());
    await broker.start();
    const clock = nodeClock();
    sim = new HouseholdSim(clock, { seed: 5, slaves: 2, frontEnd: "power", link: "direct" });
    sim.start();
    cloud = startSimCloud({ household: sim.aggregator.store, clock, brokerUrl: broker.url, networkKey: sim.networkKey, node: "ha-e2e", periodMs: 1000, ha: { switching: true, device: { configurationUrl: "http://127.0.0.1:8080/" } } });
    await until("the cloud session", () => cloud!.client.isConnected);
    // Home Assistant, as a second client: discovery is retained, so it may come later
    ha = new MqttClient({ network: new NodeNetwork(), clock, random: { fill: (b) => void getRandomValues(b) }, host: "127.0.0.1", port: broker.port, clientId: "home-assistant", outbox: new MemoryOutbox(), clean: true });
    const switches = new Map<string, any>();
    const state = new Map<string, string>();
    ha.onMessage((topic, payload) => {
      const text = new TextDecoder().decode(payload);
      if (topic.startsWith("homeassistant/switch/")) switches.set(topic, JSON.parse(text));
      else state.set(topic, text);
    });
    await until("the HA client", () => (ha!.start(), true));
    ha.subscribe("homeassistant/switch/ha-e2e/#", 1);
    ha.subscribe("xsmeter/ha-e2e/load/+/state", 1);
    await until("a switch entity", () => switches.size > 0);
    const [, cfg] = [...switches.entries()][0];
    const load = sim.aggregator.store.snapshot().loads.find((l) => cfg.command_topic === `xsmeter/ha-e2e/load/${l.id}/set`)!;
    expect(load.kind).toBe("switchable");
    await until("its retained state", () => state.has(cfg.state_topic));
    const want = state.get(cfg.state_topic) === "ON" ? "OFF" : "ON";
    ha.publish(cfg.command_topic, new TextEncoder().encode(want), 1);
    await until(`the relay ${want}`, () => state.get(cfg.state_topic) === want);
    expect(sim.aggregator.store.snapshot().loads.find((l) => l.id === load.id)!.on).toBe(want === "ON");
    expect(cloud.ha.stats.switched).toBe(1);
  });
});
