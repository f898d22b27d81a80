// clientPublisher: a full flash outbox (no broker to drain it) drops and counts a reading instead of
// throwing out of CloudLink's timer; what was queued before stays queued.
import { getRandomValues } from "node:crypto";
import { describe, expect, it } from "vitest";
import { clientPublisher } from "../../modules/mqtt/client-publisher";
import { FlashOutbox } from "../../modules/mqtt/flash-outbox";
import { MqttClient } from "../../modules/mqtt/client";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { NodeNetwork } from "../../hosts/node/http/node-network";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";

describe("clientPublisher", () => {
  it("counts the readings a full outbox refuses and keeps the queued ones", () => {
    const outbox = new FlashOutbox(new NorFlashSim({ size: 4 * 4096 }));
    const client = new MqttClient({ network: new NodeNetwork(), clock: new VirtualClock(0), random: { fill: (b) => void getRandomValues(b) }, host: "127.0.0.1", port: 1, clientId: "full", outbox });
    const mqtt = clientPublisher(client); // never started: nothing drains the outbox
    const payload = new Uint8Array(200).fill(0x41);
    let accepted = 0;
    for (let k = 0; k < 200; k++) if (mqtt.publish(`xsmeter/full/meter/1/${k}`, payload, 1)) accepted++;
    expect(mqtt.dropped()).toBeGreaterThan(0);
    expect(accepted + mqtt.dropped()).toBe(200);
    expect(outbox.size).toBe(accepted);
  });
});
