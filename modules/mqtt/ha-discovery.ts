/**
 * Home Assistant MQTT discovery payloads (pure: no session, no state), for
 * CloudLink's per-meter readings and HomeAssistantLink's household, relay and
 * switch entities. One place decides device_class / unit / state_class, the
 * device blocks and the availability every entity carries.
 *
 * Availability: every entity needs the aggregator's status (its MQTT will) AND,
 * for a meter's entities, that meter's own availability topic
 * (availability_mode "all"), so a slave that is off the bus goes unavailable
 * while the others stay. `expire_after` marks a value unknown when readings
 * stop without a will (a stuck task).
 */
import { OBIS, type Quantity } from "../core/obis";
import type { LoadView, MeterView } from "../core/household";
import { readingTopic } from "./obis-topic";

/** What the discovery blocks say about the firmware and where its page is. */
export interface HaDeviceInfo {
  /** Firmware version (device `sw_version`). */
  swVersion?: string;
  /** Device `model` of the aggregator and of the slaves. */
  model?: string;
  /** The household page (device `configuration_url`, e.g. http://192.168.1.20/). */
  configurationUrl?: string;
  /** Seconds after which HA shows a reading as unavailable if no new one came. */
  expireAfterS?: number;
}

export interface HaContext extends HaDeviceInfo {
  node: string;
}

export interface HaEntity {
  /** homeassistant/<component>/<node>/<object>/config */
  topic: string;
  config: Record<string, unknown>;
}

export const HA_MANUFACTURER = "xsmeter";

export const haTopics = Object.freeze({
  status: (node: string) => `xsmeter/${node}/status`,
  meterAvailability: (node: string, meterId: number) => `xsmeter/${node}/availability/${meterId}`,
  household: (node: string) => `xsmeter/${node}/household`,
  loadState: (node: string, id: string) => `xsmeter/${node}/load/${id}/state`,
  loadSet: (node: string, id: string) => `xsmeter/${node}/load/${id}/set`,
  config: (component: string, node: string, object: string) => `homeassistant/${component}/${node}/${object}/config`,
});

/** HA's sensor classes for an OBIS quantity (HA sensor docs: device class ↔ unit ↔ state class). */
export function sensorClass(q: Quantity | undefined): Record<string, unknown> {
  if (!q) return { state_class: "measurement" };
  if (q.kind === "counter") return { state_class: "total_increasing" };
  if (q.kind === "energy") {
    // published in Wh, shown in kWh (the Energy dashboard's unit); totals only rise
    if (q.unit === "Wh") return { device_class: "energy", state_class: q.code === "1-0:16.8.0" ? "total" : "total_increasing", unit_of_measurement: "kWh" };
    return { device_class: "reactive_energy", state_class: "total_increasing", unit_of_measurement: "kvarh" };
  }
  const byUnit: Record<string, string> = { V: "voltage", A: "current", W: "power", var: "reactive_power", VA: "apparent_power", Hz: "frequency" };
  const dc = byUnit[q.unit] ?? (q.key.indexOf("power_factor") >= 0 || q.key.indexOf("displacement_pf") >= 0 ? "power_factor" : undefined);
  const out: Record<string, unknown> = { state_class: "measurement" };
  if (dc) out.device_class = dc;
  if (q.unit) out.unit_of_measurement = q.unit;
  return out;
}

/** The Jinja template turning the published {"v": …} into HA's unit. */
function valueTemplate(q: Quantity | undefined): string {
  if (q?.kind === "energy") return "{{ value_json.v / 1000 }}";
  return "{{ value_json.v }}";
}

function aggregatorDeviceId(node: string): string {
  return `xsmeter_${node}_aggregator`;
}

/**
 * A meter's device block. The aggregator is one device (its own meter's
 * readings, the household totals, price and relays); each slave is its own
 * device reached through it (`via_device`).
 */
export function meterDevice(ctx: HaContext, m: Pick<MeterView, "id" | "name" | "role">): Record<string, unknown> {
  if (m.role === "aggregator") return householdDevice(ctx);
  const d: Record<string, unknown> = {
    identifiers: [`xsmeter_${ctx.node}_m${m.id}`],
    name: m.name,
    manufacturer: HA_MANUFACTURER,
    model: `${ctx.model ?? "xsmeter"} slave meter`,
    via_device: aggregatorDeviceId(ctx.node),
  };
  // no sw_version: the aggregator does not learn a slave's firmware version over CAN
  if (ctx.configurationUrl) d.configuration_url = ctx.configurationUrl;
  return d;
}

/** The aggregator as HA's device: the household's totals, price and relays belong to it. */
export function householdDevice(ctx: HaContext): Record<string, unknown> {
  const d: Record<string, unknown> = {
    identifiers: [aggregatorDeviceId(ctx.node)],
    name: `xsmeter ${ctx.node} (household aggregator)`,
    manufacturer: HA_MANUFACTURER,
    model: `${ctx.model ?? "xsmeter"} data aggregator`,
  };
  if (ctx.swVersion) d.sw_version = ctx.swVersion;
  if (ctx.configurationUrl) d.configuration_url = ctx.configurationUrl;
  return d;
}

/** Home Assistant's template for the node's status: the JSON's state, or the plain word of earlier firmware. */
export const STATUS_TEMPLATE = "{{ value_json.state if value_json is defined and value_json.state is defined else value }}";

/** The node's status, plus the meter's own availability when given. */
export function availability(ctx: HaContext, meterId?: number): Record<string, unknown> {
  // the status is JSON ({"state",…}, report-order.ts); earlier firmware's was the bare word
  const list: Record<string, string>[] = [{ topic: haTopics.status(ctx.node), value_template: STATUS_TEMPLATE }];
  if (meterId !== undefined) list.push({ topic: haTopics.meterAvailability(ctx.node, meterId) });
  return { availability: list, availability_mode: "all", payload_available: "online", payload_not_available: "offline" };
}

