/**
 * A NATS cluster on loopback for the head-end's broker-tier test and bench:
 * Debian's nats-server (2.9) nodes, each with a server_name, JetStream (its
 * MQTT endpoint keeps sessions, subscriptions and unacknowledged QoS 1
 * messages in JetStream streams — replicated on every node with
 * mqtt.stream_replicas), an MQTT 3.1.1 listener, routes to all the others and
 * a monitoring port whose /healthz says when JetStream is ready. Free ports,
 * one temporary directory for configs, logs and stores.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { get } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../node/free-port";

export interface NatsNode {
  name: string;
  client: number;
  cluster: number;
  mqtt: number;
  http: number;
  proc?: ChildProcess;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: "127.0.0.1", port, path: "/healthz", timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => { req.destroy(); resolve(false); });
  });
}

export class NatsCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "xsm-nats-"));
  readonly nodes: NatsNode[] = [];

  /** Writes one config per node; `ackWait`: how long a delivered, unacknowledged QoS 1 message waits before redelivery. */
  static async create(n: number, ackWait = "30s"): Promise<NatsCluster> {
    const c = new NatsCluster();
    for (let i = 0; i < n; i++) c.nodes.push({ name: `n${i + 1}`, client: await freePort(), cluster: await freePort(), mqtt: await freePort(), http: await freePort() });
    for (const node of c.nodes) {
      const routes = c.nodes.filter((x) => x !== node).map((x) => `"nats-route://127.0.0.1:${x.cluster}"`).join(", ");
      writeFileSync(join(c.dir, `${node.name}.conf`), `server_name: ${node.name}
listen: 127.0.0.1:${node.client}
http: 127.0.0.1:${node.http}
jetstream { store_dir: "${join(c.dir, node.name)}", max_memory_store: 64MB, max_file_store: 512MB }
cluster { name: xsmeter, listen: 127.0.0.1:${node.cluster}, routes: [${routes}] }
mqtt { listen: 127.0.0.1:${node.mqtt}, stream_replicas: ${Math.min(n, 3)}, ack_wait: "${ackWait}", max_ack_pending: 2000 }
`);
    }
    return c;
  }

  url(i: number): string {
    return `mqtt://127.0.0.1:${this.nodes[i].mqtt}`;
  }

  /** Every node's MQTT URL, comma-separated, starting at node `first`. */
  urls(first = 0): string {
    return this.nodes.map((_, k) => this.url((first + k) % this.nodes.length)).join(",");
  }

  isUp(i: number): boolean {
    const p = this.nodes[i].proc;
    return p !== undefined && p.exitCode === null && p.signalCode === null;
  }

  /** Starts node i (not waiting for JetStream: a lone node of three has no quorum). */
  start(i: number): void {
    const node = this.nodes[i];
    node.proc = spawn("nats-server", ["-c", join(this.dir, `${node.name}.conf`), "-l", join(this.dir, `${node.name}.log`)], { stdio: "ignore" });
  }

  /** Starts every node and waits until each one's /healthz (JetStream included) answers 200. */
  async startAll(timeoutMs = 30_000): Promise<void> {
    this.nodes.forEach((_, i) => this.start(i));
    await this.ready(timeoutMs);
  }

  async ready(timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (let i = 0; i < this.nodes.length; i++) {
      if (!this.isUp(i)) continue;
      while (!(await healthy(this.nodes[i].http))) {
        if (Date.now() > end) throw new Error(`nats-server ${this.nodes[i].name} not healthy after ${timeoutMs} ms (log ${join(this.dir, this.nodes[i].name + ".log")})`);
        await sleep(100);
      }
    }
  }

  async kill(i: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const p = this.nodes[i].proc;
    if (!p || !this.isUp(i)) return;
    await new Promise<void>((r) => { p.once("exit", () => r()); p.kill(signal); });
  }

  async stopAll(): Promise<void> {
    for (let i = 0; i < this.nodes.length; i++) await this.kill(i, "SIGTERM");
    if (!process.env.KEEP_NATS) rmSync(this.dir, { recursive: true, force: true });
  }
}
