// XS conformance: Home Assistant discovery and the HA link on a recording publisher —
// every discovery payload (readings, household, relays as switches), per-meter
// availability, the household state and HA switch commands (good, garbage, too fast).
import { VirtualClock } from "../../../modules/core/virtual-clock";
import { DemoHousehold } from "../../../modules/app/demo-household";
import { CloudLink, type MqttPublisher } from "../../../modules/mqtt/cloud-link";
import { memoryCounters } from "../../../modules/mqtt/downlink-counters";
import { HomeAssistantLink } from "../../../modules/mqtt/ha-link";
import { utf8Encode } from "../../../modules/core/bytes";

export function run(): unknown {
  const clock = new VirtualClock(Date.UTC(2026, 5, 1, 12));
  const demo = new DemoHousehold(clock);
  const sent: string[] = [];
  const handlers: ((t: string, p: Uint8Array, r: boolean) => void)[] = [];
  const mqtt: MqttPublisher = {
    publish(topic, payload, qos, retain) { sent.push(`${topic} q${qos ?? 1}${retain ? " r" : ""} ${new TextDecoder().decode(payload)}`); return true; },
    subscribe(f) { sent.push(`subscribe ${f}`); },
    onMessage(h) { handlers.push(h); },
  };
  const device = { swVersion: "1.2.3", model: "xsmeter", configurationUrl: "http://meter.local/" };
  const cloud = new CloudLink({ node: "n1", household: demo.store, mqtt, clock, macKey: new Uint8Array(32).fill(1), counters: memoryCounters(), ha: device });
  const ha = new HomeAssistantLink({ node: "n1", household: demo.store, mqtt, clock, device, switching: true });
  cloud.start();
  ha.start();
  demo.tick();
  clock.advance(60_000);
  const deliver = (t: string, text: string) => { for (const h of handlers) h(t, utf8Encode(text), false); };
  deliver("xsmeter/n1/load/oven/set", "OFF");
  deliver("xsmeter/n1/load/oven/set", "ON");
  deliver("xsmeter/n1/load/fridge/set", "OFF");
  deliver("xsmeter/n1/load/oven/set", "maybe");
  clock.advance(3000);
  deliver("xsmeter/n1/load/oven/set", "ON");
  return { messages: sent.filter((s) => !/^xsmeter\/n1\/meter\//.test(s)), stats: ha.stats };
}