function expire(ctx: HaContext): Record<string, unknown> {
  return ctx.expireAfterS ? { expire_after: ctx.expireAfterS } : {};
}

/** The sensor for one meter's OBIS code, on the topic CloudLink publishes it (`stateTopic`: the dotted form unless given). */
export function readingEntity(ctx: HaContext, m: Pick<MeterView, "id" | "name" | "role">, code: string, stateTopic = readingTopic(ctx.node, m.id, code)): HaEntity {
  const q = OBIS.get(code);
  const object = `m${m.id}_${q ? q.key : code.replace(/[^0-9]/g, "_")}`;
  const config: Record<string, unknown> = {
    name: q ? q.name : code,
    unique_id: `xsmeter_${ctx.node}_${object}`,
    state_topic: stateTopic,
    value_template: valueTemplate(q),
    ...sensorClass(q),
    ...availability(ctx, m.id),
    ...expire(ctx),
    device: meterDevice(ctx, m),
  };
  return { topic: haTopics.config("sensor", ctx.node, object), config };
}

/** The 10-min aggregate's voltage and THD per phase, its frequency, and the flag as a problem. */
export function pqEntities(ctx: HaContext, m: Pick<MeterView, "id" | "name" | "role">, phases: number, topic: string): HaEntity[] {
  const out: HaEntity[] = [];
  const base = `m${m.id}_pq10`;
  // a 10-min value is new every 600 s: unknown after three missed intervals
  const add = (component: string, object: string, name: string, template: string, extra: Record<string, unknown>): void => {
    out.push({
      topic: haTopics.config(component, ctx.node, object),
      config: { name, unique_id: `xsmeter_${ctx.node}_${object}`, state_topic: topic, value_template: template, ...extra, ...availability(ctx, m.id), expire_after: 1800, device: meterDevice(ctx, m) },
    });
  };
  for (let p = 0; p < phases; p++) {
    add("sensor", `${base}_voltage_l${p + 1}`, `Voltage L${p + 1}, 10-min`, `{{ value_json.u[${p}] }}`, { device_class: "voltage", state_class: "measurement", unit_of_measurement: "V" });
    add("sensor", `${base}_thd_voltage_l${p + 1}`, `Voltage THD L${p + 1}, 10-min`, `{{ value_json.thdu[${p}] }}`, { state_class: "measurement", unit_of_measurement: "%" });
  }
  add("sensor", `${base}_frequency`, "Frequency, 10-min", "{{ value_json.f }}", { device_class: "frequency", state_class: "measurement", unit_of_measurement: "Hz" });
  add("binary_sensor", `${base}_flagged`, "10-min interval flagged (dip, swell or interruption)", "{{ 'ON' if value_json.flagged else 'OFF' }}", { device_class: "problem" });
  return out;
}

/**
 * The household sensors, all on one state topic: total power, energy today
 * (kWh, total_increasing: HA takes the midnight drop as a new cycle), today's
 * cost (monetary, in the bill's currency), renewable share and the current
 * import price in <currency>/kWh (what the Energy dashboard asks for).
 */
export function householdEntities(ctx: HaContext, currency: string): HaEntity[] {
  const topic = haTopics.household(ctx.node);
  const sensor = (object: string, name: string, key: string, extra: Record<string, unknown>): HaEntity => ({
    topic: haTopics.config("sensor", ctx.node, object),
    config: { name, unique_id: `xsmeter_${ctx.node}_${object}`, state_topic: topic, value_template: `{{ value_json.${key} }}`, ...extra, ...availability(ctx), ...expire(ctx), device: householdDevice(ctx) },
  });
  return [
    sensor("household_power", "Household power", "power_w", { device_class: "power", state_class: "measurement", unit_of_measurement: "W" }),
    sensor("household_energy_today", "Energy imported today", "energy_today_kwh", { device_class: "energy", state_class: "total_increasing", unit_of_measurement: "kWh" }),
    sensor("household_cost_today", "Cost today", "cost_today", { device_class: "monetary", state_class: "total", unit_of_measurement: currency }),
    sensor("household_renewable_share", "Renewable share", "renewable_pct", { state_class: "measurement", unit_of_measurement: "%", icon: "mdi:leaf" }),
    sensor("household_price", "Import price now", "price", { state_class: "measurement", unit_of_measurement: `${currency}/kWh`, icon: "mdi:cash" }),
  ];
}

/**
 * A load's relay: a `switch` with a command topic when HA may switch it (the
 * owner enabled HA switching and marked the load switchable), otherwise a
 * read-only `binary_sensor` showing the relay state.
 */
export function loadEntity(ctx: HaContext, load: Pick<LoadView, "id" | "name" | "kind" | "meterId">, switchingEnabled: boolean): HaEntity {
  const object = `load_${load.id}`;
  const common = {
    name: `${load.name} relay`,
    unique_id: `xsmeter_${ctx.node}_${object}`,
    state_topic: haTopics.loadState(ctx.node, load.id),
    ...availability(ctx),
    device: householdDevice(ctx),
  };
  if (switchingEnabled && load.kind === "switchable") {
    return { topic: haTopics.config("switch", ctx.node, object), config: { ...common, command_topic: haTopics.loadSet(ctx.node, load.id), payload_on: "ON", payload_off: "OFF", state_on: "ON", state_off: "OFF", optimistic: false, device_class: "outlet" } };
  }
  return { topic: haTopics.config("binary_sensor", ctx.node, object), config: { ...common, payload_on: "ON", payload_off: "OFF", device_class: "power" } };
}
