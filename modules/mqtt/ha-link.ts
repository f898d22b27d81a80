/**
 * The household as Home Assistant sees it, beside CloudLink on the same MQTT
 * session: discovery of the household sensors (power, energy and cost today,
 * renewable share, the import price now) and one entity per load relay, the
 * household state every period, relay states when they change, and — only
 * when the owner enabled it — `switch` commands from HA.
 *
 * Topics (<node> = this aggregator):
 *   xsmeter/<node>/household             {"power_w","energy_today_kwh","cost_today","renewable_pct","price"} QoS 0
 *   xsmeter/<node>/load/<id>/state       "ON" / "OFF" (retained, on change)
 *   xsmeter/<node>/load/<id>/set         "ON" / "OFF" from HA (subscribed only with switching enabled)
 *   xsmeter/<node>/ha/switching          {"ha_switching":"on"|"off","why"} (retained; the relays' HA attributes)
 *
 * HA's command topic carries no signature: anyone who may publish on the
 * broker could switch. So switching is OFF by default (the relays are then
 * read-only binary sensors), and when the owner turns it on only loads of kind
 * "switchable" may be switched, each at most once per `minSwitchIntervalMs`.
 */
import type { Clock, TimerId } from "../core/clock";
import type { Household, HouseholdSnapshot } from "../core/household";
import { utf8DecodeStrict, utf8Encode } from "../core/bytes";
import type { MqttPublisher } from "./cloud-link";
import { haTopics, householdEntities, loadEntity, type HaDeviceInfo } from "./ha-discovery";

export interface HomeAssistantLinkOptions {
  node: string;
  household: Household;
  mqtt: MqttPublisher;
  clock: Clock;
  device?: HaDeviceInfo;
  /** The owner's choice: may HA switch loads over its (unauthenticated) command topic? Default false. */
  switching?: boolean;
  /** How often the household state goes out (default 60 s). */
  periodMs?: number;
  /** Fewest ms between two HA switchings of one load (default 2000): a flood cannot chatter a relay. */
  minSwitchIntervalMs?: number;
  /** Where the link says what it refused and whether switching is on (the board's log, the sim's console). */
  log?(line: string): void;
}

export interface HomeAssistantLinkStats {
  switched: number;
  /** Commands refused: switching off, unknown or non-switchable load, bad payload, too fast. */
  refused: number;
  /** Publishing from the household's update threw (it stays here: that update is the aggregator's task). */
  publishErrors: number;
}

const TOPIC_SAFE = /^[A-Za-z0-9_-]{1,64}$/;
const SWITCHING_OFF = "HA's command topic is not authenticated, so switching from Home Assistant is off; the owner may enable it (haSwitching), then only loads marked switchable can be switched";
const SWITCHING_ON = "switching from Home Assistant is enabled by the owner: loads marked switchable only";

export class HomeAssistantLink {
  readonly stats: HomeAssistantLinkStats = { switched: 0, refused: 0, publishErrors: 0 };
  private readonly relays = new Map<string, boolean>();
  private readonly lastSwitch = new Map<string, number>();
  private discoveredLoads = "";
  private timer?: TimerId;
  private unsubscribe?: () => void;
  private readonly setPrefix: string;

  constructor(private readonly o: HomeAssistantLinkOptions) {
    if (!/^[A-Za-z0-9_-]+$/.test(o.node)) throw new RangeError(`node id ${JSON.stringify(o.node)}: letters, digits, _ and - only`);
    this.setPrefix = `xsmeter/${o.node}/load/`;
  }

  get switchingEnabled(): boolean {
    return this.o.switching === true;
  }

  start(): void {
    const enabled = this.switchingEnabled;
    this.o.log?.(`home assistant: ${enabled ? SWITCHING_ON : SWITCHING_OFF}`);
    this.o.mqtt.publish(`xsmeter/${this.o.node}/ha/switching`, utf8Encode(JSON.stringify({ ha_switching: enabled ? "on" : "off", why: enabled ? SWITCHING_ON : SWITCHING_OFF })), 1, true);
    if (enabled) {
      this.o.mqtt.onMessage((topic, payload) => this.command(topic, payload));
      this.o.mqtt.subscribe(`${this.setPrefix}+/set`, 0);
    }
    const snap = this.o.household.snapshot();
    for (const e of householdEntities(this.ctx(), snap.bill.currency)) this.o.mqtt.publish(e.topic, utf8Encode(JSON.stringify(e.config)), 1, true);
    this.publish();
    this.timer = this.o.clock.every(this.o.periodMs ?? 60_000, () => this.publishState(this.o.household.snapshot()));
    this.unsubscribe = this.o.household.onChange(() => {
      try {
        this.publishRelays(this.o.household.snapshot());
      } catch {
        this.stats.publishErrors++;
      }
    });
  }

