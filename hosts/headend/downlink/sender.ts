/**
 * Sends downlinks: checked (commands.ts), given the node's next counter and
 * recorded in the store before they leave, signed with the node's key, and
 * published QoS 1 on the head-end's own MQTT session. The meter's
 * xsmeter/<node>/cmd/result comes back through the ingest, which fills in the
 * row's result.
 */
import { getRandomValues } from "node:crypto";
import { MqttClient } from "../../../modules/mqtt/client";
import { MemoryOutbox } from "../../../modules/mqtt/flash-outbox";
import { credentialsOf, FailoverNetwork, parseEndpoints } from "../broker/failover-network";
import { NodeNetwork } from "../../node/http/node-network";
import { nodeClock } from "../../node/node-clock";
import type { DownlinkKind, DownlinkRow, HeadendStore } from "../store/store";
import { checkCommand, CommandError } from "./commands";
import { downlinkTopic, signDownlink } from "./sign";

export interface SenderOptions {
  store: HeadendStore;
  mqttUrl: string;
  clientId?: string;
  now?: () => number;
}

export class DownlinkSender {
  readonly client: MqttClient;
  private readonly now: () => number;

  constructor(private readonly o: SenderOptions) {
    this.now = o.now ?? Date.now;
    // one broker, or a cluster's nodes comma-separated (moves on to the next when one drops it)
    const endpoints = parseEndpoints(o.mqttUrl);
    this.client = new MqttClient({
      network: new FailoverNetwork(new NodeNetwork(), endpoints), clock: nodeClock(), random: { fill: (b) => void getRandomValues(b) },
      host: endpoints[0].host, port: endpoints[0].port, clientId: o.clientId ?? "xsmeter-headend-downlink",
      outbox: new MemoryOutbox(), minBackoffMs: 200, maxBackoffMs: 5000,
      ...credentialsOf(o.mqttUrl), // mqtt://user:password@host: the head-end's account on a broker with ACLs
    });
  }

  start(): void {
    this.client.start();
  }

  stop(): void {
    this.client.stop();
  }

  async send(node: string, kind: DownlinkKind | string, body: Record<string, unknown>, by: string, campaign?: number): Promise<DownlinkRow> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(node)) throw new CommandError(`node ${JSON.stringify(node)}: letters, digits, _ and - only`);
    const clean = checkCommand(kind, body, this.now());
    const key = await this.o.store.nodeKey(node);
    if (!key) throw new CommandError(`no downlink key for node ${node}: add it with xsmeter headend key ${node} <64 hex digits>`);
    // counters in seconds: above the meter's last even if this database is newer than the meter
    const row = await this.o.store.addDownlink({ node, kind: kind as DownlinkKind, body: JSON.stringify(clean), sentAt: this.now(), by, campaign }, Math.floor(this.now() / 1000));
    const topic = downlinkTopic(node, kind);
    this.client.publish(topic, signDownlink(key, topic, { ctr: row.ctr, ...clean }), 1);
    return row;
  }
}
