import { OutboxFull } from "./flash-outbox";
import type { MqttClient } from "./client";
import type { MqttPublisher } from "./cloud-link";

/** CloudLink's publisher over an MqttClient, counting what a full outbox refused. */
export interface ClientPublisher extends MqttPublisher {
  /** Messages dropped because the outbox was full (the broker unreachable for long). */
  dropped(): number;
}

/**
 * A full outbox throws OutboxFull; CloudLink publishes from timers, where a throw would end the
 * firmware (or the simulator). So the reading is dropped and counted instead; any other error still throws.
 */
export function clientPublisher(client: MqttClient): ClientPublisher {
  let dropped = 0;
  return {
    publish(topic, payload, qos, retain) {
      try {
        return client.publish(topic, payload, qos, retain);
      } catch (e) {
        if (!(e instanceof OutboxFull)) throw e;
        dropped++;
        return false;
      }
    },
    subscribe: (filter, qos) => client.subscribe(filter, qos),
    onMessage: (handler) => client.onMessage(handler),
    onConnect(handler) {
      const before = client.onConnect; // keep a hook set earlier
      client.onConnect = () => {
        before?.();
        handler();
      };
    },
    dropped: () => dropped,
  };
}