  stop(): void {
    if (this.timer !== undefined) this.o.clock.cancel(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Household state and relay states now. */
  publish(): void {
    const snap = this.o.household.snapshot();
    this.publishState(snap);
    this.publishRelays(snap);
  }

  private ctx() {
    return { node: this.o.node, ...this.o.device, expireAfterS: Math.max(180, Math.ceil((3 * (this.o.periodMs ?? 60_000)) / 1000)) };
  }

  private publishState(snap: HouseholdSnapshot): void {
    let w = 0;
    for (const l of snap.loads) w += l.powerW;
    const minor = (x: number) => Math.round(x) / 100; // minor units (cents) to the currency
    const state = {
      power_w: Math.round(w * 10) / 10,
      energy_today_kwh: Math.round(snap.energyTodayWh) / 1000,
      cost_today: minor(snap.bill.totalMinor),
      renewable_pct: Math.round(snap.grid.renewableShare * 1000) / 10,
      // an unknown price is null (HA shows "unknown"), never a made-up 0
      price: snap.tariffNow.importMinorPerKWh > 0 && !snap.grid.pricesStale ? Math.round(snap.tariffNow.importMinorPerKWh * 100) / 10_000 : null,
    };
    this.o.mqtt.publish(haTopics.household(this.o.node), utf8Encode(JSON.stringify(state)), 0);
  }

  /** Discovery when the set of loads changes; each relay state when it changes (retained, so HA restarts see it). */
  private publishRelays(snap: HouseholdSnapshot): void {
    const loads = snap.loads.filter((l) => TOPIC_SAFE.test(l.id)); // an id with / + # would make no topic
    const ids = loads.map((l) => `${l.id}:${l.kind}`).join(",");
    if (ids !== this.discoveredLoads) {
      const ctx = this.ctx();
      for (const l of snap.loads) if (!TOPIC_SAFE.test(l.id)) this.o.log?.(`home assistant: load id ${JSON.stringify(l.id)} is not letters, digits, _ or -: not announced`);
      for (const l of loads) {
        const e = loadEntity(ctx, l, this.switchingEnabled);
        e.config.json_attributes_topic = `xsmeter/${this.o.node}/ha/switching`;
        this.o.mqtt.publish(e.topic, utf8Encode(JSON.stringify(e.config)), 1, true);
      }
      this.discoveredLoads = ids;
    }
    for (const l of loads) {
      if (this.relays.get(l.id) === l.on) continue;
      this.relays.set(l.id, l.on);
      this.o.mqtt.publish(haTopics.loadState(this.o.node, l.id), utf8Encode(l.on ? "ON" : "OFF"), 1, true);
    }
  }

  private command(topic: string, payload: Uint8Array): void {
    if (!topic.startsWith(this.setPrefix) || !topic.endsWith("/set")) return;
    const id = topic.slice(this.setPrefix.length, topic.length - 4);
    const text = payload.length <= 8 ? utf8DecodeStrict(payload) : undefined;
    const refuse = (why: string): void => {
      this.stats.refused++;
      this.o.log?.(`home assistant: ${id}: ${why}`);
    };
    if (!this.switchingEnabled) return refuse("switching from Home Assistant is off");
    if (text !== "ON" && text !== "OFF") return refuse("payload must be ON or OFF");
    const load = this.o.household.snapshot().loads.find((l) => l.id === id);
    if (!load) return refuse("no such load");
    if (load.kind !== "switchable") return refuse(`${load.name} is not marked switchable by the owner`);
    const now = this.o.clock.now();
    const last = this.lastSwitch.get(id);
    if (last !== undefined && now - last < (this.o.minSwitchIntervalMs ?? 2000)) return refuse("switched too recently");
    this.lastSwitch.set(id, now);
    // HA acts for the household's user, as the page's switch does
    const r = this.o.household.switchLoad(id, text === "ON", "user");
    if (!r.ok) return refuse(r.error ?? "refused");
    this.stats.switched++;
    this.publishRelays(this.o.household.snapshot());
  }
}
